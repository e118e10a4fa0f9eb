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
