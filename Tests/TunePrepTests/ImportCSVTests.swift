import Testing

@testable import TunePrep

@Suite struct ImportCSVTests {
  /// Parses `text` fed in chunks of `chunk` bytes, as the importer does, and returns each
  /// row's line and values (or its error code).
  static func rows(_ text: [UInt8], chunk: Int, delimiter: UInt8 = UInt8(ascii: ",")) -> [String] {
    var parser = CSVParser(delimiter: delimiter)
    var buffer: [UInt8] = []
    var result: [String] = []
    var offset = 0
    while true {
      let end = min(text.count, offset + chunk)
      buffer.append(contentsOf: text[offset..<end])
      offset = end
      let final = offset == text.count
      let consumed = buffer.withUnsafeBufferPointer { buf in
        parser.parse(buf, final: final) { p, _, line in
          if let error = p.rowError {
            result.append("\(line):\(error.code.name)")
          } else {
            let values = (0..<p.fields.count).map {
              String(decoding: p.value($0, in: buf) ?? [], as: UTF8.self)
            }
            result.append("\(line):" + values.joined(separator: "|"))
          }
        }
      }
      buffer.removeFirst(consumed)
      if final { break }
    }
    return result
  }

  @Test(arguments: [1, 2, 3, 7, 4096])
  func rfc4180AtEveryChunkSize(chunk: Int) {
    let text = Array(
      "a,b,c\r\n1,\"x, \"\"y\"\"\",z\r\n\"multi\r\nline\",,\"\"\n\nlast,row,here".utf8)
    #expect(
      Self.rows(text, chunk: chunk) == [
        "1:a|b|c", "2:1|x, \"y\"|z", "3:multi\r\nline||", "6:last|row|here",
      ])
  }

  @Test(arguments: [1, 3, 4096])
  func quoteProblemsAreRowErrors(chunk: Int) {
    #expect(
      Self.rows(Array("a,b\n\"x\"y,z\n1,2\n".utf8), chunk: chunk) == [
        "1:a|b", "2:import.csv-quote", "3:1|2",
      ])
    #expect(
      Self.rows(Array("a,b\n1,\"never closed\n2,3\n".utf8), chunk: chunk) == [
        "1:a|b", "2:import.csv-quote",
      ])
  }

  @Test func valuePastTheEndOfARowIsMissing() {
    var parser = CSVParser(delimiter: UInt8(ascii: ","))
    var values: [[UInt8]?] = []
    Array("a,b\n".utf8).withUnsafeBufferPointer { buf in
      _ = parser.parse(buf, final: true) { p, _, _ in
        values = [p.value(1, in: buf), p.value(2, in: buf), p.value(-1, in: buf)]
      }
    }
    #expect(values == [Array("b".utf8), nil, nil])
  }

  @Test func tabsSeparateTSV() {
    #expect(
      Self.rows(Array("q\ta\nhi, there\tyo\n".utf8), chunk: 2, delimiter: 0x09) == [
        "1:q|a", "2:hi, there|yo",
      ])
  }

  @Test(arguments: [1, 2, 3, 5, 4096])
  func utf16IsTranscodedAcrossChunks(chunk: Int) {
    let text = "q,a\nÉté 😀,ok\n"
    var le: [UInt8] = [0xFF, 0xFE]
    var be: [UInt8] = [0xFE, 0xFF]
    for unit in text.utf16 {
      le += [UInt8(unit & 0xFF), UInt8(unit >> 8)]
      be += [UInt8(unit >> 8), UInt8(unit & 0xFF)]
    }
    for (bytes, big) in [(le, false), (be, true)] {
      var t = UTF16Transcoder(bigEndian: big)
      var out: [UInt8] = []
      var i = 2
      while i < bytes.count {
        let end = min(bytes.count, i + chunk)
        bytes[i..<end].withUnsafeBufferPointer { t.transcode($0, to: &out) }
        i = end
      }
      t.finish(to: &out)
      #expect(String(decoding: out, as: UTF8.self) == text)
      #expect(t.problems.isEmpty)
    }
    let detected = le.withUnsafeBufferPointer { TextEncoding.detect($0) }
    #expect(detected.0 == .utf16LE && detected.1 == 2)
  }

  @Test func loneSurrogateIsListedNotReplaced() {
    var t = UTF16Transcoder(bigEndian: false)
    var out: [UInt8] = []
    [0x3D, 0xD8, 0x41, 0x00].withUnsafeBufferPointer { t.transcode($0, to: &out) }
    t.finish(to: &out)
    // The generalized UTF-8 form of D83D, which is not valid UTF-8, then "A".
    #expect(out == [0xED, 0xA0, 0xBD, 0x41])
    #expect(t.problems == [TranscodeProblem(offset: 0, kind: .unpairedSurrogate(0xD83D))])
  }

  @Test func headerColumnsResolveByNameOrGuess() throws {
    var options = Importer.Options()
    let guessed = try CSVColumns(resolving: options, header: ["ID", "Question", "Answer"])
    #expect(guessed.input == 1 && guessed.output == 2)
    options.input = "ID"
    options.output = "3"
    let named = try CSVColumns(resolving: options, header: ["ID", "Question", "Answer"])
    #expect(named.input == 0 && named.output == 2)
    options.input = "prompt"
    #expect(throws: CSVColumns.Failure.self) {
      try CSVColumns(resolving: options, header: ["ID", "Question", "Answer"])
    }
    #expect(throws: CSVColumns.Failure.self) {
      try CSVColumns(resolving: Importer.Options(), header: ["a", "b"])
    }
  }

  @Test func xmlRecordPathSubset() throws {
    let ns = [Importer.Namespace(prefix: "p", uri: "urn:x")]
    let any = try XMLRecordPath("//ticket", namespaces: ns)
    #expect(any.matches([.init(uri: nil, local: "export"), .init(uri: nil, local: "ticket")]))
    #expect(!any.matches([.init(uri: "urn:x", local: "ticket")]))
    let rooted = try XMLRecordPath("/export/p:ticket", namespaces: ns)
    #expect(
      rooted.matches([.init(uri: nil, local: "export"), .init(uri: "urn:x", local: "ticket")]))
    #expect(
      !rooted.matches([
        .init(uri: nil, local: "x"), .init(uri: nil, local: "export"),
        .init(uri: "urn:x", local: "ticket"),
      ]))
    #expect(throws: XMLRecordPath.Failure.self) { try XMLRecordPath("//q:ticket", namespaces: ns) }
    #expect(throws: XMLRecordPath.Failure.self) {
      try XMLRecordPath("//ticket[@id='1']", namespaces: ns)
    }
  }

  /// Unpaired surrogates and an odd last byte are listed with their offsets, and an unpaired
  /// surrogate is written in its generalized UTF-8 form, never as U+FFFD, at every chunk size.
  @Test(arguments: [1, 2, 3, 7, 4096])
  func unpairedSurrogatesAreListedAtEveryChunkSize(chunk: Int) {
    let units: [UInt16] = [0x61, 0xD800, 0x62, 0xD83D, 0xDE00, 0x63, 0xDC00]
    let bytes: [UInt8] = units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0x41]
    var transcoder = UTF16Transcoder(bigEndian: false)
    var out: [UInt8] = []
    var offset = 0
    while offset < bytes.count {
      let end = min(bytes.count, offset + chunk)
      bytes[offset..<end].withUnsafeBufferPointer { transcoder.transcode($0, to: &out) }
      offset = end
    }
    transcoder.finish(to: &out)
    #expect(out == [0x61, 0xED, 0xA0, 0x80, 0x62, 0xF0, 0x9F, 0x98, 0x80, 0x63, 0xED, 0xB0, 0x80])
    #expect(
      transcoder.problems == [
        TranscodeProblem(offset: 1, kind: .unpairedSurrogate(0xD800)),
        TranscodeProblem(offset: 10, kind: .unpairedSurrogate(0xDC00)),
        TranscodeProblem(offset: 13, kind: .oddTrailingByte(0x41)),
      ])
  }

  /// A lone surrogate escape in a JSON value survives decoding and re-encoding as the same
  /// escape; a pair becomes its character.
  @Test func loneSurrogateEscapeRoundTrips() {
    let raw = Array(#"\ud800x\n\ud83d\ude00\u00e9\udfff"#.utf8)
    var decoded: [UInt8] = []
    raw.withUnsafeBufferPointer {
      appendDecodedJSONString($0, keepingLoneSurrogates: true, to: &decoded)
    }
    var encoded: [UInt8] = []
    appendJSONStringKeepingSurrogates(decoded, to: &encoded)
    #expect(String(decoding: encoded, as: UTF8.self) == #""\ud800x\n😀é\udfff""#)
  }
}

extension ImportCSVTests {
  /// A lone CR ends a line inside a quoted field as it does between rows, so the rows after a
  /// multi-line cell of a CR-only file keep their editor line numbers (as in an LF file).
  @Test(arguments: [1, 2, 3, 7, 4096])
  func crOnlyLinesInsideQuotesAreCounted(chunk: Int) {
    let cr = Self.rows(Array("q,a\r\"a\rb\rc\rd\",x\rlast,row\r".utf8), chunk: chunk)
    let lf = Self.rows(Array("q,a\n\"a\nb\nc\nd\",x\nlast,row\n".utf8), chunk: chunk)
    #expect(cr.map { $0.prefix { $0 != ":" } } == ["1", "2", "6"])
    #expect(lf.map { $0.prefix { $0 != ":" } } == ["1", "2", "6"])
  }
}
