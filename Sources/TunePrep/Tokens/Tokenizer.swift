/// A loaded byte-pair tokenizer.
///
/// It is an OpenAI encoding (`.tiktoken` ranks) or a byte-level BPE `tokenizer.json`. Immutable and
/// `Sendable`, so one instance serves every thread.
///
/// Encoding follows tiktoken's `CoreBPE`: the text is split into pieces by the encoding's
/// pattern (``PieceScanner``); a piece that is itself a token is emitted whole; otherwise its
/// bytes are merged pairwise, always the adjacent pair of lowest rank first (leftmost on ties),
/// until no adjacent pair forms a token. `tokenizer.json` models merge by their `merges` list
/// instead (see ``MergeTable``). Special tokens are ordinary text unless `allowSpecial` is set.
public struct Tokenizer: Sendable {
  /// The encoding name (`o200k_base`) or the `tokenizer.json` file name.
  public let name: String
  let vocabulary: ByteStringTable
  let merges: MergeTable?
  let ignoreMerges: Bool
  let pattern: SplitPattern
  /// Special tokens, matched in text only when allowed.
  let specials: [SpecialToken]
  /// Added tokens that are not special, always matched in text (`tokenizer.json` only).
  let addedTokens: [SpecialToken]
  /// `specials + addedTokens`, longest first: what is matched when special tokens are allowed.
  private let allLiterals: [SpecialToken]
  /// Whether some token of ``allLiterals`` (``addedTokens``) starts with a byte, by byte: the
  /// scan for literals tries the list only there (o200k_harmony has 1,090 special tokens).
  private let allLiteralStarts: [Bool]
  private let addedTokenStarts: [Bool]
  /// Token id of each single byte (merges model).
  let byteIDs: [UInt32]
  /// Token id → entry index of ``vocabulary``, or -1.
  let decodeIndex: [Int32]
  private let classes: [UInt8]
  /// Pieces at least this long merge through ``LongPieceMerger`` (O(n log n)) instead of the
  /// quadratic scan; both give the same tokens (the tests run every fixture through both).
  var longPieceThreshold = 256

  /// A token matched literally in the text before splitting.
  struct SpecialToken: Sendable {
    var bytes: [UInt8]
    var id: UInt32
  }

  init(
    name: String, vocabulary: ByteStringTable, merges: MergeTable?, ignoreMerges: Bool,
    pattern: SplitPattern, specials: [SpecialToken], addedTokens: [SpecialToken], byteIDs: [UInt32]
  ) {
    self.name = name
    self.vocabulary = vocabulary
    self.merges = merges
    self.ignoreMerges = ignoreMerges
    self.pattern = pattern
    self.specials = specials.sorted { $0.bytes.count > $1.bytes.count }
    self.addedTokens = addedTokens.sorted { $0.bytes.count > $1.bytes.count }
    self.allLiterals = (specials + addedTokens).sorted { $0.bytes.count > $1.bytes.count }
    var starts = [Bool](repeating: false, count: 256)
    for token in addedTokens { starts[Int(token.bytes[0])] = true }
    self.addedTokenStarts = starts
    for token in specials { starts[Int(token.bytes[0])] = true }
    self.allLiteralStarts = starts
    self.byteIDs = byteIDs
    var maxID = 0
    for v in vocabulary.values { maxID = max(maxID, Int(v)) }
    for s in specials + addedTokens { maxID = max(maxID, Int(s.id)) }
    var index = [Int32](repeating: -1, count: maxID + 1)
    for (e, v) in vocabulary.values.enumerated() where index[Int(v)] < 0 {
      index[Int(v)] = Int32(e)
    }
    self.decodeIndex = index
    self.classes = ScalarClass.basicPlane
  }

  /// The largest token id plus one (special tokens included).
  public var vocabularySize: Int { decodeIndex.count }

  // MARK: - Public entry points

  /// The token ids of `text`.
  /// - Parameters:
  ///   - text: the text to encode.
  ///   - allowSpecial: match special-token text (`<|endoftext|>`) as the special token;
  ///     by default it is ordinary text.
  /// - Returns: the ids, in order.
  public func encode(_ text: String, allowSpecial: Bool = false) -> [Int] {
    var ids: [Int] = []
    ids.reserveCapacity(text.utf8.count / 3 + 4)
    withUTF8(text) { forEachToken(in: $0, allowSpecial: allowSpecial) { ids.append(Int($0)) } }
    return ids
  }

  /// The number of tokens of `text`, without building the id array.
  /// - Parameters:
  ///   - text: the text to count.
  ///   - allowSpecial: see ``encode(_:allowSpecial:)``.
  /// - Returns: the token count.
  public func count(_ text: String, allowSpecial: Bool = false) -> Int {
    var n = 0
    withUTF8(text) { forEachToken(in: $0, allowSpecial: allowSpecial) { _ in n += 1 } }
    return n
  }

  /// The number of tokens of UTF-8 bytes, for callers that hold decoded bytes already (a JSON
  /// string's value).
  ///
  /// The bytes must be valid UTF-8.
  /// - Parameters:
  ///   - utf8: valid UTF-8 text.
  ///   - allowSpecial: see ``encode(_:allowSpecial:)``.
  /// - Returns: the token count.
  public func count(utf8: UnsafeBufferPointer<UInt8>, allowSpecial: Bool = false) -> Int {
    var n = 0
    forEachToken(in: utf8, allowSpecial: allowSpecial) { _ in n += 1 }
    return n
  }

  /// Appends the token ids of valid UTF-8 bytes to `ids`.
  /// - Parameters:
  ///   - utf8: valid UTF-8 text.
  ///   - allowSpecial: see ``encode(_:allowSpecial:)``.
  ///   - ids: the array to append to.
  public func encode(
    utf8: UnsafeBufferPointer<UInt8>, allowSpecial: Bool = false, into ids: inout [Int]
  ) {
    forEachToken(in: utf8, allowSpecial: allowSpecial) { ids.append(Int($0)) }
  }

  /// The bytes of a token sequence (concatenated token bytes; may be partial UTF-8 at the ends).
  /// - Parameter ids: token ids; unknown ids are skipped.
  /// - Returns: the bytes.
  public func decode(_ ids: [Int]) -> [UInt8] {
    var out: [UInt8] = []
    for id in ids {
      guard id >= 0, id < decodeIndex.count else { continue }
      if decodeIndex[id] < 0 {
        if let literal = allLiterals.first(where: { Int($0.id) == id }) { out += literal.bytes }
        continue
      }
      let e = Int(decodeIndex[id])
      out += vocabulary.arena[Int(vocabulary.starts[e])..<Int(vocabulary.starts[e + 1])]
    }
    return out
  }

  // MARK: - Core

  @inline(__always)
  private func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    var text = text
    return text.withUTF8(body)
  }

  /// Calls `body` with every token id of `bytes`, in order.
  func forEachToken(
    in bytes: UnsafeBufferPointer<UInt8>, allowSpecial: Bool, _ body: (UInt32) -> Void
  ) {
    let literal = allowSpecial ? allLiterals : addedTokens
    let starts = allowSpecial ? allLiteralStarts : addedTokenStarts
    if literal.isEmpty {
      encodeOrdinary(bytes, body)
      return
    }
    var segmentStart = 0
    var i = 0
    let n = bytes.count
    while i < n {
      if starts[Int(bytes[i])], let token = literalToken(literal, bytes, at: i) {
        if segmentStart < i { encodeOrdinary(rebase(bytes, segmentStart, i), body) }
        body(token.id)
        i += token.bytes.count
        segmentStart = i
      } else {
        i += 1
      }
    }
    if segmentStart < n { encodeOrdinary(rebase(bytes, segmentStart, n), body) }
  }

  @inline(__always)
  private func rebase(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int)
    -> UnsafeBufferPointer<UInt8>
  {
    UnsafeBufferPointer(rebasing: b[from..<to])
  }

  /// The longest literal token that starts at `i`, if any.
  private func literalToken(
    _ tokens: [SpecialToken], _ bytes: UnsafeBufferPointer<UInt8>, at i: Int
  ) -> SpecialToken? {
    let n = bytes.count
    for token in tokens where token.bytes.count <= n - i && token.bytes.first == bytes[i] {
      var k = 1
      while k < token.bytes.count && token.bytes[k] == bytes[i + k] { k += 1 }
      if k == token.bytes.count { return token }
    }
    return nil
  }

  /// Splits ordinary text (no special tokens) and encodes every piece.
  func encodeOrdinary(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UInt32) -> Void) {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
    let raw = UnsafeRawPointer(base)
    classes.withUnsafeBufferPointer { table in
      vocabulary.withLookup { lookup in
        let scanner = PieceScanner(bytes: bytes, table: table)
        if let merges {
          merges.withLookup { pairs in
            byteIDs.withUnsafeBufferPointer { byteIDs in
              scanner.split(pattern) { start, end in
                if ignoreMerges, let id = lookup.value(raw + start, end - start) {
                  body(id)
                } else if end - start >= longPieceThreshold {
                  Self.mergeLongByList(raw + start, end - start, byteIDs, pairs, body)
                } else {
                  Self.mergeByList(raw + start, end - start, byteIDs, pairs, body)
                }
              }
            }
          }
        } else {
          scanner.split(pattern) { start, end in
            if let id = lookup.value(raw + start, end - start) {
              body(id)
            } else if end - start >= longPieceThreshold {
              Self.mergeLongByRank(raw + start, end - start, lookup, body)
            } else {
              Self.mergeByRank(raw + start, end - start, lookup, body)
            }
          }
        }
      }
    }
  }

  /// tiktoken's merge: repeatedly join the adjacent pair whose bytes form the lowest-ranked
  /// token (leftmost on ties) until no adjacent pair is a token.
  static func mergeByRank(
    _ p: UnsafeRawPointer, _ length: Int, _ lookup: ByteStringTable.Lookup,
    _ body: (UInt32) -> Void
  ) {
    withUnsafeTemporaryAllocation(of: Int.self, capacity: length + 1) { bounds in
      withUnsafeTemporaryAllocation(of: UInt32.self, capacity: length + 1) { ranks in
        // Token k is bounds[k]..<bounds[k + 1]; ranks[k] is the rank of tokens k and k+1 joined.
        var count = length + 1
        for k in 0...length { bounds[k] = k }
        @inline(__always) func pairRank(_ k: Int) -> UInt32 {
          guard k + 2 < count else { return .max }
          return lookup.value(p + bounds[k], bounds[k + 2] - bounds[k]) ?? .max
        }
        for k in 0..<count { ranks[k] = pairRank(k) }
        while true {
          var best = UInt32.max
          var at = -1
          var k = 0
          while k + 2 < count {
            if ranks[k] < best {
              best = ranks[k]
              at = k
            }
            k += 1
          }
          if at < 0 { break }
          var m = at + 1
          while m + 1 < count {
            bounds[m] = bounds[m + 1]
            ranks[m] = ranks[m + 1]
            m += 1
          }
          count -= 1
          ranks[at] = pairRank(at)
          if at > 0 { ranks[at - 1] = pairRank(at - 1) }
        }
        for k in 0..<(count - 1) {
          let id = lookup.value(p + bounds[k], bounds[k + 1] - bounds[k]) ?? .max
          body(id)
        }
      }
    }
  }

  /// The `tokenizer.json` merge: start from one token per byte and repeatedly apply the
  /// adjacent pair that comes first in the `merges` list (leftmost on ties).
  static func mergeByList(
    _ p: UnsafeRawPointer, _ length: Int, _ byteIDs: UnsafeBufferPointer<UInt32>,
    _ pairs: MergeTable.Lookup, _ body: (UInt32) -> Void
  ) {
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: length) { ids in
      withUnsafeTemporaryAllocation(of: UInt64.self, capacity: length) { ranks in
        // ranks[k] = merge rank << 32 | merged id, for tokens k and k+1; .max when none.
        var count = length
        for k in 0..<length { ids[k] = byteIDs[Int(p.load(fromByteOffset: k, as: UInt8.self))] }
        @inline(__always) func pairRank(_ k: Int) -> UInt64 {
          guard k + 1 < count else { return .max }
          return pairs.merge(ids[k], ids[k + 1]) ?? .max
        }
        for k in 0..<count { ranks[k] = pairRank(k) }
        while true {
          var best = UInt64.max
          var at = -1
          var k = 0
          while k + 1 < count {
            if ranks[k] >> 32 < best >> 32 {
              best = ranks[k]
              at = k
            }
            k += 1
          }
          if at < 0 { break }
          ids[at] = UInt32(truncatingIfNeeded: best)
          var m = at + 1
          while m + 1 < count {
            ids[m] = ids[m + 1]
            ranks[m] = ranks[m + 1]
            m += 1
          }
          count -= 1
          ranks[at] = pairRank(at)
          if at > 0 { ranks[at - 1] = pairRank(at - 1) }
        }
        for k in 0..<count { body(ids[k]) }
      }
    }
  }

  /// ``mergeByRank(_:_:_:_:)`` for long pieces, in O(n log n).
  static func mergeLongByRank(
    _ p: UnsafeRawPointer, _ length: Int, _ lookup: ByteStringTable.Lookup,
    _ body: (UInt32) -> Void
  ) {
    var merger = LongPieceMerger(length: length)
    merger.run(
      rankOf: { start, _, end in lookup.value(p + start, end - start) },
      merged: { _, _, _ in },
      emit: { start, end in body(lookup.value(p + start, end - start) ?? .max) })
  }

  /// ``mergeByList(_:_:_:_:_:)`` for long pieces, in O(n log n).
  static func mergeLongByList(
    _ p: UnsafeRawPointer, _ length: Int, _ byteIDs: UnsafeBufferPointer<UInt32>,
    _ pairs: MergeTable.Lookup, _ body: (UInt32) -> Void
  ) {
    // ids[s] is the id of the token that starts at byte s.
    var ids = [UInt32](repeating: 0, count: length)
    for k in 0..<length { ids[k] = byteIDs[Int(p.load(fromByteOffset: k, as: UInt8.self))] }
    var merger = LongPieceMerger(length: length)
    merger.run(
      rankOf: { start, mid, _ in
        pairs.merge(ids[start], ids[mid]).map { UInt32(truncatingIfNeeded: $0 >> 32) }
      },
      merged: { start, mid, _ in
        if let m = pairs.merge(ids[start], ids[mid]) { ids[start] = UInt32(truncatingIfNeeded: m) }
      },
      emit: { start, _ in body(ids[start]) })
  }
}
