internal import Dispatch

/// The second pass of `split`: reads the input again from the start in large chunks, copies
/// each record byte for byte (plus a newline) to its split, writes rejected records with their
/// reason, and hashes the input and every split file with SHA-256, the hashes on all cores.
struct SplitWriter {
  let options: Splitter.Options
  /// Bytes read per chunk: twice the first pass's block size (8 MiB by default).
  var chunkSize: Int

  init(options: Splitter.Options) {
    self.options = options
    chunkSize = max(1, options.readSizes.blockSize * 2)
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
    let splits = options.names.count
    let input = source.secondPass
    let buffer = ByteBlock(capacity: chunkSize * 2)
    var bufferStart: Int64 = 0
    let lanes = HashLanes(count: splits + 1)
    let writer = SplitDrain(
      streams: outputs.splits, lanes: lanes, checksums: options.checksums,
      capacity: chunkSize + chunkSize / 4)
    // Never leave with writes in flight: on an error the caller discards the outputs.
    defer { writer.finish() }
    var pending = writer.take()
    var fresh = 0..<0
    var atEOF = false
    var checker = RecordChecker(
      fileFormat: scan.format, detected: options.format == nil, formatLocation: nil)
    var findings: [Finding] = []
    let name = source.name.displayName

    /// Hashes the fresh input bytes here and hands the pending split bytes to the writer
    /// thread, which hashes and writes them while this thread reads on.
    func drain() {
      if options.checksums {
        lanes.update(
          0, UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer.bytes)[fresh]))
      }
      fresh = fresh.upperBound..<fresh.upperBound
      writer.submit(pending)
      pending = writer.take()
    }

    /// Makes the bytes `[offset, offset + length)` available in the buffer.
    func load(_ offset: Int64, _ length: Int) throws(TunePrepError) {
      while offset + Int64(length) > bufferStart + Int64(buffer.count) {
        if atEOF {
          throw .readFailed(
            path: name, byteOffset: Int(bufferStart) + buffer.count,
            reason:
              "the input changed while split was running (it is shorter now): run again on a stable copy"
          )
        }
        drain()
        // Keep only what is still needed: from the record's start. The record may start
        // past the bytes read so far (when a read ended just before its newline or a blank
        // line): then drop them all and read on.
        let keep = min(buffer.count, max(0, Int(offset - bufferStart)))
        if keep > 0 {
          let remaining = buffer.count - keep
          if remaining > 0 {
            buffer.base.copyMemory(from: buffer.base + keep, byteCount: remaining)
          }
          buffer.count = max(0, remaining)
          bufferStart += Int64(keep)
        }
        buffer.reserve(max(buffer.count + chunkSize, length + chunkSize))
        let n = try input.read(into: buffer.base + buffer.count, count: chunkSize)
        if n == 0 { atEOF = true }
        fresh = buffer.count..<(buffer.count + n)
        buffer.count += n
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
      let start = Int(entry.offset - bufferStart)
      let bytes = UnsafeBufferPointer(rebasing: buffer.bytes[start..<(start + length)])
      if takeRejected {
        r += 1
        guard let rejects = outputs.rejects else { continue }
        findings.removeAll(keepingCapacity: true)
        let position = RecordPosition(
          file: name, line: Int(entry.line), column: 1, byteOffset: Int(entry.offset))
        _ = checker.check(bytes, at: position, findings: &findings)
        let first = findings.first { $0.severity == .error } ?? findings.first
        var line = "{\"file\":\(name.jsonQuoted),\"line\":\(entry.line)"
        line += ",\"reason\":\((first?.code ?? "invalid").jsonQuoted)"
        line += ",\"message\":\((first?.message ?? "the record failed validation").jsonQuoted)"
        line += ",\"text\":\(String(decoding: bytes, as: UTF8.self).jsonQuoted)}\n"
        rejects.write(line)
      } else {
        let block = pending[Int(assignment.splitOf[a])]
        block.append(UnsafeRawBufferPointer(bytes))
        withUnsafeBytes(of: UInt8(0x0A)) { block.append($0) }
        a += 1
      }
    }
    // Hash what is left of the input after the last record.
    while !atEOF && options.checksums {
      drain()
      bufferStart += Int64(buffer.count)
      buffer.count = 0
      let n = try input.read(into: buffer.base, count: chunkSize)
      if n == 0 { atEOF = true }
      fresh = 0..<n
      buffer.count = n
    }
    drain()
    writer.finish()
    for stream in outputs.splits { try stream.flush() }
    try outputs.rejects?.flush()
    guard options.checksums else {
      return Digests(
        input: nil, inputBytes: source.firstPass.bytesRead,
        splits: Array(repeating: nil, count: splits))
    }
    return Digests(
      input: lanes.finish(0), inputBytes: source.firstPass.bytesRead,
      splits: (1...splits).map { lanes.finish($0) })
  }
}

/// The writer thread of the second pass: hashes and writes one set of split buffers while
/// the reading thread fills the other; two sets circulate, so memory stays bounded.
private final class SplitDrain: @unchecked Sendable {
  private let streams: [OutputStream]
  private let lanes: HashLanes
  private let checksums: Bool
  private let queue = DispatchQueue(label: "tuneprep.split.writer")
  private let poolQueue = DispatchQueue(label: "tuneprep.split.pool")
  /// Counts the sets in the pool.
  ///
  /// Created at 0 and signalled twice: libdispatch traps when a semaphore is freed below its
  /// initial value, which a set still in use would cause.
  private let available = DispatchSemaphore(value: 0)
  private var pool: [[ByteBlock]]

  init(streams: [OutputStream], lanes: HashLanes, checksums: Bool, capacity: Int) {
    self.streams = streams
    self.lanes = lanes
    self.checksums = checksums
    pool = (0..<2).map { _ in streams.map { _ in ByteBlock(capacity: capacity) } }
    available.signal()
    available.signal()
  }

  /// An empty set of buffers, one per split; waits while both sets are being written.
  func take() -> [ByteBlock] {
    available.wait()
    return poolQueue.sync { pool.removeLast() }
  }

  /// Hashes and writes a filled set on the writer thread, then returns it to the pool.
  func submit(_ set: [ByteBlock]) {
    queue.async { [self] in
      for (k, block) in set.enumerated() where block.count > 0 {
        if checksums { lanes.update(k + 1, UnsafeRawBufferPointer(block.bytes)) }
        streams[k].write(block.bytes)
        block.count = 0
      }
      poolQueue.sync { pool.append(set) }
      available.signal()
    }
  }

  /// Waits until every submitted set is written.
  func finish() {
    queue.sync {}
  }
}

/// One SHA-256 per lane in manually managed storage, so parallel iterations can each update
/// their own lane without touching a shared array.
private final class HashLanes: @unchecked Sendable {
  private let lanes: UnsafeMutablePointer<SHA256Stream>
  private let count: Int

  init(count: Int) {
    self.count = count
    lanes = .allocate(capacity: count)
    lanes.initialize(repeating: SHA256Stream(), count: count)
  }

  deinit {
    lanes.deinitialize(count: count)
    lanes.deallocate()
  }

  func update(_ lane: Int, _ bytes: UnsafeRawBufferPointer) {
    lanes[lane].update(bytes)
  }

  func finish(_ lane: Int) -> String {
    lanes[lane].finalizeHex()
  }
}
