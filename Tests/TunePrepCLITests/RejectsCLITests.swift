import Foundation
import Testing

/// A `--rejects` line keeps the exact bytes of a record that is not valid UTF-8, in every
/// command (QA round 3, defect 8: they were replaced with U+FFFD): the string (`text`, or
/// `record` for `format`) shows them for people, `base64` holds them exactly.
@Suite struct RejectsCLITests {
  typealias Folder = DedupeCLITests.Folder

  /// The QA's record: a chat whose user text holds the byte 0xFF.
  static let badRecord =
    Data(#"{"messages":[{"role":"user","content":"a"#.utf8) + Data([0xFF])
    + Data(#"b"},{"role":"assistant","content":"y"}]}"#.utf8)

  /// Writes `good` valid chat records, the bad record and a line that is not JSON.
  static func writeInput(_ folder: Folder, good: Int) throws {
    var data = Data()
    for i in 0..<good {
      data += Data(
        (DedupeCLITests.chat("question \(i) about topic \(i * 7)", "answer \(i)") + "\n").utf8)
    }
    data += badRecord + Data("\nnot json\n".utf8)
    try data.write(to: folder.url.appendingPathComponent("in.jsonl"))
  }

  /// The rejects file's lines as JSON objects, by their `line`.
  static func rejects(_ folder: Folder, _ name: String) throws -> [Int: [String: Any]] {
    let data = try Data(contentsOf: folder.url.appendingPathComponent(name))
    var byLine: [Int: [String: Any]] = [:]
    for line in data.split(separator: 0x0A) {
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
      byLine[try #require(object["line"] as? Int)] = object
    }
    return byLine
  }

  /// Checks the rejects line of the bad record (at `line`) and of the line that is not JSON.
  static func expectExactBytes(
    _ rejects: [Int: [String: Any]], badLine: Int, textField: String
  ) throws {
    let bad = try #require(rejects[badLine])
    // `format` names the finding's code `code` (its `reason` is the message).
    #expect(bad[textField == "record" ? "code" : "reason"] as? String == "encoding.invalid-utf8")
    let text = try #require(bad[textField] as? String)
    #expect(text.contains("a\u{FFFD}b"))
    let base64 = try #require(bad["base64"] as? String)
    #expect(Data(base64Encoded: base64) == badRecord)
    // Valid UTF-8 needs no copy of its bytes.
    let notJSON = try #require(rejects[badLine + 1])
    #expect(notJSON[textField] as? String == "not json")
    #expect(notJSON["base64"] == nil)
  }

  @Test func dedupe() throws {
    let folder = try Folder()
    try Self.writeInput(folder, good: 2)
    let run = try folder.run(["dedupe", "in.jsonl", "--rejects", "r.jsonl", "--dry-run"])
    #expect(run.status == 1)
    #expect(
      run.stderr.contains("in.jsonl:3: error: invalid UTF-8 byte 0xFF at column 41"),
      "\(run.stderr)")
    try Self.expectExactBytes(Self.rejects(folder, "r.jsonl"), badLine: 3, textField: "text")
  }

  @Test func split() throws {
    let folder = try Folder()
    try Self.writeInput(folder, good: 40)
    let run = try folder.run([
      "split", "in.jsonl", "--out-dir", "splits", "--rejects", "r.jsonl",
    ])
    #expect(run.status == 1, "\(run.stderr)")
    try Self.expectExactBytes(Self.rejects(folder, "r.jsonl"), badLine: 41, textField: "text")
  }

  @Test func format() throws {
    let folder = try Folder()
    try Self.writeInput(folder, good: 1)
    let run = try folder.run([
      "format", "in.jsonl", "--to", "alpaca", "--rejects", "r.jsonl", "-o", "out.jsonl",
    ])
    #expect(run.status == 1, "\(run.stderr)")
    try Self.expectExactBytes(Self.rejects(folder, "r.jsonl"), badLine: 2, textField: "record")
  }
}
