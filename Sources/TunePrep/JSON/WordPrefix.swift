/// The first (up to) eight bytes of a short string (an object key, a schema's `enum` value) as
/// one little-endian word, with a mask over the bytes it holds.
///
/// A raw string of the same length starts the same way when its first eight bytes, read with
/// ``littleEndianWord(_:at:)`` and masked, equal ``prefix``: one load and one compare per
/// candidate instead of a byte loop, and no shifting at lookup time.
struct WordPrefix: Sendable {
  /// The first (up to) eight bytes, little-endian, zero padded.
  let prefix: UInt64
  /// Ones over the bytes `prefix` holds.
  let mask: UInt64

  init(_ bytes: some Collection<UInt8>) {
    var prefix: UInt64 = 0
    var shift: UInt64 = 0
    for b in bytes.prefix(8) {
      prefix |= UInt64(b) << shift
      shift += 8
    }
    self.prefix = prefix
    mask = bytes.count >= 8 ? .max : (1 << UInt64(bytes.count * 8)) - 1
  }

  /// Whether a word read at a string's start begins with these bytes.
  @inline(__always) func matches(_ word: UInt64) -> Bool { word & mask == prefix }
}

/// The eight bytes at `start` of `p` as a little-endian word; bytes past the end read as zero.
@inline(__always)
func littleEndianWord(_ p: UnsafeBufferPointer<UInt8>, at start: Int) -> UInt64 {
  if start &+ 8 <= p.count, let base = p.baseAddress {
    return UInt64(littleEndian: UnsafeRawPointer(base + start).loadUnaligned(as: UInt64.self))
  }
  return littleEndianWordNearEnd(p, at: start)
}

/// ``littleEndianWord(_:at:)`` within eight bytes of the end (rare: out of line).
@inline(never)
func littleEndianWordNearEnd(_ p: UnsafeBufferPointer<UInt8>, at start: Int) -> UInt64 {
  var value: UInt64 = 0
  var j = 0
  while j < 8 && start &+ j < p.count {
    value |= UInt64(p[start &+ j]) &<< UInt64(j &* 8)
    j &+= 1
  }
  return value
}
