#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// A span of one record inside a ``ByteBlock``: its bytes and where it starts in the input.
struct RecordSpan: Sendable {
  /// Byte range inside the block.
  var start: Int
  var end: Int
  /// Line (from 1) and byte column (from 1) of the record's first byte in the input.
  var line: Int
  var column: Int
  /// The same column in Unicode code points.
  var characterColumn = 1
  /// Set on the last span of a JSON array file whose framing stopped: the span holds the rest
  /// of the file, which is not a record, and this says why (the message of its rejection).
  var unreadRest: String? = nil
}

/// A block of whole records cut from an input, with its own manually managed storage so that
/// reading and scanning never copy or check uniqueness.
///
/// Blocks are reused through ``BlockReader``'s pool, so a long run touches a fixed amount of
/// memory whatever the input size.
final class ByteBlock: @unchecked Sendable {
  /// The allocation (64-byte aligned); ``base`` lies less than 64 bytes into it.
  private var storage: UnsafeMutableRawPointer
  private var storageSize: Int
  /// Where the bytes in use start.
  private(set) var base: UnsafeMutableRawPointer
  /// Bytes available from ``base``.
  var capacity: Int { storageSize - storage.distance(to: base) }
  /// Bytes in use.
  var count = 0
  /// Offset of byte 0 in the input (after a BOM, offsets still count the BOM).
  var byteOffset = 0
  /// Line number (from 1) of the block's first byte.
  var firstLine = 1
  /// Number of newline bytes in the block.
  var newlines = 0
  /// Explicit record spans (JSON array inputs); empty means "one record per line".
  var spans: [RecordSpan] = []

  init(capacity: Int) {
    storageSize = max(capacity, 16) + 64
    storage = UnsafeMutableRawPointer.allocate(byteCount: storageSize, alignment: 64)
    base = storage
  }

  deinit {
    storage.deallocate()
  }

  /// Empties the block and moves its start so that byte 0 sits at the same offset within a
  /// 64-byte line as input offset `inputOffset`, and so does every byte read after it.
  ///
  /// The kernel copies file data to user memory with `rep movsb`, which on some x86 cores (the
  /// AMD EPYC of this project's benchmarks among them) runs four to five times slower when the
  /// destination sits a few bytes past the source within a cache line: reading 1.5 GB from the
  /// page cache took 0.9 s into a buffer at offset 16 and 0.2 s into one at offset 0.
  func reset(alignedTo inputOffset: Int) {
    count = 0
    base = storage + (inputOffset & 63)
  }

  /// Grows the storage to hold at least `needed` bytes, keeping the bytes in use and the
  /// alignment that ``reset(alignedTo:)`` chose.
  func reserve(_ needed: Int) {
    guard needed > capacity else { return }
    let shift = storage.distance(to: base)
    var newSize = storageSize
    while newSize - shift < needed { newSize *= 2 }
    let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newSize, alignment: 64)
    (newStorage + shift).copyMemory(from: base, byteCount: count)
    storage.deallocate()
    storage = newStorage
    storageSize = newSize
    base = newStorage + shift
  }

  /// The bytes in use.
  ///
  /// Valid until the block is reused or grown.
  var bytes: UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: count)
  }

  /// Appends a record and a newline after it.
  func appendLine(_ line: UnsafeBufferPointer<UInt8>) {
    reserve(count + line.count + 1)
    if let start = line.baseAddress, line.count > 0 {
      (base + count).copyMemory(from: start, byteCount: line.count)
    }
    base.storeBytes(of: 0x0A, toByteOffset: count + line.count, as: UInt8.self)
    count += line.count + 1
  }

  func append(_ source: UnsafeRawBufferPointer) {
    guard let sourceBase = source.baseAddress, source.count > 0 else { return }
    reserve(count + source.count)
    (base + count).copyMemory(from: sourceBase, byteCount: source.count)
    count += source.count
  }
}

/// Counts `\n` bytes with `memchr`, which the C library vectorizes.
func countNewlines(_ p: UnsafeBufferPointer<UInt8>) -> Int {
  guard let start = p.baseAddress else { return 0 }
  var total = 0
  var i = 0
  let n = p.count
  while i < n, let hit = memchr(start + i, 0x0A, n - i) {
    total += 1
    i = start.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
  }
  return total
}
