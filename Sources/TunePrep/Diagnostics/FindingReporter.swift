/// The report formats of `--report`.
public enum ReportStyle: String, Sendable, CaseIterable {
  /// `file:line: severity: message [code]`
  case text
  /// One JSON object per finding, then a summary object.
  case json
  /// JUnit XML.
  case junit
  /// GitHub Actions workflow commands.
  case github
  /// SARIF 2.1.0.
  case sarif

  /// Whether a program parses the whole stream this report is written to.
  ///
  /// True for json, junit and sarif, so no human-readable line may share the stream. `text` is for people, and `github` is a list of
  /// workflow commands among which GitHub shows any other line as plain log output.
  public var isMachineReadable: Bool {
    switch self {
    case .text, .github: false
    case .json, .junit, .sarif: true
    }
  }
}

/// Counts of one run, for the summary line and the report's summary object.
public struct RunSummary: Sendable, Equatable {
  /// The command name (`validate`, `dedupe`, ...).
  public var command: String
  /// Files read.
  public var files = 0
  /// Records read (blank lines are not records).
  public var read = 0
  /// Named counts in order, such as ("valid", 980), ("written", 1000), ("rejected", 3).
  public var counts: [(String, Int)] = []
  /// Extra members of the JSON summary object, as (name, JSON text), such as `tokens`' details.
  public var details: [(String, String)] = []
  /// The summary line's word for a count of exactly 1, by count name.
  ///
  /// Set for the names that are plural nouns (`evaluation records` → `evaluation record`);
  /// other names, such as `valid` or a split's name, are written as they are. The JSON summary
  /// always uses the name.
  public var singulars: [String: String] = [:]

  /// Creates an empty summary.
  public init(command: String) {
    self.command = command
  }

  /// The members of the JSON summary object (`--report json`) other than ``counts`` and
  /// ``details``, in the order they are written; a count or detail must not take one of these
  /// names, or the object would hold a key twice.
  public enum Key: String, CaseIterable, Sendable {
    case command, files, read, errors, warnings, infos, codes, notShown, failed

    /// The key as a JSON string.
    var quoted: String { "\"\(rawValue)\"" }
  }

  /// The names ``Key`` reserves, such as `read` and `failed`.
  public static var reservedNames: [String] { Key.allCases.map(\.rawValue) }

  /// Compares every member; written out because tuple arrays rule out a synthesized `==`.
  public static func == (lhs: RunSummary, rhs: RunSummary) -> Bool {
    lhs.command == rhs.command && lhs.files == rhs.files && lhs.read == rhs.read
      && lhs.counts.map(\.0) == rhs.counts.map(\.0) && lhs.counts.map(\.1) == rhs.counts.map(\.1)
      && lhs.details.map(\.0) == rhs.details.map(\.0)
      && lhs.details.map(\.1) == rhs.details.map(\.1)
  }
}

/// Receives every finding of a run: applies severity overrides, counts by code and severity,
/// writes the report as findings arrive (JUnit and SARIF at the end), and decides the exit
/// status against `--fail-on`.
public final class FindingReporter {
  /// What the reporter needs from the command line or config.
  public struct Options: Sendable {
    /// The report format.
    public var style: ReportStyle = .text
    /// Show at most this many findings (all are still counted).
    public var maxFindings: Int?
    /// The lowest severity that makes the run fail (nil: never).
    public var failOn: Severity? = .error
    /// Per-code severity overrides; nil value turns a code off.
    public var severities: [String: Severity?] = [:]
    /// Use ANSI color (only for text on a TTY without NO_COLOR).
    public var color = false

    /// Creates default options.
    public init() {}
  }

  private let options: Options
  private let output: OutputStream
  private let command: String
  private var shown = 0
  private var bySeverity = [0, 0, 0]
  private var byCode: [String: Int] = [:]
  /// Counts of the findings `--max-findings` held back, by severity and by code.
  private var hiddenBySeverity = [0, 0, 0]
  private var hiddenByCode: [String: Int] = [:]
  /// The SARIF results or JUnit test cases written so far, kept on disk past a size so that
  /// memory does not grow with the number of findings.
  private let spool = ReportSpool()
  /// Findings written to the spool.
  private var spooled = 0
  /// Those of them that reach `--fail-on`.
  private var spooledFailures = 0
  /// SARIF: the codes of the spooled results, in order of first appearance, for the rules.
  private var sarifRules: [String] = []
  private var sarifRuleSet: Set<String> = []
  /// JUnit: the files of the spooled test cases, in order of first appearance, with their
  /// counts and the spool ranges that hold their test cases.
  private var junitFiles: [JUnitFile] = []
  private var junitFileIndex: [String: Int] = [:]
  /// The file of the last spooled JUnit test case.
  private var junitLastFile = -1

  /// A JUnit suite being collected: one input file's test cases.
  private struct JUnitFile {
    var name: String
    var tests = 0
    var failures = 0
    /// Spool ranges holding its test cases, in order (one while findings come file by file).
    var ranges: [Range<Int>] = []
  }

  /// Creates a reporter writing to `output`.
  public init(command: String, options: Options, output: OutputStream) {
    self.command = command
    self.options = options
    self.output = output
  }

  /// The bytes of the SARIF or JUnit report held in memory so far (the rest is on disk).
  var reportBytesInMemory: Int { spool.bytesInMemory }

  /// Findings counted at each severity.
  public func count(_ severity: Severity) -> Int { bySeverity[severity.rawValue] }

  /// Whether the findings so far reach `--fail-on`.
  public var shouldFail: Bool {
    guard let failOn = options.failOn else { return false }
    return Severity.allCases.contains { $0 >= failOn && bySeverity[$0.rawValue] > 0 }
  }

  /// The severity `code` has in this run (after overrides), or nil if it is turned off.
  public func severity(of finding: Finding) -> Severity? {
    if let override = options.severities[finding.code] { return override }
    return finding.severity
  }

  /// Reports one finding.
  public func report(_ finding: Finding) {
    guard let severity = severity(of: finding) else { return }
    bySeverity[severity.rawValue] += 1
    byCode[finding.code, default: 0] += 1
    if let max = options.maxFindings, shown >= max {
      hiddenBySeverity[severity.rawValue] += 1
      hiddenByCode[finding.code, default: 0] += 1
      return
    }
    shown += 1
    var finding = finding
    finding.severity = severity
    // The message is prose for a person in every format, so no raw control character from the
    // data reaches it. File names and the JSON pointer identify things: each writer below
    // escapes them in its own syntax, from the exact text (the display escaping is text's own).
    finding.message = finding.message.escapingControlCharacters
    switch options.style {
    case .text: output.write(textLine(finding.escapingControlCharacters))
    case .json: output.write(jsonObject(finding) + "\n")
    case .github: output.write(githubLine(finding))
    case .sarif: spoolSARIFResult(finding)
    case .junit: spoolJUnitTestCase(finding)
    }
  }

  /// Writes the end of the report and the summary line (to `summaryOutput`, usually stderr).
  /// - Parameters:
  ///   - summary: the run's counts.
  ///   - summaryOutput: where the one-line summary goes (nil: nowhere, as when a machine-readable
  ///     report is going to stderr).
  public func finish(_ summary: RunSummary, summaryOutput: OutputStream?) {
    let hidden = hiddenBySeverity.reduce(0, +)
    switch options.style {
    case .text:
      if hidden > 0 { output.write("... \(notShownHeadline)\n") }
    case .github:
      if hidden > 0 { output.write(githubNotShownLine()) }
    case .json: output.write(jsonSummary(summary) + "\n")
    case .junit: writeJUnitDocument(summary)
    case .sarif: writeSARIFDocument()
    }
    summaryOutput?.write(summaryLine(summary))
  }

  /// The counts per code, sorted by code.
  public var codeCounts: [(String, Int)] {
    byCode.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
  }

  /// Whether a finding of `severity` reaches `--fail-on`, so it makes the run fail.
  private func fails(_ severity: Severity) -> Bool {
    guard let failOn = options.failOn else { return false }
    return severity >= failOn
  }

  /// Whether the findings `--max-findings` held back include one that makes the run fail.
  private var hiddenFails: Bool {
    Severity.allCases.contains { fails($0) && hiddenBySeverity[$0.rawValue] > 0 }
  }

  /// "N more findings not shown (--max-findings M)", the line text reports have always written.
  private var notShownHeadline: String {
    let hidden = hiddenBySeverity.reduce(0, +)
    return
      "\(counting: hidden, "more finding", plural: "more findings") not shown (--max-findings \(options.maxFindings ?? 0))"
  }

  /// The headline with what the held-back findings are, for reports that cannot rely on the
  /// summary line: their counts by severity and by code, and how to see them.
  private var notShownMessage: String {
    let e = hiddenBySeverity[2]
    let w = hiddenBySeverity[1]
    let i = hiddenBySeverity[0]
    var text = notShownHeadline
    text += ": \(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s"), \(i) info"
    text += " (" + hiddenCodeCounts.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")"
    return text + "; raise or drop --max-findings to see them"
  }

  /// The counts per code of the held-back findings, sorted by code.
  private var hiddenCodeCounts: [(String, Int)] {
    hiddenByCode.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
  }

  /// The held-back counts as a JSON object, for the json summary and SARIF properties.
  private var notShownJSON: String {
    var s = "{\"findings\":\(hiddenBySeverity.reduce(0, +))"
    s += ",\"errors\":\(hiddenBySeverity[2]),\"warnings\":\(hiddenBySeverity[1])"
    s += ",\"infos\":\(hiddenBySeverity[0]),\"codes\":{"
    s += hiddenCodeCounts.map { "\($0.0.jsonQuoted):\($0.1)" }.joined(separator: ",")
    return s + "}}"
  }

  // MARK: Formats

  /// A finding as one line for people (plus a note line per related record); `f` has its
  /// text fields display-escaped already.
  private func textLine(_ f: Finding) -> String {
    var severity = f.severity.description
    if options.color {
      let color = f.severity == .error ? "31" : f.severity == .warning ? "33" : "36"
      severity = "\u{1B}[1;\(color)m\(severity)\u{1B}[0m"
    }
    let line = f.location.line > 0 ? ":\(f.location.line)" : ""
    let path = f.path.map { $0.isEmpty ? "" : "\($0): " } ?? ""
    var text = "\(f.location.file)\(line): \(severity): \(path)\(f.message) [\(f.code)]\n"
    if !f.related.isEmpty {
      for r in f.related {
        text += "\(r.file):\(r.line): note: related record\n"
      }
    }
    return text
  }

  /// A finding as one JSON object.
  ///
  /// The file names and the pointer are exact (JSON's own string escapes round-trip any
  /// character); the message is display-escaped prose.
  private func jsonObject(_ f: Finding) -> String {
    var s =
      "{\"code\":\(f.code.jsonQuoted),\"severity\":\"\(f.severity)\",\"file\":\(f.location.file.jsonQuoted)"
    // A finding about the whole file has no line (line 0 inside): the member is left out, as
    // the text and github reports leave the line out.
    if f.location.line > 0 {
      s += ",\"line\":\(f.location.line)"
      if let column = f.location.column { s += ",\"column\":\(column)" }
    }
    if let path = f.path { s += ",\"path\":\(path.jsonQuoted)" }
    s += ",\"message\":\(f.message.jsonQuoted)"
    if !f.related.isEmpty {
      s += ",\"related\":["
      s += f.related.map { "{\"file\":\($0.file.jsonQuoted),\"line\":\($0.line)}" }.joined(
        separator: ",")
      s += "]"
    }
    return s + "}"
  }

  private func jsonSummary(_ summary: RunSummary) -> String {
    typealias Key = RunSummary.Key
    var s = "{\"summary\":{\(Key.command.quoted):\(summary.command.jsonQuoted)"
    s += ",\(Key.files.quoted):\(summary.files),\(Key.read.quoted):\(summary.read)"
    for (name, value) in summary.counts { s += ",\(name.jsonQuoted):\(value)" }
    for (name, json) in summary.details { s += ",\(name.jsonQuoted):\(json)" }
    s += ",\(Key.errors.quoted):\(bySeverity[2]),\(Key.warnings.quoted):\(bySeverity[1])"
    s += ",\(Key.infos.quoted):\(bySeverity[0]),\(Key.codes.quoted):{"
    s += codeCounts.map { "\($0.0.jsonQuoted):\($0.1)" }.joined(separator: ",")
    s += "}"
    if hiddenBySeverity.reduce(0, +) > 0 { s += ",\(Key.notShown.quoted):\(notShownJSON)" }
    s += ",\(Key.failed.quoted):\(shouldFail)}}"
    return s
  }

  /// A finding as a GitHub Actions workflow command.
  ///
  /// `file` is the exact name in the command's own escaping (so GitHub can match it to the
  /// repository's file, and a line break in it is `%0A`, never raw). GitHub's documentation
  /// gives no unit for `col`; its annotations are shown on lines of text, so `col` counts
  /// Unicode code points, as the SARIF report's columns do. The message (with the pointer) is
  /// display-escaped prose.
  private func githubLine(_ f: Finding) -> String {
    let command = f.severity == .error ? "error" : f.severity == .warning ? "warning" : "notice"
    var properties = "file=\(Self.githubEscape(f.location.file, property: true))"
    if f.location.line > 0 { properties += ",line=\(f.location.line)" }
    if let column = f.location.codePointColumn { properties += ",col=\(column)" }
    properties += ",title=\(Self.githubEscape(f.code, property: true))"
    let path = f.path.map { $0.isEmpty ? "" : "\($0.escapingControlCharacters): " } ?? ""
    return "::\(command) \(properties)::\(Self.githubEscape(path + f.message, property: false))\n"
  }

  /// The workflow command for the findings `--max-findings` held back, at the level of the most
  /// serious of them, so the run's annotations show them even when none is shown.
  private func githubNotShownLine() -> String {
    let command =
      hiddenBySeverity[2] > 0 ? "error" : hiddenBySeverity[1] > 0 ? "warning" : "notice"
    let title = Self.githubEscape("tuneprep \(self.command)", property: true)
    return "::\(command) title=\(title)::\(Self.githubEscape(notShownMessage, property: false))\n"
  }

  /// Escapes text for a GitHub Actions workflow command: `%`, CR and LF everywhere, and also `:`
  /// and `,` in a property value (`file`, `title`).
  ///
  /// It works on Unicode scalars: Swift's `Character` joins "\r\n" into one grapheme cluster,
  /// which a `Character` comparison with "\n" misses, so a CRLF from the data would start a
  /// workflow command of its own.
  /// - Parameters:
  ///   - s: the text.
  ///   - property: whether `s` is a property value rather than the message.
  /// - Returns: the escaped text.
  static func githubEscape(_ s: String, property: Bool) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for scalar in s.unicodeScalars {
      switch scalar {
      case "%": out += "%25"
      case "\r": out += "%0D"
      case "\n": out += "%0A"
      case ":" where property: out += "%3A"
      case "," where property: out += "%2C"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// Adds a finding's JUnit test case to its file's suite: suites are told apart by the exact
  /// file name, which names the suite and the test case's class (XML-escaped); the failure
  /// text is display-escaped prose.
  private func spoolJUnitTestCase(_ f: Finding) {
    let file = f.location.file
    let index: Int
    if let known = junitFileIndex[file] {
      index = known
    } else {
      index = junitFiles.count
      junitFileIndex[file] = index
      junitFiles.append(JUnitFile(name: file))
    }
    let name = "line \(f.location.line): \(f.code)"
    var s = "    <testcase classname=\"\(xmlEscape(file))\" name=\"\(xmlEscape(name))\">"
    let path = f.path.map { $0.isEmpty ? "" : "\($0.escapingControlCharacters): " } ?? ""
    let text = xmlEscape(path + f.message)
    let failing = fails(f.severity)
    if failing {
      let shownFile = xmlEscape(f.location.file.escapingControlCharacters)
      s +=
        "<failure type=\"\(xmlEscape(f.code))\" message=\"\(text)\">\(shownFile):\(f.location.line): \(text)</failure>"
    } else {
      s += "<system-out>\(f.severity): \(text)</system-out>"
    }
    s += "</testcase>\n"
    let start = spool.count
    spool.append(s)
    spooled += 1
    junitFiles[index].tests += 1
    if failing {
      junitFiles[index].failures += 1
      spooledFailures += 1
    }
    // Findings come file by file, so a suite's test cases are usually one range of the spool.
    if index == junitLastFile, let last = junitFiles[index].ranges.last {
      junitFiles[index].ranges[junitFiles[index].ranges.count - 1] = last.lowerBound..<spool.count
    } else {
      junitFiles[index].ranges.append(start..<spool.count)
    }
    junitLastFile = index
  }

  /// Writes the JUnit document: a suite per file with a test case per shown finding, failing
  /// when the finding reaches `--fail-on` (so the report fails exactly when the exit status
  /// does), and a last suite with one test case for the findings `--max-findings` held back.
  private func writeJUnitDocument(_ summary: RunSummary) {
    let hidden = hiddenBySeverity.reduce(0, +)
    let hiddenCases = hidden > 0 ? 1 : 0
    let hiddenFailures = hiddenFails ? 1 : 0
    let failures = spooledFailures + hiddenFailures
    let tests = max(spooled + hiddenCases, 1)
    let suiteName = "tuneprep \(xmlEscape(command))"
    let className = "tuneprep.\(xmlEscape(command))"
    var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    s += "<testsuites name=\"\(suiteName)\" tests=\"\(tests)\" failures=\"\(failures)\">\n"
    if junitFiles.isEmpty && hidden == 0 {
      s += "  <testsuite name=\"\(suiteName)\" tests=\"1\" failures=\"0\">\n"
      s +=
        "    <testcase classname=\"\(className)\" name=\"\(counting: summary.read, "record"), no findings\"/>\n"
      s += "  </testsuite>\n"
    }
    output.write(s)
    for file in junitFiles {
      output.write(
        "  <testsuite name=\"\(xmlEscape(file.name))\" tests=\"\(file.tests)\" failures=\"\(file.failures)\">\n"
      )
      for range in file.ranges { spool.copy(range, to: output) }
      output.write("  </testsuite>\n")
    }
    s = ""
    if hidden > 0 {
      let name = xmlEscape(notShownHeadline)
      let text = xmlEscape(notShownMessage)
      s += "  <testsuite name=\"\(suiteName)\" tests=\"1\" failures=\"\(hiddenFailures)\">\n"
      s += "    <testcase classname=\"\(className)\" name=\"\(name)\">"
      if hiddenFails {
        s += "<failure type=\"max-findings\" message=\"\(text)\">\(text)</failure>"
      } else {
        s += "<system-out>\(text)</system-out>"
      }
      s += "</testcase>\n"
      s += "  </testsuite>\n"
    }
    s += "</testsuites>\n"
    output.write(s)
  }

  /// Adds a finding's SARIF result to the spool and its code to the rules: the location (and
  /// each related record's) as a percent-encoded URI of the exact file name and a region in
  /// code-point columns (`run.columnKind`); the message, with the pointer, is display-escaped.
  private func spoolSARIFResult(_ f: Finding) {
    if sarifRuleSet.insert(f.code).inserted { sarifRules.append(f.code) }
    let level = f.severity == .error ? "error" : f.severity == .warning ? "warning" : "note"
    let path = f.path.map { $0.isEmpty ? "" : "\($0.escapingControlCharacters): " } ?? ""
    var s =
      (spooled == 0 ? "" : ",")
      + "{\"ruleId\":\(f.code.jsonQuoted),\"level\":\"\(level)\",\"message\":{\"text\":\((path + f.message).jsonQuoted)},"
      + "\"locations\":[{\"physicalLocation\":\(Self.sarifPhysicalLocation(f.location))}]"
    if !f.related.isEmpty {
      s += ",\"relatedLocations\":["
      s += f.related.map {
        "{\"physicalLocation\":\(Self.sarifPhysicalLocation($0)),\"message\":{\"text\":\"related record\"}}"
      }.joined(separator: ",")
      s += "]"
    }
    spool.append(s + "}")
    spooled += 1
  }

  /// A SARIF `physicalLocation` object.
  ///
  /// The file is a URI reference, and the region's `startColumn` counts Unicode code points.
  /// A finding about a whole file gets line 1.
  static func sarifPhysicalLocation(_ location: Location) -> String {
    var region = "\"startLine\":\(max(location.line, 1))"
    if let column = location.codePointColumn { region += ",\"startColumn\":\(column)" }
    return
      "{\"artifactLocation\":{\"uri\":\(sarifURI(location.file).jsonQuoted)},\"region\":{\(region)}}"
  }

  /// Writes the SARIF document: the rules of the spooled results, the results, and an
  /// invocation when `--max-findings` held findings back.
  private func writeSARIFDocument() {
    var s =
      "{\"version\":\"2.1.0\",\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"runs\":[{"
    s += "\"tool\":{\"driver\":{\"name\":\"tuneprep\",\"rules\":["
    s += sarifRules.map { code in
      let meaning = FindingCode.named(code)?.meaning ?? code
      return "{\"id\":\(code.jsonQuoted),\"shortDescription\":{\"text\":\(meaning.jsonQuoted)}}"
    }.joined(separator: ",")
    // SARIF 2.1.0 3.14.17: the unit of every startColumn in the run.
    s += "]}},\"columnKind\":\"unicodeCodePoints\",\"results\":["
    output.write(s)
    spool.copy(0..<spool.count, to: output)
    s = "]"
    if hiddenBySeverity.reduce(0, +) > 0 {
      // SARIF 2.1.0 3.20 (invocation) and 3.58 (notification): the tool ran to the end, so
      // executionSuccessful is true; exitCode is the status the run exits with; a notification
      // says the results are incomplete (level error when the held-back findings fail the run).
      let level = hiddenFails ? "error" : "warning"
      s += ",\"invocations\":[{\"executionSuccessful\":true,\"exitCode\":\(shouldFail ? 1 : 0)"
      s += ",\"toolExecutionNotifications\":[{\"level\":\"\(level)\""
      s += ",\"message\":{\"text\":\(notShownMessage.jsonQuoted)}}]}]"
      s += ",\"properties\":{\"notShown\":\(notShownJSON)}"
    }
    s += "}]}\n"
    output.write(s)
  }

  private func summaryLine(_ summary: RunSummary) -> String {
    var parts = [
      "\(summary.read) record\(summary.read == 1 ? "" : "s") in \(summary.files) file\(summary.files == 1 ? "" : "s")"
    ]
    // Count names can come from the user (split names): escaped like file names.
    for (name, value) in summary.counts {
      let word = value == 1 ? summary.singulars[name] ?? name : name
      parts.append("\(value) \(word.escapingControlCharacters)")
    }
    var line = "tuneprep \(command): " + parts.joined(separator: ", ")
    let e = bySeverity[2]
    let w = bySeverity[1]
    let i = bySeverity[0]
    line += "; \(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s"), \(i) info"
    if !byCode.isEmpty {
      line += " (" + codeCounts.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")"
    }
    return line + "\n"
  }
}

/// Escapes text for XML attributes and content.
func xmlEscape(_ s: String) -> String {
  var out = ""
  out.reserveCapacity(s.utf8.count)
  for scalar in s.unicodeScalars {
    switch scalar {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&apos;"
    // As character references, so attribute-value normalization keeps them.
    case "\n": out += "&#10;"
    case "\r": out += "&#13;"
    case "\t": out += "&#9;"
    default:
      // XML 1.0 cannot hold other C0 controls, U+FFFE or U+FFFF at all, not even as references.
      if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
        out += "\u{FFFD}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out
}

/// A file name as a SARIF `artifactLocation.uri`: a URI reference (RFC 3986) whose path is the
/// name with every byte other than an unreserved character or '/' percent-encoded.
///
/// So a space, '#', '?', '%' or ':' in a file name cannot be read as a delimiter, and a URI
/// parser gives the name back by percent-decoding; `<stdin>` becomes `%3Cstdin%3E`.
/// - Parameter name: the file name exactly as given, control characters included (a line
///   break becomes `%0A`), so two names that display alike get different URIs.
/// - Returns: the URI reference.
func sarifURI(_ name: String) -> String {
  let hex = Array("0123456789ABCDEF".utf8)
  var out: [UInt8] = []
  out.reserveCapacity(name.utf8.count)
  for b in name.utf8 {
    switch b {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
      UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
      out.append(b)
    default:
      out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
    }
  }
  return String(decoding: out, as: UTF8.self)
}
