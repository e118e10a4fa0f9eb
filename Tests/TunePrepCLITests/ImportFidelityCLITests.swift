import Foundation
import Testing

#if canImport(FoundationEssentials)
  import FoundationEssentials
#endif

/// `tuneprep import` keeps what it reads: bad text is rejected with its line (never replaced
/// by U+FFFD), the rejects file keeps each row as read, every record is counted, and findings
/// come in line order.
@Suite struct ImportFidelityCLITests {
  /// Writes `bytes` to a fresh temporary file named `name` and returns its path.
  static func file(_ name: String, _ bytes: [UInt8]) throws -> String {
    let path = Binary.temporaryPath(name)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// UTF-16 code units as bytes in the given byte order, with its byte order mark.
  static func utf16(_ units: [UInt16], bigEndian: Bool) -> [UInt8] {
    (bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE])
      + units.flatMap { unit -> [UInt8] in
        let high = UInt8(unit >> 8)
        let low = UInt8(unit & 0xFF)
        return bigEndian ? [high, low] : [low, high]
      }
  }

  /// The rejects file's lines, parsed.
  static func rejects(_ path: String) throws -> [[String: Any]] {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return try text.split(separator: "\n").map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  /// The line numbers of the findings in a text report, in the order they were written.
  static func findingLines(_ stderr: String, file: String) -> [Int] {
    stderr.split(separator: "\n").compactMap { line in
      guard line.hasPrefix("\(file):") else { return nil }
      return Int(line.dropFirst(file.count + 1).prefix { $0.isNumber })
    }
  }

  // MARK: UTF-16 text that cannot be converted (item 2)

  @Test(arguments: [false, true], [[0xD800], [0xDC00], [0xD800, 0x0041], [0xDBFF, 0xDBFF]])
  func unpairedSurrogateRejectsItsRowWithItsLine(bigEndian: Bool, bad: [UInt16]) throws {
    let units =
      Array("question,answer\nq".utf16) + bad + Array(",a\nq2,a2\n".utf16)
    let input = try Self.file("sur.csv", Self.utf16(units, bigEndian: bigEndian))
    let rejects = Binary.temporaryPath("rejects.jsonl")
    defer {
      try? FileManager.default.removeItem(atPath: input)
      try? FileManager.default.removeItem(atPath: rejects)
    }
    let result = try Binary.run(
      ["import", input, "--to", "input-output", "--rejects", rejects])
    #expect(result.status == 1, "\(result.stderr)")
    // Only the good row is written, and nothing was replaced by U+FFFD.
    #expect(result.stdout == #"{"input":"q2","output":"a2"}"# + "\n")
    #expect(!result.stdout.contains("\u{FFFD}") && !result.stdout.lowercased().contains("ufffd"))
    let hex = String(bad[0], radix: 16, uppercase: true)
    #expect(
      result.stderr.contains(
        "\(input):2: error: the row holds an unpaired UTF-16 surrogate (\(hex))"),
      "\(result.stderr)")
    #expect(!result.stderr.contains(":0:"))
    let counts = try #require(Binary.counts(result.stderr))
    #expect(counts.read == 2 && counts.written == 1 && counts.rejected == 1)
    let lines = try Self.rejects(rejects)
    #expect(lines.count == 1)
    #expect(lines.first?["line"] as? Int == 2)
    #expect(lines.first?["code"] as? String == "import.encoding")
  }

  @Test func oddByteAfterTheLastRowIsAFindingNotARow() throws {
    let bytes = Self.utf16(Array("question,answer\nq,a\n".utf16), bigEndian: false) + [0x41]
    let input = try Self.file("odd.csv", bytes)
    defer { try? FileManager.default.removeItem(atPath: input) }
    let result = try Binary.run(["import", input, "--to", "input-output"])
    #expect(result.status == 1)
    #expect(result.stdout == #"{"input":"q","output":"a"}"# + "\n")
    #expect(
      result.stderr.contains(
        "\(input):3: error: after its last row, the file ends with a stray byte (0x41)"),
      "\(result.stderr)")
    #expect(!result.stderr.contains("field") && !result.stderr.contains("surrogate"))
    let counts = try #require(Binary.counts(result.stderr))
    #expect(counts.read == 1 && counts.written == 1 && counts.rejected == 0)
  }

  @Test func oddByteInsideTheLastRowRejectsTheRow() throws {
    let bytes = Self.utf16(Array("question,answer\nq,a\nq2,a2".utf16), bigEndian: false) + [0x41]
    let input = try Self.file("odd2.csv", bytes)
    defer { try? FileManager.default.removeItem(atPath: input) }
    let result = try Binary.run(["import", input, "--to", "input-output"])
    #expect(result.status == 1)
    #expect(result.stdout == #"{"input":"q","output":"a"}"# + "\n")
    #expect(
      result.stderr.contains("\(input):3: error: the row holds a stray last byte (0x41)"),
      "\(result.stderr)")
    let counts = try #require(Binary.counts(result.stderr))
    #expect(counts.read == 2 && counts.written == 1 && counts.rejected == 1)
  }

  // MARK: The rejects file keeps the raw row (item 6)

  @Test func csvRejectKeepsEveryColumnOfTheRow() throws {
    let rejects = Binary.temporaryPath("rejects.jsonl")
    defer { try? FileManager.default.removeItem(atPath: rejects) }
    let result = try Binary.run(
      ["import", "-", "--from", "csv", "--rejects", rejects],
      stdin: "id,channel,question,answer,notes\nT1,email,,the answer,important note\n")
    #expect(result.status == 1)
    let lines = try Self.rejects(rejects)
    #expect(lines.count == 1)
    #expect(lines.first?["code"] as? String == "import.empty-cell")
    #expect(lines.first?["record"] as? String == "T1,email,,the answer,important note")
  }

  @Test func csvRejectWithBadBytesKeepsTheRowNotARebuiltRecord() throws {
    let input = try Self.file("l1.csv", Array("question,answer\n".utf8) + [0x63, 0xE9, 0x2C, 0x6F])
    let rejects = Binary.temporaryPath("rejects.jsonl")
    defer {
      try? FileManager.default.removeItem(atPath: input)
      try? FileManager.default.removeItem(atPath: rejects)
    }
    let result = try Binary.run(["import", input, "--rejects", rejects])
    #expect(result.status == 1)
    let lines = try Self.rejects(rejects)
    #expect(lines.count == 1)
    #expect(lines.first?["code"] as? String == "import.encoding")
    let record = try #require(lines.first?["record"] as? String)
    #expect(record.hasPrefix("c") && record.hasSuffix(",o"))
    #expect(!record.contains("input"))
  }

  @Test func jsonRejectKeepsTheSourceRecord() throws {
    let rejects = Binary.temporaryPath("rejects.jsonl")
    defer { try? FileManager.default.removeItem(atPath: rejects) }
    let result = try Binary.run(
      [
        "import", "-", "--from", "json", "--input-field", "q", "--output-field", "r",
        "--rejects", rejects,
      ],
      stdin: #"{"q":"","r":"b","extra":[1,2]}"# + "\n")
    #expect(result.status == 1)
    let lines = try Self.rejects(rejects)
    let record = try #require(lines.first?["record"] as? [String: Any])
    #expect(record["extra"] as? [Int] == [1, 2])
    #expect(record["q"] as? String == "")
  }

  @Test func xmlRejectKeepsTheElement() throws {
    let rejects = Binary.temporaryPath("rejects.jsonl")
    defer { try? FileManager.default.removeItem(atPath: rejects) }
    let result = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./a",
        "--rejects", rejects,
      ],
      stdin: #"<r><t id="7" lang="en"><q>the question</q><a></a><note>keep me</note></t></r>"#)
    #expect(result.status == 1)
    let lines = try Self.rejects(rejects)
    #expect(lines.count == 1)
    #expect(
      lines.first?["record"] as? String
        == #"<t id="7" lang="en"><q>the question</q><a/><note>keep me</note></t>"#)
  }

  @Test func xmlRecordsAfterAParseErrorAreCountedAndKept() throws {
    let rejects = Binary.temporaryPath("rejects.jsonl")
    defer { try? FileManager.default.removeItem(atPath: rejects) }
    let result = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./a",
        "--to", "input-output", "--rejects", rejects,
      ],
      stdin:
        "<r><t><q>q1</q><a>a1</a></t><t><q>q2</q><a>a2</t>\n<t><q>q3</q><a>a3</a></t></r>\n")
    #expect(result.status == 1)
    #expect(result.stdout == #"{"input":"q1","output":"a1"}"# + "\n")
    let counts = try #require(Binary.counts(result.stderr))
    #expect(counts.read == 3 && counts.written == 1 && counts.rejected == 2, "\(result.stderr)")
    let lines = try Self.rejects(rejects)
    #expect(lines.count == 2)
    let broken = try #require(lines.first?["record"] as? String)
    #expect(broken.hasPrefix("<t><q>q2</q>"))
    let rest = try #require(lines.last?["record"] as? String)
    #expect(rest.contains("<t><q>q3</q><a>a3</a></t>"))
    #expect(!rest.contains("q1"))
    #expect(result.stderr.contains("was rejected as one unit"))
  }

  /// libxml2 reports an error inside a start tag (a repeated attribute) after the tag began:
  /// the record whose own start tag is broken was neither built nor in the rest of the file,
  /// and so was lost; the rest now starts at the tag's '<'.
  @Test(arguments: [
    (#"<t id="1" id="2">"#, ""),
    (#"<t id="1" b>"#, ""),
    (#"<t id="1" id="2">"#, "<t><q>q3</q><a>a3</a></t>\n"),
  ])
  func xmlRecordWithABrokenStartTagIsRejected(tag: String, after: String) throws {
    let rejects = Binary.temporaryPath("rejects.jsonl")
    defer { try? FileManager.default.removeItem(atPath: rejects) }
    let result = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./a",
        "--to", "input-output", "--rejects", rejects,
      ],
      stdin: "<r>\n<t><q>q1</q><a>a1</a></t>\n\(tag)<q>q2</q><a>a2</a></t>\n\(after)</r>\n")
    #expect(result.status == 1)
    #expect(result.stdout == #"{"input":"q1","output":"a1"}"# + "\n")
    let counts = try #require(Binary.counts(result.stderr))
    #expect(counts.read == 2 && counts.written == 1 && counts.rejected == 1, "\(result.stderr)")
    let lines = try Self.rejects(rejects)
    #expect(lines.count == 1)
    #expect((lines.first?["record"] as? String)?.hasPrefix(tag + "<q>q2</q>") == true)
    #expect(lines.first?["line"] as? Int == 3)
  }

  // MARK: Nested XML records (item 5)

  @Test func nestedRecordsAreImportedInDocumentOrder() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//msg", "--input", "./q", "--output", "./a",
        "--to", "input-output",
      ],
      stdin:
        "<thread><msg><q>outer question</q><a>outer answer</a>\n<msg><q>inner question</q><a>inner answer</a></msg></msg>"
        + "<msg><q>last</q><a>one</a></msg></thread>\n")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stdout.split(separator: "\n") == [
        #"{"input":"outer question","output":"outer answer"}"#,
        #"{"input":"inner question","output":"inner answer"}"#,
        #"{"input":"last","output":"one"}"#,
      ])
    let counts = try #require(Binary.counts(result.stderr))
    #expect(counts.read == 3 && counts.written == 3)
  }

  // MARK: JSON values (item 14)

  @Test func missingMetaFieldIsLeftOut() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "json", "--input-field", "q", "--output-field", "r",
        "--meta-field", "src", "--to", "input-output",
      ],
      stdin: #"{"q":"Hi","r":"Hello"}"# + "\n" + #"{"q":"Hi","r":"Hello","src":""}"# + "\n")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stdout.split(separator: "\n") == [
        #"{"input":"Hi","output":"Hello"}"#, #"{"input":"Hi","output":"Hello","src":""}"#,
      ])
  }

  @Test func loneSurrogateEscapeIsKeptAsAnEscape() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "json", "--input-field", "q", "--output-field", "r",
        "--to", "input-output",
      ],
      stdin: #"{"q":"\ud800x\n\u00e9","r":"\udc00"}"# + "\n")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == #"{"input":"\ud800x\né","output":"\udc00"}"# + "\n")
    #expect(result.stderr.contains("[json.lone-surrogate]"))
  }

  // MARK: Messages (items 10, 11, 15)

  @Test func idColumnMessageListsOnlyTargetsThatTakeIt() throws {
    let result = try Binary.run(
      ["import", "-", "--from", "csv", "--id-column", "id", "--to", "prompt-completion"],
      stdin: "id,question,answer\n1,q,a\n")
    #expect(result.status == 64)
    #expect(
      result.stderr.contains(
        "prompt-completion records have no place for --id-column/--meta-column fields: use --to alpaca, sharegpt or input-output, or pass --lossy"
      ), "\(result.stderr)")
  }

  @Test func doctypeFindingNamesTheDoctypeLine() throws {
    var text =
      "<?xml version=\"1.0\"?>\n<!-- not this <!DOCTYPE -->\n<!DOCTYPE r [ <!ENTITY a \"x\"> ]>\n<r>\n"
    for i in 1...20 { text += "<t><q>q\(i)</q><a>a\(i)</a></t>\n" }
    text += "</r>\n"
    let result = try Binary.run(
      ["import", "-", "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./a"],
      stdin: text)
    #expect(result.status == 1)
    #expect(
      result.stderr.contains("<stdin>:3: error: the file declares a DOCTYPE"), "\(result.stderr)")
  }

  @Test func jsonlFindingsComeInLineOrder() throws {
    let input = [
      #"{"q":"Hi","r":"Hello"}"#, #"{"q":"a","r":"b"}"#, #"{"q":"","r":"b"}"#,
      #"{"q":"a" "r":"b"}"#, #"{"q":"","r":"b"}"#, #"{"q":1,"#, #"{"q":"x","r":"y","q":"z"}"#,
      #"{"r":"x","r":"b","q":""}"#, "[1]",
    ].joined(separator: "\n")
    let result = try Binary.run(
      ["import", "-", "--from", "json", "--input-field", "q", "--output-field", "r"],
      stdin: input + "\n")
    #expect(result.status == 1)
    let lines = Self.findingLines(result.stderr, file: "<stdin>")
    #expect(lines == [3, 4, 5, 6, 7, 8, 8, 9], "\(result.stderr)")
  }
}
