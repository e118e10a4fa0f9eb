import Foundation
import Testing

/// sharegpt `function_call` and `observation` turns are the canonical example's tool calls and
/// tool messages: converted to every format that holds tool calls, with output that validates,
/// and lossy for every format that does not.
@Suite struct ShareGPTToolCallsCLITests {
  /// A call, its result and the answer (QA's reproduction).
  static let sharegpt =
    #"{"conversations":[{"from":"human","value":"w?"},{"from":"function_call","value":"{\"name\":\"w\",\"arguments\":{}}"},{"from":"observation","value":"sunny"},{"from":"gpt","value":"It is sunny"}]}"#
  /// The same conversation in openai-chat, with the ids sharegpt's positions give.
  static let chat =
    #"{"messages":[{"role":"user","content":"w?"},{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"w","arguments":"{}"}}]},{"role":"tool","content":"sunny","tool_call_id":"call_1"},{"role":"assistant","content":"It is sunny"}]}"#
  /// A conversation that ends with the call.
  static let callOnly =
    #"{"conversations":[{"from":"human","value":"w?"},{"from":"function_call","value":"{\"name\":\"w\",\"arguments\":{}}"}]}"#

  static func run(_ arguments: [String], _ records: String...) throws -> CLIRunner.Result {
    try CLIRunner.run(arguments, stdin: Data(records.map { $0 + "\n" }.joined().utf8))
  }

  static func text(_ bytes: Data) -> String {
    String(decoding: bytes, as: UTF8.self)
  }

  /// sharegpt to sharegpt is the identity: the function_call turn keeps its speaker, and the
  /// observation turn is not a lossy field.
  @Test(arguments: [sharegpt, callOnly])
  func sharegptToSharegptKeepsTheRecord(record: String) throws {
    let result = try Self.run(["format", "-", "--to", "sharegpt"], record)
    #expect(result.status == 0, "\(Self.text(result.stderr))")
    #expect(Self.text(result.stdout) == record + "\n")
  }

  /// The function_call turn becomes an assistant message with one tool call, whose id the
  /// observation answers, so the output is valid openai-chat.
  @Test func sharegptToOpenAIChatWritesToolCallsThatValidate() throws {
    let result = try Self.run(["format", "-", "--to", "openai-chat"], Self.sharegpt)
    #expect(result.status == 0, "\(Self.text(result.stderr))")
    #expect(Self.text(result.stdout) == Self.chat + "\n")
    let validation = try CLIRunner.run(["validate", "-"], stdin: result.stdout)
    #expect(validation.status == 0, "\(Self.text(validation.stderr))")
  }

  /// And back: openai-chat's tool calls become sharegpt turns, and the round trip gives the
  /// record back byte for byte.
  @Test func openAIChatToSharegptRoundTrips() throws {
    let result = try Self.run(["format", "-", "--to", "sharegpt"], Self.chat)
    #expect(result.status == 0, "\(Self.text(result.stderr))")
    #expect(Self.text(result.stdout) == Self.sharegpt + "\n")
    let back = try CLIRunner.run(["format", "-", "--to", "openai-chat"], stdin: result.stdout)
    #expect(Self.text(back.stdout) == Self.chat + "\n", "\(Self.text(back.stderr))")
  }

  /// Parallel calls are an array in one function_call turn, answered by the observations in
  /// order; the arguments keep their text.
  @Test func parallelCallsRoundTrip() throws {
    let chat =
      #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"a","arguments":"{\"x\": 1}"}},{"id":"call_2","type":"function","function":{"name":"b","arguments":"{}"}}]},{"role":"tool","content":"r1","tool_call_id":"call_1"},{"role":"tool","content":"r2","tool_call_id":"call_2"},{"role":"assistant","content":"done"}]}"#
    let result = try Self.run(["format", "-", "--to", "sharegpt"], chat)
    #expect(
      Self.text(result.stdout)
        == #"{"conversations":[{"from":"human","value":"q"},{"from":"function_call","value":"[{\"name\":\"a\",\"arguments\":{\"x\": 1}},{\"name\":\"b\",\"arguments\":{}}]"},{"from":"observation","value":"r1"},{"from":"observation","value":"r2"},{"from":"gpt","value":"done"}]}"#
        + "\n", "\(Self.text(result.stderr))")
    let back = try CLIRunner.run(["format", "-", "--to", "openai-chat"], stdin: result.stdout)
    #expect(Self.text(back.stdout) == chat + "\n", "\(Self.text(back.stderr))")
  }

  /// Formats without tool calls reject the call as lossy, never turn it into answer text.
  @Test(arguments: ["gemini", "alpaca", "bedrock-conversation", "input-output"])
  func targetsWithoutToolCallsRejectTheCallAsLossy(target: String) throws {
    let result = try Self.run(["format", "-", "--to", target], Self.callOnly)
    #expect(result.status == 1)
    #expect(result.stdout.isEmpty, "\(Self.text(result.stdout))")
    let stderr = Self.text(result.stderr)
    #expect(stderr.contains(#""tool_calls""#) && stderr.contains("[format.lossy]"), "\(stderr)")
  }

  /// OpenAI's own ids have no place in sharegpt: lossy by name, and `--lossy` keeps the calls
  /// and their results.
  @Test func otherCallIDsAreLossyInSharegpt() throws {
    let chat = Self.chat.replacingOccurrences(of: "call_1", with: "call_8xK2")
    let strict = try Self.run(["format", "-", "--to", "sharegpt"], chat)
    #expect(strict.status == 1)
    #expect(
      Self.text(strict.stderr).contains(
        #"<stdin>:1: error: /messages/1/tool_calls/0: sharegpt cannot hold "tool call ids" of this record"#
      ), "\(Self.text(strict.stderr))")
    let loose = try Self.run(["format", "-", "--to", "sharegpt", "--lossy"], chat)
    #expect(Self.text(loose.stdout) == Self.sharegpt + "\n", "\(Self.text(loose.stderr))")
    #expect(Self.text(loose.stderr).contains("1 dropped tool call ids"))
  }

  /// Results in another order than the calls cannot be linked by order.
  @Test func resultsOutOfOrderAreUnconvertible() throws {
    let chat =
      #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"a","arguments":"{}"}},{"id":"call_2","type":"function","function":{"name":"b","arguments":"{}"}}]},{"role":"tool","content":"r2","tool_call_id":"call_2"},{"role":"tool","content":"r1","tool_call_id":"call_1"},{"role":"assistant","content":"done"}]}"#
    let result = try Self.run(["format", "-", "--to", "sharegpt", "--lossy"], chat)
    #expect(result.status == 1)
    #expect(result.stdout.isEmpty)
    #expect(
      Self.text(result.stderr).contains(
        #"/messages/2: sharegpt links each observation to the calls of the function_call turn before it, in order, but this tool message answers call "call_2" instead of "call_1" [format.unconvertible]"#
      ), "\(Self.text(result.stderr))")
  }

  /// Text beside the calls has no place in a function_call turn.
  @Test func assistantTextBesideCallsIsLossy() throws {
    let chat = Self.chat.replacingOccurrences(
      of: #""role":"assistant","tool_calls""#,
      with: #""role":"assistant","content":"Let me see","tool_calls""#)
    let result = try Self.run(["format", "-", "--to", "sharegpt"], chat)
    #expect(result.status == 1)
    #expect(
      Self.text(result.stderr).contains(#""assistant text beside tool_calls""#),
      "\(Self.text(result.stderr))")
  }

  /// An observation that follows no call has no id to answer in openai-chat.
  @Test func anObservationWithoutACallIsUnconvertibleToOpenAI() throws {
    let record =
      #"{"conversations":[{"from":"human","value":"q"},{"from":"observation","value":"r"},{"from":"gpt","value":"a"}]}"#
    let result = try Self.run(["format", "-", "--to", "openai-chat"], record)
    #expect(result.status == 1)
    #expect(result.stdout.isEmpty, "\(Self.text(result.stdout))")
    #expect(
      Self.text(result.stderr).contains(
        "/conversations/1: openai-chat needs each tool message to answer a tool call by its id, and this tool turn follows no function_call turn [format.unconvertible]"
      ), "\(Self.text(result.stderr))")
  }

  /// A function_call value that is not a call is reported, not trained as text.
  @Test(arguments: [
    (
      #"get weather"#,
      #"the function_call turn's "value" is not valid JSON"#
    ),
    (
      #"{\"name\":\"w\"}"#,
      #"a call in the function_call turn's "value" has no "arguments""#
    ),
    (
      #"{\"name\":\"w\",\"arguments\":\"{}\"}"#,
      #"a call in the function_call turn's "value" has "arguments" that are a string: they must be a JSON object"#
    ),
    (
      #"{\"name\":\"w\",\"arguments\":{},\"id\":\"c\"}"#,
      #"a call in the function_call turn's "value" has an unknown key "id""#
    ),
  ])
  func validateReportsAFunctionCallThatIsNotACall(value: String, message: String) throws {
    let record = Self.callOnly.replacingOccurrences(
      of: #"{\"name\":\"w\",\"arguments\":{}}"#, with: value)
    let result = try Self.run(["validate", "-"], record)
    #expect(result.status == 1)
    let stderr = Self.text(result.stderr)
    #expect(
      stderr.contains("<stdin>:1: error: /conversations/1/value: \(message)")
        && stderr.contains("[format.tool-call]"), "\(stderr)")
  }

  /// `tokens` counts the function_call turn as the OpenAI message it converts to (the old
  /// count took its value as answer text: 35 tokens, not 52).
  @Test func tokensCountTheCallAsItsOpenAIMessage() throws {
    let sharegpt = try Self.run(["tokens", "--per-record", "-"], Self.sharegpt)
    let chat = try Self.run(["tokens", "--per-record", "-"], Self.chat)
    #expect(sharegpt.status == 0, "\(Self.text(sharegpt.stderr))")
    #expect(Self.text(sharegpt.stdout).hasPrefix(#"{"line":1,"tokens":52,"#))
    #expect(sharegpt.stdout == chat.stdout)
  }

  /// `dedupe` keys a call by its name and arguments, not by how the turn's JSON is spaced.
  @Test func dedupeKeysTheCallNotItsSpacing() throws {
    let spaced = Self.sharegpt.replacingOccurrences(
      of: #"{\"name\":\"w\",\"arguments\":{}}"#, with: #"{\"name\": \"w\", \"arguments\": {}}"#)
    let result = try Self.run(["dedupe", "-"], Self.sharegpt, spaced)
    #expect(Self.text(result.stderr).contains("1 kept, 1 dup.exact"), "\(Self.text(result.stderr))")
    #expect(Self.text(result.stdout) == Self.sharegpt + "\n")
  }
}
