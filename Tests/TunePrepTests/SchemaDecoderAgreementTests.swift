import Foundation
import Testing

@testable import TunePrep

/// The decoders agree with the built-in schemas on which records are structurally valid.
///
/// The built-in schemas in `schemas/` judge each format's structure, and the decoders explain what
/// is wrong in the format's own words; when a schema rejects a record that its decoder has no words
/// for, validate falls back to the schema engine's message (see `StructureJudgeTests`). This test
/// keeps the decoders complete, so the fallback stays rare: with the judge switched off, on every
/// sample record and on thousands of mutated ones that are still JSON, a record passes its format's
/// schema exactly when the decoder alone reports no `schema.*` finding.
@Suite struct SchemaDecoderAgreementTests {
  static let formats = Format.builtIn

  /// Decoder codes for constraints a schema expresses: types, required and unknown keys,
  /// enums (roles, speakers), non-empty arrays and non-blank text.
  static let structuralCodes: Set<String> = [
    "json.not-object", "format.empty-content", "format.unknown-role",
  ]

  static func records(for format: Format) throws -> [[UInt8]] {
    let root = ConformanceDirectory.packageRoot
    var lines: [[UInt8]] = []
    let files = try FileManager.default.subpathsOfDirectory(
      atPath: root.appendingPathComponent("samples").path
    )
    .filter { $0.hasSuffix(".jsonl") }.sorted()
    for file in files {
      let data = try Data(contentsOf: root.appendingPathComponent("samples/\(file)"))
      lines += data.split(separator: 0x0A).map { Array($0) }
    }
    let fixtures = root.appendingPathComponent("Tests/TunePrepCLITests/Fixtures")
    for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted() {
      let input = fixtures.appendingPathComponent("\(name)/input.jsonl")
      if let data = try? Data(contentsOf: input) {
        lines += data.split(separator: 0x0A).map { Array($0) }
      }
    }
    return lines
  }

  /// Structural edits that keep the record JSON: drop a key, change a value's type, add a key.
  static func mutations(of document: JSONDocument, random: inout SplitMix64)
    -> [[UInt8]]
  {
    var results: [[UInt8]] = []
    let bytes = document.bytes
    for _ in 0..<12 {
      let node = random.below(document.nodes.count)
      let range = document.sourceRange(node)
      let replacement: [UInt8]
      switch random.below(6) {
      case 0: replacement = Array("null".utf8)
      case 1: replacement = Array("42".utf8)
      case 2: replacement = Array("\"\"".utf8)
      case 3: replacement = Array("[]".utf8)
      case 4: replacement = Array("{}".utf8)
      default: replacement = Array("\"x\"".utf8)
      }
      // Keys must stay strings; replace only values.
      if document.kind(node) == .string, node > 0, isKey(node, in: document) { continue }
      var mutated = Array(bytes[..<range.lowerBound])
      mutated += replacement
      mutated += bytes[range.upperBound...]
      results.append(mutated)
    }
    return results
  }

  static func isKey(_ node: Int, in document: JSONDocument) -> Bool {
    var i = 0
    // Find the parent: the closest container before `node` whose subtree holds it.
    var parent = -1
    while i < node {
      if (document.kind(i) == .object || document.kind(i) == .array) && document.next(i) > node {
        parent = i
      }
      i += 1
    }
    guard parent >= 0, document.kind(parent) == .object else { return false }
    return document.members(parent).contains { $0.key == node }
  }

  @Test(arguments: formats)
  func decoderAndSchemaAgree(format: Format) throws {
    let schema = try #require(try BuiltinSchemas.compile(named: format.rawValue))
    var parser = JSONParser()
    var document = JSONDocument()
    var checker = RecordChecker(fileFormat: format, detected: false, formatLocation: nil)
    checker.structure = FormatSchemas([:])  // the decoder alone
    var random = SplitMix64(
      state: 0x5C4E_3A00 &+ UInt64(format.rawValue.utf8.count))
    var disagreements: [String] = []
    var checked = 0
    var schemaInvalid = 0
    var candidates: [[UInt8]] = []
    // Every sample converted into this format (lossy where needed), so each format has many
    // valid records to mutate, plus the raw sample and fixture lines of all formats.
    let raw = try Self.records(for: format)
    var lines = raw
    for line in raw {
      if let converted = Convert.run(line, to: .format(format), lossy: true).output {
        lines.append(converted)
      }
    }
    for line in lines {
      do throws(JSONSyntaxError) {
        try parser.parse(line, into: &document)
      } catch { continue }
      guard document.kind(document.root) == .object else { continue }
      candidates.append(line)
      candidates += Self.mutations(of: document, random: &random)
    }
    for line in candidates {
      do throws(JSONSyntaxError) {
        try parser.parse(line, into: &document)
      } catch { continue }
      guard document.kind(document.root) == .object, document.warnings.isEmpty else { continue }
      let schemaValid = schema.isValid(document)
      var findings: [Finding] = []
      line.withUnsafeBufferPointer { buffer in
        _ = checker.check(
          buffer, at: RecordPosition(file: "t", line: 1, column: 1, byteOffset: 0),
          findings: &findings)
      }
      let structural = findings.filter {
        Self.structuralCodes.contains($0.code) || $0.code.hasPrefix("schema.")
      }
      checked += 1
      if !schemaValid { schemaInvalid += 1 }
      if schemaValid != structural.isEmpty {
        var errors: [SchemaError] = []
        _ = schema.validate(document, into: &errors, limit: 3)
        disagreements.append(
          "\(String(decoding: line.prefix(300), as: UTF8.self))\n  schema: \(schemaValid ? "valid" : errors.map(\.description).joined(separator: "; "))\n  decoder: \(structural.map { "\($0.path ?? "") \($0.message) [\($0.code)]" }.joined(separator: "; "))"
        )
      }
    }
    print(
      "\(format.rawValue): \(checked) records, \(schemaInvalid) schema-invalid, \(disagreements.count) disagreements"
    )
    #expect(checked > 200)
    #expect(
      checked - schemaInvalid >= 10, "too few schema-valid \(format.rawValue) records to compare")
    #expect(disagreements.isEmpty, "\(disagreements.prefix(8).joined(separator: "\n"))")
  }

  /// Provider rules the mutations never produce (images outside user messages, a file in
  /// Gemini's systemInstruction): the schema and the decoder agree on each, both ways.
  @Test(arguments: [
    (
      Format.openaiChat, false,
      #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}"#
    ),
    (
      Format.openaiChat, false,
      #"{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#
    ),
    (
      Format.openaiChat, true,
      #"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},{"role":"assistant","content":"b"}]}"#
    ),
    (
      Format.openaiPreference, false,
      #"{"input":{"messages":[{"role":"user","content":"a"}]},"preferred_output":[{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}],"non_preferred_output":[{"role":"assistant","content":"c"}]}"#
    ),
    (
      Format.bedrockConversation, false,
      #"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"image":{"format":"png","source":{"s3Location":{"uri":"s3://b/x.png"}}}}]}]}"#
    ),
    (
      Format.bedrockConversation, true,
      #"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"image":{"format":"png","source":{"s3Location":{"uri":"s3://b/x.png"}}}}]},{"role":"assistant","content":[{"text":"b"}]}]}"#
    ),
    (
      Format.gemini, false,
      #"{"systemInstruction":{"parts":[{"fileData":{"mimeType":"image/png","fileUri":"gs://b/x.png"}}]},"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"text":"b"}]}]}"#
    ),
    (
      Format.gemini, true,
      #"{"contents":[{"role":"user","parts":[{"fileData":{"mimeType":"image/png","fileUri":"gs://b/x.png"}}]},{"role":"model","parts":[{"text":"b"}]}]}"#
    ),
  ])
  func providerRulesAgree(format: Format, valid: Bool, record: String) throws {
    let schema = try #require(try BuiltinSchemas.compile(named: format.rawValue))
    var parser = JSONParser()
    var document = JSONDocument()
    try parser.parse(Array(record.utf8), into: &document)
    #expect(schema.isValid(document) == valid)
    var checker = RecordChecker(fileFormat: format, detected: false, formatLocation: nil)
    checker.structure = FormatSchemas([:])  // the decoder alone
    var findings: [Finding] = []
    let line = Array(record.utf8)
    line.withUnsafeBufferPointer { buffer in
      _ = checker.check(
        buffer, at: RecordPosition(file: "t", line: 1, column: 1, byteOffset: 0),
        findings: &findings)
    }
    let structural = findings.filter {
      Self.structuralCodes.contains($0.code) || $0.code.hasPrefix("schema.")
    }
    #expect(structural.isEmpty == valid, "\(findings.map(\.message))")
  }
}
