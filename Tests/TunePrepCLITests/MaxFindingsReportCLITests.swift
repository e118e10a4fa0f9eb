import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// `--max-findings` only limits what a report shows: every format must still say that findings
/// were held back and how many, and a machine-readable report must fail when the exit status does.
@Suite struct MaxFindingsReportCLITests {
  /// One good record, then a syntax error and a non-object: two errors.
  static let records = [
    #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#,
    "not json",
    "[1]",
  ]

  /// Runs `validate` on the three records with `arguments` added, the report on stdout.
  static func validate(_ arguments: [String]) throws -> CLIRunner.Result {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-max-findings-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("j.jsonl")
    try Data(records.map { $0 + "\n" }.joined().utf8).write(to: file)
    return try CLIRunner.run(["validate", file.path, "--report-file", "-"] + arguments)
  }

  /// The attribute `name` of the root element of a JUnit document.
  static func rootAttribute(_ name: String, of data: Data) throws -> String? {
    let document = try XMLDocument(data: data)
    return document.rootElement()?.attribute(forName: name)?.stringValue
  }

  @Test(arguments: [0, 1])
  func junitFailsWhenErrorsWereHeldBack(max: Int) throws {
    let result = try Self.validate(["--report", "junit", "--max-findings", "\(max)"])
    #expect(result.status == 1)
    let text = String(decoding: result.stdout, as: UTF8.self)
    // Shown errors fail their own cases; the held-back ones fail one more case.
    #expect(try Self.rootAttribute("failures", of: result.stdout) == "\(max + 1)")
    #expect(try Self.rootAttribute("tests", of: result.stdout) == "\(max + 1)")
    #expect(!text.contains("no findings"))
    let held = max == 0 ? "2 more findings" : "1 more finding"
    #expect(text.contains("\(held) not shown (--max-findings \(max))"))
    #expect(text.contains("<failure type=\"max-findings\""))
  }

  @Test func junitHeldBackFindingsBelowFailOnDoNotFail() throws {
    let result = try Self.validate([
      "--report", "junit", "--max-findings", "0", "--fail-on", "never",
    ])
    #expect(result.status == 0)
    #expect(try Self.rootAttribute("failures", of: result.stdout) == "0")
    let text = String(decoding: result.stdout, as: UTF8.self)
    #expect(text.contains("<system-out>2 more findings not shown (--max-findings 0): 2 errors"))
  }

  @Test func junitWarningsFailWithFailOnWarning() throws {
    // A blank line is a warning: with --fail-on warning the exit status is 1, so the report fails.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-max-findings-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("w.jsonl")
    try Data((Self.records[0] + "\n\n" + Self.records[0] + "\n").utf8).write(to: file)
    let result = try CLIRunner.run([
      "validate", file.path, "--report", "junit", "--report-file", "-", "--fail-on", "warning",
    ])
    #expect(result.status == 1)
    #expect(try Self.rootAttribute("failures", of: result.stdout) == "1")
  }

  @Test func sarifSaysFindingsWereHeldBack() throws {
    let result = try Self.validate(["--report", "sarif", "--max-findings", "0"])
    #expect(result.status == 1)
    let document = try #require(
      try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
    let run = try #require((document["runs"] as? [[String: Any]])?.first)
    #expect((run["results"] as? [Any])?.isEmpty == true)
    let invocation = try #require((run["invocations"] as? [[String: Any]])?.first)
    #expect(invocation["executionSuccessful"] as? Bool == true)
    #expect(invocation["exitCode"] as? Int == 1)
    let notification = try #require(
      (invocation["toolExecutionNotifications"] as? [[String: Any]])?.first)
    #expect(notification["level"] as? String == "error")
    let message = (notification["message"] as? [String: Any])?["text"] as? String
    #expect(message?.hasPrefix("2 more findings not shown (--max-findings 0): 2 errors") == true)
    let notShown = try #require(
      (run["properties"] as? [String: Any])?["notShown"] as? [String: Any])
    #expect(notShown["findings"] as? Int == 2)
    #expect(notShown["errors"] as? Int == 2)
    #expect(notShown["codes"] as? [String: Int] == ["json.syntax": 1, "json.not-object": 1])
  }

  @Test func sarifWithNothingHeldBackIsUnchanged() throws {
    let result = try Self.validate(["--report", "sarif"])
    let text = String(decoding: result.stdout, as: UTF8.self)
    #expect(result.status == 1)
    #expect(!text.contains("invocations"))
    #expect(text.contains("\"ruleId\":\"json.not-object\""))
  }

  @Test func jsonSummaryCountsHeldBackFindings() throws {
    let result = try Self.validate(["--report", "json", "--max-findings", "1"])
    #expect(result.status == 1)
    let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
    #expect(lines.count == 2)
    let last = try #require(lines.last)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    let summary = try #require(object["summary"] as? [String: Any])
    #expect(summary["errors"] as? Int == 2)
    #expect(summary["failed"] as? Bool == true)
    let notShown = try #require(summary["notShown"] as? [String: Any])
    #expect(notShown["findings"] as? Int == 1)
    #expect(notShown["codes"] as? [String: Int] == ["json.not-object": 1])
  }

  @Test func githubAnnotatesHeldBackFindings() throws {
    let result = try Self.validate(["--report", "github", "--max-findings", "0"])
    #expect(result.status == 1)
    let text = String(decoding: result.stdout, as: UTF8.self)
    #expect(
      text
        == "::error title=tuneprep validate::2 more findings not shown (--max-findings 0): "
        + "2 errors, 0 warnings, 0 info (json.not-object 1, json.syntax 1); "
        + "raise or drop --max-findings to see them\n")
  }

  @Test func textStillSaysHowManyWereHeldBack() throws {
    let result = try Self.validate(["--max-findings", "1"])
    #expect(result.status == 1)
    let text = String(decoding: result.stdout, as: UTF8.self)
    #expect(text.hasSuffix("\n... 1 more finding not shown (--max-findings 1)\n"))
  }
}
