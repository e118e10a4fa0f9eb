/// A 128-bit hash value, the exact-duplicate key of a record.
///
/// Two records with equal normalized keys always get equal values; different keys collide with
/// probability about 2^-128, so equal values are treated as equal keys.
struct Hash128: Hashable, Comparable, Sendable {
  var high: UInt64
  var low: UInt64

  static func < (lhs: Hash128, rhs: Hash128) -> Bool {
    lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
  }
}

extension StableHash {
  /// A 128-bit hash of `bytes` with a fixed seed, the same on every run and machine.
  ///
  /// Two lanes each fold 8 bytes per step through a 64×64→128-bit multiply; the lanes see the
  /// words in crossed order so that they stay independent, and a final avalanche mixes in the
  /// length. The last 0–15 bytes are one more step, zero-padded and read little-endian. Not
  /// meant to resist crafted collisions, only to be fast and well distributed.
  ///
  /// Complexity O(n), no allocation; four 16-byte steps per loop turn.
  /// - Parameter bytes: the bytes to hash.
  /// - Returns: the hash.
  static func hash128(_ bytes: UnsafeRawBufferPointer) -> Hash128 {
    var a: UInt64 = 0x243F_6A88_85A3_08D3  // digits of pi: a fixed, documented seed
    var b: UInt64 = 0x1319_8A2E_0370_7344
    let n = bytes.count
    var x: UInt64 = 0
    var y: UInt64 = 0
    if let base = bytes.baseAddress {
      var i = 0
      // Four steps per turn while they fit (the same steps in the same order: the loop's own
      // instructions were a seventh of the work), then two, then one.
      while i &+ 64 <= n {
        step(&a, &b, base + i)
        step(&a, &b, base + (i &+ 16))
        step(&a, &b, base + (i &+ 32))
        step(&a, &b, base + (i &+ 48))
        i &+= 64
      }
      if i &+ 32 <= n {
        step(&a, &b, base + i)
        step(&a, &b, base + (i &+ 16))
        i &+= 32
      }
      if i &+ 16 <= n {
        step(&a, &b, base + i)
        i &+= 16
      }
      var last: (UInt64, UInt64) = (0, 0)
      withUnsafeMutableBytes(of: &last) {
        $0.copyMemory(from: UnsafeRawBufferPointer(start: base + i, count: n &- i))
      }
      x = UInt64(littleEndian: last.0)
      y = UInt64(littleEndian: last.1)
    }
    a = fold(a ^ x, y ^ 0x4528_21E6_38D0_1377 ^ UInt64(n))
    b = fold(b ^ y, x ^ 0xBE54_66CF_34E9_0C6C ^ UInt64(n))
    let high = avalanche(a &+ rotate(b, 23))
    let low = avalanche(b ^ rotate(high, 41))
    return Hash128(high: high, low: low)
  }

  /// One 16-byte step of ``hash128(_:)``: the two words at `p` into both lanes.
  @inline(__always)
  private static func step(_ a: inout UInt64, _ b: inout UInt64, _ p: UnsafeRawPointer) {
    let x = p.loadUnaligned(as: UInt64.self)
    let y = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    a = fold(a ^ x, y ^ 0xA409_3822_299F_31D0)
    b = fold(b ^ y, x ^ 0x082E_FA98_EC4E_6C89)
  }

  /// Multiplies two words to 128 bits and folds the halves together.
  @inline(__always)
  static func fold(_ u: UInt64, _ v: UInt64) -> UInt64 {
    let product = u.multipliedFullWidth(by: v)
    return product.high ^ product.low
  }

  /// A 64-bit finalizer: every input bit affects every output bit.
  @inline(__always)
  static func avalanche(_ value: UInt64) -> UInt64 {
    var h = value
    h ^= h >> 33
    h &*= 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33
    h &*= 0xC4CE_B9FE_1A85_EC53
    h ^= h >> 33
    return h
  }

  @inline(__always)
  static func rotate(_ value: UInt64, _ by: UInt64) -> UInt64 {
    (value << by) | (value >> (64 - by))
  }
}
