import Foundation
import Testing

@testable import TunePrep

/// The `.json` array framer on generated arrays of every kind of element, and on the arrays of
/// JSONTestSuite: each element is framed as one record, whole, at its own line and column.
@Suite struct JSONArrayFramerTests {
  /// A generated array: its text and, for each element, the element's text and position.
  struct Generated {
    var text = ""
    var elements: [RecordReaderTests.Seen] = []
  }

  /// Writes random JSON with random white space, from a fixed seed so a failure can be replayed.
  struct Generator {
    var rng: SplitMix64
    /// Characters that break a framer that does not track strings, plus multi-byte ones.
    static let stringPieces = [
      " ", ",", "]", "[", "}", "{", ":", "\\\"", "\\\\", "\\n", "\\u0041", "\\/", "a", "x y",
      "é", "😀", "\u{2028}",
    ]

    init(seed: UInt64) { rng = SplitMix64(state: seed) }

    mutating func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    mutating func whiteSpace() -> String {
      let pieces = [" ", "\t", "\n", "\r\n", "  "]
      return (0..<[0, 0, 1, 2, 3][below(5)]).map { _ in pieces[below(pieces.count)] }.joined()
    }

    mutating func string() -> String {
      "\"" + (0..<below(6)).map { _ in Self.stringPieces[below(Self.stringPieces.count)] }.joined()
        + "\""
    }

    mutating func value(depth: Int) -> String {
      switch below(depth < 3 ? 9 : 6) {
      case 0, 1: return string()
      case 2: return ["0", "-1", "12.5e-3", "1E+300", "-0", "123456789012"][below(6)]
      case 3: return ["true", "false"][below(2)]
      case 4: return "null"
      case 5: return string()
      case 6, 7:
        let members = (0..<below(3)).map { _ in
          string() + whiteSpace() + ":" + whiteSpace() + value(depth: depth + 1) + whiteSpace()
        }
        return "{" + whiteSpace() + members.joined(separator: "," + whiteSpace()) + "}"
      default:
        let items = (0..<below(3)).map { _ in value(depth: depth + 1) + whiteSpace() }
        return "[" + whiteSpace() + items.joined(separator: "," + whiteSpace()) + "]"
      }
    }

    /// An array of up to six elements, with their positions (columns count bytes, from 1).
    mutating func array() -> Generated {
      var generated = Generated()
      generated.text = whiteSpace() + "[" + whiteSpace()
      for index in 0..<below(7) {
        if index > 0 { generated.text += "," + whiteSpace() }
        let element = value(depth: 0)
        let before = Array(generated.text.utf8)
        let line = before.count(where: { $0 == 0x0A }) + 1
        let column = before.count - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
        generated.elements.append(RecordReaderTests.Seen(line: line, column: column, text: element))
        generated.text += element + whiteSpace()
      }
      generated.text += "]" + whiteSpace()
      return generated
    }
  }

  @Test(arguments: [
    (#"["a b"]"#, [#""a b""#]),
    (#"["x", "a, b]", 1]"#, [#""x""#, #""a, b]""#, "1"]),
    (#"[ "say \"hi\" ] ,", "\\", "\\\"" ]"#, [#""say \"hi\" ] ,""#, #""\\""#, #""\\\"""#]),
    (#"["TODO add more",{"a":"b c"}]"#, [#""TODO add more""#, #"{"a":"b c"}"#]),
  ])
  func aStringElementIsOneRecord(input: String, expected: [String]) throws {
    for chunk in RecordReaderTests.chunkSizes {
      let result = try RecordReaderTests.read(Array(input.utf8), name: "s.json", chunk: chunk)
      #expect(result.seen.map(\.text) == expected, "chunk \(chunk)")
      #expect(result.findings.isEmpty, "chunk \(chunk)")
    }
  }

  /// Generated arrays of strings, numbers, literals and nested values with white space and
  /// newlines between them: every element comes out whole, in order, at its position, and
  /// parses on its own.
  @Test(arguments: [1, 2, 3, 7, 1 << 20])
  func generatedArraysAreFramedElementByElement(chunk: Int) throws {
    var generator = Generator(seed: 20_261_122 &+ UInt64(chunk))
    var parser = JSONParser()
    var document = JSONDocument()
    for round in 0..<(chunk < 7 ? 60 : 250) {
      let generated = generator.array()
      let result = try RecordReaderTests.read(
        Array(generated.text.utf8), name: "g.json", chunk: chunk)
      #expect(
        result.seen == generated.elements, "round \(round): \(generated.text.debugDescription)")
      #expect(result.findings.isEmpty, "round \(round): \(generated.text.debugDescription)")
      for element in generated.elements {
        do throws(JSONSyntaxError) {
          try parser.parse(Data(element.text.utf8), into: &document)
        } catch {
          Issue.record("round \(round): \(element.text) \(error.message)")
        }
      }
    }
  }

  /// Every JSONTestSuite `y_` file whose top level is an array, read as a `.json` file, gives
  /// its elements as records that all parse, with no finding and as many records as elements.
  @Test func jsonTestSuiteArraysAreFramed() throws {
    var parser = JSONParser()
    var document = JSONDocument()
    var checked = 0
    var wrong: [String] = []
    for url in try JSONTestSuiteTests.files() where url.lastPathComponent.hasPrefix("y_") {
      let data = try Data(contentsOf: url)
      guard data.first(where: { !isJSONWhitespace($0) }) == UInt8(ascii: "[") else { continue }
      checked += 1
      let name = url.lastPathComponent
      // Foundation's count of the elements, where it reads the file.
      let count = (try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed))
        .flatMap { $0 as? [Any] }?.count
      let result = try RecordReaderTests.read(Array(data), name: name, chunk: 3)
      if count.map({ $0 != result.seen.count }) ?? false || !result.findings.isEmpty {
        wrong.append("\(name): \(result.seen.map(\.text)) \(result.findings)")
        continue
      }
      for element in result.seen {
        do throws(JSONSyntaxError) {
          try parser.parse(Data(element.text.utf8), into: &document)
        } catch {
          wrong.append("\(name): \(element.text) \(error.message)")
        }
      }
    }
    #expect(checked > 60)
    #expect(wrong.isEmpty, "\(wrong.joined(separator: "\n"))")
  }
}
