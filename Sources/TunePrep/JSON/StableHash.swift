/// Hash functions whose results are the same on every run, thread count and machine.
///
/// Swift's `Hasher` is seeded per process, so it must never decide output order, split
/// membership or which duplicate survives; these functions may.
public enum StableHash {
  /// 64-bit FNV-1a over bytes; small and fast for short keys.
  /// - Parameter bytes: the bytes to hash.
  /// - Returns: the hash.
  @inline(__always)
  public static func fnv1a64(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
      h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3
    }
    return h
  }
}
