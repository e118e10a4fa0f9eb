import Foundation
import Testing

@testable import TunePrep

/// Counts with their nouns in the right number: "1 record", "2 records".
@Suite struct CountWordsTests {
  @Test(arguments: [(0, "0 records"), (1, "1 record"), (2, "2 records")])
  func countingInterpolation(count: Int, expected: String) {
    #expect("\(counting: count, "record")" == expected)
  }

  @Test func irregularPlural() {
    #expect("\(counting: 1, "property", plural: "properties")" == "1 property")
    #expect("\(counting: 3, "property", plural: "properties")" == "3 properties")
  }

  /// The summary line makes a noun count singular at 1; names that are not nouns (`valid`,
  /// a split's name) stay as they are, and the JSON summary keeps the name as its key.
  @Test func summaryLineUsesSingularsAtOne() throws {
    var summary = RunSummary(command: "dedupe")
    summary.files = 1
    summary.read = 1
    summary.counts = [("evaluation records", 1), ("tokens", 1), ("valid", 1), ("records", 1)]
    summary.singulars = ["evaluation records": "evaluation record", "tokens": "token"]
    let line = try ReportStreamingTests.report { output in
      let reporter = FindingReporter(command: "dedupe", options: .init(), output: output)
      reporter.finish(summary, summaryOutput: output)
    }
    #expect(
      String(decoding: line, as: UTF8.self)
        == "tuneprep dedupe: 1 record in 1 file, 1 evaluation record, 1 token, 1 valid, 1 records; 0 errors, 0 warnings, 0 info\n"
    )
    var options = FindingReporter.Options()
    options.style = .json
    let json = try ReportStreamingTests.report { output in
      FindingReporter(command: "dedupe", options: options, output: output)
        .finish(summary, summaryOutput: nil)
    }
    #expect(String(decoding: json, as: UTF8.self).contains("\"evaluation records\":1,\"tokens\":1"))
  }
}
