import Foundation
import Testing

@testable import TunePrep

/// The published tiktoken expectations and the reference counts of TOKENIZERS.md.
@Suite struct TokensExpectationsTests {
  /// tiktoken 0.14.0 `tests/test_encoding.py`, plus the o200k examples of TOKENIZERS.md.
  static let published: [(TokenEncoding, String, [Int])] = [
    (.r50kBase, "hello world", [31373, 995]),
    (.p50kBase, "hello world", [31373, 995]),
    (.cl100kBase, "hello world", [15339, 1917]),
    (.cl100kBase, " \u{85}0", [220, 126, 227, 15]),
    (.cl100kBase, "rer", [38149]),
    (.cl100kBase, "'rer", [2351, 81]),
    (.cl100kBase, "today\n ", [31213, 198, 220]),
    (.cl100kBase, "today\n \n", [31213, 27907]),
    (.cl100kBase, "today\n  \n", [31213, 14211]),
    (.cl100kBase, "👍", [9468, 239, 235]),
    (.r50kBase, "0", [15]),
    (.r50kBase, "00000000", [8269]),
    (.r50kBase, "000000000", [10535, 830]),
    (.r50kBase, "0000000000000000", [25645]),
    (.r50kBase, "00000000000000000", [8269, 10535, 830]),
    (.o200kBase, "hello world", [24912, 2375]),
    (.o200kBase, "Hello, world!", [13225, 11, 2375, 0]),
    (.cl100kBase, "Hello, world!", [9906, 11, 1917, 0]),
  ]

  @Test(arguments: 0..<published.count)
  func publishedIds(_ index: Int) throws {
    let (encoding, text, ids) = Self.published[index]
    #expect(try TokenFixtures.tokenizer(encoding).encode(text) == ids)
  }

  @Test func specialTokensWhenAllowed() throws {
    #expect(
      try TokenFixtures.tokenizer(.r50kBase).encode("hello <|endoftext|>", allowSpecial: true)
        == [31373, 220, 50256])
    #expect(
      try TokenFixtures.tokenizer(.cl100kBase).encode("hello <|endoftext|>", allowSpecial: true)
        == [15339, 220, 100257])
    let plain = try TokenFixtures.tokenizer(.cl100kBase).encode("hello <|endoftext|>")
    #expect(!plain.contains(100257))
  }

  /// The token counts of the ten tricky strings (TOKENIZERS.md, "Reference counts").
  static let tricky: [(String, [TokenEncoding: Int])] = [
    (
      "I'm sure you'll see they've said it's what we'd do, isn't it?",
      [.r50kBase: 20, .p50kBase: 20, .cl100kBase: 20, .o200kBase: 14]
    ),
    (
      "I'LL SAY IT: WE'VE WON, THEY'RE DONE, DON'T.",
      [.r50kBase: 22, .p50kBase: 22, .cl100kBase: 18, .o200kBase: 18]
    ),
    (
      "Pi is 3.14159265, 1,000,000 > 2^20; call 555-0199 on 2024-01-15 at 12:30.",
      [.r50kBase: 34, .p50kBase: 34, .cl100kBase: 41, .o200kBase: 41]
    ),
    (
      "def f(x):\n    if x:\n\t\treturn  x   \n\n\n    \r\n  end  ",
      [.r50kBase: 33, .p50kBase: 25, .cl100kBase: 18, .o200kBase: 18]
    ),
    (
      "naïve café résumé Ünïcödé vs cafe\u{301} re\u{301}sume\u{301}",
      [.r50kBase: 24, .p50kBase: 24, .cl100kBase: 21, .o200kBase: 16]
    ),
    (
      "👍🏽 👨\u{200d}👩\u{200d}👧\u{200d}👦 🇺🇸 ❤\u{fe0f} 🤖🚀✨ 1\u{fe0f}\u{20e3}",
      [.r50kBase: 41, .p50kBase: 41, .cl100kBase: 45, .o200kBase: 27]
    ),
    (
      "日本語のテキストと中文文本和한국어 텍스트。「引用」",
      [.r50kBase: 46, .p50kBase: 46, .cl100kBase: 25, .o200kBase: 18]
    ),
    (
      "Здравствуй, мир! Γειά σου Κόσμε! مرحبا بالعالم",
      [.r50kBase: 49, .p50kBase: 49, .cl100kBase: 32, .o200kBase: 20]
    ),
    (
      "a\u{a0}b\u{2003}c\u{0b}d\u{85}e\u{3000}f\u{2028}g\t \r\n\r\nh",
      [.r50kBase: 24, .p50kBase: 24, .cl100kBase: 19, .o200kBase: 17]
    ),
    (
      "<|endoftext|> x\u{200b}y \u{feff}z <|im_start|>user",
      [.r50kBase: 22, .p50kBase: 22, .cl100kBase: 18, .o200kBase: 19]
    ),
  ]

  @Test(arguments: 0..<tricky.count)
  func trickyCounts(_ index: Int) throws {
    let (text, counts) = Self.tricky[index]
    for (encoding, want) in counts {
      #expect(try TokenFixtures.tokenizer(encoding).count(text) == want, "\(encoding.rawValue)")
    }
  }

  /// Chat example C of TOKENIZERS.md under the cookbook rule: r50k 38, p50k 38, cl100k 37
  /// (= the cookbook's own function for gpt-4-0613), o200k 36 (= for gpt-4o-mini).
  @Test(arguments: [
    (TokenEncoding.r50kBase, 38), (.p50kBase, 38), (.cl100kBase, 37), (.o200kBase, 36),
  ])
  func chatExample(_ encoding: TokenEncoding, _ want: Int) throws {
    let messages: [(role: String, content: String, name: String?)] = [
      ("system", "You are a helpful assistant.", nil),
      ("user", "What's 2+2? Answer in one word.", "alice"),
      ("assistant", "Four.", nil),
    ]
    let tokenizer = try TokenFixtures.tokenizer(encoding)
    #expect(TokenCounter.count(messages: messages, tokenizer: tokenizer) == want)
  }

  @Test(arguments: [
    ("gpt-4o", TokenEncoding.o200kBase), ("gpt-4o-mini", .o200kBase),
    ("gpt-4o-mini-2024-07-18", .o200kBase), ("gpt-4.1-nano", .o200kBase), ("gpt-5", .o200kBase),
    ("gpt-5-mini", .o200kBase), ("o1", .o200kBase), ("o3-mini", .o200kBase),
    ("o4-mini", .o200kBase),
    ("ft:gpt-4o-mini-2024-07-18:acme::abc123", .o200kBase), ("chatgpt-4o-latest", .o200kBase),
    ("gpt-4", .cl100kBase), ("gpt-4-0613", .cl100kBase), ("gpt-4-turbo", .cl100kBase),
    ("gpt-3.5-turbo", .cl100kBase), ("gpt-3.5-turbo-0125", .cl100kBase),
    ("ft:gpt-3.5-turbo-0613:acme::x", .cl100kBase), ("davinci-002", .cl100kBase),
    ("babbage-002", .cl100kBase), ("ft:davinci-002:acme::x", .cl100kBase),
    ("text-embedding-3-small", .cl100kBase), ("text-davinci-003", .p50kBase),
    ("code-davinci-002", .p50kBase), ("davinci", .r50kBase), ("gpt2", .r50kBase),
    ("gpt-oss-120b", .o200kHarmony), ("gpt-oss-20b", .o200kHarmony),
    ("text-davinci-edit-001", .p50kEdit), ("code-davinci-edit-001", .p50kEdit),
  ])
  func modelNames(_ model: String, _ encoding: TokenEncoding) {
    #expect(TokenEncoding.forModel(model) == encoding)
  }

  /// The two encodings that only add special tokens: ids from tiktoken 0.14.0,
  /// `tiktoken.Encoding(**token_reference.encoding_params(name, vocab)).encode(text,
  /// allowed_special="all")`, and the plain-text counts with `disallowed_special=()`.
  @Test(arguments: [
    (
      TokenEncoding.o200kHarmony, "<|start|>assistant<|channel|>final<|message|>hi<|end|>",
      [200_006, 173_781, 200_005, 17196, 200_008, 3686, 200_007], 23
    ),
    (
      .o200kHarmony, "<|reserved_201087|><|endofprompt|><|reserved_200018|> <|call|>x",
      [201_087, 200_018, 200_018, 220, 200_012, 87], 27
    ),
    (
      .p50kEdit, "<|fim_prefix|>def f(<|fim_suffix|>)<|fim_middle|><|endoftext|>",
      [50281, 4299, 277, 7, 50283, 8, 50282, 50256], 34
    ),
  ])
  func specialTokenEncodings(_ encoding: TokenEncoding, _ text: String, _ ids: [Int], _ plain: Int)
    throws
  {
    let tokenizer = try Tokenizer.load(encoding)
    #expect(tokenizer.name == encoding.rawValue)
    #expect(tokenizer.encode(text, allowSpecial: true) == ids)
    #expect(tokenizer.count(text) == plain)
  }

  @Test func unknownModelAndEncoding() {
    #expect(TokenEncoding.forModel("claude-3-opus") == nil)
    #expect(throws: TokenizerError.unknownEncoding("o100k")) { try TokenEncoding(named: "o100k") }
    #expect((try? TokenEncoding(named: "gpt2")) == .r50kBase)
  }
}

/// Where vocabularies are looked for, and the error when they are missing.
@Suite struct TokensLocatorTests {
  @Test func explicitFolderWins() {
    let l = VocabularyLocator(
      vocabDir: "/v", environment: ["TUNEPREP_VOCAB_DIR": "/e"], executablePath: "/p/bin/tuneprep",
      currentDirectory: "/c")
    #expect(l.directories == ["/v"])
  }

  @Test func environmentBeforeDefaults() {
    let l = VocabularyLocator(
      environment: ["TUNEPREP_VOCAB_DIR": "/e"], executablePath: "/p/bin/tuneprep",
      currentDirectory: "/c")
    #expect(l.directories == ["/e"])
  }

  @Test func defaultsAreInstallPrefixThenWorkingFolder() {
    let l = VocabularyLocator(
      environment: [:], executablePath: "/usr/local/bin/tuneprep",
      currentDirectory: "/home/me/project")
    #expect(l.directories == ["/usr/local/share/tuneprep/vocab", "/home/me/project/vocab"])
  }

  @Test func missingVocabularyNamesTheFetchCommand() throws {
    let empty = FileManager.default.temporaryDirectory
      .appendingPathComponent("tuneprep-no-vocab-\(UInt32.random(in: 0...UInt32.max))").path
    let l = VocabularyLocator(directories: [empty])
    do {
      _ = try Tokenizer.load(.o200kBase, locator: l)
      Issue.record("loading from an empty folder succeeded")
    } catch {
      #expect(error.description.contains("make vocab"))
      #expect(error.description.contains(empty))
      #expect(error == .vocabularyMissing(encoding: "o200k_base", searched: [empty]))
    }
  }

  @Test func truncatedVocabularyIsRejected() throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("tuneprep-bad-vocab-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("r50k_base.tiktoken")
    try Data("IQ== 0\nIg== 1\n".utf8).write(to: file)
    #expect(throws: TokenizerError.self) { try Tokenizer.load(.r50kBase, tiktokenFile: file.path) }
    #expect(
      throws: TokenizerError.malformedVocabulary(
        path: file.path, line: 2, reason: "expected 'base64 rank'")
    ) {
      try Tokenizer.parseTiktoken(Array("IQ== 0\nnot-base64! 1\n".utf8), path: file.path)
    }
  }
}
