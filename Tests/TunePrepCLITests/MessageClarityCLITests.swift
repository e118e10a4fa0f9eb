import Foundation
import Testing

/// Messages a person can act on: invisible characters named rather than quoted raw, limits
/// stated with what to do, and the same finding for the same problem in every input kind.
@Suite struct MessageClarityCLITests {
  static func stderr(_ result: CLIRunner.Result) -> String {
    String(decoding: result.stderr, as: UTF8.self)
  }

  /// The first BOM is skipped as `encoding.bom`; the second is data, and the message names it.
  @Test func aSecondByteOrderMarkIsNamedNotPrintedRaw() throws {
    let record = #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#
    let input = Data([0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + Array((record + "\n").utf8))
    let result = try CLIRunner.run(["validate", "-"], stdin: input)
    #expect(result.status == 1)
    #expect(
      Self.stderr(result).contains(
        "<stdin>:1: error: invalid JSON at column 1: expected a JSON value, found U+FEFF (byte order mark) [json.syntax]"
      ), "\(Self.stderr(result))")
    #expect(!Self.stderr(result).contains("\u{FEFF}"))
  }

  // MARK: import: empty files and deep XML

  static let xmlMapping = ["--record", "//r", "--input", "./q", "--output", "./a"]

  /// An empty XML file is the same finding as an empty CSV file, not a libxml2 parse error.
  @Test func anEmptyXMLFileIsCountEmptyFileLikeCSV() throws {
    let csv = try Binary.run(["import", "-", "--from", "csv"], stdin: "")
    let xml = try Binary.run(["import", "-", "--from", "xml"] + Self.xmlMapping, stdin: "")
    #expect(csv.status == 1 && xml.status == 1)
    #expect(csv.stdout.isEmpty && xml.stdout.isEmpty)
    #expect(
      csv.stderr.hasPrefix(
        "<stdin>: error: the file holds no rows: check the path, or whether the export wrote anything [count.empty-file]\n"
      ), "\(csv.stderr)")
    #expect(
      xml.stderr.hasPrefix(
        "<stdin>: error: the file holds no XML: check the path, or whether the export wrote anything [count.empty-file]\n"
      ), "\(xml.stderr)")
    #expect(!xml.stderr.contains("malformed"))
  }

  /// Only whitespace, or only the byte order mark XML allows, is no XML either.
  @Test(arguments: ["\n  \n", "\u{FEFF}", "\u{FEFF}\r\n"])
  func anXMLFileOfOnlyWhitespaceIsEmpty(text: String) throws {
    let xml = try Binary.run(["import", "-", "--from", "xml"] + Self.xmlMapping, stdin: text)
    #expect(xml.status == 1)
    #expect(
      xml.stderr.hasPrefix(
        "<stdin>: error: the file holds no XML: check the path, or whether the export wrote anything [count.empty-file]\n"
      ), "\(xml.stderr)")
  }

  /// The same for CSV: lines of only spaces before any header are skipped like empty lines,
  /// so a file of white space is empty rather than a header with no input column, and a
  /// header after such a line is still found.
  @Test(arguments: ["\n  \n", "   ", " \t \r\n\n"])
  func aCSVFileOfOnlyWhitespaceIsEmpty(text: String) throws {
    let csv = try Binary.run(["import", "-", "--from", "csv"], stdin: text)
    #expect(csv.status == 1)
    #expect(
      csv.stderr.hasPrefix(
        "<stdin>: error: the file holds no rows: check the path, or whether the export wrote anything [count.empty-file]\n"
      ), "\(csv.stderr)")
  }

  @Test func aCSVHeaderAfterABlankLineIsFound() throws {
    let csv = try Binary.run(
      ["import", "-", "--from", "csv"], stdin: "  \ninput,output\na,b\n")
    #expect(csv.status == 0, "\(csv.stderr)")
    #expect(
      csv.stdout
        == #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#
        + "\n")
  }

  /// libxml2's own text ("use XML_PARSE_HUGE option") names a parser flag no user can set.
  @Test func deeplyNestedXMLStatesTheLimitAndWhatToDo() throws {
    let deep =
      "<root><r><q>x</q><a>y</a></r>" + String(repeating: "<n>", count: 100_000)
      + String(repeating: "</n>", count: 100_000) + "</root>\n"
    let result = try Binary.run(["import", "-", "--from", "xml"] + Self.xmlMapping, stdin: deep)
    #expect(result.status == 1)
    #expect(
      result.stdout
        == #"{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}]}"#
        + "\n")
    #expect(
      result.stderr.hasPrefix(
        "<stdin>:1: error: the elements nest deeper than 256 levels at line 1, column 800, the XML reader's fixed limit; "
          + "the 1 record before it was read, the rest of the file was not read (it holds no <r> start tag, so no record was lost): "
          + "flatten the nesting in the export and import again "
          + "(nesting this deep is usually a bug in the program that wrote the file) [import.xml]\n"
      ), "\(result.stderr)")
    #expect(!result.stderr.contains("XML_PARSE_HUGE"))
  }

  // MARK: NUL bytes: import and validate agree

  /// validate accepts `\u0000` in a string (JSON allows it), so import passes a NUL byte of a
  /// cell through escaped, without a finding, as docs/format.md says; the record it writes
  /// validates clean.
  @Test func aNULByteInACSVCellIsKeptEscapedAndValidates() throws {
    let imported = try Binary.run(
      ["import", "-", "--from", "csv"], stdin: "question,answer\na\0b,c\n")
    #expect(imported.status == 0, "\(imported.stderr)")
    let record =
      #"{"messages":[{"role":"user","content":"a\u0000b"},{"role":"assistant","content":"c"}]}"#
    #expect(imported.stdout == record + "\n")
    #expect(imported.stderr.contains("0 errors, 0 warnings, 0 info\n"))
    let validated = try Binary.run(["validate", "-"], stdin: imported.stdout)
    #expect(validated.status == 0)
    #expect(validated.stderr.contains("1 valid, 0 invalid; 0 errors, 0 warnings, 0 info\n"))
  }
}
