import Foundation
import Testing

@testable import TunePrep

/// Compares `tokens`' per-record counts with tiktoken's.
///
/// `Fixtures/tokens-oracle/` holds a small chat file and the output of `token_reference.py count
/// --json` on it for three encodings (regenerate with `make-expected.sh` there). The cookbook count
/// must match exactly; tool definitions, which the reference leaves out, are compared with their
/// own expected counts.
@Suite struct TokenStatsOracleTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/tokens-oracle")

  @Test(arguments: [TokenEncoding.o200kBase, .cl100kBase, .r50kBase])
  func perRecordCountsMatchTiktoken(_ encoding: TokenEncoding) throws {
    let expectedLines = try Data(
      contentsOf: Self.folder.appendingPathComponent("\(encoding.rawValue).expected.jsonl")
    )
    .split(separator: 0x0A)
    let expected = try expectedLines.map {
      try #require(JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])
    }
    var tools: [Int: Int] = [:]
    let toolsText = try String(
      contentsOf: Self.folder.appendingPathComponent("\(encoding.rawValue).tools.expected"),
      encoding: .utf8)
    for line in toolsText.split(separator: "\n") {
      let parts = line.split(separator: " ").compactMap { Int($0) }
      if parts.count == 2 { tools[parts[0]] = parts[1] }
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tokoracle-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = try TokenStatsRun.run(
      files: [Self.folder.appendingPathComponent("input.jsonl").path], encoding: encoding,
      options: TokenStats.Options(), in: dir)
    #expect(expected.count >= 13)
    #expect(out.records.count == expected.count)
    for (want, got) in zip(expected, out.records) {
      let line = try #require(want["line"] as? Int)
      #expect(got["line"] as? Int == line)
      let tokens = try #require(got["tokens"] as? Int)
      let toolTokens = try #require(got["tools"] as? Int)
      #expect(toolTokens == tools[line] ?? 0, "line \(line): tool definitions")
      #expect(tokens - toolTokens == want["chat_tokens"] as? Int, "line \(line): chat tokens")
      #expect(
        got["assistant"] as? Int == want["assistant_tokens"] as? Int,
        "line \(line): assistant tokens")
      #expect(got["messages"] as? Int == want["messages"] as? Int, "line \(line): messages")
    }
  }
}
