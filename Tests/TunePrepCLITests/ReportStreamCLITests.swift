import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// What each `--report` format puts on stderr, on the real binary: record data cannot inject
/// lines or terminal control into a report, and a machine-readable report on stderr is all that
/// stderr carries, so a program can parse it.
@Suite struct ReportStreamCLITests {
  /// Records whose unknown keys carry CRLF, lone CR, lone LF, ESC, DEL, a C1 control and U+2028,
  /// each followed by a forged GitHub workflow command.
  static let hostileRecords = [
    #"{"prompt":"a","completion":"b","k\r\n::error file=x.py,line=1::INJECTED":1}"#,
    #"{"prompt":"a","completion":"b","k\r::error file=x.py,line=2::INJECTED":1}"#,
    #"{"prompt":"a","completion":"b","k\n::error file=x.py,line=3::INJECTED":1}"#,
    #"{"prompt":"a","completion":"b","k\u001b[31mred\u007f\u009b\u2028::error::INJECTED":1}"#,
  ]

  /// A temporary folder holding `hostile.jsonl`; removed by the caller.
  static func hostileFolder() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try Data(hostileRecords.map { $0 + "\n" }.joined().utf8).write(
      to: dir.appendingPathComponent("hostile.jsonl"))
    return dir
  }

  /// The output split at LF bytes only, as a CI log or terminal reads it, without the final
  /// empty piece.
  static func lines(_ data: Data) -> [[UInt8]] {
    var pieces = Array(data).split(separator: 0x0A, omittingEmptySubsequences: false).map(
      Array.init)
    if pieces.last?.isEmpty == true { pieces.removeLast() }
    return pieces
  }

  /// Bytes that must never appear raw inside a report line: C0 controls, DEL, and the UTF-8
  /// encodings of C1 controls (C2 80 to C2 9F) and U+2028/U+2029 (E2 80 A8/A9).
  static func hasRawControl(_ line: [UInt8]) -> Bool {
    for (i, b) in line.enumerated() {
      if b < 0x20 || b == 0x7F { return true }
      if b == 0xC2, i + 1 < line.count, (0x80...0x9F).contains(line[i + 1]) { return true }
      if b == 0xE2, i + 2 < line.count, line[i + 1] == 0x80,
        line[i + 2] == 0xA8 || line[i + 2] == 0xA9
      {
        return true
      }
    }
    return false
  }

  @Test func githubReportCannotBeInjected() throws {
    let dir = try Self.hostileFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("hostile.jsonl").path
    let result = try CLIRunner.run(["validate", file, "--report", "github"])
    #expect(result.status == 1)
    let lines = Self.lines(result.stderr)
    let commands = lines.filter { $0.starts(with: Array("::".utf8)) }
    // One real annotation per record, each for our file; nothing else starts a command.
    #expect(
      commands.count == Self.hostileRecords.count,
      "\(String(decoding: result.stderr, as: UTF8.self))")
    for line in commands {
      let text = String(decoding: line, as: UTF8.self)
      #expect(text.hasPrefix("::error file=\(file),line="), "\(text)")
      #expect(text.contains("INJECTED"))
    }
    for line in lines {
      #expect(!Self.hasRawControl(line), "raw control in \(String(decoding: line, as: UTF8.self))")
    }
    let all = String(decoding: result.stderr, as: UTF8.self)
    #expect(all.contains(#"\"k\\r\\n::error file=x.py,line=1::INJECTED\""#) == false)
    #expect(all.contains("k\\r\\n::error file=x.py,line=1::INJECTED"))
    #expect(all.contains("k\\u001b[31mred\\u007f\\u009b\\u2028::error::INJECTED"))
  }

  @Test func textReportShowsDataControlsEscapedOneFindingPerLine() throws {
    let dir = try Self.hostileFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("hostile.jsonl").path
    let result = try CLIRunner.run(["validate", file, "--report", "text"])
    #expect(result.status == 1)
    let lines = Self.lines(result.stderr).map { String(decoding: $0, as: UTF8.self) }
    // Four findings and the summary line: no line was split or forged.
    #expect(lines.count == Self.hostileRecords.count + 1, "\(lines)")
    for (i, line) in lines.dropLast().enumerated() {
      #expect(line.hasPrefix("\(file):\(i + 1): error: "), "\(line)")
      #expect(line.hasSuffix(" [schema.unknown-key]"), "\(line)")
    }
    #expect(lines.last?.hasPrefix("tuneprep validate: 4 records") == true)
    for line in Self.lines(result.stderr) {
      #expect(!Self.hasRawControl(line), "raw control in \(String(decoding: line, as: UTF8.self))")
      #expect(!line.starts(with: Array("::".utf8)))
    }
    #expect(lines[0].contains(#"unknown key "k\r\n::error file=x.py,line=1::INJECTED""#))
    #expect(lines[1].contains(#"unknown key "k\r::error"#))
    #expect(lines[2].contains(#"unknown key "k\n::error"#))
    #expect(lines[3].contains(#"unknown key "k\u001b[31mred\u007f\u009b\u2028::error::INJECTED""#))
  }

  @Test func textReportEscapesAFileNameWithALineBreak() throws {
    let dir = try Self.hostileFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let name = "evil\r\n::error::x.jsonl"
    try FileManager.default.copyItem(
      at: dir.appendingPathComponent("hostile.jsonl"), to: dir.appendingPathComponent(name))
    let path = dir.appendingPathComponent(name).path
    for style in ["text", "github"] {
      let result = try CLIRunner.run(["validate", path, "--report", style])
      let lines = Self.lines(result.stderr)
      #expect(lines.count == Self.hostileRecords.count + 1, "\(style): \(lines.count) lines")
      for line in lines {
        #expect(!Self.hasRawControl(line), "\(style): \(String(decoding: line, as: UTF8.self))")
        #expect(!line.starts(with: Array("::error::".utf8)))
      }
    }
  }

  /// Commands and inputs that report findings (the same broken file for the record commands).
  static let machineRuns: [[String]] = [
    ["validate", "samples/broken/chat.jsonl"],
    ["dedupe", "samples/broken/chat.jsonl", "--dry-run"],
    ["format", "samples/broken/chat.jsonl", "--to", "alpaca"],
    ["tokens", "samples/broken/chat.jsonl", "--encoding", "cl100k_base"],
  ]

  /// `--report json` on stderr: every line is a JSON object, the last one the summary.
  @Test(arguments: machineRuns)
  func jsonReportOnStderrIsValidJSONLines(_ arguments: [String]) throws {
    let result = try CLIRunner.run(arguments + ["--report", "json"])
    #expect(result.status == 1, "\(String(decoding: result.stderr, as: UTF8.self))")
    let lines = Self.lines(result.stderr)
    #expect(lines.count >= 2)
    for line in lines {
      let object = try? JSONSerialization.jsonObject(with: Data(line))
      #expect(
        object is [String: Any], "not a JSON object: \(String(decoding: line, as: UTF8.self))")
    }
    let last = try #require(lines.last)
    let summary = try JSONSerialization.jsonObject(with: Data(last)) as? [String: Any]
    #expect(summary?["summary"] != nil)
  }

  /// `--report junit` on stderr: the whole of stderr is one well-formed XML document.
  @Test(arguments: machineRuns)
  func junitReportOnStderrIsOneXMLDocument(_ arguments: [String]) throws {
    let result = try CLIRunner.run(arguments + ["--report", "junit"])
    #expect(result.status == 1)
    let parser = XMLParser(data: result.stderr)
    #expect(parser.parse(), "\(String(decoding: result.stderr, as: UTF8.self))")
  }

  /// `--report sarif` on stderr: the whole of stderr is one JSON document.
  @Test(arguments: machineRuns)
  func sarifReportOnStderrIsOneJSONDocument(_ arguments: [String]) throws {
    let result = try CLIRunner.run(arguments + ["--report", "sarif"])
    #expect(result.status == 1)
    let document = try JSONSerialization.jsonObject(with: result.stderr) as? [String: Any]
    #expect(document?["version"] as? String == "2.1.0")
  }

  /// The hostile records in a json, junit or sarif report on stderr still parse, and the data
  /// comes back as it was.
  @Test(arguments: ["json", "junit", "sarif"])
  func machineReportsOfHostileDataParse(_ style: String) throws {
    let dir = try Self.hostileFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("hostile.jsonl").path
    let result = try CLIRunner.run(["validate", file, "--report", style])
    #expect(result.status == 1)
    switch style {
    case "json":
      let lines = Self.lines(result.stderr)
      #expect(lines.count == Self.hostileRecords.count + 1)
      for line in lines {
        #expect((try? JSONSerialization.jsonObject(with: Data(line))) is [String: Any])
      }
    case "junit":
      #expect(XMLParser(data: result.stderr).parse())
    default:
      #expect((try? JSONSerialization.jsonObject(with: result.stderr)) is [String: Any])
    }
    for line in Self.lines(result.stderr) { #expect(!Self.hasRawControl(line)) }
  }

  /// With `--report-file` the report is elsewhere, so the summary line stays on stderr; with
  /// `github` (workflow commands among plain log lines) it stays too.
  @Test func humanSummaryStaysWhenStderrIsNotAMachineReport() throws {
    let dir = try Self.hostileFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let reportFile = dir.appendingPathComponent("report.json").path
    let toFile = try CLIRunner.run([
      "validate", "samples/broken/chat.jsonl", "--report", "json", "--report-file", reportFile,
    ])
    #expect(String(decoding: toFile.stderr, as: UTF8.self).hasPrefix("tuneprep validate: "))
    let report = try Data(contentsOf: URL(fileURLWithPath: reportFile))
    for line in Self.lines(report) {
      #expect((try? JSONSerialization.jsonObject(with: Data(line))) is [String: Any])
    }
    let toStdout = try CLIRunner.run([
      "validate", "samples/broken/chat.jsonl", "--report", "json", "--report-file", "-",
    ])
    #expect(String(decoding: toStdout.stderr, as: UTF8.self).hasPrefix("tuneprep validate: "))
    let github = try CLIRunner.run(["validate", "samples/broken/chat.jsonl", "--report", "github"])
    let lastLine = try #require(Self.lines(github.stderr).last)
    #expect(String(decoding: lastLine, as: UTF8.self).hasPrefix("tuneprep validate: "))
  }

  /// `split` leaves its seed line off stderr too when a machine report is there.
  @Test func splitJSONReportOnStderrIsValidJSONLines() throws {
    let dir = try Self.hostileFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out").path
    let result = try CLIRunner.run([
      "split", "samples/broken/chat.jsonl", "--out-dir", out, "--report", "json",
    ])
    let lines = Self.lines(result.stderr)
    #expect(!lines.isEmpty)
    for line in lines {
      #expect(
        (try? JSONSerialization.jsonObject(with: Data(line))) is [String: Any],
        "\(String(decoding: line, as: UTF8.self))")
    }
  }
}
