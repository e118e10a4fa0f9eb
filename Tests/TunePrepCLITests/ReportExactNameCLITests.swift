import Foundation
import Testing

/// Machine-readable reports name each file exactly, in their own escaping, so two files whose
/// display-escaped names look alike (a real line break and a backslash followed by `n`) stay
/// apart; SARIF and GitHub columns count characters, not bytes.
@Suite struct ReportExactNameCLITests {
  static let record = Data("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n".utf8)

  /// A folder with `a<LF>b.jsonl` and `a\nb.jsonl` (backslash, n), each with one invalid record.
  static func lookalikeFiles() throws -> (dir: URL, paths: [String]) {
    let dir = try BadInputCLITests.temporaryFolder()
    let paths = ["a\nb.jsonl", "a\\nb.jsonl"].map { dir.appendingPathComponent($0).path }
    for path in paths {
      #expect(FileManager.default.createFile(atPath: path, contents: record))
    }
    return (dir, paths)
  }

  static func jsonLines(_ data: Data) throws -> [[String: Any]] {
    try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  @Test func jsonReportCarriesTheExactFileNames() throws {
    let (dir, paths) = try Self.lookalikeFiles()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try CLIRunner.run(["validate", "--report", "json"] + paths)
    #expect(result.status == 1)
    let files = try Self.jsonLines(result.stderr).compactMap { $0["file"] as? String }
    #expect(files == paths)
  }

  @Test func sarifURIsDecodeToTheExactFileNames() throws {
    let (dir, paths) = try Self.lookalikeFiles()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try CLIRunner.run(["validate", "--report", "sarif"] + paths)
    let doc = try #require(try JSONSerialization.jsonObject(with: result.stderr) as? [String: Any])
    let run = try #require((doc["runs"] as? [[String: Any]])?.first)
    let uris = try #require(run["results"] as? [[String: Any]]).compactMap {
      (($0["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        .flatMap { ($0["artifactLocation"] as? [String: Any])?["uri"] as? String }
    }
    #expect(uris.compactMap { $0.removingPercentEncoding } == paths)
    #expect(uris[0].hasSuffix("/a%0Ab.jsonl"))
    #expect(uris[1].hasSuffix("/a%5Cnb.jsonl"))
  }

  /// GitHub gets each name in its own property escaping: `%0A` for the line break, the
  /// backslash as is; so one workflow command per line, and two different `file` values.
  @Test func githubFilePropertiesAreExactAndOneLineEach() throws {
    let (dir, paths) = try Self.lookalikeFiles()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try CLIRunner.run(["validate", "--report", "github"] + paths)
    let lines = String(decoding: result.stderr, as: UTF8.self).split(separator: "\n")
    let commands = lines.filter { $0.hasPrefix("::error ") }
    #expect(commands.count == 2)
    #expect(lines.count == 3, "two commands and the summary line: \(lines)")
    let files = commands.map { line in
      line.dropFirst("::error file=".count).prefix { $0 != "," }
    }
    #expect(files.map(String.init) == paths.map { $0.replacingOccurrences(of: "\n", with: "%0A") })
  }

  @Test func junitHasOneSuitePerFile() throws {
    let (dir, paths) = try Self.lookalikeFiles()
    defer { try? FileManager.default.removeItem(at: dir) }
    let result = try CLIRunner.run(["validate", "--report", "junit"] + paths)
    let text = String(decoding: result.stderr, as: UTF8.self)
    let names = text.split(separator: "\n").filter { $0.hasPrefix("  <testsuite name=") }
    #expect(names.count == 2)
    #expect(text.contains("<testsuite name=\"\(dir.path)/a&#10;b.jsonl\""))
    #expect(text.contains("<testsuite name=\"\(dir.path)/a\\nb.jsonl\""))
  }

  /// The related record of a duplicate, in the JSON report and as a SARIF related location.
  @Test func relatedLocationsCarryTheExactFileName() throws {
    let dir = try BadInputCLITests.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("x\ny.jsonl").path
    let line =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}\n"
    #expect(FileManager.default.createFile(atPath: path, contents: Data((line + line).utf8)))
    let json = try CLIRunner.run(["dedupe", "--report", "json", "--dry-run", path])
    let finding = try #require(try Self.jsonLines(json.stderr).first { $0["related"] != nil })
    let related = try #require(finding["related"] as? [[String: Any]])
    #expect(related.first?["file"] as? String == path)
    let sarif = try CLIRunner.run(["dedupe", "--report", "sarif", "--dry-run", path])
    let text = String(decoding: sarif.stderr, as: UTF8.self)
    #expect(
      text.contains("\"relatedLocations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":"))
    #expect(text.contains("x%0Ay.jsonl\"},\"region\":{\"startLine\":1}}"))
  }

  /// A key after 9 two-byte and 6 three-byte characters: byte column 114, character column 93.
  @Test func sarifAndGithubColumnsCountCodePoints() throws {
    let dir = try BadInputCLITests.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("col.jsonl").path
    let record =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"ééééééééé 日本語日本語\"},{\"role\":\"assistant\",\"content\":\"x\",\"bogus\":1}]}\n"
    #expect(FileManager.default.createFile(atPath: path, contents: Data(record.utf8)))
    let sarif = try CLIRunner.run(["validate", "--report", "sarif", path])
    let doc = try #require(try JSONSerialization.jsonObject(with: sarif.stderr) as? [String: Any])
    let run = try #require((doc["runs"] as? [[String: Any]])?.first)
    #expect(run["columnKind"] as? String == "unicodeCodePoints")
    let text = String(decoding: sarif.stderr, as: UTF8.self)
    #expect(text.contains("\"region\":{\"startLine\":1,\"startColumn\":93}"))
    let github = try CLIRunner.run(["validate", "--report", "github", path])
    #expect(String(decoding: github.stderr, as: UTF8.self).contains(",line=1,col=93,"))
    // The text and JSON reports keep byte columns.
    let json = try CLIRunner.run(["validate", "--report", "json", path])
    #expect(try Self.jsonLines(json.stderr).first?["column"] as? Int == 114)
  }

  /// In a JSON array file a record can start after other characters on its line; its
  /// findings and the array's own syntax errors count those in characters too.
  @Test func jsonArrayColumnsCountCodePointsBeforeTheRecord() throws {
    let dir = try BadInputCLITests.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("arr.json").path
    let text =
      "[{\"messages\":[{\"role\":\"user\",\"content\":\"é\"}]}, {\"messages\":[{\"role\":\"user\",\"content\":\"日本\",\"x\":1}]},,\n]"
    #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
    let scalars = Array(text.unicodeScalars)
    func characterColumn(of needle: String) -> Int {
      let n = Array(needle.unicodeScalars)
      return (0...(scalars.count - n.count)).first { Array(scalars[$0..<$0 + n.count]) == n }! + 1
    }
    let sarif = try CLIRunner.run(["validate", "--report", "sarif", path])
    let out = String(decoding: sarif.stderr, as: UTF8.self)
    #expect(out.contains("\"startLine\":1,\"startColumn\":\(characterColumn(of: "\"x\""))}"))
    #expect(out.contains("\"startLine\":1,\"startColumn\":\(characterColumn(of: ",,") + 1)}"))
  }
}
