/// The `merges` of a `tokenizer.json` BPE model: (left id, right id) → (rank, merged id),
/// in an open-addressing table keyed by the id pair (no `Hasher`, no allocation per lookup).
final class MergeTable: Sendable {
  /// `left << 32 | right`, or `UInt64.max` for an empty slot.
  private let keys: [UInt64]
  /// `rank << 32 | merged id`.
  private let values: [UInt64]
  private let mask: Int

  /// Builds the table.
  /// - Parameter merges: `(left, right, merged)` in priority order (the first has rank 0);
  ///   a repeated pair keeps its first rank.
  init(_ merges: [(left: UInt32, right: UInt32, merged: UInt32)]) {
    var size = 16
    while size < merges.count * 2 { size <<= 1 }
    mask = size - 1
    var keys = [UInt64](repeating: .max, count: size)
    var values = [UInt64](repeating: 0, count: size)
    for (rank, m) in merges.enumerated() {
      let key = UInt64(m.left) << 32 | UInt64(m.right)
      var i = Self.slot(key) & (size - 1)
      while keys[i] != .max && keys[i] != key { i = (i + 1) & (size - 1) }
      if keys[i] == key { continue }
      keys[i] = key
      values[i] = UInt64(rank) << 32 | UInt64(m.merged)
    }
    self.keys = keys
    self.values = values
  }

  @inline(__always)
  static func slot(_ key: UInt64) -> Int {
    var h = key &* 0x9E37_79B9_7F4A_7C15
    h ^= h >> 29
    return Int(truncatingIfNeeded: h)
  }

  /// Runs `body` with raw access to the table.
  @inline(__always)
  func withLookup<R>(_ body: (Lookup) -> R) -> R {
    keys.withUnsafeBufferPointer { k in
      values.withUnsafeBufferPointer { v in body(Lookup(keys: k, values: v, mask: mask)) }
    }
  }

  /// Scoped raw access to a ``MergeTable``.
  struct Lookup {
    let keys: UnsafeBufferPointer<UInt64>
    let values: UnsafeBufferPointer<UInt64>
    let mask: Int

    /// `rank << 32 | merged id` for the pair, or `nil` when the pair does not merge.
    @inline(__always)
    func merge(_ left: UInt32, _ right: UInt32) -> UInt64? {
      let key = UInt64(left) << 32 | UInt64(right)
      var i = MergeTable.slot(key) & mask
      while true {
        let k = keys[i]
        if k == key { return values[i] }
        if k == .max { return nil }
        i = (i + 1) & mask
      }
    }
  }
}
