import Foundation
import Testing

/// A record lists at most 20 schema errors; when it reaches that many, the last one says the
/// record may have more, so a count of 20 is never taken for the whole story.
@Suite struct SchemaErrorLimitCLITests {
  /// Validates one record of `failing` properties, each breaking its own `pattern`, and returns
  /// the report lines of stderr.
  static func findings(failing: Int) throws -> [String] {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-schema-limit-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let properties = (0..<25).map { "\"p\($0)\":{\"pattern\":\"b\"}" }.joined(separator: ",")
    let schema = folder.appendingPathComponent("s.json")
    try Data("{\"properties\":{\(properties)}}".utf8).write(to: schema)
    let values = (0..<25).map { "\"p\($0)\":\"\($0 < failing ? "x" : "b")\"" }
    let record = "{" + values.joined(separator: ",") + "}\n"
    let result = try CLIRunner.run(
      ["validate", "--format", "json", "--schema", schema.path, "-"], stdin: Data(record.utf8))
    #expect(result.status == 1)
    return String(decoding: result.stderr, as: UTF8.self).split(separator: "\n")
      .filter { $0.hasSuffix("[schema.invalid]") }.map(String.init)
  }

  @Test func theTwentiethSaysThereMayBeMore() throws {
    let lines = try Self.findings(failing: 25)
    #expect(lines.count == 20)
    let note = "the record may have more schema errors: at most 20 are listed per record"
    #expect(lines.last?.contains(note) == true, "\(lines.last ?? "")")
    #expect(lines.dropLast().allSatisfy { !$0.contains(note) })
  }

  @Test func fewerErrorsGetNoNote() throws {
    let lines = try Self.findings(failing: 3)
    #expect(lines.count == 3)
    #expect(lines.allSatisfy { !$0.contains("may have more") })
  }
}
