import Foundation
import Testing

/// Where reports place findings: SARIF URIs that URI parsers read back as the file name, and no
/// made-up line 0 for findings about a whole file in the JSON report.
@Suite struct ReportLocationCLITests {
  @Test func sarifURIsAreURIReferencesThatDecodeToTheFileName() throws {
    let dir = try BadInputCLITests.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let folder = dir.appendingPathComponent("my data")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let names = ["set #2.jsonl", "50% off?.jsonl", "a:b é.jsonl"]
    for name in names {
      try Data("{\"a\":1}\n".utf8).write(to: folder.appendingPathComponent(name))
    }
    let report = dir.appendingPathComponent("report.sarif")
    let result = try CLIRunner.run(
      ["validate", "--report", "sarif", "--report-file", report.path]
        + names.map { folder.appendingPathComponent($0).path })
    #expect(result.status == 1)
    // Python's urllib reads each uri as a bare path (no scheme, query or fragment) that
    // percent-decodes to the file name.
    let script = """
      import json, sys, urllib.parse
      doc = json.load(open(sys.argv[1]))
      for r in doc['runs'][0]['results']:
          u = r['locations'][0]['physicalLocation']['artifactLocation']['uri']
          s = urllib.parse.urlsplit(u)
          assert (s.scheme, s.netloc, s.query, s.fragment) == ('', '', '', ''), u
          print(urllib.parse.unquote(s.path, errors='strict'))
      """
    let scriptFile = dir.appendingPathComponent("uris.py")
    try Data(script.utf8).write(to: scriptFile)
    let output = try BadInputCLITests.shell("python3 '\(scriptFile.path)' '\(report.path)'")
    #expect(output.status == 0, "\(output.output)")
    #expect(
      Set(output.output.split(separator: "\n").map(String.init))
        == Set(names.map { folder.appendingPathComponent($0).path }))
  }

  @Test func standardInputIsAValidURIToo() throws {
    let result = try CLIRunner.run(
      ["validate", "--report", "sarif", "-"], stdin: Data("{\"a\":1}\n".utf8))
    let text = String(decoding: result.stderr, as: UTF8.self)
    #expect(text.contains(#""artifactLocation":{"uri":"%3Cstdin%3E"}"#))
  }

  /// An empty file's finding is about the whole file: the JSON report gives it no line, as
  /// the text report does.
  @Test func fileFindingsHaveNoLineInTheJSONReport() throws {
    let dir = try BadInputCLITests.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let empty = dir.appendingPathComponent("e.jsonl")
    try Data().write(to: empty)
    let result = try CLIRunner.run(["validate", "--report", "json", empty.path])
    let first = try #require(
      String(decoding: result.stderr, as: UTF8.self).split(separator: "\n").first)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
    #expect(object["code"] as? String == "count.empty-file")
    #expect(object["file"] as? String == empty.path)
    #expect(object["line"] == nil)
    #expect(object["column"] == nil)
  }
}
