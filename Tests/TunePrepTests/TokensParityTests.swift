import Foundation
import Testing

@testable import TunePrep

/// Shared access to the vocabularies and the committed parity fixtures.
enum TokenFixtures {
  /// The encodings with a vocabulary of their own, which have fixture files (o200k_harmony and
  /// p50k_edit only add special tokens; `TokensExpectationsTests` checks those).
  static let encodings: [TokenEncoding] = [.o200kBase, .cl100kBase, .p50kBase, .r50kBase]

  /// `TUNEPREP_VOCAB_DIR`, else `<package root>/vocab`.
  static var vocabDirectory: String {
    if let dir = ProcessInfo.processInfo.environment["TUNEPREP_VOCAB_DIR"], !dir.isEmpty {
      return dir
    }
    return ConformanceDirectory.packageRoot.appendingPathComponent("vocab").path
  }

  /// The fixture folder `Tests/TunePrepTests/Fixtures/tokens`.
  static var fixtureDirectory: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/tokens")
  }

  /// Loads an encoding from the test vocabulary folder; a missing vocabulary throws an error
  /// whose message names `make vocab`, which fails the test (never a silent skip).
  static func tokenizer(_ encoding: TokenEncoding) throws -> Tokenizer {
    try cache.get(encoding)
  }

  private static let cache = Cache()

  /// Loads each vocabulary once per test process.
  final class Cache: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: [TokenEncoding: Tokenizer] = [:]

    func get(_ encoding: TokenEncoding) throws -> Tokenizer {
      lock.lock()
      defer { lock.unlock() }
      if let t = loaded[encoding] { return t }
      let locator = VocabularyLocator(directories: [TokenFixtures.vocabDirectory])
      let t = try Tokenizer.load(encoding, locator: locator)
      loaded[encoding] = t
      return t
    }
  }

  /// One fixture line.
  struct Case {
    var line: Int
    var text: String
    var ids: [Int]
    var allowSpecial: Bool
  }

  /// Reads `<name>.jsonl` with the project's own JSON parser.
  static func cases(_ name: String) throws -> [Case] {
    let url = fixtureDirectory.appendingPathComponent(name + ".jsonl")
    let data = try Data(contentsOf: url)
    var parser = JSONParser()
    var document = JSONDocument()
    var out: [Case] = []
    var lineNumber = 0
    for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
      lineNumber += 1
      try parser.parse(line, into: &document)
      var c = Case(line: lineNumber, text: "", ids: [], allowSpecial: false)
      for (key, value) in document.members(document.root) {
        let keyText = string(document, key)
        switch keyText {
        case "text": c.text = string(document, value)
        case "ids":
          for e in document.elements(value) {
            let raw = document.bytes[document.rawRange(e)]
            c.ids.append(Int(String(decoding: raw, as: UTF8.self)) ?? -1)
          }
        case "allow_special": c.allowSpecial = document.kind(value) == .true
        default: break
        }
      }
      out.append(c)
    }
    return out
  }

  static func string(_ document: JSONDocument, _ node: Int) -> String {
    document.bytes.withUnsafeBufferPointer {
      decodeJSONString(UnsafeBufferPointer(rebasing: $0[document.rawRange(node)]))
    }
  }

  /// A readable, escaped form of a string for failure messages.
  static func literal(_ s: String) -> String {
    s.unicodeScalars.map {
      $0.isASCII && $0.value >= 0x20 ? String($0) : "\\u{\(String($0.value, radix: 16))}"
    }
    .joined()
  }
}

/// Identical ids to tiktoken on every committed fixture string, for all four encodings.
@Suite struct TokensParityTests {
  @Test(arguments: TokenFixtures.encodings)
  func identicalIdsOnEveryFixture(_ encoding: TokenEncoding) throws {
    let tokenizer = try TokenFixtures.tokenizer(encoding)
    let cases = try TokenFixtures.cases(encoding.rawValue)
    #expect(cases.count > 7000, "fixture file too small: \(cases.count) lines")
    var failures: [String] = []
    var failed = 0
    for c in cases {
      let got = tokenizer.encode(c.text, allowSpecial: c.allowSpecial)
      let counted = tokenizer.count(c.text, allowSpecial: c.allowSpecial)
      if got != c.ids || counted != c.ids.count {
        failed += 1
        if failures.count < 8 {
          failures.append(
            "line \(c.line) \"\(TokenFixtures.literal(c.text))\": got \(got) want \(c.ids)")
        }
      }
    }
    #expect(failed == 0, "\(failed) of \(cases.count) differ:\n\(failures.joined(separator: "\n"))")
  }

  /// The O(n log n) merge for long pieces gives the same ids as the quadratic scan: run every
  /// fixture with every piece going through it.
  @Test(arguments: TokenFixtures.encodings)
  func longPieceMergerMatchesOnEveryFixture(_ encoding: TokenEncoding) throws {
    var tokenizer = try TokenFixtures.tokenizer(encoding)
    tokenizer.longPieceThreshold = 2
    var failed: [Int] = []
    for c in try TokenFixtures.cases(encoding.rawValue)
    where tokenizer.encode(c.text, allowSpecial: c.allowSpecial) != c.ids {
      failed.append(c.line)
    }
    #expect(failed.isEmpty, "lines \(failed.prefix(20))")
  }

  /// A piece of 200,000 letters encodes in well under a second (no quadratic merge), with the
  /// same ids whichever merger handles it.
  @Test func longPieceIsFastAndExact() throws {
    let tokenizer = try TokenFixtures.tokenizer(.cl100kBase)
    var generator = SplitMix64(state: 42)
    let letters = Array("abcdefghijklmnopqrstuvwxyz".unicodeScalars)
    var text = ""
    for _ in 0..<200_000 { text.unicodeScalars.append(letters[Int(generator.next() % 26)]) }
    let clock = ContinuousClock()
    var ids: [Int] = []
    let elapsed = clock.measure { ids = tokenizer.encode(text) }
    #expect(elapsed < .seconds(5))
    #expect(tokenizer.decode(ids) == Array(text.utf8))
    var quadratic = tokenizer
    quadratic.longPieceThreshold = .max
    let head = String(text.prefix(3000))
    #expect(quadratic.encode(head) == tokenizer.encode(head))
  }

  @Test(arguments: TokenFixtures.encodings)
  func decodeRoundTripsFixtureText(_ encoding: TokenEncoding) throws {
    let tokenizer = try TokenFixtures.tokenizer(encoding)
    var bad = 0
    for c in try TokenFixtures.cases(encoding.rawValue).prefix(2000) where !c.allowSpecial {
      if tokenizer.decode(c.ids) != Array(c.text.utf8) { bad += 1 }
    }
    #expect(bad == 0)
  }
}
