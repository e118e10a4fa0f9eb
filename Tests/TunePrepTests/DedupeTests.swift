import Foundation
import Testing

@testable import TunePrep

@Suite struct DedupeHashTests {
  func hash(_ s: String) -> Hash128 {
    Array(s.utf8).withUnsafeBytes { StableHash.hash128($0) }
  }

  @Test func isStableAcrossRuns() {
    // Pinned values: a change here changes which records every existing run keeps.
    #expect(hash("") == Hash128(high: 0x70E0_B420_33AA_1CB4, low: 0x447C_3CAC_9D9F_9A73))
    #expect(hash("hello") == hash("hello"))
  }

  @Test(arguments: [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 100])
  func everyByteMatters(length: Int) {
    let base = String(repeating: "a", count: length)
    var seen: Set<Hash128> = [hash(base)]
    for i in 0..<length {
      var bytes = Array(base.utf8)
      bytes[i] = UInt8(ascii: "b")
      seen.insert(bytes.withUnsafeBytes { StableHash.hash128($0) })
    }
    seen.insert(hash(base + "\0"))
    #expect(seen.count == length + 2)
  }

  /// The hash as first written: one 16-byte step per turn, the tail shifted in byte by byte.
  static func reference(_ bytes: [UInt8]) -> Hash128 {
    var a: UInt64 = 0x243F_6A88_85A3_08D3
    var b: UInt64 = 0x1319_8A2E_0370_7344
    func word(_ i: Int) -> UInt64 {
      (0..<8).reduce(0) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) }
    }
    var i = 0
    while i + 16 <= bytes.count {
      let x = word(i)
      let y = word(i + 8)
      a = StableHash.fold(a ^ x, y ^ 0xA409_3822_299F_31D0)
      b = StableHash.fold(b ^ y, x ^ 0x082E_FA98_EC4E_6C89)
      i += 16
    }
    var x: UInt64 = 0
    var y: UInt64 = 0
    for (k, byte) in bytes[i...].enumerated() {
      if k < 8 {
        x |= UInt64(byte) << (8 * UInt64(k))
      } else {
        y |= UInt64(byte) << (8 * UInt64(k - 8))
      }
    }
    let n = UInt64(bytes.count)
    a = StableHash.fold(a ^ x, y ^ 0x4528_21E6_38D0_1377 ^ n)
    b = StableHash.fold(b ^ y, x ^ 0xBE54_66CF_34E9_0C6C ^ n)
    let high = StableHash.avalanche(a &+ StableHash.rotate(b, 23))
    let low = StableHash.avalanche(b ^ StableHash.rotate(high, 41))
    return Hash128(high: high, low: low)
  }

  /// Every length up to 100 (each way through the two-step loop, the odd step and the tail),
  /// at every alignment in a larger buffer.
  @Test func matchesTheReferenceAtEveryLengthAndAlignment() {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let buffer: [UInt8] = (0..<128).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 56)
    }
    for length in 0...100 {
      for offset in 0..<8 {
        let bytes = Array(buffer[offset..<(offset + length)])
        let got = buffer.withUnsafeBytes {
          StableHash.hash128(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)]))
        }
        #expect(got == Self.reference(bytes), "length \(length), offset \(offset)")
      }
    }
  }
}

@Suite struct TextNormalizerTests {
  func normalized(_ s: String, _ mode: TextNormalization) -> String {
    var out: [UInt8] = []
    Array(s.utf8).withUnsafeBufferPointer { TextNormalizer(mode: mode).append($0, to: &out) }
    return String(decoding: out, as: UTF8.self)
  }

  @Test(arguments: [
    ("  Hello\t\tWORLD \n", TextNormalization.text, "hello world"),
    ("  Hello\t\tWORLD \n", .whitespace, "Hello WORLD"),
    ("  Hello\t\tWORLD \n", .none, "  Hello\t\tWORLD \n"),
    ("Cafe\u{301}", .text, "caf\u{E9}"),
    ("CAF\u{C9}  au   LAIT", .text, "caf\u{E9} au lait"),
    ("STRASSE", .text, "strasse"),
    ("Stra\u{DF}e", .text, "strasse"),
    ("\u{3A3}\u{39F}\u{3A6}\u{39F}\u{3A3}", .text, "\u{3C3}\u{3BF}\u{3C6}\u{3BF}\u{3C3}"),
    ("\u{3C3}\u{3BF}\u{3C6}\u{3BF}\u{3C2}", .text, "\u{3C3}\u{3BF}\u{3C6}\u{3BF}\u{3C3}"),
    ("a\u{A0}\u{2003}b", .text, "a b"),
    ("\u{65E5}\u{672C} \u{1F600}", .text, "\u{65E5}\u{672C} \u{1F600}"),
    ("\u{212B}", .text, "\u{E5}"),
    // Unicode White_Space is spacing in both modes (QA round 3, defect 9).
    ("a\u{A0}\u{2003}b", .whitespace, "a b"),
    ("\u{3000}A\u{2028}\u{2029}B\u{85}\u{1680}", .whitespace, "A B"),
    ("x\u{202F}\u{205F}\u{2000}\u{200A}Caf\u{C9}", .whitespace, "x Caf\u{C9}"),
    ("\u{85}a\u{1680}b\u{202F}", .text, "a b"),
    // Not White_Space: zero width space, word joiner, a C1 control other than U+0085.
    ("a\u{200B}b\u{2060}c\u{86}", .whitespace, "a\u{200B}b\u{2060}c\u{86}"),
    // Control characters are kept, escaped (ESC, then the byte + 0x40).
    ("code \u{1} x", .whitespace, "code \u{1B}A x"),
    ("Code \u{2}\u{0}\u{1B} X", .text, "code \u{1B}B\u{1B}@\u{1B}[ x"),
    ("\u{1}\u{C9}t\u{E9} \u{1F}", .text, "\u{1B}A\u{E9}t\u{E9} \u{1B}_"),
    ("e\u{301}\u{7}", .text, "\u{E9}\u{1B}G"),
    ("\u{E9}\u{7}  \u{3000}\u{8}", .whitespace, "\u{E9}\u{1B}G \u{1B}H"),
  ])
  func normalizes(input: String, mode: TextNormalization, expected: String) {
    #expect(Array(normalized(input, mode).utf8) == Array(expected.utf8))
  }

  /// The one whitespace definition of both modes is Unicode's White_Space, for every scalar.
  @Test func whiteSpaceIsTheUnicodeProperty() {
    for v in UInt32(0)...0x10FFFF {
      guard let scalar = Unicode.Scalar(v) else { continue }
      #expect(isWhiteSpace(v) == scalar.properties.isWhitespace, "U+\(String(v, radix: 16))")
    }
  }

  /// Texts that differ only in a control character (C0 or C1, not White_Space) never normalize
  /// to the same bytes, in either mode; before, every C0 control became the same byte.
  @Test(arguments: [TextNormalization.text, .whitespace])
  func controlCharactersStayDistinct(mode: TextNormalization) {
    var seen: [String: UInt32] = [:]
    let controls = (UInt32(0)...0x1F).filter { !isWhiteSpace($0) } + [0x7F, 0x80, 0x86, 0x9F]
    for v in controls {
      let text = "code \(Character(Unicode.Scalar(v)!)) x"
      let key = normalized(text, mode)
      #expect(
        seen[key] == nil, "U+\(String(v, radix: 16)) equals U+\(String(seen[key] ?? 0, radix: 16))")
      seen[key] = v
      #expect(!key.utf8.contains { $0 < 0x20 && $0 != 0x1B }, "U+\(String(v, radix: 16))")
    }
    #expect(normalized("code  x", mode) != normalized("code \u{1} x", mode))
  }
}

extension TextNormalizerTests {
  /// The word-at-a-time path against a plain reference, on seeded random ASCII.
  @Test(arguments: [TextNormalization.text, .whitespace])
  func fastPathMatchesReference(mode: TextNormalization) {
    let alphabet = Array("abcXYZ  \t\n\u{1}.,AZaz@[`{".utf8)
    var state: UInt64 = 0x1234_5678
    for length in 0..<200 {
      var bytes: [UInt8] = []
      for _ in 0..<length {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        bytes.append(alphabet[Int(state >> 33) % alphabet.count])
      }
      var expected: [UInt8] = []
      var pending = false
      for b in bytes {
        if b == 0x20 || (b >= 0x09 && b <= 0x0D) {
          pending = !expected.isEmpty
          continue
        }
        if pending { expected.append(0x20) }
        pending = false
        let folded = mode == .text && b >= 0x41 && b <= 0x5A ? b | 0x20 : b
        expected.append(contentsOf: folded < 0x20 ? [0x1B, folded + 0x40] : [folded])
      }
      var out: [UInt8] = [0x41]
      bytes.withUnsafeBufferPointer { TextNormalizer(mode: mode).append($0, to: &out) }
      #expect(Array(out.dropFirst()) == expected, "input \(bytes)")
    }
  }
}

@Suite struct NearDuplicateMachineryTests {
  @Test func parsesShingling() {
    #expect(Shingling(argument: "words:5") == .words(5))
    #expect(Shingling(argument: "chars:3") == .chars(3))
    #expect(Shingling(argument: "chars:0") == nil)
    #expect(Shingling(argument: "bytes:3") == nil)
    #expect(Shingling(argument: "words") == nil)
  }

  @Test(arguments: [0.5, 0.7, 0.8, 0.9, 0.95])
  func bandingCatchesPairsBelowTheThreshold(threshold: Double) {
    let banding = LSHBanding(threshold: threshold)
    #expect(banding.rows * banding.bands <= MinHash.size)
    #expect(banding.probability(threshold - 0.05) >= 0.995)
    #expect(banding.probability(threshold) >= 0.999)
  }

  func words(_ n: Int, seed: Int) -> [String] {
    (0..<n).map { "w\(($0 &* 2_654_435_761 &+ seed) % 100_000)" }
  }

  func signatureAndSet(_ text: String) -> ([UInt16], [UInt64]) {
    var keyer = RecordKeyer(key: .conversation, normalization: .text, shingling: .standard)
    var example = Example()
    let content = example.own(text)
    example.turns = [Turn(role: .user, content: content, node: -1)]
    _ = keyer.build(example: example, document: JSONDocument())
    var signature = [UInt16](repeating: 0, count: MinHash.size)
    let signed = signature.withUnsafeMutableBufferPointer { keyer.signature(into: $0) }
    #expect(signed)
    var set: [UInt64] = []
    keyer.shingleSet(into: &set)
    return (signature, set)
  }

  @Test(arguments: [40, 200, 1000])
  func signaturesEstimateJaccard(length: Int) {
    let a = words(length, seed: 1)
    var b = a
    for i in stride(from: 0, to: length, by: 25) { b[i] = "changed\(i)" }
    let (sa, setA) = signatureAndSet(a.joined(separator: " "))
    let (sb, setB) = signatureAndSet(b.joined(separator: " "))
    let exact = jaccard(setA, setB)
    let estimate = sa.withUnsafeBufferPointer { pa in
      sb.withUnsafeBufferPointer { pb in MinHash.similarity(pa, pb) }
    }
    #expect(abs(estimate - exact) < 0.15, "estimate \(estimate), exact \(exact)")
    let (sc, _) = signatureAndSet(words(length, seed: 7).joined(separator: " "))
    let unrelated = sa.withUnsafeBufferPointer { pa in
      sc.withUnsafeBufferPointer { pc in MinHash.similarity(pa, pc) }
    }
    #expect(unrelated < 0.1)
  }

  /// The word-at-a-time count agrees with a bin-by-bin one, including bins that differ only
  /// in their top or bottom bit and values next to the lanes' carry boundary.
  @Test func equalBinsCountsEveryBin() {
    var state: UInt64 = 5
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 17
    }
    let tricky: [UInt16] = [0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFE, 0xFFFF]
    for round in 0..<500 {
      let a = (0..<MinHash.size).map { _ in
        next() % 3 == 0 ? tricky[Int(next() % 7)] : UInt16(truncatingIfNeeded: next())
      }
      var b = a
      for i in b.indices where next() % 8 < UInt64(round % 9) {
        switch next() % 4 {
        case 0: b[i] ^= 0x8000
        case 1: b[i] ^= 1
        case 2: b[i] = tricky[Int(next() % 7)]
        default: b[i] = UInt16(truncatingIfNeeded: next())
        }
      }
      let expected = zip(a, b).filter { $0 == $1 }.count
      let counted = a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in MinHash.equalBins(pa, pb) }
      }
      #expect(counted == expected, "round \(round)")
    }
  }

  @Test func exactJaccard() {
    #expect(jaccard([1, 2, 3], [2, 3, 4]) == 0.5)
    #expect(jaccard([], []) == 1)
    #expect(jaccard([1], []) == 0)
  }

  @Test func unionFindRootIsTheSmallestIndex() {
    var sets = UnionFind(count: 6)
    sets.union(5, 3)
    sets.union(3, 4)
    sets.union(1, 2)
    #expect(sets.find(5) == 3)
    #expect(sets.find(4) == 3)
    #expect(sets.find(2) == 1)
    #expect(sets.find(0) == 0)
  }

  @Test func formatsSimilarities() {
    #expect(formatSimilarity(1) == "1")
    #expect(formatSimilarity(0.9) == "0.9")
    #expect(formatSimilarity(0.87314) == "0.8731")
    #expect(formatSimilarity(0.05) == "0.05")
  }
}

/// The shingler's word-at-a-time token loop and its bucket sort against plain references:
/// every shingle hash and every set must stay as the first versions made them, since signatures
/// and sets decide which records a run drops.
@Suite struct ShinglerTests {
  /// Word shingles as first written: each token's bytes shifted in one at a time.
  static func referenceWordShingles(_ key: [UInt8], _ n: Int) -> [UInt64] {
    var roller = ReferenceRoller(n)
    var out: [UInt64] = []
    var tokens = 0
    var i = 0
    while i < key.count {
      while i < key.count && key[i] < 0x21 { i += 1 }
      if i == key.count { break }
      var h: UInt64 = 0x243F_6A88_85A3_08D3
      var word: UInt64 = 0
      var shift: UInt64 = 0
      while i < key.count && key[i] >= 0x21 {
        word |= UInt64(key[i]) << shift
        shift += 8
        i += 1
        if shift == 64 {
          h = StableHash.fold(h ^ word, 0x9E37_79B9_7F4A_7C15)
          word = 0
          shift = 0
        }
      }
      h = StableHash.fold(h ^ word ^ shift, 0xA409_3822_299F_31D0)
      roller.push(h)
      tokens += 1
      if tokens >= n { out.append(StableHash.avalanche(roller.value)) }
    }
    if tokens > 0 && tokens < n {
      out.append(StableHash.avalanche(roller.value ^ UInt64(tokens)))
    }
    return out
  }

  /// Character shingles, worked out independently of the shingler's loop: first the list of
  /// items (a scalar is its UTF-8 lead byte and the continuation bytes after it, read as one
  /// big-endian number; a run of separators after a scalar is one space), then the windows.
  static func referenceCharShingles(_ key: [UInt8], _ n: Int) -> [UInt64] {
    var items: [UInt64] = []
    var previous: UInt8?
    // A run of separators between two words is one space; before the first word or after
    // the last one it is nothing.
    var space = false
    for byte in key {
      defer { previous = byte }
      if byte < 0x21 {
        space = !items.isEmpty
      } else if byte & 0xC0 == 0x80, let last = previous, last >= 0x21 {
        items[items.count - 1] = items[items.count - 1] << 8 | UInt64(byte)
      } else {
        if space { items.append(0x20) }
        space = false
        items.append(UInt64(byte))
      }
    }
    var roller = ReferenceRoller(n)
    var out: [UInt64] = []
    for (k, item) in items.enumerated() {
      roller.push(StableHash.avalanche(item &+ 0x9E37_79B9_7F4A_7C15))
      if k + 1 >= n { out.append(StableHash.avalanche(roller.value)) }
    }
    if !items.isEmpty && items.count < n {
      out.append(StableHash.avalanche(roller.value ^ UInt64(items.count)))
    }
    return out
  }

  /// The rolling hash written out as a sum: value = Σ item_k · base^(age of item k).
  struct ReferenceRoller {
    let n: Int
    var items: [UInt64] = []
    var value: UInt64 {
      items.reduce(0) { $0 &* 0x9FB2_1C65_1E98_DF25 &+ $1 }
    }
    init(_ n: Int) { self.n = n }
    mutating func push(_ item: UInt64) {
      items.append(item)
      if items.count > n { items.removeFirst() }
    }
  }

  /// What the shingler makes of `buffer[offset..<offset+length]`; the bytes after the slice
  /// stay in the buffer, so reading past its end would change the result.
  static func shingles(
    _ shingling: Shingling, _ buffer: [UInt8], offset: Int, length: Int
  ) -> (hashes: [UInt64], count: Int) {
    var hashes: [UInt64] = []
    let count = buffer.withUnsafeBufferPointer { b in
      let key = UnsafeBufferPointer(rebasing: b[offset..<(offset + length)])
      return Shingler(shingling).forEachShingle(key) { hashes.append($0) }
    }
    return (hashes, count)
  }

  /// Seeded random key bytes: separators (0x00–0x20), ASCII and UTF-8 bytes, mostly letters
  /// in tokens of every length, some exactly 8 and 16 bytes long.
  static func randomBuffer(_ length: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    var bytes: [UInt8] = []
    while bytes.count < length {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let r = Int(state >> 33)
      switch r % 16 {
      case 0: bytes.append(contentsOf: Array("abcdefgh".utf8))
      case 1: bytes.append(contentsOf: Array("ijklmnopqrstuvwx".utf8))
      case 2: bytes.append(contentsOf: Array("caf\u{E9} \u{65E5}\u{672C}".utf8))
      case 3: bytes.append(UInt8(truncatingIfNeeded: (r >> 8) % 0x21))
      case 4: bytes.append(UInt8(truncatingIfNeeded: 0x80 + (r >> 8) % 0x80))
      case 5: bytes.append(UInt8(truncatingIfNeeded: 0x21 + (r >> 8) % 0x5F))
      case 6: bytes.append(contentsOf: [0x20, 0x20, 0x0A])
      case 7, 8, 9: bytes.append(0x20)
      default: bytes.append(UInt8(ascii: "a") + UInt8((r >> 8) % 26))
      }
    }
    return Array(bytes.prefix(length))
  }

  @Test(arguments: [1, 2, 5])
  func wordShinglesMatchTheByteAtATimeReference(n: Int) {
    var checked = 0
    for seed in UInt64(1)...40 {
      let buffer = Self.randomBuffer(64, seed: seed &* 0x9E37_79B9_7F4A_7C15)
      for length in 0...40 {
        for offset in 0..<8 {
          let key = Array(buffer[offset..<(offset + length)])
          let expected = Self.referenceWordShingles(key, n)
          let got = Self.shingles(.words(n), buffer, offset: offset, length: length)
          #expect(
            got.hashes == expected, "seed \(seed), length \(length), offset \(offset): \(key)")
          #expect(got.count == expected.count)
          checked += expected.count
        }
      }
    }
    #expect(checked > 10_000)
  }

  /// Tokens that end exactly on an 8-byte boundary, at the key's end or before a separator.
  @Test(arguments: [1, 2, 5])
  func wordShinglesOfWholeWords(n: Int) {
    let texts = [
      "abcdefgh", "abcdefgh ", "ijklmnopqrstuvwx", "ijklmnopqrstuvwx\u{1}", "abcdefg",
      "abcdefghi",
      " abcdefgh ijklmnopqrstuvwx abcdefgh\tabcdefghijklmnopqrstuvw",
      "\u{E9}\u{E9}\u{E9}\u{E9} \u{65E5}\u{672C}\u{8A9E}\u{65E5}", "   ", "",
    ]
    for text in texts {
      let key = Array(text.utf8)
      let got = Self.shingles(.words(n), key, offset: 0, length: key.count)
      #expect(got.hashes == Self.referenceWordShingles(key, n), "\(text.debugDescription)")
    }
  }

  @Test(arguments: [1, 3, 5])
  func charShinglesMatchTheReference(n: Int) {
    for seed in UInt64(1)...10 {
      let buffer = Self.randomBuffer(64, seed: seed)
      for length in 0...40 {
        let key = Array(buffer[3..<(3 + length)])
        let got = Self.shingles(.chars(n), buffer, offset: 3, length: length)
        #expect(got.hashes == Self.referenceCharShingles(key, n), "seed \(seed), length \(length)")
      }
    }
  }

  /// Sizes around every bucket-count step, values with repeats, values that share their top
  /// bits (one big bucket, the fallback sort) and a set big enough for the largest bucket count.
  @Test func sortDistinctMatchesSetThenSort() {
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return StableHash.avalanche(state)
    }
    var cases: [[UInt64]] = []
    for size in Array(0...70) + [127, 128, 129, 255, 256, 257, 500, 1000, 4097] {
      let values = (0..<size).map { _ in next() }
      cases.append(values)
      // Repeats: every value drawn from a pool a third of the size.
      let pool = values.prefix(max(1, size / 3))
      cases.append((0..<size).map { _ in pool[Int(next() % UInt64(pool.count))] })
      // All in the lowest bucket.
      cases.append(values.map { $0 >> 20 })
    }
    cases.append([UInt64](repeating: 42, count: 300))
    cases.append([0, UInt64.max, 0, UInt64.max, 1 << 63, (1 << 63) - 1])
    cases.append((0..<300_000).map { _ in next() })
    for values in cases {
      var sorted = values
      var scratch = [UInt64](repeating: 0, count: values.count)
      let distinct = sorted.withUnsafeMutableBufferPointer { v in
        scratch.withUnsafeMutableBufferPointer { Shingler.sortDistinct(v, scratch: $0) }
      }
      let expected = Set(values).sorted()
      #expect(Array(sorted.prefix(distinct)) == expected, "\(values.count) values")
    }
  }

  @Test(arguments: [Shingling.words(1), .words(2), .words(5), .chars(3)])
  func shingleSetIsTheSortedDistinctShingles(shingling: Shingling) {
    var shingler = Shingler(shingling)
    var set: [UInt64] = [7, 7, 7]
    for seed in UInt64(1)...20 {
      // A small vocabulary, so that shingles repeat.
      let vocabulary = ["a", "b", "cc", "abcdefgh", "\u{E9}"]
      let words = (0..<Int(seed) * 30).map { k in vocabulary[(k * k + Int(seed)) % 5] }
      let key = Array(words.joined(separator: " ").utf8)
      var all: [UInt64] = []
      key.withUnsafeBufferPointer { k in
        shingler.forEachShingle(k) { all.append($0) }
        shingler.shingleSet(k, into: &set)
      }
      #expect(set == Set(all).sorted(), "seed \(seed)")
    }
  }

  /// The shingle set of an example of three turns (the answer's weight given), keyed as dedupe
  /// keys it or, with `apart` false, as split does.
  func shingles(answerWeight: Int?, apart: Bool, _ shingling: Shingling) -> [UInt64] {
    var keyer = RecordKeyer(
      key: .conversation, normalization: .text, shingling: shingling, weightZeroApart: apart)
    var example = Example()
    let texts = ["a b c d e f", "g h i", "j k"]
    for (k, role) in [Role.user, .assistant, .user].enumerated() {
      var turn = Turn(role: role, content: example.own(texts[k]), node: -1)
      if role == .assistant { turn.weight = answerWeight }
      example.turns.append(turn)
    }
    _ = keyer.build(example: example, document: JSONDocument())
    var set: [UInt64] = []
    keyer.shingleSet(into: &set)
    return set
  }

  /// The words of a weight-0 answer are shingled apart from the same words trained (3 of 11
  /// words, so 8 of 14 single words are shared); without one, the shingles are the same as
  /// split's, which ignores weights.
  @Test(arguments: [Shingling.words(1), .words(5), .chars(3)])
  func weightZeroWordsAreOtherWords(shingling: Shingling) {
    let trained = shingles(answerWeight: nil, apart: true, shingling)
    let context = shingles(answerWeight: 0, apart: true, shingling)
    #expect(trained == shingles(answerWeight: nil, apart: false, shingling))
    #expect(trained == shingles(answerWeight: 1, apart: true, shingling))
    #expect(context == shingles(answerWeight: 0, apart: true, shingling))
    #expect(shingles(answerWeight: 0, apart: false, shingling) == trained)
    #expect(jaccard(trained, context) < 1)
    if shingling == .words(1) { #expect(jaccard(trained, context) == 8.0 / 14.0) }
  }
}

/// The library entry point on small inputs, with tiny blocks so records cross block edges.
@Suite struct DeduplicatorTests {
  static let records = [
    #"{"messages":[{"role":"user","content":"Hello there"},{"role":"assistant","content":"Hi!"}]}"#,
    #"{"messages": [{"role": "user", "content": "hello   THERE"}, {"role": "assistant", "content": "hi!"}]}"#,
    #"{"messages":[{"role":"user","content":"Something else"},{"role":"assistant","content":"Sure, a longer answer."}]}"#,
    #"{"messages":[{"role":"user","content":"Something else"},{"role":"assistant","content":"Other."}]}"#,
    #"{"messages":[{"role":"user","content":"broken"}"#,
  ]

  func run(
    _ lines: [String], text: String? = nil,
    sizes: ReadSizes = ReadSizes(readSize: 7, blockSize: 13), threads: Int = 2,
    configure: (inout Deduplicator.Options) -> Void = { _ in }
  ) throws -> (kept: String, rejects: String, summary: RunSummary) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-dedupe-unit-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in.jsonl")
    try (text ?? lines.joined(separator: "\n") + "\n").write(
      to: input, atomically: true, encoding: .utf8)
    var options = Deduplicator.Options()
    options.sizes = sizes
    options.threads = threads
    configure(&options)
    let kept = try OutputStream.file(dir.appendingPathComponent("kept.jsonl").path)
    let rejects = try OutputStream.file(dir.appendingPathComponent("rejects.jsonl").path)
    var quiet = FindingReporter.Options()
    quiet.maxFindings = 0
    let reporter = FindingReporter(command: "dedupe", options: quiet, output: .standardError())
    let summary = try Deduplicator(options: options).run(
      InputName(input.path), outputs: .init(kept: kept, rejects: rejects), reporter: reporter)
    try kept.commit()
    try rejects.commit()
    return (
      try String(contentsOf: dir.appendingPathComponent("kept.jsonl"), encoding: .utf8),
      try String(contentsOf: dir.appendingPathComponent("rejects.jsonl"), encoding: .utf8)
        .replacingOccurrences(of: input.path, with: "IN"),
      summary
    )
  }

  @Test func dropsNormalizedDuplicatesAndInvalidRecords() throws {
    let (kept, rejects, summary) = try run(Self.records)
    #expect(
      kept == [Self.records[0], Self.records[2], Self.records[3]].joined(separator: "\n") + "\n")
    #expect(summary.read == 5)
    #expect(summary.counts.map(\.0) == ["kept", "dup.exact", "invalid"])
    #expect(summary.counts.map(\.1) == [3, 1, 1])
    #expect(rejects.contains(#""line":2,"reason":"dup.exact""#))
    #expect(rejects.contains(#""kept":{"file":"IN","line":1}"#))
    #expect(rejects.contains(#""line":5,"reason":"json.syntax""#))
  }

  @Test func normalizeNoneKeepsCaseVariants() throws {
    let (kept, _, _) = try run(Self.records) { $0.normalization = .none }
    #expect(kept.split(separator: "\n").count == 4)
  }

  @Test(arguments: [
    (DedupeKey.input, Deduplicator.KeepPolicy.first, [0, 2]),
    (.input, .last, [1, 3]),
    (.input, .longest, [1, 2]),
    (.output, .first, [0, 2, 3]),
  ])
  func keyAndKeep(key: DedupeKey, keep: Deduplicator.KeepPolicy, survivors: [Int]) throws {
    let (kept, _, _) = try run(Self.records) {
      $0.key = key
      $0.keep = keep
    }
    #expect(kept == survivors.map { Self.records[$0] + "\n" }.joined())
  }

  /// The default run writes kept records while it scans: CRLF lines, a blank line and a last
  /// line without a newline must come out as the second pass would write them.
  @Test func keptRecordsWrittenDuringTheScan() throws {
    let r = Self.records
    let text =
      r[0] + "\r\n" + r[2] + "\n\n" + r[1] + "\n" + r[4] + "\r\n" + r[3] + "\r\n" + r[2] + "\n"
      + r[1] + "\n" + "{\"messages\":[{\"role\":\"user\",\"content\":\"Last\"},"
      + "{\"role\":\"assistant\",\"content\":\"one\"}]}"
    let expected = [r[0], r[2], r[3], String(text.split(separator: "\n").last ?? "")]
      .map { $0 + "\n" }.joined()
    for (read, block, threads) in [(1, 1, 1), (2, 3, 2), (7, 64, 3), (1 << 20, 4 << 20, 2)] {
      let sizes = ReadSizes(readSize: read, blockSize: block)
      let (kept, rejects, summary) = try run([], text: text, sizes: sizes, threads: threads)
      #expect(kept == expected, "blocks of \(block) bytes, \(threads) threads")
      #expect(summary.counts.map(\.1) == [4, 3, 1])
      #expect(rejects.contains(#""line":8,"reason":"dup.exact""#))
      // The same records from the second pass, which --keep last would use.
      let (last, _, _) = try run([], text: text, sizes: sizes, threads: threads) {
        $0.keep = .last
      }
      #expect(last.split(separator: "\n").count == 4)
    }
  }

  @Test func sameResultForEveryBlockSizeAndThreadCount() throws {
    let reference = try run(Self.records, sizes: .standard, threads: 1) { $0.near = true }
    for (read, block, threads) in [(1, 1, 1), (2, 3, 2), (7, 64, 3)] {
      let other = try run(
        Self.records, sizes: ReadSizes(readSize: read, blockSize: block), threads: threads
      ) {
        $0.near = true
      }
      #expect(other.kept == reference.kept)
      #expect(other.rejects == reference.rejects)
    }
  }
}

extension TextNormalizerTests {
  /// Decodes a raw JSON string the slow way, then normalizes the decoded text.
  func reference(_ raw: [UInt8], _ mode: TextNormalization, after prefix: [UInt8]) -> [UInt8] {
    var decoded: [UInt8] = []
    raw.withUnsafeBufferPointer { appendDecodedJSONString($0, to: &decoded) }
    var out = prefix
    decoded.withUnsafeBufferPointer { TextNormalizer(mode: mode).append($0, to: &out) }
    return out
  }

  /// The fast path from raw JSON bytes, or nil when it declines.
  ///
  /// The string is normalized alone, and as it sits in a record (followed by more bytes the
  /// fast path may read but must not use); both must agree.
  func fast(_ raw: [UInt8], _ mode: TextNormalization, after prefix: [UInt8]) -> [UInt8]? {
    var results: [[UInt8]?] = []
    for tail in ["", #"", "role": "A\\u00e9  \n \u{E9}Z"}]}"#] {
      let record = raw + Array(tail.utf8)
      var out = prefix
      let applied = record.withUnsafeBufferPointer {
        TextNormalizer(mode: mode).appendJSONString(
          UnsafeBufferPointer(rebasing: $0[..<raw.count]), readable: $0.count, to: &out)
      }
      if !applied { #expect(out == prefix, "a declined fast path must leave the buffer as it was") }
      results.append(applied ? out : nil)
      // With a tag and a terminator, as a key part: the same text between them.
      var tagged = prefix
      let size = record.withUnsafeBufferPointer {
        TextNormalizer(mode: mode).appendJSONString(
          UnsafeBufferPointer(rebasing: $0[..<raw.count]), readable: $0.count, tag: 0x07,
          terminator: 0x1F, to: &tagged)
      }
      if applied {
        #expect(tagged == prefix + [0x07] + out.dropFirst(prefix.count) + [0x1F])
        #expect(size == out.count - prefix.count)
      } else {
        #expect(size == nil && tagged == prefix)
      }
    }
    #expect(results[0] == results[1], "reading past the string changed the result")
    return results[0]
  }

  /// Raw JSON string bodies (escapes as written in a record).
  static let trickyRawStrings: [String] = [
    "", " ", "   ", "\\n", "\\n\\n\\t ", "a", " a", "a ", "  a  ", "a  b", "a \\n b",
    "Hello\\tWORLD", "Hello\\t\\tWORLD \\n", "MiXeD CaSe WiTh Spaces At Every Boundary Here",
    "0123456789abcde fghijklmnopqrstu vwxyz", "0123456789abcdef ghijklmnopqrstuv",
    "0123456789abcdef",
    "0123456789abcde ", " 123456789abcdef0123456789abcdef",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abc{|}~",
    "quote \\\" backslash \\\\ slash \\/ end", "bell\\b form\\f feed\\r\\n",
    "\\u0041\\u005A\\u0061 \\u0020x",
    "tab\\u0009esc\\u0000nul\\u001f\\u007f", "nbsp\u{A0}here and\\u00a0there",
    "Cafe\u{301} CAF\u{C9}",
    "e\\u0301 combining", "Stra\u{DF}e STRASSE", "\u{3A3}\u{39F}\u{3A6}\u{39F}\u{3A3} greek",
    "emoji \u{1F600} \\ud83d\\ude00 pair", "lone \\ud800 surrogate",
    "\u{65E5}\u{672C}\u{8A9E} text",
    "A\u{2003}B\u{3000}C", "trailing spaces then escape       \\n", "x                 y",
    String(repeating: "Word ", count: 20), String(repeating: "ab  ", count: 12) + "\\n\\n",
    "\u{1}raw control byte", "DEL\u{7F}DEL",
    // Whitespace escapes and spaces right after a plain run, which the plain step skips.
    "Paragraph one.\\n\\nParagraph two.\\n \\t\\r\\f  three\\n", "end\\n", "end \\t",
    "not whitespace\\b\\nx\\u000a\\/y", "a\\n\\\\n" + String(repeating: "x", count: 70) + "\\t\\\\",
    // Every White_Space scalar raw and escaped, and near misses with the same first bytes.
    "ws\u{85}\u{A0}\u{1680}\u{2000}\u{2005}\u{200A}\u{2028}\u{2029}\u{202F}\u{205F}\u{3000}end",
    "ws\\u0085\\u00a0\\u1680\\u2000\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000end",
    "\u{A0}lead and trail\u{3000}", "copy\u{A9} dash\u{2014} dots\u{2026} cjk\u{3001}x",
    "ws ogham\u{1681} zwsp\u{200B}\u{2060}\u{86}\u{9F}"
      + String(repeating: "long plain run ", count: 6)
      + "\u{2028}",
    "ctl\\u0001\\u0002\\u001b\\u0000 \\b\\u007f", "\\u0001", " \\u0002 ", "a\\b",
  ]

  @Test(arguments: [TextNormalization.text, .whitespace, .none])
  func rawJSONFastPathMatchesDecodeThenNormalize(mode: TextNormalization) {
    for text in Self.trickyRawStrings {
      let raw = Array(text.utf8)
      for prefix in [[], [UInt8(0x02)], Array("x y".utf8)] {
        let expected = reference(raw, mode, after: prefix)
        if let got = fast(raw, mode, after: prefix) {
          #expect(got == expected, "mode \(mode), input \(text.debugDescription)")
        }
      }
      // `text` mode declines only for scalars that need composition or a case folding that is
      // not one scalar (and lone surrogates); `whitespace` mode only for lone surrogates.
      let declines =
        mode == .text
        ? ["e\\u0301", "Cafe\u{301}", "Stra\u{DF}e", "lone \\ud800", "A\u{2003}", "ws"]
        : ["lone \\ud800"]
      if mode != .none && !declines.contains(where: { text.hasPrefix($0) }) {
        #expect(fast(raw, mode, after: []) != nil, "mode \(mode), input \(text.debugDescription)")
      }
      if mode == .none { #expect(fast(raw, mode, after: []) == nil) }
    }
  }

  /// The computed byte map of the raw-JSON path, against the tables of the decoding path.
  @Test func computedByteMapMatchesTheTables() {
    for b in UInt8.min...UInt8.max {
      #expect(mappedASCII(b, true) == asciiFoldTable[Int(b)], "byte \(b)")
      #expect(mappedASCII(b, false) == asciiSpaceTable[Int(b)], "byte \(b)")
    }
  }

  /// Every scalar of the class table, against the Unicode properties the Unicode path uses.
  @Test func scalarClassesMatchTheProperties() {
    for v in UInt32(0x80)...0x1FAFF {
      let got = normalizedScalarClass(v)
      guard let scalar = Unicode.Scalar(v), v < 0x10000 || v >= 0x1F000, isStableNFC(scalar)
      else {
        #expect(got == .unicode, "U+\(String(v, radix: 16))")
        continue
      }
      let expected: NormalizedScalar =
        scalar.properties.changesWhenCaseFolded
        ? .caseFolded : scalar.properties.isWhitespace ? .whitespace : .plain
      #expect(got == expected, "U+\(String(v, radix: 16))")
    }
  }

  /// Every scalar with a simple case folding, raw and escaped, alone and between other text.
  @Test(arguments: [TextNormalization.text, .whitespace])
  func simpleCaseFoldsMatchTheUnicodePath(mode: TextNormalization) {
    var folded = 0
    for v in UInt32(0x80)...0xFFFF {
      guard let scalar = Unicode.Scalar(v), simpleCaseFold(v) != nil else { continue }
      folded += 1
      let escaped =
        "\\u" + String(repeating: "0", count: 4 - String(v, radix: 16).count)
        + String(v, radix: 16)
      for text in [String(scalar), "ab \(scalar) CD", escaped, "X\(escaped)\\n\(scalar)"] {
        let raw = Array(text.utf8)
        let got = fast(raw, mode, after: [0x05])
        #expect(got != nil, "U+\(String(v, radix: 16))")
        #expect(got == reference(raw, mode, after: [0x05]), "U+\(String(v, radix: 16))")
      }
    }
    #expect(folded > 200)
  }

  /// Seeded random raw strings from an alphabet of the bytes and escapes that matter, at every
  /// length up to 300 so the 16-byte steps meet every boundary.
  @Test(arguments: [TextNormalization.text, .whitespace])
  func rawJSONFastPathMatchesOnRandomText(mode: TextNormalization) {
    let pieces = [
      "a", "b", "Z", "Q", "m", " ", " ", " ", "  ", "\\n", "\\t", "\\r", "\\f", "\\b", "\\\"",
      "\\\\", "\\/", "\\u0041", "\\u0020", "\\u0001", "\\u00e9", "\u{E9}", "\u{A0}", ".", ",",
      "@", "[", "`", "{", "~", "\u{7F}", "\u{1}", "\t", "\u{3000}", "\u{1F600}",
      "\\ud83d\\ude00", "\u{65E5}", "\\u0002", "\\u001b", "\u{85}", "\\u00a0", "\u{2026}",
      "\u{A9}", "\u{86}",
    ].map { Array($0.utf8) }
    // Text with these takes the Unicode path in `text` mode: one string in four has them.
    let unicode = [
      "\u{C9}", "\u{DF}", "\\u00C9", "\u{301}", "\u{2028}", "\\u2028", "\u{1680}", "\\u205f",
    ].map { Array($0.utf8) }
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var taken = 0
    for length in 0..<300 {
      for variant in 0..<4 {
        let alphabet = variant == 3 ? pieces + unicode : pieces
        var raw: [UInt8] = []
        for _ in 0..<length {
          state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
          // Mostly plain letters and single spaces, as in real text; variants 1 and 2 have
          // long plain runs, for the 64-byte steps.
          let r = Int(state >> 33)
          let rare = [4, 64, 16, 4][variant]
          // (Plain pieces never make a double space, so the long runs stay plain.)
          let plain = r % 6 == 5 && raw.last == 0x20 ? pieces[0] : pieces[r % 6]
          let piece = r % rare != 0 ? plain : alphabet[(r >> 8) % alphabet.count]
          raw.append(contentsOf: piece)
        }
        let expected = reference(raw, mode, after: [0x05])
        if let got = fast(raw, mode, after: [0x05]) {
          taken += 1
          #expect(
            got == expected,
            "mode \(mode), input \(String(decoding: raw, as: UTF8.self).debugDescription)")
        }
      }
    }
    #expect(taken >= 900)
  }
}
