import Foundation
import Testing

@testable import TunePrep

/// Bad vocabularies and tokenizer files end in a clear error, never a crash or a huge
/// allocation (QA round 3, item 1), and the character classes follow tiktoken's Unicode
/// version whatever the Swift runtime knows (item 5).
@Suite struct TokenizerLimitsTests {
  /// The tiny tokenizer file of ``TokensHuggingFaceTests`` with `old` replaced by `new`.
  static func tinyFile(replacing old: String, with new: String) throws -> String {
    let path = try TokensHuggingFaceTests.tinyFile(mergesAsStrings: true)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.contains(old))
    try Data(text.replacingOccurrences(of: old, with: new).utf8).write(
      to: URL(fileURLWithPath: path))
    return path
  }

  @Test(arguments: ["-1", "4294967296", "16777216", "1e30", "99999999999999999999999"])
  func addedTokenIDOutOfRangeIsAnError(_ id: String) throws {
    let path = try Self.tinyFile(replacing: #"{"id":300,"#, with: #"{"id":\#(id),"#)
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
      _ = try Tokenizer.load(tokenizerJSON: path)
      Issue.record("added token id \(id) was accepted")
    } catch {
      guard case .malformedTokenizer(let p, let reason) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(p == path)
      #expect(reason.contains("\"<|x|>\" has id \(id), not an integer from 0 to 16777215"))
      #expect(error.description.contains("use the model's own tokenizer.json"))
    }
  }

  @Test(arguments: ["500000000", "4294967294", "-3"])
  func vocabIDOutOfRangeIsAnError(_ id: String) throws {
    // A large id used to size the id → entry index (500,000,000 ids: 2 GB).
    let path = try Self.tinyFile(replacing: #""hello":259"#, with: #""hello":\#(id)"#)
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
      _ = try Tokenizer.load(tokenizerJSON: path)
      Issue.record("vocab id \(id) was accepted")
    } catch {
      #expect(error.description.contains("vocab id of \"hello\" is \(id), not an integer from 0"))
    }
  }

  @Test func largestAcceptedIDLoads() throws {
    let path = try Self.tinyFile(replacing: #"{"id":300,"#, with: #"{"id":16777215,"#)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let t = try Tokenizer.load(tokenizerJSON: path)
    #expect(t.encode("<|x|>", allowSpecial: true) == [16_777_215])
  }

  @Test func tiktokenRankOutOfRangeIsAnError() throws {
    #expect(
      throws: TokenizerError.malformedVocabulary(
        path: "v", line: 2, reason: "rank over 16777215, the largest accepted")
    ) {
      try Tokenizer.parseTiktoken(Array("IQ== 0\nIg== 4000000000\n".utf8), path: "v")
    }
  }

  @Test func endlessFileIsRefusedAtTheSizeLimit() throws {
    #expect(throws: TokenizerError.tooLarge(path: "/dev/zero", limit: 256 << 20)) {
      try Tokenizer.load(tokenizerJSON: "/dev/zero")
    }
    #expect(
      TokenizerError.tooLarge(path: "/dev/zero", limit: 256 << 20).description.contains(
        "/dev/zero: cannot read: larger than 256 MB"))
  }

  @Test func alteredVocabularyIsRejectedByItsHash() throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("tuneprep-altered-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = try VocabularyLocator().path(for: .r50kBase)
    var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: source)))
    // " the" (IHRoZQ==) becomes " thx" (IHRoeA==): still a well-formed file.
    let the = Array("IHRoZQ== ".utf8)
    let at = try #require(
      bytes.indices.first { bytes[$0...].starts(with: the) && ($0 == 0 || bytes[$0 - 1] == 0x0A) })
    bytes.replaceSubrange(at..<(at + the.count), with: Array("IHRoeA== ".utf8))
    let file = dir.appendingPathComponent("r50k_base.tiktoken")
    try Data(bytes).write(to: file)
    do {
      _ = try Tokenizer.load(.r50kBase, locator: VocabularyLocator(directories: [dir.path]))
      Issue.record("an altered vocabulary loaded")
    } catch {
      guard case .checksumMismatch(let path, let encoding, let expected, let actual) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(path == file.path)
      #expect(encoding == "r50k_base")
      #expect(expected == "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930")
      #expect(actual.count == 64 && actual != expected)
      #expect(error.description.contains("make vocab"))
    }
  }

  @Test func shippedVocabulariesMatchTheirHashes() throws {
    for encoding in TokenEncoding.allCases {
      _ = try Tokenizer.load(encoding)
    }
  }

  @Test func scalarsNewerThanTiktokensUnicodeAreUnassigned() throws {
    // Unicode 17 additions: CJK Extension J, Tangut Components Supplement, Sharada Supplement,
    // Tai Yo, an Arabic letter, Telugu and Kannada letters, Latin letters.
    for value: UInt32 in [
      0x323B0, 0x33479, 0x18D80, 0x11DB0, 0x1E6C0, 0x1E6FF, 0x088F, 0x0C5C, 0x0CDC, 0xA7CE, 0xA7F1,
    ] {
      let scalar = try #require(Unicode.Scalar(value))
      #expect(ScalarClass.classify(scalar) == 0, "U+\(String(value, radix: 16))")
      if value < 0x10000 { #expect(ScalarClass.basicPlane[Int(value)] == 0) }
    }
    // Older letters and digits keep their classes.
    #expect(ScalarClass.classify("\u{1FBF0}") == ScalarClass.number)
    #expect(ScalarClass.classify("a") == ScalarClass.letterLower)
  }
}
