import Foundation
import Testing

@testable import TunePrep

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// SARIF and JUnit reports are written at the end of a run but do not hold every finding in
/// memory: the finished results go to a spool file past 1 MiB and are copied out at the end.
@Suite struct ReportStreamingTests {
  /// Runs `body` with a report file in a fresh folder and returns the file's bytes.
  static func report(_ body: (TunePrep.OutputStream) throws -> Void) throws -> Data {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("report")
    let output = try TunePrep.OutputStream.file(url.path)
    try body(output)
    try output.commit()
    return try Data(contentsOf: url)
  }

  @Test func spoolGivesBackEveryRangeAcrossTheFileAndTheBuffer() throws {
    let spool = ReportSpool()
    var expected: [UInt8] = []
    for i in 0..<80_000 {
      let piece = "piece \(i) é😀\n"
      spool.append(piece)
      expected += Array(piece.utf8)
    }
    #expect(spool.count == expected.count)
    #expect(expected.count > 1 << 20)
    #expect(spool.bytesInMemory < 1 << 20)
    let ranges = [0..<expected.count, 0..<0, 5..<(1 << 20) + 7, (1 << 20) - 3..<expected.count]
    for range in ranges {
      let data = try Self.report { spool.copy(range, to: $0) }
      #expect(Array(data) == Array(expected[range]), "\(range)")
    }
  }

  /// Findings alternating between files: each file's test cases form one suite, in order, and
  /// the document stays whole while most of it is on disk.
  @Test func junitGroupsInterleavedFilesWithLittleMemory() throws {
    var inMemory = 0
    let data = try Self.report { output in
      var options = FindingReporter.Options()
      options.style = .junit
      let reporter = FindingReporter(command: "validate", options: options, output: output)
      for i in 0..<30_000 {
        let file = ["a.jsonl", "b.jsonl", "a.jsonl", "c <&>.jsonl"][i % 4]
        reporter.report(
          Finding(
            i % 3 == 0 ? .jsonSyntax : .schemaUnknownKey,
            at: Location(file: file, line: i + 1), message: "finding \(i) of a long run"))
      }
      inMemory = reporter.reportBytesInMemory
      var summary = RunSummary(command: "validate")
      summary.read = 30_000
      reporter.finish(summary, summaryOutput: nil)
    }
    #expect(data.count > 4 << 20)
    #expect(inMemory < 1 << 20)
    let text = String(decoding: data, as: UTF8.self)
    let suites = text.split(separator: "\n").filter { $0.hasPrefix("  <testsuite ") }
    #expect(
      suites == [
        #"  <testsuite name="a.jsonl" tests="15000" failures="15000">"#,
        #"  <testsuite name="b.jsonl" tests="7500" failures="7500">"#,
        #"  <testsuite name="c &lt;&amp;&gt;.jsonl" tests="7500" failures="7500">"#,
      ])
    #expect(
      text.hasPrefix(
        #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
          + #"<testsuites name="tuneprep validate" tests="30000" failures="30000">"#))
    // The test cases of a.jsonl come in the order they were reported, lines 1, 3, 5, ...
    let aCases = text.split(separator: "\n").filter { $0.contains(#"classname="a.jsonl""#) }
    #expect(aCases.count == 15_000)
    #expect(aCases.first?.contains(#"name="line 1: json.syntax""#) == true)
    #expect(aCases.last?.contains(#"name="line 29999: "#) == true)
    let xml = try XMLDocument(data: data)
    #expect(try xml.nodes(forXPath: "//testcase").count == 30_000)
  }

  @Test func sarifKeepsEveryResultWithLittleMemory() throws {
    var inMemory = 0
    let data = try Self.report { output in
      var options = FindingReporter.Options()
      options.style = .sarif
      let reporter = FindingReporter(command: "validate", options: options, output: output)
      for i in 0..<20_000 {
        reporter.report(
          Finding(
            i % 2 == 0 ? .jsonSyntax : .schemaUnknownKey,
            at: Location(file: "d.jsonl", line: i + 1, column: 3),
            message: "finding \(i) of a long run"))
      }
      inMemory = reporter.reportBytesInMemory
      reporter.finish(RunSummary(command: "validate"), summaryOutput: nil)
    }
    #expect(data.count > 2 << 20)
    #expect(inMemory < 1 << 20)
    let sarif = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let run = try #require((sarif["runs"] as? [[String: Any]])?.first)
    let results = try #require(run["results"] as? [[String: Any]])
    #expect(results.count == 20_000)
    let message = results.last?["message"] as? [String: Any]
    let lastText = message?["text"] as? String
    #expect(lastText == "finding 19999 of a long run")
    let tool = run["tool"] as? [String: Any]
    let driver = tool?["driver"] as? [String: Any]
    let ruleObjects = driver?["rules"] as? [[String: Any]] ?? []
    let rules: [String] = ruleObjects.compactMap { $0["id"] as? String }
    #expect(rules == ["json.syntax", "schema.unknown-key"])
  }
}
