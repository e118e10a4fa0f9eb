import Foundation
import Testing

@testable import TunePrep

/// Escaping of data-derived text in reports.
///
/// Covers the shared control-character table, `jsonQuoted`, GitHub workflow-command escaping and
/// XML escaping. The CRLF rows are the grapheme-cluster
/// trap: Swift's `Character` joins "\r\n" into one, so a `Character`-level "\n" replacement
/// misses it.
@Suite struct ReportEscapingTests {
  @Test(arguments: [
    ("a\r\nb", "a%0D%0Ab"),
    ("a\rb", "a%0Db"),
    ("a\nb", "a%0Ab"),
    ("100%", "100%25"),
    ("%0A", "%250A"),
    ("k\r\n::error file=x.py,line=1::INJECTED", "k%0D%0A::error file=x.py,line=1::INJECTED"),
    ("é\r\n😀", "é%0D%0A😀"),
  ])
  func githubMessageEscaping(input: String, expected: String) {
    #expect(FindingReporter.githubEscape(input, property: false) == expected)
  }

  @Test(arguments: [
    ("a\r\nb", "a%0D%0Ab"),
    ("x.py,line=1::y", "x.py%2Cline=1%3A%3Ay"),
    ("50%:a,b", "50%25%3Aa%2Cb"),
  ])
  func githubPropertyEscaping(input: String, expected: String) {
    #expect(FindingReporter.githubEscape(input, property: true) == expected)
  }

  @Test(arguments: [
    ("a\r\nb", "a\\r\\nb"),
    ("a\rb", "a\\rb"),
    ("a\nb", "a\\nb"),
    ("\u{1B}[31mred", "\\u001b[31mred"),
    ("\t\u{8}\u{C}\u{0}\u{1F}", "\\t\\b\\f\\u0000\\u001f"),
    ("del\u{7F}", "del\\u007f"),
    ("csi\u{9B}c1\u{80}", "csi\\u009bc1\\u0080"),
    ("\u{2028}\u{2029}", "\\u2028\\u2029"),
    // Bidirectional controls ("Trojan Source"): an override would make the quoted data
    // display in another order than it is stored.
    ("ab\u{202E}cd\u{202C}", "ab\\u202ecd\\u202c"),
    (
      "\u{202A}\u{202B}\u{202D}\u{2066}\u{2067}\u{2068}\u{2069}",
      "\\u202a\\u202b\\u202d\\u2066\\u2067\\u2068\\u2069"
    ),
    ("\u{200E}\u{200F}\u{61C}", "\\u200e\\u200f\\u061c"),
    // Printable text stays as is, backslashes included (quoted data is escaped already).
    ("héllo 😀 \u{A0} \\n 100%", "héllo 😀 \u{A0} \\n 100%"),
  ])
  func controlCharactersAreEscaped(input: String, expected: String) {
    #expect(input.escapingControlCharacters == expected)
  }

  @Test(arguments: [
    "k\r\n::error::x", "a\rb", "a\nb", "\u{1B}[31m", "\u{7F}\u{85}\u{9B}", "\u{2028}\u{2029}",
    "rtl \u{202E}txt.exe\u{2066}", "\"quoted\" \\ back", "plain é 😀", "",
  ])
  func jsonQuotedEscapesEveryControlAndStaysJSON(input: String) throws {
    let quoted = input.jsonQuoted
    #expect(!quoted.unicodeScalars.contains { controlEscape($0) != nil })
    let decoded = try JSONSerialization.jsonObject(
      with: Data(quoted.utf8), options: [.fragmentsAllowed])
    #expect(decoded as? String == input)
  }

  @Test func xmlEscapeKeepsTheDocumentWellFormed() {
    #expect(xmlEscape("a\r\nb\tc") == "a&#13;&#10;b&#9;c")
    #expect(xmlEscape("<&>\"'") == "&lt;&amp;&gt;&quot;&apos;")
    #expect(xmlEscape("\u{1B}\u{FFFE}\u{FFFF}") == "\u{FFFD}\u{FFFD}\u{FFFD}")
  }

  @Test func findingTextFieldsAreEscapedButCodeAndLinesKept() {
    let finding = Finding(
      .schemaUnknownKey, at: Location(file: "in\n.jsonl", line: 3, column: 2),
      path: "/k\r\n", message: "unknown key \u{1B}[31m",
      related: [Location(file: "other\r\n::error::x", line: 9)])
    let escaped = finding.escapingControlCharacters
    #expect(escaped.location == Location(file: "in\\n.jsonl", line: 3, column: 2))
    #expect(escaped.path == "/k\\r\\n")
    #expect(escaped.message == "unknown key \\u001b[31m")
    #expect(escaped.related == [Location(file: "other\\r\\n::error::x", line: 9)])
    #expect(escaped.code == finding.code)
  }

  /// SARIF's `artifactLocation.uri` must be a URI reference: everything but unreserved
  /// characters and '/' is percent-encoded (UTF-8 bytes for non-ASCII), so '#', '?', '%', ' '
  /// and a ':' in the first segment cannot be read as URI syntax.
  @Test(arguments: [
    ("data/train.jsonl", "data/train.jsonl"),
    ("my data/set #2.jsonl", "my%20data/set%20%232.jsonl"),
    ("50% off?.jsonl", "50%25%20off%3F.jsonl"),
    ("a:b.jsonl", "a%3Ab.jsonl"),
    ("<stdin>", "%3Cstdin%3E"),
    ("/abs/é~_-.jsonl", "/abs/%C3%A9~_-.jsonl"),
  ])
  func sarifURIsArePercentEncoded(name: String, uri: String) {
    #expect(sarifURI(name) == uri)
  }
}
