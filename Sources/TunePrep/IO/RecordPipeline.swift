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
  /// Column of the record's first byte in Unicode code points, from 1 (1 for JSONL).
  var characterColumn = 1
  /// Offset of the record's first byte in the input, from 0.
  var byteOffset: Int
  /// Set when the bytes are not a record but the unread rest of a JSON array file whose
  /// framing stopped: why, as the message of the record's rejection.
  var unreadRest: String? = nil

  /// Becomes `other`, assigning the file name only when it differs: a position kept from
  /// record to record then costs no reference counting (each assignment of a heap string
  /// retains and releases its storage, an atomic operation per record).
  mutating func update(to other: RecordPosition) {
    if file != other.file { file = other.file }
    line = other.line
    column = other.column
    characterColumn = other.characterColumn
    byteOffset = other.byteOffset
    if unreadRest != nil || other.unreadRest != nil { unreadRest = other.unreadRest }
  }

  /// The location of byte `offset` of the record: line, byte column and code-point column.
  ///
  /// Called only when a finding is made, so the code points before the offset on its line are
  /// counted here rather than while records are read.
  /// - Parameters:
  ///   - offset: byte offset inside the record.
  ///   - bytes: the record's bytes.
  func location(atByte offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Location {
    var at = TextPosition(line: line, column: column, characterColumn: characterColumn)
    at.advance(over: UnsafeBufferPointer(rebasing: bytes[..<min(max(offset, 0), bytes.count)]))
    return Location(
      file: file, line: at.line, column: at.column, characterColumn: at.characterColumn)
  }

  /// The location of the record's first byte.
  var startLocation: Location {
    Location(file: file, line: line, column: column, characterColumn: characterColumn)
  }

  /// The location of the record itself (no column).
  var recordLocation: Location { Location(file: file, line: line) }
}

/// The number of Unicode scalars in `bytes` read as UTF-8, each ill-formed sequence counting
/// as one (the U+FFFD a decoder puts in its place, one per maximal subpart).
func codePointCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
  var iterator = bytes.makeIterator()
  var parser = Unicode.UTF8.ForwardParser()
  var count = 0
  while true {
    switch parser.parseScalar(from: &iterator) {
    case .valid, .error: count += 1
    case .emptyInput: return count
    }
  }
}

/// A line, byte column and code-point column in a text, moved forward over bytes of it.
struct TextPosition {
  var line: Int
  var column: Int
  var characterColumn: Int

  /// Moves past `bytes`, which start and end on character boundaries: a newline starts the
  /// next line at column 1.
  mutating func advance(over bytes: UnsafeBufferPointer<UInt8>) {
    var lineStart = 0
    for i in bytes.indices where bytes[i] == 0x0A {
      line += 1
      column = 1
      characterColumn = 1
      lineStart = i + 1
    }
    column += bytes.count - lineStart
    characterColumn += codePointCount(UnsafeBufferPointer(rebasing: bytes[lineStart...]))
  }
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
  mutating func visit(
    _ bytes: UnsafeBufferPointer<UInt8>, at position: RecordPosition, into result: inout Result)
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
  /// Worker threads, 1...``ThreadCount/maximum``.
  var threads: Int
  /// Block and read sizes.
  var sizes: ReadSizes
  /// Starts the reader and worker threads; tests replace it to make thread creation fail.
  var startThread: ThreadStarter = WorkerThread.start

  /// Starts `body` on a thread of its own, or tells why the system refused one.
  typealias ThreadStarter =
    (@escaping @Sendable () -> Void) -> Result<WorkerThread, WorkerThread.StartError>

  init(threads: Int? = nil, sizes: ReadSizes = .standard) {
    self.threads = ThreadCount.resolve(threads)
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
  ///
  /// A reader thread cuts blocks and queues them; `threads` workers take blocks as they come
  /// and file each outcome under its sequence number; the calling thread consumes outcomes in
  /// sequence order. At most `2 × threads + 2` blocks are in flight (queued, being visited or
  /// waiting to be consumed), which bounds memory; there is no barrier between groups of
  /// blocks, so no core waits for the slowest block of a round.
  ///
  /// When the system refuses a worker thread after the first, the run goes on with the
  /// workers that started: the output does not depend on their number.
  /// - Parameters:
  ///   - input: the opened input.
  ///   - makeVisitor: makes one visitor per thread; it sees the first block (to sniff a format).
  ///   - fileFinding: receives findings about the whole file (BOM, framing errors) in order.
  ///   - consume: receives each block's outcome in input order.
  /// - Throws: ``TunePrepError`` when reading fails, when the system refuses the reader thread
  ///   or the first worker thread, or whatever `consume` throws.
  func run<V: RecordVisitor>(
    _ input: InputFile,
    makeVisitor: (_ firstBlock: ByteBlock?) -> V,
    fileFinding: (Finding) -> Void,
    consume: (inout BlockOutcome<V.Result>) throws(TunePrepError) -> Void
  ) throws(TunePrepError) {
    let reader = BlockReader(file: input, sizes: sizes)
    let name = input.name.displayName
    let first = try reader.next()
    let visitors = (0..<threads).map { _ in makeVisitor(first) }
    if reader.hadBOM {
      fileFinding(
        Finding(
          .encodingBOM, at: Location(file: name, line: 1, column: 1),
          message:
            "the file starts with a UTF-8 byte order mark; it was skipped, but some trainers choke on it: re-save as UTF-8 without BOM"
        ))
    }
    if let first {
      let state = StreamState<V>(
        reader: reader, visitors: visitors, capacity: 2 * threads + 2, file: name,
        isArray: reader.isArray)
      do throws(TunePrepError) {
        try state.start(first: first, using: startThread)
      } catch {
        state.finish()
        throw error
      }
      var failure: TunePrepError?
      var sequence = 0
      while let outcome = state.take(sequence) {
        var current = outcome
        do throws(TunePrepError) {
          try consume(&current)
        } catch {
          failure = error
          break
        }
        state.release(current.block)
        sequence += 1
      }
      state.finish()
      if let failure { throw failure }
      if let readError = state.readError { throw readError }
    }
    try input.checkUnchanged()
    for failure in reader.arrayErrors {
      fileFinding(
        Finding(
          .jsonSyntax,
          at: Location(
            file: name, line: failure.line, column: failure.column,
            characterColumn: failure.characterColumn),
          message: "invalid JSON array at column \(failure.column): \(failure.message)"))
    }
  }
}

/// The state shared by the reader thread, the worker threads and the consuming thread.
///
/// Hand-offs go through semaphores, which order memory: a block is written by the reader
/// before `ready` is signalled, an outcome is written by a worker before its slot's
/// semaphore is signalled, and a slot is reused only after the consumer returned its ticket.
private final class StreamState<V: RecordVisitor>: @unchecked Sendable {
  private let reader: BlockReader
  private let visitors: UnsafeMutablePointer<V>
  private let workerCount: Int
  private let capacity: Int
  private let file: String
  private let isArray: Bool
  /// One ticket per block in flight; the reader takes one before reading a block.
  private let tickets: DispatchSemaphore
  /// Counts queued blocks (and end markers) for the workers.
  private let ready = DispatchSemaphore(value: 0)
  private let queueLock = DispatchSemaphore(value: 1)
  private var queue: [(sequence: Int, block: ByteBlock?)] = []
  private var queueHead = 0
  /// Outcomes by sequence number modulo capacity; nil with a signalled slot means the end.
  private let slots: UnsafeMutablePointer<BlockOutcome<V.Result>?>
  private let slotReady: [DispatchSemaphore]
  private var threads: [WorkerThread] = []
  private let flagLock = DispatchSemaphore(value: 1)
  private var cancelledFlag = false
  private(set) var readError: TunePrepError?

  init(reader: BlockReader, visitors: [V], capacity: Int, file: String, isArray: Bool) {
    self.reader = reader
    self.workerCount = visitors.count
    self.visitors = UnsafeMutablePointer<V>.allocate(capacity: visitors.count)
    self.visitors.initialize(from: visitors, count: visitors.count)
    self.capacity = capacity
    self.file = file
    self.isArray = isArray
    self.tickets = DispatchSemaphore(value: capacity - 1)
    self.slots = UnsafeMutablePointer<BlockOutcome<V.Result>?>.allocate(capacity: capacity)
    self.slots.initialize(repeating: nil, count: capacity)
    self.slotReady = (0..<capacity).map { _ in DispatchSemaphore(value: 0) }
  }

  deinit {
    visitors.deinitialize(count: workerCount)
    visitors.deallocate()
    slots.deinitialize(count: capacity)
    slots.deallocate()
  }

  private var cancelled: Bool {
    flagLock.wait()
    defer { flagLock.signal() }
    return cancelledFlag
  }

  private func enqueue(_ sequence: Int, _ block: ByteBlock?) {
    queueLock.wait()
    queue.append((sequence, block))
    queueLock.signal()
    ready.signal()
  }

  private func dequeue() -> (sequence: Int, block: ByteBlock?) {
    ready.wait()
    queueLock.wait()
    defer { queueLock.signal() }
    let item = queue[queueHead]
    queueHead += 1
    if queueHead > 64 && queueHead * 2 > queue.count {
      queue.removeFirst(queueHead)
      queueHead = 0
    }
    return item
  }

  /// Starts the reader and the workers on threads of their own; `first` (already read) is
  /// block 0.
  ///
  /// Blocked tasks must not wait for a thread that may never come (a Dispatch fallback did,
  /// and hung once the process ran out of threads), so only started threads take part: if the
  /// system refuses a worker after the first, the others do its share (workers take blocks
  /// as they come, and the reader's extra end markers stay unread).
  /// - Parameter startThread: starts one thread.
  /// - Throws: ``TunePrepError`` when the reader or the first worker cannot start; call
  ///   ``finish()`` then to stop what did start.
  func start(first: ByteBlock, using startThread: RecordPipeline.ThreadStarter)
    throws(TunePrepError)
  {
    enqueue(0, first)
    switch spawn(using: startThread, { self.readAll() }) {
    case .success(let thread): threads.append(thread)
    case .failure(let error):
      throw .failed(
        "cannot start the reader thread: \(error.message); the system allows no more threads: stop other jobs or raise the limit (ulimit -u)"
      )
    }
    for worker in 0..<workerCount {
      switch spawn(using: startThread, { self.work(worker) }) {
      case .success(let thread): threads.append(thread)
      case .failure(let error):
        if worker > 0 { return }
        throw .failed(
          "cannot start worker thread 1 of \(workerCount): \(error.message); the system allows no more threads: stop other jobs or raise the limit (ulimit -u)"
        )
      }
    }
  }

  private func spawn(
    using startThread: RecordPipeline.ThreadStarter, _ body: @escaping @Sendable () -> Void
  ) -> Result<WorkerThread, WorkerThread.StartError> {
    startThread(body)
  }

  private func readAll() {
    var sequence = 1
    while true {
      tickets.wait()
      if cancelled { break }
      let block: ByteBlock?
      do throws(TunePrepError) {
        block = try reader.next()
      } catch {
        readError = error
        break
      }
      guard let block else { break }
      enqueue(sequence, block)
      sequence += 1
    }
    // The ticket just taken covers the end marker's slot.
    slotReady[sequence % capacity].signal()
    for _ in 0..<workerCount { enqueue(-1, nil) }
  }

  private func work(_ worker: Int) {
    // Every record's position holds the file name. A string of this worker's own keeps the
    // reference count that each position bumps off the cache line the other workers bump.
    let file = String(decoding: Array(self.file.utf8), as: UTF8.self)
    while true {
      let (sequence, block) = dequeue()
      guard let block else { return }
      var outcome = BlockOutcome<V.Result>(result: V.Result(), block: block)
      if !cancelled {
        if isArray {
          visitSpans(block, file: file, visitor: &visitors[worker], outcome: &outcome)
        } else {
          visitLines(block, file: file, visitor: &visitors[worker], outcome: &outcome)
        }
      }
      slots[sequence % capacity] = outcome
      slotReady[sequence % capacity].signal()
    }
  }

  /// Waits for the outcome of block `sequence`; nil at the end of the input.
  func take(_ sequence: Int) -> BlockOutcome<V.Result>? {
    slotReady[sequence % capacity].wait()
    let outcome = slots[sequence % capacity]
    slots[sequence % capacity] = nil
    return outcome
  }

  /// Returns a consumed block to the reader's pool and its ticket to the reader.
  func release(_ block: ByteBlock) {
    reader.recycle(block)
    tickets.signal()
  }

  /// Stops the reader and the workers (early, if the consumer stopped) and waits for them.
  func finish() {
    flagLock.wait()
    cancelledFlag = true
    flagLock.signal()
    for _ in 0..<capacity { tickets.signal() }
    for thread in threads { thread.join() }
  }

  private func visitSpans(
    _ block: ByteBlock, file: String, visitor: inout V, outcome: inout BlockOutcome<V.Result>
  ) {
    let bytes = block.bytes
    for span in block.spans {
      let record = UnsafeBufferPointer(rebasing: bytes[span.start..<span.end])
      var position = RecordPosition(
        file: file, line: span.line, column: span.column,
        characterColumn: span.characterColumn, byteOffset: span.start)
      position.unreadRest = span.unreadRest
      outcome.records += 1
      visitor.visit(record, at: position, into: &outcome.result)
    }
  }

  private func visitLines(
    _ block: ByteBlock, file: String, visitor: inout V, outcome: inout BlockOutcome<V.Result>
  ) {
    block.forEachLine(file: file) { line in
      if line.hadCRLF {
        if outcome.crlfLines == 0 { outcome.firstCRLFLine = line.position.line }
        outcome.crlfLines += 1
      }
      if line.isBlank {
        outcome.result.findings.append(
          Finding(
            .jsonBlankLine, at: line.position.recordLocation,
            message: "blank line: remove it (JSONL has one record per line and no empty lines)"))
      } else {
        outcome.records += 1
        visitor.visit(line.bytes, at: line.position, into: &outcome.result)
      }
      return true
    }
  }
}
