import Testing

@testable import TunePrep

@Suite struct FormatTemplateTests {
  static let chat =
    #"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"  Hi\n"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"Bye"},{"role":"assistant","content":"Bye!"}]}"#

  static func render(_ name: String, _ record: String = chat, lossy: Bool = false) -> String? {
    guard let template = ChatTemplate.builtIn(name) else { return nil }
    return Convert.run(Array(record.utf8), to: .text(template), lossy: lossy).output.map {
      String(decoding: $0, as: UTF8.self)
    }
  }

  @Test func chatml() {
    #expect(
      Self.render("chatml")
        == #"{"text":"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n  Hi\n<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nBye!<|im_end|>\n"}"#
    )
  }

  @Test func llama3TrimsContentLikeItsTemplate() {
    #expect(
      Self.render("llama3")
        == #"{"text":"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nBye!<|eot_id|>"}"#
    )
  }

  @Test func mistralPutsTheSystemPromptInTheLastUserTurn() {
    #expect(
      Self.render("mistral")
        == #"{"text":"<s>[INST]   Hi\n[/INST] Hello!</s>[INST] Be brief.\n\nBye[/INST] Bye!</s>"}"#)
  }

  @Test func gemmaUsesModelAndPutsTheSystemPromptFirst() {
    #expect(
      Self.render("gemma")
        == #"{"text":"<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\nBye!<end_of_turn>\n"}"#
    )
  }

  @Test func userTemplateFile() throws {
    let file = Array(
      #"{"begin":"<s>","system":"<<SYS>>{content}<</SYS>>\n","user":"Q: {content}\n","assistant":"A: {content}</s>\n"}"#
        .utf8)
    let template = try ChatTemplate(parsing: file, path: "t.json")
    let out = Convert.run(Array(Self.chat.utf8), to: .text(template)).output.map {
      String(decoding: $0, as: UTF8.self)
    }
    #expect(
      out
        == #"{"text":"<s><<SYS>>Be brief.<</SYS>>\nQ:   Hi\n\nA: Hello!</s>\nQ: Bye\nA: Bye!</s>\n"}"#
    )
  }

  @Test(arguments: [
    #"{"user":"{content}"}"#, #"{"user":"x","assistant":"{content}"}"#,
    #"{"user":"{content}","assistant":"{content}","extra":1}"#,
    #"[1]"#, #"{"user":"{content}","assistant":"{content}","system_placement":"middle"}"#,
  ])
  func badTemplateFilesAreConfigErrors(text: String) {
    #expect(throws: TunePrepError.self) {
      try ChatTemplate(parsing: Array(text.utf8), path: "t.json")
    }
  }

  /// Every key of the wrong type is a configuration error naming the file, the key and the
  /// type it needs, never silently read as its default.
  @Test(arguments: [
    ("trim", #""yes""#, "boolean"), ("alternate", "1", "boolean"), ("trim", "null", "boolean"),
    ("system", "true", "string"), ("begin", "[]", "string"), ("end", "0", "string"),
    ("system_placement", "{}", "string"),
  ])
  func wrongTypedKeysAreConfigErrors(key: String, value: String, type: String) {
    let text = #"{"user":"U:{content}","assistant":"A:{content}",""# + key + #"":"# + value + "}"
    do {
      _ = try ChatTemplate(parsing: Array(text.utf8), path: "t6.json")
      Issue.record("\(key): \(value) was accepted")
    } catch {
      guard case .badConfig(let path, _, let reason) = error else {
        Issue.record("\(error)")
        return
      }
      #expect(path == "t6.json")
      #expect(reason.contains("\"\(key)\" must be a \(type)"), "\(reason)")
    }
  }

  @Test func toolCallsInTextAreLossy() {
    let record =
      #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"r"},{"role":"assistant","content":"b"}]}"#
    #expect(Self.render("chatml", record) == nil)
    #expect(
      Self.render("chatml", record, lossy: true)
        == #"{"text":"<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n"}"#)
  }
}
