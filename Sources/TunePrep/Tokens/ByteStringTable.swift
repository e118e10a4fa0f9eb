/// An immutable hash map from byte strings to token ids, built for lookups that allocate nothing.
///
/// Keys live back to back in one byte arena; the open-addressing slot array stores a 32-bit
/// fingerprint of each key's hash next to its entry index, so a probe compares bytes only when
/// fingerprints agree. Lookups take a pointer and a length, never a `String` or an `Array`.
final class ByteStringTable: Sendable {
  /// All keys, back to back.
  let arena: [UInt8]
  /// `starts[e]..<starts[e + 1]` is the key of entry `e` in `arena`.
  let starts: [UInt32]
  /// The value (token id) of entry `e`.
  let values: [UInt32]
  /// `fingerprint << 32 | (entry + 1)`; 0 is an empty slot.
  private let slots: [UInt64]
  private let mask: Int

  /// The number of keys.
  var count: Int { values.count }

  /// Builds a table from keys and their values.
  /// - Parameters:
  ///   - arena: the keys, back to back.
  ///   - starts: `count + 1` offsets into `arena`, ascending.
  ///   - values: the value of each key.
  /// - Returns: `nil` if a key occurs twice (the first entry's index is reported through
  ///   `duplicate`).
  init(arena: [UInt8], starts: [UInt32], values: [UInt32], duplicate: inout Int?) {
    self.arena = arena
    self.starts = starts
    self.values = values
    var size = 16
    while size < values.count * 2 { size <<= 1 }
    mask = size - 1
    var slots = [UInt64](repeating: 0, count: size)
    arena.withUnsafeBufferPointer { a in
      for e in 0..<values.count {
        let start = Int(starts[e])
        let length = Int(starts[e + 1]) - start
        let base = a.baseAddress.map { UnsafeRawPointer($0 + start) }
        let h = Self.hash(base, length)
        var i = Int(truncatingIfNeeded: h) & (size - 1)
        let tag = (h >> 32) << 32
        while slots[i] != 0 {
          let other = Int(slots[i] & 0xFFFF_FFFF) - 1
          if slots[i] & 0xFFFF_FFFF_0000_0000 == tag {
            let os = Int(starts[other])
            let ol = Int(starts[other + 1]) - os
            if ol == length, let p = a.baseAddress,
              Self.equal(UnsafeRawPointer(p + os), UnsafeRawPointer(p + start), length)
            {
              if duplicate == nil { duplicate = e }
            }
          }
          i = (i + 1) & (size - 1)
        }
        slots[i] = tag | UInt64(e + 1)
      }
    }
    self.slots = slots
  }

  /// A fast deterministic 64-bit hash of `length` bytes at `p` (not `Hasher`: no per-process seed).
  @inline(__always)
  static func hash(_ p: UnsafeRawPointer?, _ length: Int) -> UInt64 {
    let k: UInt64 = 0x9E37_79B9_7F4A_7C15
    var h = UInt64(truncatingIfNeeded: length) &* k
    guard let p, length > 0 else { return h ^ (h >> 31) }
    var i = 0
    while i + 8 <= length {
      h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* k
      h ^= h >> 29
      i += 8
    }
    if i < length {
      var tail: UInt64 = 0
      var shift: UInt64 = 0
      if length >= 8 {
        tail = p.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
      } else {
        if length - i >= 4 {
          tail = UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
          shift = 32
          i += 4
        }
        while i < length {
          tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
          shift += 8
          i += 1
        }
      }
      h = (h ^ tail) &* 0xBF58_476D_1CE4_E5B9
      h ^= h >> 31
    }
    h = (h ^ (h >> 32)) &* 0x94D0_49BB_1331_11EB
    return h ^ (h >> 29)
  }

  /// Whether `length` bytes at `a` and `b` are equal.
  @inline(__always)
  static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ length: Int) -> Bool {
    var i = 0
    while i + 8 <= length {
      if a.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        != b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      {
        return false
      }
      i += 8
    }
    while i < length {
      if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
        return false
      }
      i += 1
    }
    return true
  }

  /// Runs `body` with raw access to the table, for a loop of many lookups.
  @inline(__always)
  func withLookup<R>(_ body: (Lookup) -> R) -> R {
    arena.withUnsafeBufferPointer { a in
      starts.withUnsafeBufferPointer { s in
        values.withUnsafeBufferPointer { v in
          slots.withUnsafeBufferPointer { sl in
            body(Lookup(arena: a, starts: s, values: v, slots: sl, mask: mask))
          }
        }
      }
    }
  }

  /// The value of the key `bytes`, or `nil`.
  func value(of bytes: [UInt8]) -> UInt32? {
    bytes.withUnsafeBytes { raw in
      withLookup { $0.value(raw.baseAddress, raw.count) }
    }
  }

  /// Raw, scoped access to a ``ByteStringTable``; must not escape ``ByteStringTable/withLookup``.
  struct Lookup {
    let arena: UnsafeBufferPointer<UInt8>
    let starts: UnsafeBufferPointer<UInt32>
    let values: UnsafeBufferPointer<UInt32>
    let slots: UnsafeBufferPointer<UInt64>
    let mask: Int

    /// The value for the `length` bytes at `p`, or `nil` when they are not a key.
    @inline(__always)
    func value(_ p: UnsafeRawPointer?, _ length: Int) -> UInt32? {
      let h = ByteStringTable.hash(p, length)
      let tag = (h >> 32) << 32
      var i = Int(truncatingIfNeeded: h) & mask
      while true {
        let slot = slots[i]
        if slot == 0 { return nil }
        if slot & 0xFFFF_FFFF_0000_0000 == tag {
          let e = Int(slot & 0xFFFF_FFFF) - 1
          let start = Int(starts[e])
          if Int(starts[e + 1]) - start == length {
            if length == 0 { return values[e] }
            if let p, let base = arena.baseAddress,
              ByteStringTable.equal(p, UnsafeRawPointer(base + start), length)
            {
              return values[e]
            }
          }
        }
        i = (i + 1) & mask
      }
    }
  }
}
