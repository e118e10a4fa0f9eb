import Foundation
import Testing

/// OpenAI's legacy `function` role (the result of a `function_call`, named by `name`): accepted,
/// kept as `function` by OpenAI output, and a lossy field for every other target.
@Suite struct FunctionRoleCLITests {
  static let chat =
    #"{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"function_call":{"name":"get_weather","arguments":"{}"}},{"role":"function","name":"get_weather","content":"sunny"},{"role":"assistant","content":"Sunny."}],"functions":[{"name":"get_weather","parameters":{"type":"object","properties":{}}}]}"#
  static let preference =
    #"{"input":{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"function_call":{"name":"get_weather","arguments":"{}"}},{"role":"function","name":"get_weather","content":"sunny"}]},"preferred_output":[{"role":"assistant","content":"Sunny."}],"non_preferred_output":[{"role":"assistant","content":"Rainy."}]}"#

  static func run(_ arguments: [String], _ record: String) throws -> CLIRunner.Result {
    try CLIRunner.run(arguments, stdin: Data((record + "\n").utf8))
  }

  static func text(_ bytes: Data) -> String {
    String(decoding: bytes, as: UTF8.self)
  }

  /// A function message answers a `function_call` by its `name`; it has no `tool_call_id`.
  @Test(arguments: [chat, preference])
  func validateAcceptsAFunctionMessage(record: String) throws {
    let result = try Self.run(["validate", "-"], record)
    #expect(result.status == 0, "\(Self.text(result.stderr))")
  }

  @Test func aFunctionMessageWithoutANameIsAToolResponseFinding() throws {
    let record = Self.chat.replacingOccurrences(
      of: #""name":"get_weather","content""#, with: #""content""#)
    let result = try Self.run(["validate", "-"], record)
    #expect(result.status == 1)
    #expect(
      Self.text(result.stderr).contains(
        #"<stdin>:1: error: /messages/2: the function message has no "name" naming the function whose result it is [format.tool-response]"#
      ), "\(Self.text(result.stderr))")
  }

  @Test(arguments: [chat, preference])
  func openAIOutputKeepsTheFunctionRoleByteForByte(record: String) throws {
    let to = record == Self.preference ? "openai-preference" : "openai-chat"
    let result = try Self.run(["format", "-", "--to", to], record)
    #expect(result.status == 0, "\(Self.text(result.stderr))")
    #expect(Self.text(result.stdout) == record + "\n")
  }

  /// Dropping the rejected answer keeps the function message as it was.
  @Test func preferenceToChatKeepsTheFunctionRole() throws {
    let result = try Self.run(["format", "-", "--to", "openai-chat", "--lossy"], Self.preference)
    #expect(result.status == 0, "\(Self.text(result.stderr))")
    #expect(
      Self.text(result.stdout).contains(
        #"{"role":"function","name":"get_weather","content":"sunny"}"#))
    #expect(!Self.text(result.stdout).contains(#""role":"tool""#))
  }

  /// No other format has a function role: the message is a lossy field, never rewritten.
  @Test(arguments: ["sharegpt", "gemini", "bedrock-conversation", "alpaca"])
  func otherTargetsRejectTheFunctionMessageAsLossy(target: String) throws {
    let result = try Self.run(["format", "-", "--to", target], Self.chat)
    #expect(result.status == 1)
    #expect(result.stdout.isEmpty)
    let stderr = Self.text(result.stderr)
    #expect(stderr.contains(#""tool messages""#), "\(stderr)")
    #expect(stderr.contains("[format.lossy]"), "\(stderr)")
  }
}
