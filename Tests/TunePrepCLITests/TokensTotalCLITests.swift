import Foundation
import Testing

/// The tokens JSON report's `total` is the same shape with one input and with several: a file
/// object without `file`.
@Suite struct TokensTotalCLITests {
  @Test(arguments: [1, 2])
  func totalHasNoFileMember(inputs: Int) throws {
    let result = try CLIRunner.run(
      ["tokens", "--report", "json"] + Array(repeating: "samples/chat.jsonl", count: inputs))
    #expect(result.status == 0)
    let line = try #require(
      String(decoding: result.stderr, as: UTF8.self).split(separator: "\n").last)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    let report = try #require(
      (object["summary"] as? [String: Any])?["token_report"] as? [String: Any])
    let total = try #require(report["total"] as? [String: Any])
    let files = try #require(report["files"] as? [[String: Any]])
    #expect(total["file"] == nil)
    #expect(files.count == inputs)
    #expect(files.allSatisfy { $0["file"] as? String == "samples/chat.jsonl" })
    #expect(Set(total.keys) == Set(files[0].keys).subtracting(["file"]))
    #expect(total["counted"] as? Int == inputs * (files[0]["counted"] as? Int ?? -1))
  }
}
