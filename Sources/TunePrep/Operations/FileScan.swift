/// A command's per-block result beside the findings (counts, hashes, output bytes).
protocol BlockPayload {
  init()
}

/// One record after the shared first stage: parsed, decoded and checked.
///
/// A ``ScanVisitor`` keeps one record from record to record and lends it the parsed document
/// and the block's findings by swapping them in and out, so handing a record to a command
/// copies nothing that is reference counted.
struct CheckedRecord {
  /// The record's bytes as they are in the input (CR and newline excluded).
  fileprivate(set) var bytes: UnsafeBufferPointer<UInt8>
  /// Where the record starts.
  fileprivate(set) var position: RecordPosition
  /// The decoded example (nil for `--format json` or an unusable record).
  fileprivate(set) var example: Example?
  /// Whether the record had an error-severity finding (so commands reject it).
  fileprivate(set) var hasError: Bool
  /// The parsed record, valid until the next record.
  fileprivate(set) var document: JSONDocument
  /// The format the record was decoded as (nil: none given or detected).
  fileprivate(set) var format: Format?
  /// The record's own findings from the shared stage, in order.
  var findings: ArraySlice<Finding> { blockFindings[firstFinding...] }
  /// The findings of the record's block so far, the record's own last.
  fileprivate var blockFindings: [Finding] = []
  /// Where the record's own findings start in ``blockFindings``.
  fileprivate var firstFinding = 0

  /// A record holding nothing yet, for a visitor to fill record by record.
  fileprivate init(format: Format?) {
    bytes = UnsafeBufferPointer(start: nil, count: 0)
    position = RecordPosition(file: "", line: 0, column: 0, byteOffset: 0)
    example = nil
    hasError = false
    document = JSONDocument()
    self.format = format
  }
}

/// Scans one input with the shared first stage (read, parse, detect, decode, check) on every
/// core, then hands each block's findings and payload to the caller in input order.
///
/// This is the one findings pipeline every command shares: validate only counts, dedupe
/// hashes, format encodes, split assigns — all after the same checks.
struct FileScan {
  var format: Format?
  var threads: Int?
  var sizes: ReadSizes
  /// Extra speaker names for sharegpt records (`--role-map`).
  var roleMap = RoleMap()
  /// User schemas for every record and every final answer (`validate --schema`/`--output-schema`).
  var schemas = RecordSchemas()
  /// Decode a record of another format than the detected one in its own format, instead of
  /// reporting `format.mixed` (see ``RecordChecker/decodesEachFormat``).
  var decodesEachFormat = false
  /// What a record that is a prompt without an answer is (see ``AnswerlessRecords``).
  var answerless = AnswerlessRecords.error

  /// What a scan of one file saw.
  struct Outcome {
    var records = 0
    var format: Format?
    /// Where the format was detected (nil: given with `--from`, or not detected).
    var formatLocation: Location?
  }

  /// Scans `file`.
  /// - Parameters:
  ///   - file: the opened input.
  ///   - reporter: receives the findings in input order.
  ///   - perRecord: runs on worker threads for each record, filling the block's payload.
  ///   - consume: runs on the calling thread for each block's payload, in order.
  /// - Returns: record count and the file's format.
  /// - Throws: ``TunePrepError`` when reading fails or `consume` throws.
  func run<P: BlockPayload>(
    _ file: InputFile,
    reporter: FindingReporter,
    perRecord: @escaping (borrowing CheckedRecord, inout P) -> Void,
    consume: (inout P) throws(TunePrepError) -> Void
  ) throws(TunePrepError) -> Outcome {
    try run(file, reporter: reporter, perRecord: perRecord) {
      (payload: inout P, _: ScannedBytes) throws(TunePrepError) in
      try consume(&payload)
    }
  }

  /// Scans `file`, like ``run(_:reporter:perRecord:consume:)``, and also shows `consume` the
  /// block's bytes, for commands that copy records out of the input without reading it again.
  /// - Parameters:
  ///   - file: the opened input.
  ///   - reporter: receives the findings in input order.
  ///   - perRecord: runs on worker threads for each record, filling the block's payload.
  ///   - consume: runs on the calling thread for each block's payload and bytes, in order.
  /// - Returns: record count and the file's format.
  /// - Throws: ``TunePrepError`` when reading fails or `consume` throws.
  func run<P: BlockPayload>(
    _ file: InputFile,
    reporter: FindingReporter,
    perRecord: @escaping (borrowing CheckedRecord, inout P) -> Void,
    consumeWithBytes consume: (inout P, ScannedBytes) throws(TunePrepError) -> Void
  ) throws(TunePrepError) -> Outcome {
    let name = file.name.displayName
    var outcome = Outcome()
    var fileEnd = FileEndFindings()
    let pipeline = RecordPipeline(threads: threads, sizes: sizes)
    try pipeline.run(
      file,
      makeVisitor: { first in
        var fileFormat = format
        var location: Location?
        if fileFormat == nil, let (found, at) = RecordChecker.sniff(first, file: name) {
          fileFormat = found
          location = at
        }
        outcome.format = fileFormat
        outcome.formatLocation = location
        var checker = RecordChecker(
          fileFormat: fileFormat, detected: format == nil, formatLocation: location)
        checker.roleMap = roleMap
        checker.schemas = schemas
        checker.decodesEachFormat = decodesEachFormat
        checker.answerless = answerless
        return ScanVisitor<P>(checker: checker, perRecord: perRecord)
      },
      fileFinding: { reporter.report($0) },
      consume: { (block: inout BlockOutcome<ScanResult<P>>) throws(TunePrepError) in
        for finding in block.result.findings { reporter.report(finding) }
        outcome.records += block.records
        fileEnd.count(crlfLines: block.crlfLines, from: block.firstCRLFLine)
        let bytes = block.block
        try consume(
          &block.result.payload,
          ScannedBytes(
            bytes: bytes.bytes, byteOffset: bytes.byteOffset, isLines: bytes.spans.isEmpty))
      })
    fileEnd.report(file: name, records: outcome.records, to: reporter)
    return outcome
  }
}

/// The findings about a whole JSONL file that its scan can give only at the end.
///
/// How many lines end in CRLF (from the first), and a file without records; shared by the
/// record scan and JSON import, which both read through ``RecordPipeline``.
struct FileEndFindings {
  private var crlfLines = 0
  private var firstCRLF = 0

  /// Counts one block's CRLF line ends.
  /// - Parameters:
  ///   - lines: the block's lines that end in CRLF.
  ///   - line: the first of them.
  mutating func count(crlfLines lines: Int, from line: Int) {
    guard lines > 0 else { return }
    if crlfLines == 0 { firstCRLF = line }
    crlfLines += lines
  }

  /// Reports `encoding.crlf` when lines ended in CRLF, and `count.empty-file` when the file
  /// held no records.
  /// - Parameters:
  ///   - name: the file, as shown.
  ///   - records: the records it held.
  ///   - reporter: receives the findings.
  func report(file name: String, records: Int, to reporter: FindingReporter) {
    if crlfLines > 0 {
      reporter.report(
        Finding(
          .encodingCRLF, at: Location(file: name, line: firstCRLF),
          message:
            "\(crlfLines) line\(crlfLines == 1 ? " ends" : "s end") with CRLF (Windows line endings), from this line on; accepted, and outputs use LF"
        ))
    }
    if records == 0 {
      reporter.report(
        Finding(
          .countEmptyFile, at: Location(file: name, line: 0),
          message:
            "the file holds no records: check the path, or whether an earlier step wrote nothing"))
    }
  }
}

/// The bytes of one scanned block, as `consume` sees them.
///
/// - warning: `bytes` is valid only until `consume` returns; do not keep it.
struct ScannedBytes {
  /// The block's bytes.
  let bytes: UnsafeBufferPointer<UInt8>
  /// Offset of `bytes[0]` in the input (for lines; JSON array blocks hold framed elements).
  let byteOffset: Int
  /// Whether records are lines of the input, at `byteOffset + k` for each byte `k`.
  let isLines: Bool
}

/// The per-block result of a scan: findings plus the command's payload.
struct ScanResult<P: BlockPayload>: BlockResult {
  var findings: [Finding] = []
  var payload = P()
  init() {}
}

/// The visitor that runs the shared checks and then the command's per-record step.
struct ScanVisitor<P: BlockPayload>: RecordVisitor {
  var checker: RecordChecker
  let perRecord: (borrowing CheckedRecord, inout P) -> Void
  /// The record handed to `perRecord`, reused from record to record.
  private var record: CheckedRecord

  init(checker: RecordChecker, perRecord: @escaping (borrowing CheckedRecord, inout P) -> Void) {
    self.checker = checker
    self.perRecord = perRecord
    record = CheckedRecord(format: checker.fileFormat)
  }

  mutating func visit(
    _ bytes: UnsafeBufferPointer<UInt8>, at position: RecordPosition,
    into result: inout ScanResult<P>
  ) {
    let first = result.findings.count
    let (example, hasError) = checker.check(bytes, at: position, findings: &result.findings)
    record.bytes = bytes
    record.position.update(to: position)
    record.example = example
    record.hasError = hasError
    record.firstFinding = first
    // Lent for the call and taken back: the record owns them only while `perRecord` runs.
    checker.swapDocument(with: &record.document)
    swap(&record.blockFindings, &result.findings)
    perRecord(record, &result.payload)
    swap(&record.blockFindings, &result.findings)
    checker.swapDocument(with: &record.document)
    checker.recycle(&record.example)
  }
}
