import Testing

@testable import TunePrep

/// Code-point columns, which the SARIF and GitHub reports give, next to the byte columns of
/// the text and JSON reports.
@Suite struct CharacterColumnTests {
  @Test(arguments: [
    ([UInt8](), 0),
    (Array("abc".utf8), 3),
    (Array("é日😀".utf8), 3),
    // Ill-formed sequences count one per maximal subpart, as a decoder's U+FFFD does.
    ([0xFF, 0x41], 2),
    ([0x80, 0x80], 2),
    ([0xE6, 0x97, 0x41], 2),
    ([0xF0, 0x9F, 0x98], 1),
  ])
  func codePointsCountScalars(bytes: [UInt8], expected: Int) {
    bytes.withUnsafeBufferPointer { #expect(codePointCount($0) == expected) }
  }

  @Test func locationCountsCharactersFromTheRecordStartOrTheLastLineBreak() {
    let position = RecordPosition(
      file: "f", line: 3, column: 9, characterColumn: 5, byteOffset: 100)
    let bytes = Array("{\"é\":1,\n \"日\":2}".utf8)
    bytes.withUnsafeBufferPointer { buffer in
      // "1" on the record's first line: 6 bytes and 5 characters after the record's start.
      let first = position.location(atByte: 6, in: buffer)
      #expect(first == Location(file: "f", line: 3, column: 15, characterColumn: 10))
      // The ":" on the next line: 6 bytes and 4 characters after the line break.
      let second = position.location(atByte: 15, in: buffer)
      #expect(second == Location(file: "f", line: 4, column: 7, characterColumn: 5))
    }
  }

  @Test func characterColumnIsKeptOnlyWhereItDiffers() {
    #expect(Location(file: "f", line: 1, column: 4, characterColumn: 4).characterColumn == nil)
    #expect(Location(file: "f", line: 1, column: 4, characterColumn: 4).codePointColumn == 4)
    #expect(Location(file: "f", line: 1, column: 6, characterColumn: 4).codePointColumn == 4)
  }
}
