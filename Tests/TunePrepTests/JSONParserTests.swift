import Testing

@testable import TunePrep

@Suite struct JSONParserTests {
  private func parse(_ text: String, maxDepth: Int = 512) -> Result<JSONDocument, JSONSyntaxError> {
    var parser = JSONParser(maxDepth: maxDepth)
    var document = JSONDocument()
    do throws(JSONSyntaxError) {
      try parser.parse(Array(text.utf8), into: &document)
      return .success(document)
    } catch {
      return .failure(error)
    }
  }

  @Test(arguments: [
    "{}", "[]", "0", "-0.5e+10", "\"a\\u00e9\\ud83d\\ude00\"", "true", "null",
    "{\"a\":[1,{\"b\":null}],\"c\":\"\"}", " \t\r\n[1] ", "\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"",
  ])
  func acceptsValidJSON(_ text: String) throws {
    let document = try parse(text).get()
    #expect(!document.nodes.isEmpty)
  }

  /// Each invalid text with the message a person should read and the byte offset.
  @Test(arguments: [
    ("{\"a\":1,}", "trailing comma before '}': remove the comma after the last member", 7),
    ("[1,]", "trailing comma before ']': remove the comma after the last element", 3),
    ("{\"a\" 1}", "expected ':' after object key, found '1'", 5),
    ("{\"a\":1 x}", "expected ',' or '}' after object member, found 'x'", 7),
    ("[1 2]", "expected ',' or ']' after array element, found '2'", 3),
    (
      "NaN",
      "expected a JSON value, found 'NaN' (JSON literals are true, false and null, in lowercase)", 0
    ),
    (
      "True",
      "expected a JSON value, found 'True' (JSON literals are true, false and null, in lowercase)",
      0
    ),
    ("012", "numbers cannot have leading zeros", 1),
    ("1.", "expected a digit after the decimal point, found end of input", 2),
    ("\"abc", "unterminated string: a closing '\"' is missing", 0),
    (
      "\"a\tb\"",
      "control character 0x09 inside a string: write it as an escape such as \\n or \\u0009", 2
    ),
    (
      "\"\\x\"", "invalid escape '\\x': JSON allows only \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
      1
    ),
    ("{\"a\":1} {}", "unexpected '{' after the JSON value: one record per line", 8),
    ("", "expected a JSON value, found end of input", 0),
    ("// c\n1", "expected a JSON value, found '/'", 0),
    ("{'a':1}", "expected a string key in double quotes, found '''", 1),
    ("[1", "unterminated array: expected ',' or ']' after array element, found end of input", 2),
  ])
  func rejectsInvalidJSONWithAClearMessage(_ text: String, _ message: String, _ offset: Int) {
    guard case .failure(let error) = parse(text) else {
      Issue.record("accepted \(text)")
      return
    }
    #expect(error.message == message)
    #expect(error.offset == offset)
    #expect(error.kind == .syntax)
  }

  /// A character that prints as nothing or as a plain space is named by its code point, so the
  /// message shows what was found; a visible one stays quoted.
  @Test(arguments: [
    ("\u{FEFF}{}", "expected a JSON value, found U+FEFF (byte order mark)"),
    ("[1,\u{00A0}2]", "expected a JSON value, found U+00A0 (no-break space)"),
    (
      "{\"a\":1\u{200B}}",
      "expected ',' or '}' after object member, found U+200B (zero width space)"
    ),
    ("[1\u{2028}]", "expected ',' or ']' after array element, found U+2028 (line separator)"),
    ("[1\u{0085}]", "expected ',' or ']' after array element, found U+0085 (next line)"),
    ("[é]", "expected a JSON value, found 'é'"),
  ])
  func invisibleCharactersAreNamedNotQuoted(_ text: String, _ message: String) {
    guard case .failure(let error) = parse(text) else {
      Issue.record("accepted \(text)")
      return
    }
    #expect(error.message == message)
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
    guard case .failure(let error) = parse(text) else {
      Issue.record("accepted 10,000-deep nesting")
      return
    }
    #expect(error.kind == .depth)
    #expect(error.offset == 512)
    // No option raises the limit, so the message does not offer one.
    #expect(
      error.message
        == "nesting deeper than 512 levels, tuneprep's fixed limit: flatten the record; nesting this deep is usually a bug in the program that wrote it"
    )
    // The limit is configurable.
    #expect((try? parse(text, maxDepth: 20_000).get()) != nil)
  }

  @Test func invalidUTF8InAStringIsAnEncodingError() {
    var parser = JSONParser()
    var document = JSONDocument()
    for bytes: [UInt8] in [
      [0x22, 0x61, 0xFF, 0x22],  // 0xFF is never UTF-8
      [0x22, 0xC3, 0x22],  // truncated 2-byte sequence
      [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate
      [0x22, 0xC0, 0xAF, 0x22],  // overlong
      [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
    ] {
      do throws(JSONSyntaxError) {
        try parser.parse(bytes, into: &document)
        Issue.record("accepted \(bytes)")
      } catch {
        #expect(error.kind == .invalidUTF8, "\(bytes)")
      }
    }
  }

  @Test func warningsForDuplicateKeysLoneSurrogatesAndHugeNumbers() throws {
    let document = try parse("{\"a\":1,\"b\":\"\\ud800x\",\"a\":1e400}").get()
    let kinds = document.warnings.map(\.kind)
    #expect(kinds.contains(.duplicateKey))
    #expect(kinds.contains(.loneSurrogate))
    #expect(kinds.contains(.numberRange))
    let duplicate = try #require(document.warnings.first { $0.kind == .duplicateKey })
    #expect(document.pointer(to: duplicate.node) == "/a")
  }

  /// A long number is not cut off as if the cut were its value: its digit count and its
  /// beginning with an ellipsis are shown.
  @Test(arguments: [
    ("1e400", "number 1e400 is too large"),
    (
      "1" + String(repeating: "0", count: 400),
      "a number of 401 digits (10000000000000000000\u{2026}) is too large"
    ),
    (
      "-" + String(repeating: "9", count: 350) + ".5E+10",
      "a number of 351 digits and exponent E+10 (-9999999999999999999\u{2026}) is too large"
    ),
  ])
  func hugeNumberMessageShowsItsLength(number: String, message: String) throws {
    let document = try parse("{\"a\":\(number)}").get()
    let warning = try #require(document.warnings.first { $0.kind == .numberRange })
    #expect(warning.message == message + " for a 64-bit float and reads as infinity")
  }

  /// Records separated by a lone carriage return (CR-only line ends) run together on one line:
  /// the message says so and how to convert the file; without a CR there is no such hint.
  @Test func crOnlyLineEndsGetAHint() {
    guard case .failure(let error) = parse("{\"a\":1}\r{\"a\":2}\r") else {
      Issue.record("accepted")
      return
    }
    #expect(error.offset == 8)
    #expect(
      error.message
        == "unexpected '{' after the JSON value: one record per line; a carriage return ('\\r') "
        + "comes before it: the file seems to use CR-only (old Mac) line ends, so its records run "
        + "together on one line; convert them with tr '\\r' '\\n' < in.jsonl > out.jsonl and run again"
    )
    guard case .failure(let plain) = parse("{\"a\":1} \t{}") else {
      Issue.record("accepted")
      return
    }
    #expect(!plain.message.contains("carriage return"))
  }

  /// A duplicate key is found when its object closes, after the values inside that object;
  /// the warnings still come in the order of their place in the text.
  @Test func warningsAreInTextOrder() throws {
    let text = "{\"k\":1,\"k\":{\"x\":\"\\ud800\",\"n\":1e999},\"t\":\"\\udc00\"}"
    let document = try parse(text).get()
    #expect(
      document.warnings.map(\.kind) == [
        .duplicateKey, .loneSurrogate, .numberRange, .loneSurrogate,
      ])
    let offsets = document.warnings.map(\.offset)
    #expect(offsets == offsets.sorted())
  }

  @Test func duplicateKeysInLargeObjectsAreFound() throws {
    var members = (0..<100).map { "\"k\($0)\":\($0)" }
    members.append("\"k42\":0")
    let document = try parse("{" + members.joined(separator: ",") + "}").get()
    #expect(document.warnings.filter { $0.kind == .duplicateKey }.count == 1)
  }

  @Test func escapedKeysCompareByValue() throws {
    let document = try parse("{\"a\":1,\"\\u0061\":2}").get()
    #expect(document.warnings.map(\.kind) == [.duplicateKey])
  }

  @Test func tapeGivesValuesAndPointers() throws {
    let document = try parse(
      "{\"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9 \\\"x\\\"\"}],\"a/b\":2}"
    ).get()
    let messages = try #require(document.member(document.root, "messages"))
    #expect(document.count(messages) == 1)
    let first = try #require(document.elements(messages).first { _ in true })
    let content = try #require(document.member(first, "content"))
    #expect(document.string(content) == "café \"x\"")
    #expect(document.pointer(to: content) == "/messages/0/content")
    let slash = try #require(
      document.members(document.root).first { document.string($0.key) == "a/b" })
    #expect(document.pointer(to: slash.value) == "/a~1b")
    #expect(document.sourceRange(messages) == 12..<57)
  }

  /// A tilde or slash followed by a combining mark is one `Character` with it, yet must still be
  /// escaped in the pointer (the pointer is built on Unicode scalars).
  @Test func pointerEscapesTildeAndSlashBeforeCombiningMarks() throws {
    let document = try parse("{\"~\\u0301/\\u0301\":{\"x\":1}}").get()
    let outer = try #require(document.members(document.root).first { _ in true })
    let inner = try #require(document.member(outer.value, "x"))
    #expect(document.pointer(to: inner) == "/~0\u{301}~1\u{301}/x")
  }

  @Test func hugeStringsParse() throws {
    let big = String(repeating: "word é ", count: 300_000)
    let document = try parse("{\"content\":\"\(big)\"}").get()
    let content = try #require(document.member(document.root, "content"))
    #expect(document.string(content).utf8.count == big.utf8.count)
  }
}
