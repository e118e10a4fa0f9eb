import Foundation
import Testing

@testable import TunePrep

/// The reader and pipeline at tiny chunk sizes, so that every record and every CRLF, BOM and
/// newline falls on a chunk boundary somewhere.
@Suite struct RecordReaderTests {
  struct Seen: Equatable, CustomStringConvertible {
    var line: Int
    var column: Int
    var text: String
    var description: String { "\(line):\(column) \(text)" }
  }

  struct Collect: RecordVisitor {
    struct Result: BlockResult {
      var findings: [Finding] = []
      var seen: [Seen] = []
      init() {}
    }
    mutating func visit(
      _ bytes: UnsafeBufferPointer<UInt8>, at position: RecordPosition, into result: inout Result
    ) {
      // The unread rest of a broken JSON array file is marked, as it is no record.
      let mark = position.unreadRest == nil ? "" : "rest: "
      result.seen.append(
        Seen(
          line: position.line, column: position.column,
          text: mark + String(decoding: bytes, as: UTF8.self)))
    }
  }

  /// Counts thread starts and refuses them (`EAGAIN`) past a limit, as an exhausted system does.
  final class LimitedStarts: @unchecked Sendable {
    let allowed: Int
    private(set) var started = 0
    init(allowed: Int) { self.allowed = allowed }

    func start(_ body: @escaping @Sendable () -> Void) -> Result<
      WorkerThread, WorkerThread.StartError
    > {
      guard started < allowed else { return .failure(WorkerThread.StartError(code: EAGAIN)) }
      started += 1
      return WorkerThread.start(body)
    }
  }

  /// Reads `bytes` as a file named `name` and returns records, findings, CRLF count.
  /// - Parameter starts: when given, decides which thread starts the system refuses.
  static func read(
    _ bytes: [UInt8], name: String = "t.jsonl", chunk: Int, threads: Int = 1,
    starts: LimitedStarts? = nil
  ) throws -> (seen: [Seen], findings: [String], crlf: Int) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-reader-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    let file = try InputFile(InputName(url.path))
    var seen: [Seen] = []
    var findings: [String] = []
    var crlf = 0
    var pipeline = RecordPipeline(
      threads: threads, sizes: ReadSizes(readSize: chunk, blockSize: chunk))
    if let starts { pipeline.startThread = starts.start }
    try pipeline.run(
      file, makeVisitor: { _ in Collect() },
      fileFinding: { findings.append("\($0.code)@\($0.location.line):\($0.location.column ?? 0)") },
      consume: { (outcome: inout BlockOutcome<Collect.Result>) throws(TunePrepError) in
        seen += outcome.result.seen
        findings += outcome.result.findings.map { "\($0.code)@\($0.location.line)" }
        crlf += outcome.crlfLines
      })
    return (seen, findings, crlf)
  }

  static let chunkSizes = [1, 2, 3, 7, 1 << 20]

  static let manyRecords = Array(
    (0..<200).map { "{\"n\":\($0)}\n" }.joined().utf8)

  /// The system refuses every worker after the first: the run goes on with the workers that
  /// started (it used to queue the rest on Dispatch and hang) and reads the same records.
  @Test(.timeLimit(.minutes(1)), arguments: [2, 3])
  func refusedWorkersAreDroppedAndTheOutputIsTheSame(allowed: Int) throws {
    let starts = LimitedStarts(allowed: allowed)
    let limited = try Self.read(Self.manyRecords, chunk: 7, threads: 8, starts: starts)
    let single = try Self.read(Self.manyRecords, chunk: 7, threads: 1)
    #expect(starts.started == allowed)
    #expect(limited.seen == single.seen)
    #expect(limited.seen.count == 200)
  }

  @Test(.timeLimit(.minutes(1)))
  func refusedFirstWorkerIsAnErrorNotAHang() throws {
    let starts = LimitedStarts(allowed: 1)
    #expect(
      throws: TunePrepError.failed(
        "cannot start worker thread 1 of 4: resource temporarily unavailable; the system allows no more threads: stop other jobs or raise the limit (ulimit -u)"
      )
    ) {
      _ = try Self.read(Self.manyRecords, chunk: 7, threads: 4, starts: starts)
    }
  }

  @Test(.timeLimit(.minutes(1)))
  func refusedReaderIsAnError() throws {
    let starts = LimitedStarts(allowed: 0)
    let error = #expect(throws: TunePrepError.self) {
      _ = try Self.read(Self.manyRecords, chunk: 7, threads: 2, starts: starts)
    }
    #expect(error?.description.hasPrefix("cannot start the reader thread: ") == true)
  }

  @Test(arguments: chunkSizes)
  func linesCRLFBlankAndNoFinalNewline(chunk: Int) throws {
    let input = Array("{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}".utf8)
    let result = try Self.read(input, chunk: chunk)
    #expect(
      result.seen == [
        Seen(line: 1, column: 1, text: "{\"a\":1}"), Seen(line: 4, column: 1, text: "{\"b\":2}"),
        Seen(line: 5, column: 1, text: "{\"c\":3}"),
      ])
    #expect(result.findings == ["json.blank-line@2", "json.blank-line@3"])
    #expect(result.crlf == 1)
  }

  @Test(arguments: chunkSizes)
  func byteOrderMarkIsSkippedAndReported(chunk: Int) throws {
    let input: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("{\"a\":1}\n{\"b\":2}\n".utf8)
    let result = try Self.read(input, chunk: chunk)
    #expect(result.seen.map(\.text) == ["{\"a\":1}", "{\"b\":2}"])
    #expect(result.findings == ["encoding.bom@1:1"])
  }

  @Test(arguments: chunkSizes)
  func longLinesLongerThanChunks(chunk: Int) throws {
    let long = "{\"x\":\"" + String(repeating: "abcdefghij", count: 1000) + "\"}"
    let input = Array((long + "\n" + long).utf8)
    let result = try Self.read(input, chunk: chunk)
    #expect(result.seen.map(\.line) == [1, 2])
    #expect(result.seen.allSatisfy { $0.text == long })
  }

  @Test(arguments: chunkSizes)
  func jsonArrayFileIsReadAsRecords(chunk: Int) throws {
    let input = Array("[\n  {\"a\": \"x,]\\\"\"},\n  {\"b\": [1, {\"c\": 2}]},3, \"s\"\n]\n".utf8)
    let result = try Self.read(input, name: "data.json", chunk: chunk)
    #expect(
      result.seen == [
        Seen(line: 2, column: 3, text: "{\"a\": \"x,]\\\"\"}"),
        Seen(line: 3, column: 3, text: "{\"b\": [1, {\"c\": 2}]}"),
        Seen(line: 3, column: 24, text: "3"),
        Seen(line: 3, column: 27, text: "\"s\""),
      ])
    #expect(result.findings.isEmpty)
  }

  @Test(arguments: chunkSizes)
  func brokenJSONArrayKeepsTheRestOfTheFileAsARejectedUnit(chunk: Int) throws {
    // A missing comma: the rest of the file, not read as records, is one last unit.
    let missingComma = try Self.read(
      Array("[{\"a\":1}\n{\"b\":2},\n{\"c\":3}]\n".utf8), name: "x.json", chunk: chunk)
    #expect(
      missingComma.seen == [
        Seen(line: 1, column: 2, text: "{\"a\":1}"),
        Seen(line: 2, column: 1, text: "rest: {\"b\":2},\n{\"c\":3}]"),
      ])
    #expect(missingComma.findings.isEmpty)
    let extraComma = try Self.read(
      Array("[{\"a\":1},,{\"b\":2}]".utf8), name: "x.json", chunk: chunk)
    #expect(extraComma.seen.map(\.text) == ["{\"a\":1}", "rest: ,{\"b\":2}]"])
    let afterArray = try Self.read(
      Array("[{\"a\":1}] {\"b\":2}".utf8), name: "x.json", chunk: chunk)
    #expect(afterArray.seen.map(\.text) == ["{\"a\":1}", "rest: {\"b\":2}"])
    // The file ends inside a record: its bytes are kept, not dropped.
    let cut = try Self.read(Array("[{\"a\":1}, {\"b\":[\"x".utf8), name: "x.json", chunk: chunk)
    #expect(cut.seen.map(\.text) == ["{\"a\":1}", "rest: {\"b\":[\"x"])
    #expect(cut.findings.isEmpty)
  }

  @Test(arguments: chunkSizes)
  func arraySyntaxErrorsThatLoseNothingAreFileFindings(chunk: Int) throws {
    let trailing = try Self.read(Array("[{\"a\":1},]".utf8), name: "x.json", chunk: chunk)
    #expect(trailing.seen.map(\.text) == ["{\"a\":1}"])
    #expect(trailing.findings == ["json.syntax@1:10"])
    let unterminated = try Self.read(Array("[{\"a\":1}".utf8), name: "x.json", chunk: chunk)
    #expect(unterminated.seen.map(\.text) == ["{\"a\":1}"])
    #expect(unterminated.findings.count == 1)
  }

  @Test func aJSONFileThatIsNotAnArrayIsReadAsLines() throws {
    let result = try Self.read(Array("{\"a\":1}\n".utf8), name: "one.json", chunk: 3)
    #expect(result.seen.map(\.text) == ["{\"a\":1}"])
  }

  @Test(arguments: [1, 2, 3])
  func resultsDoNotDependOnThreads(threads: Int) throws {
    var text = ""
    for i in 0..<500 { text += "{\"i\":\(i)}\n" + (i % 50 == 0 ? "\n" : "") }
    let result = try Self.read(Array(text.utf8), chunk: 64, threads: threads)
    let reference = try Self.read(Array(text.utf8), chunk: 1 << 20, threads: 1)
    #expect(result.seen == reference.seen)
    #expect(result.findings == reference.findings)
    #expect(result.seen.count == 500)
  }

  /// Records lie in memory at the same offset within a 64-byte line as in the input, carried
  /// bytes and grown blocks included, which keeps the kernel's copy on its fast path.
  @Test(arguments: [1, 7, 100, 4096])
  func recordsKeepTheirInputAlignmentInMemory(chunk: Int) throws {
    struct Alignment: RecordVisitor {
      struct Result: BlockResult {
        var findings: [Finding] = []
        var misplaced: [Int] = []
        var records = 0
        init() {}
      }
      mutating func visit(
        _ bytes: UnsafeBufferPointer<UInt8>, at position: RecordPosition, into result: inout Result
      ) {
        result.records += 1
        let address = Int(bitPattern: bytes.baseAddress)
        if address & 63 != position.byteOffset & 63 { result.misplaced.append(position.line) }
      }
    }
    var text = "\u{FEFF}"
    for i in 0..<300 {
      text += "{\"i\":\(i),\"pad\":\"" + String(repeating: "x", count: i * 7 % 150) + "\"}\n"
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-align-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("a.jsonl")
    try Data(text.utf8).write(to: url)
    var misplaced: [Int] = []
    var records = 0
    try RecordPipeline(threads: 2, sizes: ReadSizes(readSize: chunk, blockSize: 3 * chunk)).run(
      try InputFile(InputName(url.path)), makeVisitor: { _ in Alignment() }, fileFinding: { _ in },
      consume: { (outcome: inout BlockOutcome<Alignment.Result>) throws(TunePrepError) in
        misplaced += outcome.result.misplaced
        records += outcome.result.records
      })
    #expect(records == 300)
    #expect(
      misplaced.isEmpty,
      "records not at their input offset modulo 64, first lines: \(misplaced.prefix(5))")
  }

  @Test func emptyFileHasNoRecords() throws {
    let result = try Self.read([], chunk: 7)
    #expect(result.seen.isEmpty)
  }

  @Test func missingFileAndDirectoryAreClearErrors() {
    #expect(
      throws: TunePrepError.cannotOpen(
        path: "/nonexistent/x.jsonl",
        reason: "no such file (check the path and the current directory)")
    ) {
      _ = try InputFile(InputName("/nonexistent/x.jsonl"))
    }
    let dir = FileManager.default.temporaryDirectory.path
    #expect(throws: TunePrepError.isDirectory(path: dir)) {
      _ = try InputFile(InputName(dir))
    }
  }
}

extension RecordReaderTests {
  /// A line past the reader's limit stops the run with its file and line, rather than growing
  /// the block until memory runs out (`validate /dev/zero`); lines up to the limit are read.
  @Test(arguments: [1, 7, 1 << 20])
  func aLineLongerThanTheLimitStopsTheRun(chunk: Int) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-limit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("z.jsonl")
    let atLimit = "{\"s\":\"" + String(repeating: "x", count: 100 - 9) + "\"}\n"
    #expect(atLimit.utf8.count == 100)
    let text = "{\"n\":1}\n" + atLimit + String(repeating: "\0", count: 5000)
    try Data(text.utf8).write(to: url)
    let sizes = ReadSizes(readSize: chunk, blockSize: chunk, maxRecordSize: 100)
    var records = 0
    #expect(throws: TunePrepError.recordTooLong(path: url.path, line: 3, limit: 100)) {
      try RecordPipeline(threads: 1, sizes: sizes).run(
        try InputFile(InputName(url.path)), makeVisitor: { _ in Collect() }, fileFinding: { _ in },
        consume: { (outcome: inout BlockOutcome<Collect.Result>) throws(TunePrepError) in
          records += outcome.result.seen.count
        })
    }
    #expect(records <= 2)
    // Without the runaway line the same file reads whole.
    try Data(("{\"n\":1}\n" + atLimit).utf8).write(to: url)
    records = 0
    try RecordPipeline(threads: 1, sizes: sizes).run(
      try InputFile(InputName(url.path)), makeVisitor: { _ in Collect() }, fileFinding: { _ in },
      consume: { (outcome: inout BlockOutcome<Collect.Result>) throws(TunePrepError) in
        records += outcome.result.seen.count
      })
    #expect(records == 2)
  }
}

extension RecordReaderTests {
  /// A regular file written to during the run (here by the consumer, after the first block)
  /// stops the run with exit-2 error rather than ending as if its bytes were one version; a
  /// file left alone passes the same check.
  @Test(arguments: [false, true])
  func aFileWrittenToDuringTheRunIsAnError(write: Bool) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-changed-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("c.jsonl")
    try Data(Self.manyRecords).write(to: url)
    // The kernel stamps times from a clock of a few milliseconds' resolution: an hour back, so
    // the write below is sure to change the modification time.
    try FileManager.default.setAttributes(
      [.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: url.path)
    var blocks = 0
    let run = {
      try RecordPipeline(threads: 1, sizes: ReadSizes(readSize: 64, blockSize: 64)).run(
        try InputFile(InputName(url.path)), makeVisitor: { _ in Collect() }, fileFinding: { _ in },
        consume: { (outcome: inout BlockOutcome<Collect.Result>) throws(TunePrepError) in
          blocks += 1
          guard write, blocks == 1 else { return }
          // Same size, other bytes, as an editor saving in place would leave it.
          guard let handle = try? FileHandle(forWritingTo: url) else { return }
          try? handle.write(contentsOf: Data("{\"n\":9}".utf8))
          try? handle.close()
        })
    }
    if write {
      #expect(throws: TunePrepError.self) { try run() }
      do {
        try run()
      } catch {
        #expect("\(error)".contains("the file was written to while tuneprep was reading it"))
      }
    } else {
      try run()
    }
    #expect(blocks > 1)
  }
}

extension RecordReaderTests {
  /// A record with thousands of duplicate keys or lone surrogates lists the first
  /// ``JSONWarning/listedLimit`` and counts the rest in one finding per kind, so its findings
  /// (and their memory) stay bounded.
  @Test func warningsPastTheLimitAreCountedNotListed() {
    let keys = (0..<1000).map { _ in #""k":1"# }.joined(separator: ",")
    let surrogates = String(repeating: #"\ud800"#, count: 30)
    let record = Array(#"{"a":"\#(surrogates)",\#(keys)}"#.utf8)
    var checker = RecordChecker(fileFormat: .json, detected: false, formatLocation: nil)
    var findings: [Finding] = []
    _ = record.withUnsafeBufferPointer {
      checker.check(
        $0, at: RecordPosition(file: "t.jsonl", line: 1, column: 1, byteOffset: 0),
        findings: &findings)
    }
    // 30 surrogates and 70 duplicate keys are listed (in text order), then one finding counts
    // the other 929 duplicate keys.
    #expect(findings.filter { $0.code == "json.lone-surrogate" }.count == 30)
    let keyFindings = findings.filter { $0.code == "json.duplicate-key" }
    #expect(keyFindings.count == 71)
    #expect(
      keyFindings.last?.message
        == "and 929 more duplicate keys in this record, past the first 100 warnings listed: a record with this many was most likely written by a program with a bug"
    )
  }
}
