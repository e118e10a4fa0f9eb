public import ArgumentParser
public import TunePrep

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

extension ReportStyle: ExpressibleByArgument {}

/// Report options shared by every command that reports findings.
struct ReportOptions: ParsableArguments {
  @Option(help: "Report format: text, json, junit, github or sarif.")
  var report: ReportStyle = .text

  @Option(
    help: ArgumentHelp(
      "Write the report to this file ('-' for stdout) instead of stderr.", valueName: "path"))
  var reportFile: String?

  // `.unconditional`: "-1" is the value, so it gets the range message of `validate()` rather
  // than ArgumentParser's "missing value" (it reads "-1" as an option).
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Show at most this many findings; all are still counted.", valueName: "n"))
  var maxFindings: Int?

  @Option(
    help: ArgumentHelp(
      "Lowest severity that fails the run (exit 1): error, warning, info or never.",
      valueName: "severity"))
  var failOn: String = "error"

  func validate() throws {
    try checkPathArgument(reportFile, option: "--report-file", role: .output)
    if let maxFindings, maxFindings < 0 {
      throw ValidationError("--max-findings must be 0 or more, got \(maxFindings)")
    }
    if failOn != "never" && Severity(name: failOn) == nil {
      throw ValidationError("--fail-on must be error, warning, info or never, got '\(failOn)'")
    }
  }

  /// The reporter options these flags describe.
  func reporterOptions(writingTo output: OutputStream) -> FindingReporter.Options {
    var options = FindingReporter.Options()
    options.style = report
    options.maxFindings = maxFindings
    options.failOn = failOn == "never" ? nil : Severity(name: failOn)
    let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
    options.color = report == .text && reportFile == nil && !noColor && standardErrorIsTerminal()
    return options
  }

  /// Whether stderr carries a report a program parses whole (json, junit or sarif without
  /// `--report-file`).
  var machineReportOnStandardError: Bool {
    reportFile == nil && report.isMachineReadable
  }

  /// Where the lines for people go: stderr, or nowhere with a machine report on stderr.
  ///
  /// The lines are the summary line, `split`'s seed line and `tokens`' table. Under
  /// ``machineReportOnStandardError`` any of them would break the report for the program
  /// reading it. The json summary object carries the same counts.
  /// Operational errors (`tuneprep: error: ...`) go to stderr regardless.
  func humanOutput() -> OutputStream? {
    machineReportOnStandardError ? nil : .standardError()
  }

  /// Runs a command's work with a reporter built from these flags: opens the report output,
  /// writes the report's end and the summary line (see ``humanOutput()``), commits the report,
  /// and tells whether the findings reached `--fail-on`.
  /// - Parameters:
  ///   - command: the command name for the summary.
  ///   - body: the work; returns the run's counts.
  func run(
    command: String, _ body: (FindingReporter) throws(TunePrepError) -> RunSummary
  ) throws(TunePrepError) -> Bool {
    let report = try openReportOutput()
    let reporter = FindingReporter(
      command: command, options: reporterOptions(writingTo: report), output: report)
    let summary = try body(reporter)
    let human = humanOutput()
    reporter.finish(summary, summaryOutput: human)
    try report.commit()
    try human?.flush()
    return reporter.shouldFail
  }

  /// Refuses, before anything is opened for writing, an output or this report file that names
  /// the same file as an input (``OverwriteGuard``): inputs are never modified (exit 2).
  /// - Parameters:
  ///   - inputs: every file the command reads; `-` is standard input.
  ///   - outputs: every other file the command writes, with the option that names it.
  /// - Throws: ``TunePrepError/outputIsInput(input:output:option:)``.
  func refuseOverwriting(
    inputs: [String], outputs: [(path: String?, option: String)] = []
  ) throws(TunePrepError) {
    try OverwriteGuard(inputs: inputs).check(outputs + [(reportFile, "--report-file")])
  }

  /// Opens where the report goes: stderr, stdout or a file.
  func openReportOutput() throws(TunePrepError) -> OutputStream {
    guard let reportFile else { return .standardError() }
    return try OutputStream.file(reportFile)
  }
}

/// Input files and threading, shared by the commands that read records.
struct InputOptions: ParsableArguments {
  @Argument(help: ArgumentHelp("Input files ('-' or none: standard input).", valueName: "input"))
  var inputs: [String] = []

  @OptionGroup var threadOptions: ThreadOptions

  /// `--threads`, nil for one per core.
  var threads: Int? { threadOptions.threads }

  func validate() throws {
    for input in inputs { try checkPathArgument(input, option: "INPUT", role: .input) }
  }

  /// The inputs, standard input when none was given.
  var names: [InputName] {
    inputs.isEmpty ? [.stdin] : inputs.map(InputName.init)
  }

  /// The inputs as paths, `-` for standard input (for ``OverwriteGuard``).
  var paths: [String] {
    inputs.isEmpty ? ["-"] : inputs
  }
}
