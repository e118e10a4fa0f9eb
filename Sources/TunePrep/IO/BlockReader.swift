internal import Dispatch

#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// Sizes that decide how an input is cut into blocks; tests shrink them to find
/// chunk-boundary bugs.
public struct ReadSizes: Sendable {
  /// Bytes asked of each `read(2)` call.
  public var readSize: Int
  /// A block is cut at the last newline once it holds at least this many bytes.
  public var blockSize: Int
  /// The longest line read: one past it stops the run (see ``TunePrepError/recordTooLong``).
  public var maxRecordSize: Int

  /// Creates read sizes.
  ///
  /// The default `maxRecordSize`, 256 MiB, is far past any record a trainer takes (a
  /// million-token context is a few MB of text) but keeps a file with no newlines, such as a
  /// binary file or `/dev/zero`, from filling memory.
  public init(readSize: Int = 256 << 10, blockSize: Int = 512 << 10, maxRecordSize: Int = 256 << 20)
  {
    self.readSize = max(1, readSize)
    self.blockSize = max(1, blockSize)
    self.maxRecordSize = max(1, maxRecordSize)
  }

  /// The defaults: 256 KiB reads, 512 KiB blocks.
  ///
  /// A block this small is still in the core's L2 cache when its worker parses it, which is
  /// worth about 3 % on one core (BENCHMARKS.md), and it halves peak memory with two threads.
  public static let standard = ReadSizes()

  /// 1 MiB reads, 4 MiB blocks: `split`'s sizes, whose second pass copies the input to the
  /// split files in blocks of these sizes, and larger writes cost the kernel less per byte.
  public static let copying = ReadSizes(readSize: 1 << 20, blockSize: 4 << 20)
}

/// Cuts an input into blocks of whole records: lines for JSONL, array elements for a `.json`
/// file whose top level is an array.
///
/// Reading is streaming: only the current block and the partial record after it are held.
/// A record longer than a block grows the block to fit it, so any line length works.
final class BlockReader {
  let file: InputFile
  let sizes: ReadSizes
  private var carry: [UInt8] = []
  private var atEOF = false
  private var offset = 0
  private var nextLine = 1
  /// Blocks whose records have been consumed, for reuse.
  ///
  /// The reader thread takes from it and the consuming thread returns to it, so it has its own
  /// lock.
  private var pool: [ByteBlock] = []
  private let poolLock = DispatchSemaphore(value: 1)
  /// The file started with a UTF-8 byte order mark (which is skipped).
  private(set) var hadBOM = false
  private var started = false
  private var arrayFramer: JSONArrayFramer?
  /// Syntax errors between the elements of a JSON array file that lost no record (an error that
  /// stops framing is carried by the rejected rest of the file instead).
  var arrayErrors: [JSONArrayFramer.Failure] { arrayFramer?.failures ?? [] }

  /// Whether records are array elements rather than lines.
  var isArray: Bool { arrayFramer != nil }

  init(file: InputFile, sizes: ReadSizes = .standard) {
    self.file = file
    self.sizes = sizes
  }

  /// Returns a block to the pool once every reference to its bytes is gone.
  func recycle(_ block: ByteBlock) {
    poolLock.wait()
    if pool.count < 8 { pool.append(block) }
    poolLock.signal()
  }

  /// A block from the pool, or a new one.
  private func freshBlock() -> ByteBlock {
    poolLock.wait()
    let reused = pool.popLast()
    poolLock.signal()
    return reused ?? ByteBlock(capacity: sizes.blockSize + sizes.readSize)
  }

  /// The next block of whole records, or nil at the end of the input.
  /// - Throws: ``TunePrepError`` when reading fails.
  func next() throws(TunePrepError) -> ByteBlock? {
    if !started {
      started = true
      try start()
    }
    if arrayFramer != nil {
      return try nextArrayBlock()
    }
    if atEOF && carry.isEmpty { return nil }
    let block = freshBlock()
    // The carry came from the input just before the next read.
    block.reset(alignedTo: file.bytesRead - carry.count)
    block.spans.removeAll(keepingCapacity: true)
    carry.withUnsafeBytes { block.append($0) }
    var scanned = 0
    carry.removeAll(keepingCapacity: true)
    while true {
      while block.count < sizes.blockSize && !atEOF {
        block.reserve(block.count + sizes.readSize)
        let n = try file.read(into: block.base + block.count, count: sizes.readSize)
        if n == 0 { atEOF = true } else { block.count += n }
      }
      // Cut after the last newline of the bytes not yet scanned.
      let bytes = block.bytes
      var cut = -1
      var k = block.count - 1
      while k >= scanned {
        if bytes[k] == 0x0A {
          cut = k
          break
        }
        k -= 1
      }
      if cut >= 0 {
        let tail = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[(cut + 1)...])
        carry.append(contentsOf: tail)
        block.count = cut + 1
        break
      }
      // No newline: the block starts where the record does, so its bytes are all one line,
      // which may not pass the limit (the last line of the file included).
      if block.count > sizes.maxRecordSize {
        recycle(block)
        throw .recordTooLong(
          path: file.name.displayName, line: nextLine, limit: sizes.maxRecordSize)
      }
      if atEOF { break }
      // The record is longer than a block, so read on.
      scanned = block.count
      block.reserve(block.count + sizes.blockSize)
      while block.count < scanned + sizes.blockSize && !atEOF {
        block.reserve(block.count + sizes.readSize)
        let n = try file.read(into: block.base + block.count, count: sizes.readSize)
        if n == 0 { atEOF = true } else { block.count += n }
      }
    }
    if block.count == 0 {
      recycle(block)
      return nil
    }
    block.byteOffset = offset
    block.firstLine = nextLine
    block.newlines = countNewlines(block.bytes)
    offset += block.count
    nextLine += block.newlines
    return block
  }

  /// Reads the first bytes to skip a BOM and to decide between JSONL and a JSON array.
  private func start() throws(TunePrepError) {
    var head: [UInt8] = []
    // Read until there are enough bytes to see a BOM and the first byte after it, or EOF; for a
    // .json file, also past leading white space (up to 1 MiB) to its first byte, which decides
    // whether it is an array.
    while head.count < 4
      || (file.name.isJSONFile && head.count < 1 << 20
        && head.dropFirst(head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0).allSatisfy(
          isJSONWhitespace))
    {
      let more = try readChunk(min(sizes.readSize, 4096))
      if more.isEmpty {
        atEOF = true
        break
      }
      head.append(contentsOf: more)
    }
    if head.starts(with: [0xEF, 0xBB, 0xBF]) {
      hadBOM = true
      head.removeFirst(3)
      offset = 3
    }
    if file.name.isJSONFile, let first = head.first(where: { !isJSONWhitespace($0) }),
      first == UInt8(ascii: "[")
    {
      arrayFramer = JSONArrayFramer(startOffset: offset)
    }
    carry = head
  }

  /// Reads up to `count` bytes into a new array (empty at end of input).
  private func readChunk(_ count: Int) throws(TunePrepError) -> [UInt8] {
    // Placed at the input offset's position in a 64-byte line: see `ByteBlock.reset(alignedTo:)`.
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: count + 64, alignment: 64)
    defer { scratch.deallocate() }
    let start = scratch + (file.bytesRead & 63)
    let n = try file.read(into: start, count: count)
    return Array(UnsafeRawBufferPointer(start: start, count: n))
  }

  private func nextArrayBlock() throws(TunePrepError) -> ByteBlock? {
    guard var framer = arrayFramer else { return nil }
    defer { arrayFramer = framer }
    if framer.finished { return nil }
    let block = freshBlock()
    block.reset(alignedTo: 0)
    block.spans.removeAll(keepingCapacity: true)
    block.newlines = 0
    block.firstLine = 1
    block.byteOffset = 0
    // The framer owns any partial element; feed it until it has a block's worth of records.
    while !framer.finished {
      if carry.isEmpty && !atEOF {
        carry = try readChunk(sizes.readSize)
        if carry.isEmpty { atEOF = true }
      }
      let input = carry
      carry.removeAll(keepingCapacity: true)
      input.withUnsafeBufferPointer { framer.feed($0, into: block) }
      if atEOF && carry.isEmpty {
        framer.finish(into: block)
      }
      if block.count >= sizes.blockSize { break }
    }
    if block.spans.isEmpty {
      recycle(block)
      return nil
    }
    return block
  }
}

@inline(__always) func isJSONWhitespace(_ b: UInt8) -> Bool {
  b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
}
