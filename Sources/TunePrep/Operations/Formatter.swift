internal import Synchronization

/// Converts records between formats through the canonical model: `tuneprep format`.
///
/// Every record read ends in exactly one place: the output, or the rejects file with its
/// reason (a record with an error finding, or one the target cannot hold without `--lossy`).
public struct Formatter {
  /// What to convert to and how.
  public struct Options: Sendable {
    /// The input format, or nil to detect it.
    public var from: Format?
    /// The output format.
    public var to: OutputFormat = .format(.openaiChat)
    /// Drop what the target cannot hold (and count it) instead of rejecting the record.
    public var lossy = false
    /// Replace (or add) the system prompt.
    public var system: String?
    /// Remove the system prompt.
    public var stripSystem = false
    /// Extra sharegpt speaker names.
    public var roleMap = RoleMap()
    /// Worker threads (nil: one per core), at most ``ThreadCount/maximum`` (more are clamped).
    public var threads: Int?
    /// Read and block sizes.
    public var sizes: ReadSizes = .standard

    /// Creates default options.
    public init() {}
  }

  let options: Options

  /// Creates a formatter.
  public init(options: Options) {
    self.options = options
  }

  /// Converts `input`.
  /// - Parameters:
  ///   - input: a file or standard input.
  ///   - output: receives the converted records.
  ///   - rejects: receives each record not written, with its reason (nil: reasons only in the report).
  ///   - reporter: receives the findings.
  /// - Returns: the run's counts: written, rejected, and with `lossy` the dropped fields.
  /// - Throws: ``TunePrepError`` when reading or writing fails.
  public func run(
    _ input: InputName, output: OutputStream, rejects: OutputStream?, reporter: FindingReporter
  ) throws(TunePrepError) -> RunSummary {
    var summary = RunSummary(command: "format")
    var written = 0
    var rejected = 0
    var dropped: [String: Int] = [:]
    let encoder = FormatEncoder(target: options.to, lossy: options.lossy)
    let system = options.system
    let strip = options.stripSystem
    let file = try InputFile(input)
    var scan = FileScan(format: options.from, threads: options.threads, sizes: options.sizes)
    scan.roleMap = options.roleMap
    let outcome = try scan.run(file, reporter: reporter) {
      (record: borrowing CheckedRecord, block: inout FormatPayload) in
      guard !record.hasError, var example = record.example else {
        let errors = record.findings.filter { $0.severity == .error }
        let reason =
          errors.isEmpty
          ? "the record could not be decoded" : errors.map(\.message).joined(separator: "; ")
        block.reject(
          record, code: errors.first?.code ?? FindingCode.formatUnknown.name, reason: reason)
        return
      }
      // Both replace the whole system message, its name, weight and role name included.
      if strip || system != nil {
        example.system = nil
        example.systemName = nil
        example.systemWeight = nil
        example.systemIsDeveloper = false
      }
      if let system { example.system = example.own(system) }
      var fields: [String] = []
      do throws(FormatEncoder.Rejection) {
        try encoder.encode(
          example, source: record.format, document: record.document, into: &block.out,
          dropped: &fields)
        block.written += 1
        for field in fields { block.dropped[field, default: 0] += 1 }
      } catch {
        let location: Location
        var path: String?
        if let node = error.node, node < record.document.nodes.count {
          let start = record.document.sourceRange(node).lowerBound
          location = record.position.location(atByte: start, in: record.bytes)
          path = record.document.pointer(to: node)
        } else {
          location = record.position.recordLocation
        }
        block.findings.append(Finding(error.code, at: location, path: path, message: error.message))
        block.reject(record, code: error.code.name, reason: error.message)
      }
    } consume: { (block: inout FormatPayload) throws(TunePrepError) in
      for finding in block.findings { reporter.report(finding) }
      output.write(block.out)
      rejects?.write(block.rejects)
      OutputBufferPool.shared.recycle(&block.out)
      written += block.written
      rejected += block.rejected
      for (field, n) in block.dropped { dropped[field, default: 0] += n }
    }
    // Only sharegpt names its speakers freely; in any other format the map changes nothing,
    // which the user should hear rather than trust a mapping that did not happen.
    if !options.roleMap.isEmpty, let format = outcome.format, format != .sharegpt {
      reporter.report(
        Finding(
          .formatRoleMapUnused,
          at: outcome.formatLocation ?? Location(file: file.name.displayName, line: 1),
          message:
            "--role-map was not used: the file is \(format.rawValue), and only sharegpt names its speakers freely (`from`); leave --role-map out, or check that this is the file you meant"
        ))
    }
    summary.files = 1
    summary.read = outcome.records
    summary.counts = [("written", written), ("rejected", rejected)]
    for (field, n) in dropped.sorted(by: { $0.key < $1.key }) {
      summary.counts.append(("dropped \(field)", n))
    }
    return summary
  }
}

/// One block's converted records, rejects and counts.
struct FormatPayload: BlockPayload {
  var out: [UInt8] = []
  var rejects: [UInt8] = []
  var findings: [Finding] = []
  var written = 0
  var rejected = 0
  var dropped: [String: Int] = [:]

  init() {
    out = OutputBufferPool.shared.take()
  }

  /// Appends a rejects line: file, line, code, reason and the record (as JSON when it parsed,
  /// else as a string).
  mutating func reject(_ record: borrowing CheckedRecord, code: String, reason: String) {
    rejected += 1
    appendRejectLine(
      to: &rejects, file: record.position.file, line: record.position.line, code: code,
      reason: reason,
      record: record.bytes,
      parsed: !record.findings.contains {
        $0.code == "json.syntax" || $0.code == "json.depth" || $0.code == "encoding.invalid-utf8"
      })
  }
}

/// Reuses the large per-block output buffers, so each block does not fault in fresh pages
/// (which cost more system time than encoding the records).
final class OutputBufferPool: Sendable {
  /// The process-wide pool.
  static let shared = OutputBufferPool()
  private let buffers = Mutex<[[UInt8]]>([])

  /// An empty buffer, with capacity left over from an earlier block when one is free.
  func take() -> [UInt8] {
    if let buffer = buffers.withLock({ $0.popLast() }) { return buffer }
    var buffer: [UInt8] = []
    buffer.reserveCapacity(1 << 20)
    return buffer
  }

  /// Empties `buffer` and keeps its storage for a later block.
  func recycle(_ buffer: inout [UInt8]) {
    buffer.removeAll(keepingCapacity: true)
    let kept = buffer
    buffer = []
    buffers.withLock { if $0.count < 16 { $0.append(kept) } }
  }
}
