import Foundation
import Testing

#if canImport(FoundationEssentials)
  import FoundationEssentials
#endif

/// `tuneprep import` on inputs that do not fit the mapping or are broken: no crash, and every
/// record ends in the output or the rejects file, with counts that add up.
@Suite struct ImportFailureCLITests {
  /// The lines of a file, or none when it does not exist.
  static func lines(_ path: String) -> [Substring] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
  }

  // MARK: CSV column numbers past the end of a row

  @Test(arguments: [[], ["--no-header"]])
  func columnNumberPastTheFirstRowIsAMappingFinding(extra: [String]) throws {
    let result = try Binary.run(
      ["import", "-", "--from", "csv", "--input-column", "3", "--output-column", "2"] + extra,
      stdin: "question,answer\na,b\n")
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout.isEmpty)
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: --input-column 3 is past the end of the first row, which has 2 fields"))
    #expect(result.stderr.contains("[import.no-header]"))
    let counts = try #require(Binary.counts(result.stderr))
    #expect(counts.read == 0 && counts.written == 0 && counts.rejected == 0)
  }

  @Test func columnNumberPastTheHeaderIsAMappingFinding() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "csv", "--header", "--input-column", "1", "--output-column", "2",
        "--id-column", "5", "--to", "input-output",
      ],
      stdin: "question,answer\na,b\n")
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout.isEmpty)
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: --id-column 5 is past the end of the header, which has 2 columns ('question', 'answer')"
      ))
    #expect(result.stderr.contains("[import.no-header]"))
  }

  @Test func laterShortRowIsRejectedNotACrash() throws {
    let rejects = Binary.temporaryPath("rejects.jsonl")
    defer { try? FileManager.default.removeItem(atPath: rejects) }
    let result = try Binary.run(
      [
        "import", "-", "--from", "csv", "--no-header", "--input-column", "1", "--output-column",
        "3", "--to", "input-output", "--rejects", rejects,
      ],
      stdin: "q1,x,a1\nq2,a2\nq3,y,a3\n")
    #expect(result.status == 1)
    #expect(
      result.stdout == #"{"input":"q1","output":"a1"}"# + "\n" + #"{"input":"q3","output":"a3"}"#
        + "\n")
    #expect(
      result.stderr.contains("<stdin>:2: error: the row has 2 fields but the first row has 3"))
    let counts = try #require(Binary.counts(result.stderr))
    #expect(counts.read == 3 && counts.written == 2 && counts.rejected == 1)
    let rejected = Self.lines(rejects)
    #expect(rejected.count == 1)
    #expect(
      rejected.first?.hasPrefix(#"{"file":"<stdin>","line":2,"code":"import.csv-fields""#) == true)
  }

  // MARK: CSV byte order mark

  @Test(arguments: [
    ["--input-column", "question", "--output-column", "answer"], [],
    ["--no-header", "--input-column", "1", "--output-column", "2"],
  ])
  func byteOrderMarkIsReportedOnce(mapping: [String]) throws {
    let result = try Binary.run(
      ["import", "-", "--from", "csv", "--fail-on", "warning"] + mapping,
      stdin: "\u{FEFF}question,answer\na,b\n")
    #expect(result.status == 1, "\(result.stderr)")
    #expect(
      result.stderr.contains(
        "<stdin>:1: warning: the file starts with a UTF-8 byte order mark"))
    #expect(result.stderr.components(separatedBy: "[encoding.bom]").count == 2)
    #expect(result.stdout.contains(#"{"role":"assistant","content":"b"}"#))
  }
}
