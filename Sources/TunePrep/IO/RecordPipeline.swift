internal import Dispatch

#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// Where a record starts in its input.
struct RecordPosition: Sendable {
  /// The input's display name.
  var file: String
  /// Line of the record's first byte, from 1.
  var line: Int
  /// Byte column of the record's first byte, from 1 (1 for JSONL).
  var column: Int
  /// Offset of the record's first byte in the input, from 0.
  var byteOffset: Int

  /// The location of byte `offset` of the record (line and byte column).
  /// - Parameters:
  ///   - offset: byte offset inside the record.
  ///   - bytes: the record's bytes, scanned for newlines only when the record spans lines.
  func location(atByte offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Location {
    var line = self.line
    var column = self.column
    var i = 0
    let stop = min(offset, bytes.count)
    while i < stop {
      if bytes[i] == 0x0A {
        line += 1
        column = 1
      } else {
        column += 1
      }
      i += 1
    }
    return Location(file: file, line: line, column: column)
  }

  /// The location of the record itself (no column).
  var recordLocation: Location { Location(file: file, line: line) }
}

/// What one block of records produced; every command's per-block result has findings.
protocol BlockResult {
  init()
  /// Findings in record order.
  var findings: [Finding] { get set }
}

/// A command's per-record work, run on one worker thread with its own reusable state.
protocol RecordVisitor {
  associatedtype Result: BlockResult
  /// Handles one record (never a blank line; the pipeline reports those).
  mutating func visit(_ bytes: UnsafeBufferPointer<UInt8>, at position: RecordPosition, into result: inout Result)
}

/// The outcome of one block, handed to the consumer in input order.
struct BlockOutcome<Result: BlockResult> {
  var result: Result
  /// Records visited (blank lines excluded).
  var records = 0
  /// Lines that ended in CRLF, and the first such line.
  var crlfLines = 0
  var firstCRLFLine = 0
  /// The block, valid until `consume` returns (for commands that copy records out).
  var block: ByteBlock
}

/// Runs a ``RecordVisitor`` over every record of an input on several threads, and hands the
/// per-block results to a consumer strictly in input order, so output never depends on the
/// thread count or timing.
///
/// The next group of blocks is read while the current one is processed; memory is bounded by
/// two groups of blocks.
struct RecordPipeline {
  /// Worker threads (at least 1).
  var threads: Int
  /// Block and read sizes.
  var sizes: ReadSizes

  init(threads: Int? = nil, sizes: ReadSizes = .standard) {
    self.threads = max(1, threads ?? RecordPipeline.defaultThreads)
    self.sizes = sizes
  }

  /// The number of online processors, or `TUNEPREP_THREADS` when set.
  static var defaultThreads: Int {
    if let text = getenv("TUNEPREP_THREADS"), let n = Int(String(cString: text)), n > 0 {
      return n
    }
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
  }

  /// Reads `input` and visits its records.
  /// - Parameters:
  ///   - input: the opened input.
  ///   - makeVisitor: makes one visitor per thread; it sees the first block (to sniff a format).
  ///   - fileFindings: receives findings about the whole file (BOM, framing errors) in order.
  ///   - consume: receives each block's outcome in input order.
  /// - Throws: ``TunePrepError`` when reading fails, or whatever `consume` throws.
  func run<V: RecordVisitor>(
    _ input: InputFile,
    makeVisitor: (_ firstBlock: ByteBlock?) -> V,
    fileFinding: (Finding) -> Void,
    consume: (inout BlockOutcome<V.Result>) throws(TunePrepError) -> Void
  ) throws(TunePrepError) {
    let reader = BlockReader(file: input, sizes: sizes)
    let name = input.name.displayName
    var group = try readGroup(reader)
    let first = group.first
    let slots = Slots<V>(count: threads, visitors: (0..<threads).map { _ in makeVisitor(first) })
    if reader.hadBOM {
      fileFinding(
        Finding(
          .encodingBOM, at: Location(file: name, line: 1, column: 1),
          message: "the file starts with a UTF-8 byte order mark; it was skipped, but some trainers choke on it: re-save as UTF-8 without BOM"
        ))
    }
    while !group.isEmpty {
      let current = group
      var nextGroup: [ByteBlock] = []
      var readError: TunePrepError?
      let isArray = reader.isArray
      withoutActuallyEscaping({ (i: Int) in
        if i == current.count {
          do throws(TunePrepError) {
            nextGroup = try readGroup(reader)
          } catch {
            readError = error
          }
        } else {
          slots.process(current[i], slot: i, file: name, isArray: isArray)
        }
      }) { work in
        let box = UncheckedBox(work)
        DispatchQueue.concurrentPerform(iterations: current.count + 1) { box.value($0) }
      }
      for i in 0..<current.count {
        guard var outcome = slots.take(i) else { continue }
        try consume(&outcome)
      }
      for block in current { reader.recycle(block) }
      if let readError { throw readError }
      group = nextGroup
    }
    if let failure = reader.arrayError {
      fileFinding(
        Finding(
          .jsonSyntax, at: Location(file: name, line: failure.line, column: failure.column),
          message: "invalid JSON array at column \(failure.column): \(failure.message)"))
    }
  }

  private func readGroup(_ reader: BlockReader) throws(TunePrepError) -> [ByteBlock] {
    var blocks: [ByteBlock] = []
    while blocks.count < threads, let block = try reader.next() {
      blocks.append(block)
    }
    return blocks
  }
}

/// A value that crosses into `concurrentPerform`, whose iterations touch disjoint slots only.
private final class UncheckedBox<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}

/// Per-thread visitors and per-block outcomes; iteration `i` only touches slot `i`.
private final class Slots<V: RecordVisitor>: @unchecked Sendable {
  private var visitors: [V]
  private var outcomes: [BlockOutcome<V.Result>?]

  init(count: Int, visitors: [V]) {
    self.visitors = visitors
    self.outcomes = Array(repeating: nil, count: count)
  }

  func take(_ i: Int) -> BlockOutcome<V.Result>? {
    defer { outcomes[i] = nil }
    return outcomes[i]
  }

  func process(_ block: ByteBlock, slot: Int, file: String, isArray: Bool) {
    var outcome = BlockOutcome<V.Result>(result: V.Result(), block: block)
    visitors.withUnsafeMutableBufferPointer { all in
      if isArray {
        visitSpans(block, visitor: &all[slot], file: file, outcome: &outcome)
      } else {
        visitLines(block, visitor: &all[slot], file: file, outcome: &outcome)
      }
    }
    outcomes.withUnsafeMutableBufferPointer { $0[slot] = outcome }
  }

  private func visitSpans(
    _ block: ByteBlock, visitor: inout V, file: String, outcome: inout BlockOutcome<V.Result>
  ) {
    let bytes = block.bytes
    for span in block.spans {
      let record = UnsafeBufferPointer(rebasing: bytes[span.start..<span.end])
      let position = RecordPosition(
        file: file, line: span.line, column: span.column, byteOffset: span.start)
      outcome.records += 1
      visitor.visit(record, at: position, into: &outcome.result)
    }
  }

  private func visitLines(
    _ block: ByteBlock, visitor: inout V, file: String, outcome: inout BlockOutcome<V.Result>
  ) {
    let bytes = block.bytes
    let n = bytes.count
    var start = 0
    var line = block.firstLine
    while start < n {
      var end = start
      if let base = bytes.baseAddress,
        let hit = memchr(base + start, 0x0A, n - start)
      {
        end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      } else {
        end = n
      }
      var contentEnd = end
      if contentEnd > start && bytes[contentEnd - 1] == 0x0D {
        contentEnd -= 1
        if end < n {
          if outcome.crlfLines == 0 { outcome.firstCRLFLine = line }
          outcome.crlfLines += 1
        }
      }
      let record = UnsafeBufferPointer(rebasing: bytes[start..<contentEnd])
      let position = RecordPosition(
        file: file, line: line, column: 1, byteOffset: block.byteOffset + start)
      if isBlank(record) {
        outcome.result.findings.append(
          Finding(
            .jsonBlankLine, at: position.recordLocation,
            message: "blank line: remove it (JSONL has one record per line and no empty lines)"))
      } else {
        outcome.records += 1
        visitor.visit(record, at: position, into: &outcome.result)
      }
      start = end + 1
      line += 1
    }
  }

  private func isBlank(_ record: UnsafeBufferPointer<UInt8>) -> Bool {
    for b in record where b != 0x20 && b != 0x09 && b != 0x0D {
      return false
    }
    return true
  }
}
