import Foundation
import Testing

@testable import TunePrep

/// The locations and JSON pointers of findings in records with many of them, which go through
/// a cursor and an index of the nodes' parents instead of a walk from the record's start.
@Suite struct FindingLocationTests {
  /// A chat record with `count` user messages in a row and then an answer, laid out over
  /// several lines (as a `.json` array element may be).
  private func repeatedUsers(_ count: Int) -> (text: String, offsets: [Int]) {
    var text = "{\"messages\":\n["
    var offsets: [Int] = []
    for i in 0..<count {
      if i > 0 { text += i % 3 == 0 ? ",\n  " : ", " }
      offsets.append(text.utf8.count)
      text += "{\"role\":\"user\",\"content\":\"q\(i) \u{e9}\"}"
    }
    text += ",{\"role\":\"assistant\",\"content\":\"a\"}],\n\"a~/b\":1,\"a~/b\":2}"
    return (text, offsets)
  }

  /// The line and column of byte `offset` of `text`, counted directly.
  private func expectedLocation(_ text: String, _ offset: Int, line: Int, column: Int) -> (
    Int, Int, Int
  ) {
    var (l, c, characters) = (line, column, column)
    for byte in text.utf8.prefix(offset) {
      if byte == 0x0A {
        l += 1
        c = 1
        characters = 1
      } else {
        c += 1
        if byte & 0xC0 != 0x80 { characters += 1 }
      }
    }
    return (l, c, characters)
  }

  @Test(arguments: [3, 12, 200])
  func manyFindingsHaveExactLocationsAndPaths(count: Int) throws {
    let (text, offsets) = repeatedUsers(count)
    var checker = RecordChecker(fileFormat: .openaiChat, detected: false, formatLocation: nil)
    var found: [Finding] = []
    let bytes = Array(text.utf8)
    bytes.withUnsafeBufferPointer { buffer in
      let position = RecordPosition(
        file: "f.json", line: 7, column: 4, characterColumn: 4, byteOffset: 100)
      _ = checker.check(buffer, at: position, findings: &found)
    }
    let repeated = found.filter { $0.code == "format.consecutive-roles" }
    #expect(repeated.count == count - 1)
    for (k, finding) in repeated.enumerated() {
      let i = k + 1
      let (line, column, characters) = expectedLocation(text, offsets[i], line: 7, column: 4)
      #expect(finding.path == "/messages/\(i)")
      #expect(finding.location.line == line && finding.location.column == column, "message \(i)")
      #expect(finding.location.codePointColumn == characters, "message \(i)")
    }
    // The duplicate key comes after the messages in the text but is reported first (JSON
    // warnings precede the format's findings), so the cursor goes back for the messages.
    let duplicate = try #require(found.first { $0.code == "json.duplicate-key" })
    #expect(duplicate.path == "/a~0~1b")
    let keyOffset = Array(text.utf8).indices.last { i in
      text.utf8.dropFirst(i).starts(with: "\"a~/b\":2".utf8)
    }
    let (line, column, characters) = expectedLocation(
      text, try #require(keyOffset), line: 7, column: 4)
    #expect(duplicate.location.line == line && duplicate.location.column == column)
    #expect(duplicate.location.codePointColumn == characters)
  }

  /// The index gives every node of a document the pointer that the walk from the root gives.
  @Test func pointerIndexAgreesWithTheWalkForEveryNode() throws {
    var texts = [
      repeatedUsers(40).text,
      "{\"a\":[[1,2,[3,{\"\":[4]}]],{\"x/y\":{\"~\":null}}],\"b\":{\"c\":[]},\"d\":\"\\u00e9\"}",
      "[[],[[]],{},{\"k\":{\"k\":{\"k\":[0,1,2,3,4,5,6,7,8,9,10]}}}]", "7", "{}",
    ]
    let samples = ConformanceDirectory.packageRoot.appendingPathComponent("samples/chat.jsonl")
    let data = try Data(contentsOf: samples)
    texts += data.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
    var parser = JSONParser()
    for text in texts {
      var document = JSONDocument()
      try parser.parse(Array(text.utf8), into: &document)
      let index = JSONPointerIndex(document)
      for node in document.nodes.indices {
        #expect(index.pointer(to: node, in: document) == document.pointer(to: node), "\(text)")
      }
    }
  }
}
