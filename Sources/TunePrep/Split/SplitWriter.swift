internal import Dispatch

/// The second pass of `split`: reads the input again from the start, copies each record byte
/// for byte (plus a newline) to its split, and writes rejected records with their reason.
///
/// The reading thread only reads and copies. Each split has a writer thread of its own that
/// hashes (SHA-256) and writes its blocks while the reading thread fills the next ones, and the
/// input's SHA-256 runs on one more thread over the chunks as they were read; so both cores
/// stay busy. Split files stream to disk as they are written (``OutputStream/writeBack(_:)``
/// every 8 MiB), so the `fsync` at commit has little to wait for.
struct SplitWriter {
  let options: Splitter.Options
  /// Bytes read at a time: the first pass's block size (4 MiB by default).
  var chunkSize: Int
  /// A split's bytes go to its writer thread once this many are collected: the first pass's
  /// read size (1 MiB by default), small enough to be hashed and written while still cached.
  var blockSize: Int

  init(options: Splitter.Options) {
    self.options = options
    chunkSize = max(1, options.readSizes.blockSize)
    blockSize = max(1, options.readSizes.readSize)
  }

  /// The manifest's checksums.
  struct Digests {
    /// Nil when checksums are off.
    var input: String?
    var inputBytes: Int
    var splits: [String?]
  }

  /// Writes every split.
  /// - Throws: ``TunePrepError`` when reading or writing fails, or the input changed since
  ///   the first pass.
  func write(
    scan: SplitScan.Result, assignment: SplitAssignment, source: SplitSource, outputs: SplitOutputs
  ) throws(TunePrepError) -> Digests {
    try reserveSpace(scan: scan, assignment: assignment, outputs: outputs)
    let input = source.secondPass
    let checksums = options.checksums
    // Three chunks circulate: one being filled, two queued for the input's hash. The slack
    // holds the start of a record carried over from the previous chunk.
    let chunks = BlockPool(count: 3, capacity: chunkSize + chunkSize / 4)
    let inputHash = checksums ? HashingThread(pool: chunks) : nil
    let writers = outputs.splits.map { stream in
      SplitFileWriter(stream: stream, checksums: checksums, blockSize: blockSize)
    }
    // Never leave with writes in flight: on an error the caller discards the outputs.
    defer {
      for writer in writers { writer.finish() }
      inputHash?.finish()
    }
    var pending = writers.map { $0.take() }
    var chunk = chunks.take()
    /// Offset in the input of the chunk's first byte.
    var chunkStart: Int64 = 0
    var atEOF = false
    var checker = RecordChecker(
      fileFormat: scan.format, detected: options.format == nil, formatLocation: nil)
    var findings: [Finding] = []
    let name = source.name.displayName

    /// Hands the first `count` bytes of the current chunk to the input's hash (or back to
    /// the pool) and continues in a fresh chunk that starts with the rest.
    func nextChunk(after count: Int) {
      let fresh = chunks.take()
      let carry = chunk.count - count
      fresh.reset(alignedTo: Int(chunkStart) + count)
      fresh.reserve(carry + chunkSize)
      if carry > 0 {
        fresh.base.copyMemory(from: chunk.base + count, byteCount: carry)
      }
      fresh.count = carry
      if let inputHash {
        inputHash.submit(chunk, count: count)
      } else {
        chunks.give(chunk)
      }
      chunk = fresh
      chunkStart += Int64(count)
    }

    /// Reads the next bytes of the input into the current chunk.
    func readMore() throws(TunePrepError) {
      chunk.reserve(chunk.count + chunkSize)
      let n = try input.read(into: chunk.base + chunk.count, count: chunkSize)
      if n == 0 { atEOF = true }
      chunk.count += n
    }

    /// Makes the bytes `[offset, offset + length)` available in the current chunk.
    func load(_ offset: Int64, _ length: Int) throws(TunePrepError) {
      while offset + Int64(length) > chunkStart + Int64(chunk.count) {
        if atEOF {
          throw .readFailed(
            path: name, byteOffset: Int(chunkStart) + chunk.count,
            reason:
              "the input changed while split was running (it is shorter now): run again on a stable copy"
          )
        }
        // Bytes before the record are done with; the record may start past the bytes read
        // so far (after a newline, a CR or a blank line that the last read stopped before).
        let done = min(chunk.count, max(0, Int(offset - chunkStart)))
        if done > 0 && chunk.count >= chunkSize {
          nextChunk(after: done)
        }
        try readMore()
      }
    }

    var a = 0
    var r = 0
    let entries = scan.entries
    let rejected = scan.rejected
    while a < entries.count || r < rejected.count {
      let takeRejected =
        r < rejected.count && (a >= entries.count || rejected[r].offset < entries[a].offset)
      let entry = takeRejected ? rejected[r] : entries[a]
      let length = Int(entry.length)
      try load(entry.offset, length)
      let start = Int(entry.offset - chunkStart)
      let bytes = UnsafeBufferPointer(rebasing: chunk.bytes[start..<(start + length)])
      if takeRejected {
        r += 1
        guard let rejects = outputs.rejects else { continue }
        findings.removeAll(keepingCapacity: true)
        let position = RecordPosition(
          file: name, line: Int(entry.line), column: 1, byteOffset: Int(entry.offset))
        _ = checker.check(bytes, at: position, findings: &findings)
        rejects.write(
          invalidRecordRejectLine(
            file: name, line: Int(entry.line), findings: findings, record: bytes))
      } else {
        let split = Int(assignment.splitOf[a])
        let block = pending[split]
        block.appendLine(bytes)
        if block.count >= blockSize {
          writers[split].submit(block)
          pending[split] = writers[split].take()
        }
        a += 1
      }
    }
    for (split, block) in pending.enumerated() {
      writers[split].submit(block)
    }
    // Hash what is left of the input after the last record.
    if let inputHash {
      while !atEOF {
        if chunk.count >= chunkSize { nextChunk(after: chunk.count) }
        try readMore()
      }
      inputHash.submit(chunk, count: chunk.count)
    }
    for writer in writers { writer.finish() }
    // Placement was decided on the first pass's bytes: nothing is published if the input was
    // written to since (this reader was opened before the first pass began).
    try input.checkUnchanged()
    for stream in outputs.splits { try stream.flush() }
    try outputs.rejects?.flush()
    return Digests(
      input: inputHash?.digest(), inputBytes: source.firstPass.bytesRead,
      splits: writers.map { $0.digest() })
  }
}

extension SplitWriter {
  /// Reserves each split file's final size on disk (see ``OutputStream/reserve(_:)``): every
  /// record is written as its bytes and a newline, so the sizes are known before the first write.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)`` when the disk is too small.
  func reserveSpace(
    scan: SplitScan.Result, assignment: SplitAssignment, outputs: SplitOutputs
  ) throws(TunePrepError) {
    var sizes = [Int](repeating: 0, count: outputs.splits.count)
    for (index, entry) in scan.entries.enumerated() {
      sizes[Int(assignment.splitOf[index])] += Int(entry.length) + 1
    }
    for (stream, size) in zip(outputs.splits, sizes) {
      try stream.reserve(size)
    }
  }
}

/// A fixed set of blocks shared by the threads of the second pass: ``take()`` waits until
/// one is free, so memory stays bounded whatever the speed of each thread.
private final class BlockPool: @unchecked Sendable {
  private var blocks: [ByteBlock]
  private let lock = DispatchSemaphore(value: 1)
  /// Counts the free blocks.
  ///
  /// Created at 0 and signalled once per block: libdispatch traps when a semaphore is freed
  /// below its initial value, which a block still in use would cause.
  private let available = DispatchSemaphore(value: 0)

  init(count: Int, capacity: Int) {
    blocks = (0..<count).map { _ in ByteBlock(capacity: capacity) }
    for _ in 0..<count { available.signal() }
  }

  /// A free block, emptied; waits while every block is in use.
  func take() -> ByteBlock {
    available.wait()
    lock.wait()
    defer { lock.signal() }
    let block = blocks.removeLast()
    block.reset(alignedTo: 0)
    return block
  }

  /// Returns a block to the pool.
  func give(_ block: ByteBlock) {
    lock.wait()
    blocks.append(block)
    lock.signal()
    available.signal()
  }
}

/// The thread that hashes the input, chunk by chunk in reading order, and returns each chunk
/// to the reading thread's pool.
private final class HashingThread: @unchecked Sendable {
  private let queue = DispatchQueue(label: "tuneprep.split.input-hash")
  private let pool: BlockPool
  /// Touched only on `queue`.
  private var hasher = SHA256Stream()

  init(pool: BlockPool) {
    self.pool = pool
  }

  /// Hashes the chunk's first `count` bytes, then frees the chunk.
  func submit(_ chunk: ByteBlock, count: Int) {
    queue.async { [self] in
      hasher.update(UnsafeRawBufferPointer(start: chunk.base, count: count))
      pool.give(chunk)
    }
  }

  /// Waits until every submitted chunk is hashed.
  func finish() {
    queue.sync {}
  }

  /// The input's SHA-256, after the last chunk was submitted.
  func digest() -> String {
    queue.sync { hasher.finalizeHex() }
  }
}

/// The threads of one split: writing, write-back and (with checksums) hashing.
///
/// One thread writes the split's blocks in order while the reading thread fills the next ones;
/// one more streams what was written to disk (``OutputStream/writeBack(_:)``, which costs the
/// kernel as much as a third of the write), and with checksums a third hashes each block once
/// written. So the 80 % split's writes, write-back and hash run side by side instead of one
/// after the other. Four blocks circulate (being filled, written, hashed, and one spare).
private final class SplitFileWriter: @unchecked Sendable {
  private let stream: OutputStream
  private let writeQueue = DispatchQueue(label: "tuneprep.split.writer")
  private let diskQueue = DispatchQueue(label: "tuneprep.split.write-back")
  private let hashQueue: DispatchQueue?
  private let pool: BlockPool
  /// Touched only on `hashQueue`.
  private var hasher = SHA256Stream()
  /// Bytes handed to ``OutputStream/writeBack(_:)``; touched only on `writeQueue`.
  private var writtenBack = 0
  /// How often write-back starts: every 8 MiB, for the 8 MiB before (whose pages are dropped
  /// if already written back) and the 8 MiB just written (whose write-back starts).
  private static let writeBackStep = 8 << 20

  init(stream: OutputStream, checksums: Bool, blockSize: Int) {
    self.stream = stream
    hashQueue = checksums ? DispatchQueue(label: "tuneprep.split.hash") : nil
    // Room for a last record past the threshold without growing.
    pool = BlockPool(count: 4, capacity: blockSize + blockSize / 4)
  }

  /// Bytes submitted so far, which is where the next block lands in the file; touched only by
  /// the thread that takes and submits blocks.
  private var submitted = 0

  /// An empty block to fill, placed for the file offset it will be written at (see
  /// ``ByteBlock/reset(alignedTo:)``); waits while all four are in use.
  func take() -> ByteBlock {
    let block = pool.take()
    block.reset(alignedTo: submitted)
    return block
  }

  /// Writes a filled block on this split's thread, then hashes it on the other (both in
  /// submission order), then frees it.
  func submit(_ block: ByteBlock) {
    submitted += block.count
    writeQueue.async { [self] in
      stream.writeThrough(UnsafeRawBufferPointer(start: block.base, count: block.count))
      let written = stream.flushedBytes
      if written - writtenBack >= Self.writeBackStep {
        let range = max(0, writtenBack - Self.writeBackStep)..<written
        writtenBack = written
        diskQueue.async { [self] in stream.writeBack(range) }
      }
      guard let hashQueue else {
        pool.give(block)
        return
      }
      hashQueue.async { [self] in
        hasher.update(UnsafeRawBufferPointer(start: block.base, count: block.count))
        pool.give(block)
      }
    }
  }

  /// Waits until every submitted block is written, handed to write-back and hashed.
  func finish() {
    writeQueue.sync {}
    diskQueue.sync {}
    hashQueue?.sync {}
  }

  /// The split file's SHA-256 (nil without checksums), after ``finish()``.
  func digest() -> String? {
    hashQueue?.sync { hasher.finalizeHex() }
  }
}
