extension Tokenizer {
  /// The `pre_tokenizer` split patterns this engine reproduces, by family.
  ///
  /// Anything else in a `tokenizer.json` is refused with
  /// ``TokenizerError/unsupportedTokenizer(path:reason:)``.
  static let knownSplitPatterns: [String: SplitPattern] = [
    // cl100k_base as exported by token_reference.py, and Llama 3 / 3.1 / 3.2 / 3.3.
    #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
      .cl100k(maxDigits: 3, trailingSpaceAlternative: false),
    // Qwen 2 / 2.5 / 3: single digits.
    #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
      .cl100k(maxDigits: 1, trailingSpaceAlternative: false),
    // r50k_base / p50k_base as exported, and GPT-2's ByteLevel regex.
    #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#: .gpt2,
    // o200k_base as exported.
    #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
      .o200k,
  ]

  /// Loads a Hugging Face `tokenizer.json` whose model is byte-level BPE (GPT-2, Llama 3,
  /// Qwen 2, Mistral-Nemo, and the files `token_reference.py export-hf` writes).
  ///
  /// Supported: `model.type` `BPE` with `vocab` and `merges` (`"a b"` strings or `["a", "b"]`
  /// pairs), `ignore_merges`; no `normalizer`; a `pre_tokenizer` that is a `Split` with one of
  /// the ``knownSplitPatterns`` (behavior `Isolated`) followed by `ByteLevel` with
  /// `use_regex: false`, or a lone `ByteLevel` with the GPT-2 regex; `added_tokens` without
  /// `lstrip`/`rstrip`/`single_word`. Added tokens marked `special` are matched in text only
  /// with `allowSpecial` (as `tokenizers` does for every added token); the others always.
  /// The post-processor (e.g. a BOS token) is not applied: counts are `add_special_tokens=False`.
  /// - Parameter path: the `tokenizer.json` file.
  /// - Throws: ``TokenizerError`` naming the first unsupported or malformed part.
  /// - Returns: the tokenizer.
  public static func load(tokenizerJSON path: String) throws(TokenizerError) -> Tokenizer {
    let bytes = try readFile(path)
    var parser = JSONParser()
    var doc = JSONDocument()
    do {
      try parser.parse(bytes, into: &doc)
    } catch {
      throw .malformedTokenizer(path: path, reason: error.message)
    }
    var reader = HFReader(doc: doc, path: path)
    return try reader.tokenizer(name: String(path.split(separator: "/").last ?? Substring(path)))
  }
}

/// Reads the parts of a parsed `tokenizer.json` the engine needs.
private struct HFReader {
  let doc: JSONDocument
  let path: String
  /// ByteLevel alphabet: scalar value → byte (or -1), GPT-2's `bytes_to_unicode` inverted.
  let unmap: [Int16] = {
    var table = [Int16](repeating: -1, count: 324)
    var extra = 0
    for b in 0..<256 {
      let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
      if printable {
        table[b] = Int16(b)
      } else {
        table[256 + extra] = Int16(b)
        extra += 1
      }
    }
    return table
  }()
  var scratch: [UInt8] = []

  init(doc: JSONDocument, path: String) {
    self.doc = doc
    self.path = path
  }

  func unsupported(_ reason: String) -> TokenizerError {
    .unsupportedTokenizer(path: path, reason: reason)
  }

  func malformed(_ reason: String) -> TokenizerError {
    .malformedTokenizer(path: path, reason: reason)
  }

  func member(_ object: Int, _ name: String) -> Int? {
    guard doc.kind(object) == .object else { return nil }
    for (key, value) in doc.members(object) where keyEquals(key, name) { return value }
    return nil
  }

  func keyEquals(_ key: Int, _ name: String) -> Bool {
    let range = doc.rawRange(key)
    return !doc.hasEscapes(key) && doc.bytes[range].elementsEqual(name.utf8)
  }

  /// The decoded UTF-8 bytes of string node `i`.
  func stringBytes(_ i: Int) -> [UInt8] {
    var out: [UInt8] = []
    doc.bytes.withUnsafeBufferPointer {
      appendDecodedJSONString(UnsafeBufferPointer(rebasing: $0[doc.rawRange(i)]), to: &out)
    }
    return out
  }

  func string(_ i: Int?) -> String? {
    guard let i, doc.kind(i) == .string else { return nil }
    return String(decoding: stringBytes(i), as: UTF8.self)
  }

  func bool(_ i: Int?) -> Bool? {
    guard let i else { return nil }
    switch doc.kind(i) {
    case .true: return true
    case .false: return false
    default: return nil
    }
  }

  func isNull(_ i: Int?) -> Bool { i == nil || doc.kind(i ?? 0) == .null }

  func integer(_ i: Int) -> Int? {
    guard doc.kind(i) == .number, doc.isIntegerLiteral(i) else { return nil }
    return Int(String(decoding: doc.bytes[doc.rawRange(i)], as: UTF8.self))
  }

  /// Maps a ByteLevel-alphabet string (UTF-8) back to raw bytes, appending to `out`.
  /// - Returns: `false` if a character is outside the alphabet.
  func unmapByteLevel(_ utf8: [UInt8], into out: inout [UInt8]) -> Bool {
    var ok = true
    for scalar in String(decoding: utf8, as: UTF8.self).unicodeScalars {
      let v = Int(scalar.value)
      guard v < unmap.count, unmap[v] >= 0 else {
        ok = false
        continue
      }
      out.append(UInt8(unmap[v]))
    }
    return ok
  }

  mutating func tokenizer(name: String) throws(TokenizerError) -> Tokenizer {
    let root = doc.root
    guard doc.kind(root) == .object, let model = member(root, "model") else {
      throw malformed("no \"model\" object")
    }
    guard string(member(model, "type")) ?? "BPE" == "BPE" else {
      throw unsupported("model type \(string(member(model, "type")) ?? "?") (only byte-level BPE)")
    }
    if !isNull(member(root, "normalizer")) {
      throw unsupported("a normalizer (only \"normalizer\": null is implemented)")
    }
    for option in ["continuing_subword_prefix", "end_of_word_suffix"] {
      if let s = string(member(model, option)), !s.isEmpty { throw unsupported("model.\(option)") }
    }
    if bool(member(model, "byte_fallback")) == true { throw unsupported("model.byte_fallback") }
    if let dropout = member(model, "dropout"), !isNull(dropout) {
      throw unsupported("model.dropout")
    }
    let ignoreMerges = bool(member(model, "ignore_merges")) ?? false
    let pattern = try splitPattern(member(root, "pre_tokenizer"))

    // vocab: ByteLevel string → id
    guard let vocab = member(model, "vocab"), doc.kind(vocab) == .object else {
      throw malformed("model.vocab is not an object")
    }
    var arena: [UInt8] = []
    var starts: [UInt32] = [0]
    var values: [UInt32] = []
    for (key, value) in doc.members(vocab) {
      guard let id = integer(value), id >= 0, id < Tokenizer.tokenIDLimit else {
        throw malformed(
          "vocab id of \((string(key) ?? "?").jsonQuoted) is \(doc.rawText(value).prefix(40)), "
            + "not an integer from 0 to \(Tokenizer.tokenIDLimit - 1)")
      }
      let mark = arena.count
      if unmapByteLevel(stringBytes(key), into: &arena) {
        starts.append(UInt32(arena.count))
        values.append(UInt32(id))
      } else {
        arena.removeSubrange(mark...)
      }
    }
    var duplicate: Int?
    let table = ByteStringTable(arena: arena, starts: starts, values: values, duplicate: &duplicate)
    if duplicate != nil { throw malformed("two vocab entries decode to the same bytes") }
    var byteIDs: [UInt32] = []
    for b in 0..<256 {
      guard let id = table.value(of: [UInt8(b)]) else {
        throw unsupported("vocab has no token for byte \(b) (not a byte-level BPE)")
      }
      byteIDs.append(id)
    }

    // merges
    var merges: [(left: UInt32, right: UInt32, merged: UInt32)] = []
    if let list = member(model, "merges") {
      guard doc.kind(list) == .array else { throw malformed("model.merges is not an array") }
      merges.reserveCapacity(doc.count(list))
      for element in doc.elements(list) {
        var left: [UInt8] = []
        var right: [UInt8] = []
        let ok: Bool
        switch doc.kind(element) {
        case .string:
          let s = stringBytes(element)
          guard let space = s.firstIndex(of: 0x20) else {
            throw malformed("merge \"\(String(decoding: s, as: UTF8.self))\" has no space")
          }
          ok =
            unmapByteLevel(Array(s[..<space]), into: &left)
            && unmapByteLevel(Array(s[(space + 1)...]), into: &right)
        case .array where doc.count(element) == 2:
          let parts = Array(doc.elements(element))
          guard doc.kind(parts[0]) == .string, doc.kind(parts[1]) == .string else {
            throw malformed("a merge pair is not two strings")
          }
          ok =
            unmapByteLevel(stringBytes(parts[0]), into: &left)
            && unmapByteLevel(stringBytes(parts[1]), into: &right)
        default:
          throw malformed("a merge is neither \"a b\" nor [\"a\", \"b\"]")
        }
        guard ok, let l = table.value(of: left), let r = table.value(of: right),
          let m = table.value(of: left + right)
        else {
          throw malformed("merge #\(merges.count) uses a token that is not in the vocab")
        }
        merges.append((l, r, m))
      }
    }

    // added tokens
    var specials: [Tokenizer.SpecialToken] = []
    var added: [Tokenizer.SpecialToken] = []
    if let list = member(root, "added_tokens"), doc.kind(list) == .array {
      for token in doc.elements(list) {
        guard let idNode = member(token, "id"), let content = member(token, "content"),
          doc.kind(content) == .string
        else { throw malformed("an added token lacks id or content") }
        guard let id = integer(idNode), id >= 0, id < Tokenizer.tokenIDLimit else {
          throw malformed(
            "added token \(string(content)?.jsonQuoted ?? "?") has id "
              + "\(doc.rawText(idNode).prefix(40)), not an integer from 0 to "
              + "\(Tokenizer.tokenIDLimit - 1)")
        }
        for option in ["lstrip", "rstrip", "single_word"] where bool(member(token, option)) == true
        {
          throw unsupported("added token option \(option)")
        }
        let entry = Tokenizer.SpecialToken(bytes: stringBytes(content), id: UInt32(id))
        guard !entry.bytes.isEmpty else { continue }
        if bool(member(token, "special")) ?? false {
          specials.append(entry)
        } else {
          added.append(entry)
        }
      }
    }
    return Tokenizer(
      name: name, vocabulary: table, merges: MergeTable(merges), ignoreMerges: ignoreMerges,
      pattern: pattern, specials: specials, addedTokens: added, byteIDs: byteIDs)
  }

  /// The split pattern of the `pre_tokenizer`.
  func splitPattern(_ node: Int?) throws(TokenizerError) -> SplitPattern {
    guard let node, !isNull(node) else {
      throw unsupported("no pre_tokenizer (a byte-level BPE needs a ByteLevel pre-tokenizer)")
    }
    let type = string(member(node, "type")) ?? ""
    var steps: [Int] = []
    if type == "Sequence" {
      guard let list = member(node, "pretokenizers"), doc.kind(list) == .array else {
        throw malformed("pre_tokenizer Sequence without pretokenizers")
      }
      steps = Array(doc.elements(list))
    } else {
      steps = [node]
    }
    var pattern: SplitPattern?
    var sawByteLevel = false
    for step in steps {
      switch string(member(step, "type")) ?? "" {
      case "Split":
        guard pattern == nil, !sawByteLevel else {
          throw unsupported("more than one split, or a split after ByteLevel")
        }
        guard string(member(step, "behavior")) == "Isolated", bool(member(step, "invert")) != true
        else { throw unsupported("Split behavior other than Isolated, or invert") }
        guard let regexNode = member(step, "pattern"),
          let regex = string(member(regexNode, "Regex"))
        else { throw unsupported("Split pattern that is not a Regex") }
        guard let known = Tokenizer.knownSplitPatterns[regex] else {
          throw unsupported(
            "pre-tokenizer regex \(regex) (supported: the GPT-2, cl100k/Llama 3, Qwen 2 and "
              + "o200k patterns)")
        }
        pattern = known
      case "ByteLevel":
        sawByteLevel = true
        if bool(member(step, "add_prefix_space")) == true {
          throw unsupported("ByteLevel add_prefix_space: true")
        }
        if bool(member(step, "use_regex")) ?? true {
          guard pattern == nil else { throw unsupported("ByteLevel use_regex after a Split") }
          pattern = .gpt2
        }
      default:
        throw unsupported("pre-tokenizer \(string(member(step, "type")) ?? "?")")
      }
    }
    guard sawByteLevel, let pattern else {
      throw unsupported("the pre_tokenizer has no ByteLevel step (not a byte-level BPE)")
    }
    return pattern
  }
}
