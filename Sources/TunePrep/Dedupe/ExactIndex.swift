/// The first record of each exact key, found as the records arrive in input order.
///
/// An open-addressing table (linear probing) of 8-byte slots: the high 32 bits hold 32 bits of
/// the key hash as a filter, the low 32 bits the record index + 1 (0: empty). A filter match
/// is confirmed on the full 128-bit hash in the record table. Slots come from fixed hash bits,
/// never from Swift's per-process seeded `Hasher`, and the answer for a record depends only on
/// the records before it, so results do not depend on threads or runs. At most 70 % full:
/// 16 MB for a million records.
struct ExactIndex {
  private var slots: [UInt64]
  private var mask: Int
  private var count = 0

  /// Creates an index with room for `capacity` keys before it grows.
  init(capacity: Int = 0) {
    let size = ExactIndex.size(for: capacity)
    slots = [UInt64](repeating: 0, count: size)
    mask = size - 1
  }

  private static func size(for keys: Int) -> Int {
    var size = 1024
    while size * 7 < keys * 10 { size *= 2 }
    return size
  }

  /// Makes room for `keys` keys in all, so that the table does not grow while they arrive.
  /// - Parameter states: the record table the stored indices point into.
  mutating func reserve(_ keys: Int, states: [RecordState]) {
    let size = ExactIndex.size(for: keys)
    if size > slots.count { rehash(size, states: states) }
  }

  /// The index of the first record whose key hash is `hash`: `index` itself, now stored, when
  /// no earlier record had it.
  /// - Parameters:
  ///   - hash: the record's key hash.
  ///   - index: the record's index in `states` (below `UInt32.max`).
  ///   - states: the record table; holds every stored index.
  /// - Returns: the first index with this hash.
  mutating func firstIndex(of hash: Hash128, index: UInt32, states: [RecordState]) -> UInt32 {
    if (count + 1) * 10 > slots.count * 7 { rehash(slots.count * 2, states: states) }
    let tag = UInt64(UInt32(truncatingIfNeeded: hash.high)) << 32
    let mask = self.mask
    return slots.withUnsafeMutableBufferPointer { slots in
      var s = Int(truncatingIfNeeded: hash.low) & mask
      while true {
        let entry = slots[s]
        if entry == 0 {
          slots[s] = tag | UInt64(index + 1)
          count += 1
          return index
        }
        if entry & 0xFFFF_FFFF_0000_0000 == tag {
          let other = Int(entry & 0xFFFF_FFFF) - 1
          if states[other].hash == hash { return UInt32(other) }
        }
        s = (s + 1) & mask
      }
    }
  }

  private mutating func rehash(_ size: Int, states: [RecordState]) {
    let old = slots
    slots = [UInt64](repeating: 0, count: size)
    mask = size - 1
    slots.withUnsafeMutableBufferPointer { slots in
      for entry in old where entry != 0 {
        let hash = states[Int(entry & 0xFFFF_FFFF) - 1].hash
        var s = Int(truncatingIfNeeded: hash.low) & mask
        while slots[s] != 0 { s = (s + 1) & mask }
        slots[s] = entry
      }
    }
  }
}
