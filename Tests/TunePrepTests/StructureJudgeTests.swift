import Foundation
import Testing

@testable import TunePrep

/// The built-in schema of a format decides whether a record's structure is valid.
///
/// A rule that exists only in the schema is enforced, and a decoder objection the schema does not
/// share is withdrawn. The tests edit a copy of `schemas/openai-chat.json` and check that the
/// checker follows the edit.
@Suite struct StructureJudgeTests {
  /// `schemas/openai-chat.json` with `edit` applied to its text.
  static func editedChatSchema(_ edit: (String) -> String) throws -> CompiledSchema {
    let chat = try #require(BuiltinSchemas.text(named: "openai-chat"))
    let text = edit(chat)
    #expect(text != chat, "the edit must change the schema")
    return try BuiltinSchemas.compile(text: text, named: "openai-chat")
  }

  static func check(_ line: String, structure: FormatSchemas = .builtin) -> (
    findings: [Finding], example: Example?, hasError: Bool
  ) {
    var checker = RecordChecker(fileFormat: .openaiChat, detected: false, formatLocation: nil)
    checker.structure = structure
    var findings: [Finding] = []
    let bytes = Array(line.utf8)
    let result = bytes.withUnsafeBufferPointer {
      checker.check(
        $0, at: RecordPosition(file: "t.jsonl", line: 1, column: 1, byteOffset: 0),
        findings: &findings)
    }
    return (findings, result.example, result.hasError)
  }

  static let threeMessages =
    #"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}"#

  @Test func aRuleOnlyInTheSchemaIsEnforced() throws {
    let valid = Self.check(Self.threeMessages)
    #expect(valid.findings.isEmpty)
    // Allow at most two messages: a rule the decoder does not know.
    let schema = try Self.editedChatSchema {
      $0.replacingOccurrences(
        of: ##""minItems": 1,\##n      "items": {\##n        "$ref": "#/$defs/message""##,
        with:
          ##""minItems": 1, "maxItems": 2,\##n      "items": {\##n        "$ref": "#/$defs/message""##
      )
    }
    let judged = Self.check(Self.threeMessages, structure: FormatSchemas([.openaiChat: schema]))
    #expect(judged.hasError)
    #expect(judged.findings.map(\.code) == ["schema.invalid"])
    let finding = try #require(judged.findings.first)
    #expect(finding.path == "/messages")
    #expect(finding.message.contains("at most 2"), "\(finding.message)")
    #expect(
      finding.message.contains("rule schemas/openai-chat.json#/properties/messages/maxItems"),
      "\(finding.message)")
    #expect(finding.location.column == 14)
  }

  @Test func aSchemaOnlyEnumGetsTheEnumCode() throws {
    // Drop "system" from the roles the schema allows; the decoder still knows it.
    let schema = try Self.editedChatSchema {
      $0.replacingOccurrences(
        of: #""system",\#n            "developer",\#n            "user","#,
        with: #""developer",\#n            "user","#)
    }
    let judged = Self.check(Self.threeMessages, structure: FormatSchemas([.openaiChat: schema]))
    #expect(judged.findings.map(\.code) == ["schema.enum"])
    #expect(judged.findings.first?.path == "/messages/0/role")
  }

  @Test func aDecoderObjectionTheSchemaDoesNotShareIsWithdrawn() throws {
    let line =
      #"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], "temperature": 0.2}"#
    #expect(Self.check(line).findings.map(\.code) == ["schema.unknown-key"])
    // Let the schema accept any extra top-level key.
    let schema = try Self.editedChatSchema {
      $0.replacingOccurrences(
        of: #""additionalProperties": false,\#n  "properties": {\#n    "messages""#,
        with: #""additionalProperties": true,\#n  "properties": {\#n    "messages""#)
    }
    let judged = Self.check(line, structure: FormatSchemas([.openaiChat: schema]))
    #expect(judged.findings.isEmpty, "\(judged.findings.map(\.message))")
    #expect(!judged.hasError)
    #expect(judged.example != nil)
  }

  @Test func decoderWordsAreKeptWhenBothAgree() {
    // The decoder's message (with its hint) stands; the schema adds no second finding.
    let result = Self.check(
      #"{"messages": [{"role": "robot", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}"#
    )
    #expect(result.findings.map(\.code) == ["schema.enum"])
    #expect(result.findings.first?.message.hasPrefix(#"role "robot" is not one of"#) == true)
    #expect(result.findings.first?.message.contains("rule schemas/") == false)
    let content = Self.check(
      #"{"messages": [{"role": "user", "content": 5}, {"role": "assistant", "content": "Hello"}]}"#)
    #expect(content.findings.map(\.code) == ["schema.type"])
    let empty = Self.check(
      #"{"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "Hello"}]}"#
    )
    #expect(empty.findings.map(\.code) == ["format.empty-content"])
  }

  @Test func explanationRules() {
    func finding(_ code: FindingCode, _ path: String?) -> Finding {
      Finding(code, at: Location(file: "t", line: 1), path: path, message: "m")
    }
    func error(_ location: String, _ keyword: String) -> SchemaError {
      SchemaError(instanceLocation: location, schemaLocation: "/x", keyword: keyword, message: "m")
    }
    let typeAtContent = [finding(.schemaType, "/messages/1/content")]
    #expect(StructureJudge.isExplained(error("/messages/1/content", "anyOf"), by: typeAtContent))
    // Sums up the errors below it.
    #expect(StructureJudge.isExplained(error("/messages/1", "anyOf"), by: typeAtContent))
    // Inside the value the type finding is about.
    #expect(StructureJudge.isExplained(error("/messages/1/content/0", "type"), by: typeAtContent))
    #expect(!StructureJudge.isExplained(error("/messages/1", "maxProperties"), by: typeAtContent))
    #expect(!StructureJudge.isExplained(error("/messages/0/role", "enum"), by: typeAtContent))
    // An unknown key explains additionalProperties on its object, not on the grandparent.
    let unknown = [finding(.schemaUnknownKey, "/messages/0/colour")]
    #expect(StructureJudge.isExplained(error("/messages/0", "additionalProperties"), by: unknown))
    #expect(!StructureJudge.isExplained(error("", "additionalProperties"), by: unknown))
    // A record-level semantic finding does not explain a record-level schema error.
    let noAnswer = [finding(.formatNoAnswer, nil)]
    #expect(!StructureJudge.isExplained(error("", "required"), by: noAnswer))
    #expect(StructureJudge.isExplained(error("", "required"), by: [finding(.schemaRequired, nil)]))
  }

  @Test func keywordsMapToCodes() {
    #expect(StructureJudge.code(for: "required") == .schemaRequired)
    #expect(StructureJudge.code(for: "type") == .schemaType)
    #expect(StructureJudge.code(for: "additionalProperties") == .schemaUnknownKey)
    #expect(StructureJudge.code(for: "false") == .schemaUnknownKey)
    #expect(StructureJudge.code(for: "enum") == .schemaEnum)
    #expect(StructureJudge.code(for: "minItems") == .schemaEmpty)
    #expect(StructureJudge.code(for: "maxItems") == .schemaInvalid)
  }
}
