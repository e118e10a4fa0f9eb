/// The OpenAI byte-pair encodings the engine reproduces, with their split pattern, special
/// tokens and vocabulary file (see `shared/tools/TOKENIZERS.md`).
public enum TokenEncoding: String, CaseIterable, Sendable {
  /// gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1, o3, o4-mini and their fine-tunes.
  case o200kBase = "o200k_base"
  /// gpt-4, gpt-3.5-turbo, davinci-002, babbage-002, text-embedding-3-*.
  case cl100kBase = "cl100k_base"
  /// text-davinci-002/003 and the Codex models.
  case p50kBase = "p50k_base"
  /// GPT-2 and the GPT-3 base models.
  case r50kBase = "r50k_base"
  /// gpt-oss: o200k_base's ranks and split with the harmony chat format's special tokens.
  case o200kHarmony = "o200k_harmony"
  /// The (deprecated) edit models: p50k_base's ranks with three fill-in-the-middle tokens.
  case p50kEdit = "p50k_edit"

  /// The encoding whose vocabulary file this one reads (itself, but for the two that only
  /// add special tokens).
  var vocabularyEncoding: TokenEncoding {
    switch self {
    case .o200kHarmony: .o200kBase
    case .p50kEdit: .p50kBase
    default: self
    }
  }

  /// The vocabulary file name, `<name>.tiktoken` (o200k_harmony reads o200k_base's, p50k_edit
  /// p50k_base's, as tiktoken does).
  public var fileName: String { vocabularyEncoding.rawValue + ".tiktoken" }

  /// The sha256 of the vocabulary file (tiktoken's `expected_hash`, listed in
  /// `shared/tools/TOKENIZERS.md`), checked on every load as tiktoken checks it.
  var sha256: String { Self.vocabularySHA256[fileName] ?? "" }

  /// The sha256 of each vocabulary file, by file name.
  ///
  /// `scripts/fetch-vocab.sh` reads the hashes from these lines, so the download and the check
  /// cannot disagree: keep one `"<file>": "<hash>",` per line.
  static let vocabularySHA256: [String: String] = [
    "o200k_base.tiktoken": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base.tiktoken": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "p50k_base.tiktoken": "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    "r50k_base.tiktoken": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
  ]

  /// The number of ranks in the vocabulary file (a check against truncated downloads).
  var rankCount: Int {
    switch vocabularyEncoding {
    case .o200kBase: 199_998
    case .cl100kBase: 100_256
    case .p50kBase: 50_280
    case .r50kBase: 50_256
    case .o200kHarmony, .p50kEdit: 0
    }
  }

  /// The pre-tokenizer pattern (`pat_str`).
  var pattern: SplitPattern {
    switch self {
    case .o200kBase, .o200kHarmony: .o200k
    case .cl100kBase: .cl100k(maxDigits: 3, trailingSpaceAlternative: true)
    case .p50kBase, .r50kBase, .p50kEdit: .gpt2
    }
  }

  /// The special tokens and their ids.
  var specialTokens: [(text: String, id: Int)] {
    switch self {
    case .o200kBase: [("<|endoftext|>", 199_999), ("<|endofprompt|>", 200_018)]
    case .cl100kBase:
      [
        ("<|endoftext|>", 100_257), ("<|fim_prefix|>", 100_258), ("<|fim_middle|>", 100_259),
        ("<|fim_suffix|>", 100_260), ("<|endofprompt|>", 100_276),
      ]
    case .p50kBase, .r50kBase: [("<|endoftext|>", 50_256)]
    case .p50kEdit:
      [
        ("<|endoftext|>", 50_256), ("<|fim_prefix|>", 50_281), ("<|fim_middle|>", 50_282),
        ("<|fim_suffix|>", 50_283),
      ]
    case .o200kHarmony:
      // tiktoken_ext/openai_public.py o200k_harmony(): o200k_base's, then these, then
      // <|reserved_200013|> to <|reserved_201087|> (200018 is also <|endofprompt|>).
      [
        ("<|endofprompt|>", 200_018), ("<|startoftext|>", 199_998), ("<|endoftext|>", 199_999),
        ("<|reserved_200000|>", 200_000), ("<|reserved_200001|>", 200_001),
        ("<|return|>", 200_002), ("<|constrain|>", 200_003), ("<|reserved_200004|>", 200_004),
        ("<|channel|>", 200_005), ("<|start|>", 200_006), ("<|end|>", 200_007),
        ("<|message|>", 200_008), ("<|reserved_200009|>", 200_009),
        ("<|reserved_200010|>", 200_010), ("<|reserved_200011|>", 200_011),
        ("<|call|>", 200_012),
      ] + (200_013..<201_088).map { ("<|reserved_\($0)|>", $0) }
    }
  }

  /// Parses an encoding name (`o200k_base`, `cl100k_base`, `p50k_base`, `r50k_base`, `gpt2`).
  /// - Parameter name: the name.
  /// - Throws: ``TokenizerError/unknownEncoding(_:)``.
  public init(named name: String) throws(TokenizerError) {
    if name == "gpt2" {
      self = .r50kBase
      return
    }
    guard let encoding = TokenEncoding(rawValue: name) else { throw .unknownEncoding(name) }
    self = encoding
  }

  /// The encoding a model name uses, following tiktoken's model table; `ft:BASE:...` fine-tune
  /// names use their base model's encoding, and dated snapshots their family's.
  ///
  /// `gpt-oss-*` maps to o200k_harmony and the edit models to p50k_edit, as in tiktoken; they
  /// differ from o200k_base and p50k_base only in special tokens, which count as text unless
  /// allowed.
  /// - Parameter model: a model name such as `gpt-4o-mini` or `ft:gpt-4o-2024-08-06:org::id`.
  /// - Returns: the encoding, or `nil` for an unknown model.
  public static func forModel(_ model: String) -> TokenEncoding? {
    var name = model.lowercased()
    if name.hasPrefix("ft:") {
      name = String(name.dropFirst(3).prefix { $0 != ":" })
    }
    if let exact = exactModels[name] { return exact }
    for (prefix, encoding) in modelPrefixes where name.hasPrefix(prefix) {
      return encoding
    }
    return nil
  }

  private static let exactModels: [String: TokenEncoding] = [
    "o1": .o200kBase, "o3": .o200kBase, "o4-mini": .o200kBase, "gpt-5": .o200kBase,
    "gpt-4.1": .o200kBase, "gpt-4o": .o200kBase, "gpt-4.5": .o200kBase,
    "gpt-4": .cl100kBase, "gpt-3.5-turbo": .cl100kBase, "gpt-3.5": .cl100kBase,
    "gpt-35-turbo": .cl100kBase, "davinci-002": .cl100kBase, "babbage-002": .cl100kBase,
    "text-embedding-ada-002": .cl100kBase, "text-embedding-3-small": .cl100kBase,
    "text-embedding-3-large": .cl100kBase,
    "text-davinci-003": .p50kBase, "text-davinci-002": .p50kBase, "code-davinci-002": .p50kBase,
    "code-davinci-001": .p50kBase, "code-cushman-002": .p50kBase, "code-cushman-001": .p50kBase,
    "davinci-codex": .p50kBase, "cushman-codex": .p50kBase, "text-davinci-edit-001": .p50kEdit,
    "code-davinci-edit-001": .p50kEdit,
    "text-davinci-001": .r50kBase, "text-curie-001": .r50kBase, "text-babbage-001": .r50kBase,
    "text-ada-001": .r50kBase, "davinci": .r50kBase, "curie": .r50kBase, "babbage": .r50kBase,
    "ada": .r50kBase, "gpt2": .r50kBase, "gpt-2": .r50kBase,
  ]

  /// Checked in order, so the more specific prefixes come first.
  private static let modelPrefixes: [(String, TokenEncoding)] = [
    ("gpt-4o", .o200kBase), ("chatgpt-4o", .o200kBase), ("gpt-4.1", .o200kBase),
    ("gpt-4.5", .o200kBase), ("gpt-5", .o200kBase), ("gpt-oss-", .o200kHarmony),
    ("o1-", .o200kBase),
    ("o3-", .o200kBase), ("o4-", .o200kBase),
    ("gpt-4", .cl100kBase), ("gpt-3.5-turbo", .cl100kBase), ("gpt-35-turbo", .cl100kBase),
    ("text-embedding-3-", .cl100kBase),
    ("text-similarity-", .r50kBase), ("text-search-", .r50kBase), ("code-search-", .r50kBase),
  ]
}
