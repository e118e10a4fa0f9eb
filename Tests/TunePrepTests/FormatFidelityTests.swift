import Testing

@testable import TunePrep

/// Fields and parts that `tuneprep format` must carry through, or report as lossy: nothing is
/// dropped silently.
@Suite struct FormatFidelityTests {
  private static func text(_ bytes: [UInt8]?) -> String? {
    bytes.map { String(decoding: $0, as: UTF8.self) }
  }

  /// Records whose every field the same format holds: converting one to its own format gives
  /// the same bytes.
  @Test(arguments: [
    #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"parallel_tool_calls":false}"#,
    #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"functions":[{"name":"f","parameters":{}}]}"#,
    #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}}]}"#,
    #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a","refusal":null}]}"#,
    #"{"messages":[{"role":"system","name":"ops","content":"S"},{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#,
    #"{"input":{"messages":[{"role":"user","content":"q"}],"parallel_tool_calls":true},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#,
    #"{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"a"}],"tools":"[{\"name\":\"f\"}]"}"#,
    #"{"conversations":[{"from":"system","name":"ops","value":"S","weight":0},{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}"#,
    #"{"conversations":[{"from":"human","value":"q"},{"from":"function_call","value":"{\"name\": \"f\", \"arguments\": {\"a\": [1, \"]\"]}}"},{"from":"observation","value":"r"},{"from":"gpt","value":"a"}],"tools":"[{\"name\":\"f\"}]"}"#,
    #"{"conversations":[{"from":"human","value":"q"},{"from":"function_call","name":"n","value":"[{\"name\":\"f\",\"arguments\":{}},{\"name\":\"g\",\"arguments\":{}}]","weight":1},{"from":"observation","value":"r1"},{"from":"observation","value":"r2"},{"from":"gpt","value":"a"}]}"#,
  ])
  func sameFormatKeepsEveryField(record: String) throws {
    let format = try #require(detect(record))
    let result = Convert.run(Array(record.utf8), to: .format(format))
    #expect(Self.text(result.output) == record, "\(result.findings.map(\.message))")
  }

  private func detect(_ record: String) -> Format? {
    var parser = JSONParser()
    var document = JSONDocument()
    guard (try? parser.parse(Array(record.utf8), into: &document)) != nil else { return nil }
    return Format.detect(document)
  }

  /// A field the target cannot hold is `format.lossy` naming it, and with `--lossy` is dropped
  /// and counted.
  @Test(arguments: [
    (
      #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"parallel_tool_calls":false}"#,
      [Format.sharegpt, .gemini, .alpaca, .bedrockConversation, .inputOutput], "parallel_tool_calls"
    ),
    (
      #"{"input":{"messages":[{"role":"user","content":"q"}],"parallel_tool_calls":true},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#,
      [.sharegpt], "parallel_tool_calls"
    ),
    (
      #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"functions":[{"name":"f","parameters":{}}]}"#,
      [.sharegpt, .alpaca], "functions"
    ),
    (
      #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a","refusal":"no"}]}"#,
      [.sharegpt, .gemini], "refusal"
    ),
    (
      #"{"messages":[{"role":"system","name":"ops","content":"S"},{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#,
      [.alpaca, .gemini], "name"
    ),
    (
      #"{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"a"}],"tools":"[{\"name\":\"f\"}]"}"#,
      [.openaiChat, .alpaca], "tools"
    ),
    (
      #"{"conversations":[{"from":"human","value":"q"},{"from":"function_call","value":"{\"name\":\"f\",\"arguments\":{}}"},{"from":"observation","value":"r"},{"from":"gpt","value":"a"}]}"#,
      [.alpaca, .gemini, .bedrockConversation, .inputOutput, .promptCompletion], "tool_calls"
    ),
    (
      #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":null,"tool_calls":[{"id":"x7","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"x7","content":"r"},{"role":"assistant","content":"a"}]}"#,
      [.sharegpt], "tool call ids"
    ),
  ])
  func unrepresentableFieldsAreLossy(record: String, targets: [Format], field: String) {
    for target in targets {
      let strict = Convert.run(Array(record.utf8), to: .format(target))
      #expect(strict.output == nil, "\(target.rawValue) wrote \(Self.text(strict.output) ?? "")")
      let finding = strict.findings.first { $0.code == "format.lossy" }
      #expect(finding?.message.contains("\"\(field)\"") == true, "\(strict.findings)")
      let loose = Convert.run(Array(record.utf8), to: .format(target), lossy: true)
      #expect(loose.output != nil, "\(target.rawValue): \(loose.findings.map(\.message))")
      #expect(loose.dropped.contains(field), "\(target.rawValue): \(loose.dropped)")
    }
  }
}

/// sharegpt `function_call` and `observation` turns decode into the canonical example's tool
/// calls and tool messages, as OpenAI's do.
@Suite struct ShareGPTToolCallModelTests {
  @Test func aFunctionCallTurnIsAnAssistantTurnWithToolCalls() throws {
    let record =
      #"{"conversations":[{"from":"human","value":"q"},{"from":"function_call","value":"[{\"name\":\"f\",\"arguments\":{\"a\": 1}},{\"name\":\"g\",\"arguments\":{}}]"},{"from":"observation","value":"r1"},{"from":"observation","value":"r2"},{"from":"gpt","value":"a"}]}"#
    let canonical = try #require(Convert.canonical(Array(record.utf8), as: .sharegpt))
    let turns = canonical.split(separator: "\n").dropFirst().prefix(5).map(String.init)
    #expect(
      turns == [
        #"user|"q"|w=-|n=nil|[]|nil|fc=nil|r=nil"#,
        #"assistant|nil|w=-|n=nil|["call_1","f","{\"a\": 1}";"call_2","g","{}"]|nil|fc=nil|r=nil"#,
        #"tool|"r1"|w=-|n=nil|[]|"call_1"|fc=nil|r=nil"#,
        #"tool|"r2"|w=-|n=nil|[]|"call_2"|fc=nil|r=nil"#,
        #"assistant|"a"|w=-|n=nil|[]|nil|fc=nil|r=nil"#,
      ], "\(canonical)")
  }

  /// The same conversation in sharegpt and openai-chat (with positional ids) is the same
  /// canonical example, apart from where its texts come from.
  @Test func sharegptAndOpenAIChatDecodeAlike() throws {
    let sharegpt =
      #"{"conversations":[{"from":"human","value":"q"},{"from":"function_call","value":"{\"name\":\"f\",\"arguments\":{\"a\":1}}"},{"from":"observation","value":"r"},{"from":"gpt","value":"a"}]}"#
    let chat =
      #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"call_1","content":"r"},{"role":"assistant","content":"a"}]}"#
    #expect(
      Convert.canonical(Array(sharegpt.utf8), as: .sharegpt)
        == Convert.canonical(Array(chat.utf8), as: .openaiChat))
  }
}

/// Text given as several parts stays parts where the target has parts, and is joined by a
/// newline where the target holds one string.
@Suite struct FormatPartsTests {
  static let chat =
    #"{"messages":[{"role":"user","content":[{"type":"text","text":"Hello"},{"type":"text","text":"world"}]},{"role":"assistant","content":"a"}]}"#
  static let gemini =
    #"{"contents":[{"role":"user","parts":[{"text":"Hello"},{"text":"world"}]},{"role":"model","parts":[{"text":"a"}]}]}"#
  static let bedrock =
    #"{"schemaVersion":"bedrock-conversation-2024","system":[{"text":"S1"},{"text":"S2"}],"messages":[{"role":"user","content":[{"text":"Hello"},{"text":"world"}]},{"role":"assistant","content":[{"text":"a"}]}]}"#

  private static func convert(_ record: String, _ target: Format) -> String? {
    Convert.run(Array(record.utf8), to: .format(target)).output.map {
      String(decoding: $0, as: UTF8.self)
    }
  }

  @Test(arguments: [(chat, Format.openaiChat), (gemini, .gemini), (bedrock, .bedrockConversation)])
  func sameFormatKeepsTheParts(record: String, format: Format) {
    #expect(Self.convert(record, format) == record)
  }

  @Test func targetsWithPartsWriteParts() {
    #expect(
      Self.convert(Self.bedrock, .openaiChat)
        == #"{"messages":[{"role":"system","content":[{"type":"text","text":"S1"},{"type":"text","text":"S2"}]},{"role":"user","content":[{"type":"text","text":"Hello"},{"type":"text","text":"world"}]},{"role":"assistant","content":"a"}]}"#
    )
    #expect(
      Self.convert(Self.chat, .gemini)
        == #"{"contents":[{"role":"user","parts":[{"text":"Hello"},{"text":"world"}]},{"role":"model","parts":[{"text":"a"}]}]}"#
    )
  }

  @Test func singleStringTargetsJoinPartsWithANewline() {
    #expect(
      Self.convert(Self.chat, .sharegpt)
        == #"{"conversations":[{"from":"human","value":"Hello\nworld"},{"from":"gpt","value":"a"}]}"#
    )
    #expect(
      Self.convert(Self.bedrock, .inputOutput)
        == #"{"input":"Hello\nworld","output":"a","system":"S1\nS2"}"#)
    #expect(
      Self.convert(Self.gemini, .alpaca)
        == #"{"instruction":"Hello\nworld","input":"","output":"a"}"#)
  }

  /// Exact-duplicate keys (`--normalize none`) of parts differ from their concatenation, from
  /// the newline join, and from the same texts as separate turns.
  @Test func dedupeKeysKeepPartsApart() throws {
    let variants = [
      Self.chat,
      #"{"messages":[{"role":"user","content":"Helloworld"},{"role":"assistant","content":"a"}]}"#,
      #"{"messages":[{"role":"user","content":"Hello\nworld"},{"role":"assistant","content":"a"}]}"#,
      #"{"messages":[{"role":"user","content":"Hello"},{"role":"user","content":"world"},{"role":"assistant","content":"a"}]}"#,
    ]
    var keys: [[UInt8]] = []
    for record in variants {
      var checker = RecordChecker(fileFormat: .openaiChat, detected: false, formatLocation: nil)
      var findings: [Finding] = []
      let position = RecordPosition(file: "t", line: 1, column: 1, byteOffset: 0)
      let line = Array(record.utf8)
      let (example, _) = line.withUnsafeBufferPointer {
        checker.check($0, at: position, findings: &findings)
      }
      var builder = KeyBuilder(key: .conversation, normalization: .none)
      var key: [UInt8] = []
      _ = builder.build(try #require(example), in: checker.document, into: &key)
      keys.append(key)
    }
    #expect(Set(keys).count == variants.count)
  }
}

/// Image and file parts stay in formats of the same provider and are lossy elsewhere.
@Suite struct FormatNonTextPartsTests {
  static let bedrock =
    #"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"q"},{"image":{"format":"png","source":{"s3Location":{"uri":"s3://b/k.png"}}}}]},{"role":"assistant","content":[{"text":"a"}]}]}"#
  static let chat =
    #"{"messages":[{"role":"user","content":[{"type":"text","text":"q"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]},{"role":"assistant","content":"a"}]}"#
  static let gemini =
    #"{"contents":[{"role":"user","parts":[{"fileData":{"mimeType":"image/png","fileUri":"gs://b/k.png"}},{"text":"q"}]},{"role":"model","parts":[{"text":"a"}]}]}"#

  @Test(arguments: [(bedrock, Format.bedrockConversation), (chat, .openaiChat), (gemini, .gemini)])
  func sameProviderKeepsImageParts(record: String, format: Format) {
    let result = Convert.run(Array(record.utf8), to: .format(format))
    #expect(
      result.output.map { String(decoding: $0, as: UTF8.self) } == record,
      "\(result.findings.map(\.message))")
  }

  @Test(arguments: [
    (bedrock, Format.openaiChat), (chat, .gemini), (gemini, .bedrockConversation),
    (chat, .sharegpt),
  ])
  func otherTargetsReportImagePartsAsLossy(record: String, target: Format) {
    let strict = Convert.run(Array(record.utf8), to: .format(target))
    #expect(strict.output == nil)
    #expect(strict.findings.contains { $0.code == "format.lossy" })
    let loose = Convert.run(Array(record.utf8), to: .format(target), lossy: true)
    let text = loose.output.map { String(decoding: $0, as: UTF8.self) } ?? ""
    #expect(loose.dropped == ["non-text content (images, audio, files)"])
    #expect(!text.contains("png") && text.contains("\"q\""), "\(text)")
  }
}
