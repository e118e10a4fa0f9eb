import Foundation
import Testing

@testable import TunePrep

/// The `tokenizer.json` (byte-level BPE) loader.
@Suite struct TokensHuggingFaceTests {
  /// `<vocab>/hf_cl100k_base.json`, written by `make vocab` with `token_reference.py export-hf`.
  static func exportedCL100K() throws -> Tokenizer {
    let path = URL(fileURLWithPath: TokenFixtures.vocabDirectory)
      .appendingPathComponent("hf_cl100k_base.json").path
    guard FileManager.default.fileExists(atPath: path) else {
      throw FixtureMissing(
        message: "\(path) is missing: run `make vocab` (it runs token_reference.py export-hf, "
          + "which needs python3 -m pip install tokenizers tiktoken)")
    }
    return try Tokenizer.load(tokenizerJSON: path)
  }

  struct FixtureMissing: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
  }

  /// Ids equal to what HF `tokenizers` gives for the exported cl100k file, on every fixture.
  @Test func exportedCL100KMatchesHuggingFaceTokenizers() throws {
    let tokenizer = try Self.exportedCL100K()
    let cases = try TokenFixtures.cases("hf_cl100k_base")
    #expect(cases.count > 1800)
    var failures: [String] = []
    var failed = 0
    for c in cases {
      let got = tokenizer.encode(c.text, allowSpecial: c.allowSpecial)
      if got != c.ids {
        failed += 1
        if failures.count < 8 {
          failures.append(
            "line \(c.line) \"\(TokenFixtures.literal(c.text))\": got \(got) want \(c.ids)")
        }
      }
    }
    #expect(failed == 0, "\(failed) of \(cases.count) differ:\n\(failures.joined(separator: "\n"))")
    var heapOnly = tokenizer
    heapOnly.longPieceThreshold = 2
    let viaHeap = cases.filter { heapOnly.encode($0.text, allowSpecial: $0.allowSpecial) != $0.ids }
    #expect(viaHeap.isEmpty, "long-piece merger differs on lines \(viaHeap.prefix(10).map(\.line))")
  }

  /// The exported file and the .tiktoken engine agree wherever their patterns agree (they differ
  /// only for whitespace after a newline at the very end of the text).
  @Test func exportedCL100KAgreesWithTiktokenEngine() throws {
    let hf = try Self.exportedCL100K()
    let tiktoken = try TokenFixtures.tokenizer(.cl100kBase)
    var compared = 0
    var differ = 0
    for c in try TokenFixtures.cases("cl100k_base") where !c.allowSpecial {
      let trimmedEnd = c.text.unicodeScalars.reversed().drop { $0.properties.isWhitespace }
      if trimmedEnd.count != c.text.unicodeScalars.count { continue }
      compared += 1
      if hf.encode(c.text) != c.ids { differ += 1 }
    }
    #expect(compared > 5000)
    #expect(differ == 0)
    #expect(hf.encode("hello <|endoftext|>", allowSpecial: true) == [15339, 220, 100257])
    #expect(hf.encode("hello <|endoftext|>") == tiktoken.encode("hello <|endoftext|>"))
  }

  // MARK: - Small hand-made files

  /// GPT-2's byte → character alphabet.
  static func byteLevelCharacter(_ b: Int) -> String {
    var extra = 0
    for x in 0..<256 {
      let printable = (33...126).contains(x) || (161...172).contains(x) || (174...255).contains(x)
      let scalar = printable ? x : 256 + extra
      if !printable { extra += 1 }
      if x == b { return String(Character(Unicode.Scalar(UInt32(scalar)) ?? "?")) }
    }
    return "?"
  }

  static func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  /// A tokenizer.json with one token per byte (id = byte) plus he, ll, hell, hello.
  static func tinyFile(mergesAsStrings: Bool, pattern: String? = nil, normalizer: String = "null")
    throws -> String
  {
    var vocab = (0..<256).map { "\(jsonString(byteLevelCharacter($0))):\($0)" }
    vocab += ["\"he\":256", "\"ll\":257", "\"hell\":258", "\"hello\":259", "\"<|x|>\":300"]
    let pairs = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o")]
    let merges = pairs.map {
      mergesAsStrings ? jsonString("\($0.0) \($0.1)") : "[\(jsonString($0.0)),\(jsonString($0.1))]"
    }
    let regex =
      pattern
      ?? #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    let text = """
      {"version":"1.0","added_tokens":[{"id":300,"content":"<|x|>","single_word":false,"lstrip":false,\
      "rstrip":false,"normalized":false,"special":true}],"normalizer":\(normalizer),
      "pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":\(jsonString(regex))},\
      "behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,\
      "use_regex":false}]},
      "model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,\
      "end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"ignore_merges":false,
      "vocab":{\(vocab.joined(separator: ","))},"merges":[\(merges.joined(separator: ","))]}}
      """
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("tuneprep-tiny-\(UInt32.random(in: 0...UInt32.max)).json")
    try Data(text.utf8).write(to: url)
    return url.path
  }

  @Test(arguments: [true, false])
  func bothMergeForms(_ mergesAsStrings: Bool) throws {
    let path = try Self.tinyFile(mergesAsStrings: mergesAsStrings)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let t = try Tokenizer.load(tokenizerJSON: path)
    #expect(t.encode("hello") == [259])
    #expect(t.encode("hel") == [256, 108])
    #expect(t.encode(" hello hellx") == [32, 259, 32, 258, 120])
    #expect(t.encode("<|x|>hello") == [60, 124, 120, 124, 62, 259])
    #expect(t.encode("<|x|>hello", allowSpecial: true) == [300, 259])
    #expect(t.decode([32, 259, 300]) == Array(" hello<|x|>".utf8))
  }

  @Test func unsupportedPatternIsAClearError() throws {
    let path = try Self.tinyFile(mergesAsStrings: true, pattern: #"\w+|\s+"#)
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
      _ = try Tokenizer.load(tokenizerJSON: path)
      Issue.record("an unknown pattern loaded")
    } catch {
      #expect(error.description.contains("unsupported tokenizer.json"))
      #expect(error.description.contains(#"\w+|\s+"#))
    }
  }

  @Test func normalizerIsRefused() throws {
    let path = try Self.tinyFile(mergesAsStrings: true, normalizer: #"{"type":"NFC"}"#)
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(
      throws: TokenizerError.unsupportedTokenizer(
        path: path, reason: "a normalizer (only \"normalizer\": null is implemented)")
    ) {
      try Tokenizer.load(tokenizerJSON: path)
    }
  }
}
