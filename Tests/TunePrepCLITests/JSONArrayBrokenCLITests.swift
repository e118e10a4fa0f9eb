import Foundation
import Testing

/// A `.json` array whose syntax breaks between records loses no record in any command.
///
/// The rest of the file is one rejected unit, counted, with a message that says it was
/// not read and what to fix; every command exits 1.
@Suite struct JSONArrayBrokenCLITests {
  static let record =
    #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#
  /// Three records; the comma after the first is missing.
  static let missingComma = "[\(record)\n\(record),\n\(record)]\n"
  static let expectedMessage =
    "arr.json:2: error: invalid JSON array at column 1: expected ',' or ']' after a record of the "
    + "array, found '{'; the rest of the file from line 2 column 1 was not read as records and is "
    + "rejected as one unit: add the missing ',' between the records at line 2 column 1 and run "
    + "again [json.syntax]\n"

  /// A temporary folder holding `arr.json`; removed by the caller.
  static func folder(_ text: String = missingComma) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-array-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: dir.appendingPathComponent("arr.json"))
    return dir
  }

  static func lines(_ url: URL) throws -> [Substring] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
  }

  @Test func formatCountsTheUnreadRestAsRejected() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("arr.out")
    let rejects = dir.appendingPathComponent("arr.rj")
    let result = try CLIRunner.run([
      "format", dir.appendingPathComponent("arr.json").path, "--to", "sharegpt", "-o", out.path,
      "--rejects", rejects.path,
    ])
    #expect(result.status == 1)
    let stderr = String(decoding: result.stderr, as: UTF8.self)
    #expect(stderr.contains("2 records in 1 file, 1 written, 1 rejected"))
    #expect(try Self.lines(out).count == 1)
    let rejected = try Self.lines(rejects)
    #expect(rejected.count == 1)
    // The rejected unit holds both unread records, so nothing is lost.
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(rejected[0].utf8)) as? [String: Any])
    #expect(object["line"] as? Int == 2)
    #expect(object["code"] as? String == "json.syntax")
    #expect(object["record"] as? String == "\(Self.record),\n\(Self.record)]")
  }

  @Test(arguments: [
    (["validate"], "2 records in 1 file, 1 valid, 1 invalid"),
    (["dedupe", "-o", "/dev/null"], "2 records in 1 file, 1 kept, 0 dup.exact, 1 invalid"),
  ])
  func everyCommandReportsTheUnreadRest(command: [String], summary: String) throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try CLIRunner.run(
      [command[0], dir.appendingPathComponent("arr.json").path] + command.dropFirst())
    #expect(result.status == 1)
    let stderr = String(decoding: result.stderr, as: UTF8.self)
    #expect(stderr.hasPrefix(dir.path) && stderr.contains("/" + Self.expectedMessage))
    #expect(stderr.contains(summary))
  }

  @Test func tokensSkipsTheUnreadRest() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try CLIRunner.run(["tokens", dir.appendingPathComponent("arr.json").path])
    #expect(result.status == 1)
    let stderr = String(decoding: result.stderr, as: UTF8.self)
    #expect(stderr.contains("2 records in 1 file, 1 counted, 1 skipped"))
    #expect(stderr.contains("(json.syntax 1)"))
  }

  @Test func aFileCutInsideARecordKeepsThatRecord() throws {
    let dir = try Self.folder("[\(Self.record),\n{\"messages\":[{\"role\":\"user\"")
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try CLIRunner.run(["validate", dir.appendingPathComponent("arr.json").path])
    #expect(result.status == 1)
    let stderr = String(decoding: result.stderr, as: UTF8.self)
    #expect(
      stderr.contains("arr.json:2: error: unterminated array: the file ends inside this record"))
    #expect(stderr.contains("2 records in 1 file, 1 valid, 1 invalid"))
  }

  /// A string element with spaces is one record (one json.not-object finding); the valid record
  /// after it is read and valid, not swallowed into a rejected rest of the file.
  @Test func aStringElementWithSpacesIsOneRecord() throws {
    let dir = try Self.folder("[\n\(Self.record),\n\"TODO add more, ] [\",\n\(Self.record)\n]\n")
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try CLIRunner.run([
      "validate", "--report", "json", dir.appendingPathComponent("arr.json").path,
    ])
    #expect(result.status == 1)
    let lines = String(decoding: result.stderr, as: UTF8.self).split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines.first?.contains(#""code":"json.not-object""#) == true)
    #expect(lines.first?.contains(#""line":3"#) == true)
    #expect(lines.last?.contains(#""read":3,"valid":2,"invalid":1"#) == true)
  }
}
