import Foundation
import Testing

/// A key given twice is one unknown key: `json.duplicate-key` says it is there twice, and
/// `schema.unknown-key` is reported once, at its first occurrence.
@Suite struct DuplicateUnknownKeyCLITests {
  @Test(arguments: [
    (
      #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"a":1,"a":2}"#,
      82
    ),
    (
      #"{"messages":[{"role":"user","content":"hi","a":1,"\u0061":2},{"role":"assistant","content":"yo"}]}"#,
      44
    ),
  ])
  func unknownKeyOnce(record: String, column: Int) throws {
    let result = try CLIRunner.run(
      ["validate", "--format", "openai-chat", "--report", "json", "-"],
      stdin: Data((record + "\n").utf8))
    let objects = try String(decoding: result.stderr, as: UTF8.self).split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    let unknown = objects.filter { $0["code"] as? String == "schema.unknown-key" }
    #expect(unknown.count == 1)
    #expect(unknown.first?["column"] as? Int == column)
    #expect(objects.filter { $0["code"] as? String == "json.duplicate-key" }.count == 1)
  }
}
