import Foundation
import Testing

/// `--schema` and `--output-schema` findings give the line and byte column of the failing
/// value, as the built-in findings do, not only the line where the record starts.
@Suite struct SchemaPositionCLITests {
  static let pretty =
    "[\n  {\n    \"messages\": [\n      {\"role\": \"user\", \"content\": \"hi\"},\n"
    + "      {\"role\": \"assistant\", \"content\": \"ok\"}\n    ]\n  }\n]\n"

  /// The (line, column, path) of each finding of validating `pretty.json` with a schema.
  static func positions(_ option: String, schema: String) throws -> [String] {
    let dir = try BadInputCLITests.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(pretty.utf8).write(to: dir.appendingPathComponent("pretty.json"))
    try Data(schema.utf8).write(to: dir.appendingPathComponent("s.schema.json"))
    let result = try CLIRunner.run([
      "validate", option, dir.appendingPathComponent("s.schema.json").path, "--report", "json",
      dir.appendingPathComponent("pretty.json").path,
    ])
    #expect(result.status == 1)
    return try String(decoding: result.stderr, as: UTF8.self).split(separator: "\n").dropLast()
      .map { line in
        let object = try #require(
          try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return "\(object["line"] ?? "-"):\(object["column"] ?? "-") \(object["path"] ?? "-")"
      }
  }

  @Test func schemaFindingsPointAtTheFailingValue() throws {
    let schema =
      #"{"properties":{"messages":{"items":{"properties":{"content":{"maxLength":1}}}}}}"#
    #expect(
      try Self.positions("--schema", schema: schema) == [
        "4:35 /messages/0/content", "5:40 /messages/1/content",
      ])
  }

  /// A root-level schema error stays at the record, with no column, like built-in ones.
  @Test func wholeRecordSchemaFindingsStayAtTheRecord() throws {
    #expect(try Self.positions("--schema", schema: #"{"required":["id"]}"#) == ["2:- "])
  }

  @Test func outputSchemaFindingsPointAtTheAnswer() throws {
    #expect(
      try Self.positions("--output-schema", schema: #"{"type":"object"}"#) == [
        "5:40 /messages/1/content"
      ])
  }
}
