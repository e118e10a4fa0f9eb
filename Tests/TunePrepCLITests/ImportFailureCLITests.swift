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

  // MARK: XML records before a parse error

  /// `count` good records, one per line (or all on one line), then one that is not well-formed.
  static func xml(good count: Int, separator: String) -> String {
    var text = "<a>\n"
    for i in 1...count { text += "<t><q>q\(i)</q><r>a\(i)</r></t>" + separator }
    return text + "<t><q>bad</r></t>\n</a>\n"
  }

  @Test(arguments: [1, 3, 7, 60, 2000], ["\n", ""])
  func recordsBeforeAParseErrorAreAllWritten(count: Int, separator: String) throws {
    let rejects = Binary.temporaryPath("rejects.jsonl")
    defer { try? FileManager.default.removeItem(atPath: rejects) }
    let result = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./r",
        "--to", "input-output", "--rejects", rejects,
      ],
      stdin: Self.xml(good: count, separator: separator))
    #expect(result.status == 1)
    let expected = (1...count).map { #"{"input":"q\#($0)","output":"a\#($0)"}"# }
    #expect(result.stdout.split(separator: "\n").map(String.init) == expected)
    let badLine = separator.isEmpty ? 2 : count + 2
    #expect(
      result.stderr.contains(
        "<stdin>:\(badLine): error: malformed XML at line \(badLine), column"))
    #expect(
      result.stderr.contains(
        "the \(count) record\(count == 1 ? " before it was" : "s before it were") read, the record it breaks (line \(badLine)) was rejected"
      ))
    let counts = try #require(Binary.counts(result.stderr))
    let rejected = Self.lines(rejects)
    #expect(rejected.count == 1)
    #expect(
      rejected.first?.hasPrefix(#"{"file":"<stdin>","line":\#(badLine),"code":"import.xml""#)
        == true)
    // Every record the reader saw is written or rejected: count good ones, one broken one.
    #expect(counts.written == count && counts.rejected == 1)
    #expect(counts.read == counts.written + counts.rejected)
  }

  /// An `&` without its `;` makes libxml2 read to the end of the file before it reports the
  /// error, so the rest of the file is read again: the 20,000 records after the error (1.9 MB,
  /// past any window of recent bytes) are in the rejected rest, not lost, from a file or a pipe.
  @Test(arguments: [false, true])
  func errorReportedAtTheEndOfTheFileKeepsTheRest(viaStdin: Bool) throws {
    var text = "<r>\n<t><q>a</q><a>b</a></t>\n<t><q>&bad</q></t>\n"
    text += String(repeating: "<t><q>a</q><a>b</a></t>\n", count: 20000)
    text += String(repeating: "<pad/>\n", count: 200_000) + "</r>\n"
    let input = Binary.temporaryPath("late.xml")
    let rejects = Binary.temporaryPath("rejects.jsonl")
    defer {
      try? FileManager.default.removeItem(atPath: input)
      try? FileManager.default.removeItem(atPath: rejects)
    }
    try Data(text.utf8).write(to: URL(fileURLWithPath: input))
    let options = [
      "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./a", "--to",
      "input-output", "--rejects", rejects,
    ]
    let result =
      viaStdin
      ? try Binary.run(["import", "-"] + options, stdin: text)
      : try Binary.run(["import", input] + options)
    #expect(result.status == 1)
    #expect(result.stderr.contains("the rest of the file (from line 3) was not read as records"))
    let counts = try #require(Binary.counts(result.stderr))
    #expect(counts.written == 1 && counts.rejected == 2 && counts.read == 3)
    let rest = try #require(Self.lines(rejects).last)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(rest.utf8)) as? [String: Any])
    let record = try #require(object["record"] as? String)
    #expect(record.components(separatedBy: "<t><q>a</q><a>b</a></t>").count - 1 == 20000)
    #expect(record.hasSuffix("<pad/>\n</r>"))
  }

  /// Errors outside any record: in an element after the last record, and after the root.
  @Test(arguments: ["<oops attr=></a>\n", "</a>\n<junk/>\n"])
  func parseErrorOutsideRecordsLosesNoRecord(tail: String) throws {
    var text = "<a>\n"
    for i in 1...2000 { text += "<t><q>q\(i)</q><r>a\(i)</r></t>\n" }
    text += tail
    let result = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./r",
        "--to", "input-output",
      ],
      stdin: text)
    #expect(result.status == 1)
    #expect(result.stdout.split(separator: "\n").count == 2000)
    #expect(result.stdout.hasSuffix(#"{"input":"q2000","output":"a2000"}"# + "\n"))
    #expect(result.stderr.contains("the 2000 records before it were read, the rest of the file"))
    let counts = try #require(Binary.counts(result.stderr))
    #expect(counts.read == 2000 && counts.written == 2000 && counts.rejected == 0)
  }
}

extension ImportFailureCLITests {
  /// A JSON record read with the default field names that has neither says how to name its
  /// fields, not "fill it in" (Dolly's `instruction`/`context`/`response` has no `output`); a
  /// named field that is missing in one row keeps the row advice.
  @Test func defaultFieldNamesThatMissSayHowToNameTheFields() throws {
    let dolly = #"{"instruction":"Who wrote Hamlet?","context":"","response":"Shakespeare."}"#
    let result = try Binary.run(["import", "-", "--from", "json"], stdin: dolly + "\n")
    #expect(result.status == 1)
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: field output is missing: without --input-field and --output-field the prompt is read from `input` (or an Alpaca `instruction`) and the answer from `output`; name the fields this record uses, e.g. --input-field question --output-field answer [import.empty-cell]"
      ), "\(result.stderr)")
    let named = try Binary.run(
      ["import", "-", "--from", "json", "--input-field", "q", "--output-field", "a"],
      stdin: #"{"q":"x","a":"y"}"# + "\n" + #"{"q":"x"}"# + "\n")
    #expect(
      named.stderr.contains(
        "<stdin>:2: error: field a is missing: every example needs an input and an output; fill it in or remove the row"
      ), "\(named.stderr)")
  }
}
