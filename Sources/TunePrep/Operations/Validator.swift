/// Validates inputs record by record and reports every finding: `tuneprep validate`.
public struct Validator {
  /// What to validate against and how to read.
  public struct Options: Sendable {
    /// The format, or nil to detect it per file.
    public var format: Format?
    /// Worker threads (nil: one per core), at most ``ThreadCount/maximum`` (more are clamped).
    public var threads: Int?
    /// Read and block sizes.
    public var sizes: ReadSizes = .standard
    /// `--schema` and `--output-schema`.
    public var schemas = RecordSchemas()

    /// Creates default options.
    public init() {}
  }

  let options: Options

  /// Creates a validator.
  public init(options: Options) {
    self.options = options
  }

  /// Validates every input in order.
  /// - Parameters:
  ///   - inputs: files or standard input.
  ///   - reporter: receives the findings.
  /// - Returns: the run's counts (`valid`, `invalid` records).
  /// - Throws: ``TunePrepError`` when an input cannot be read.
  public func run(_ inputs: [InputName], reporter: FindingReporter) throws(TunePrepError)
    -> RunSummary
  {
    var summary = RunSummary(command: "validate")
    var valid = 0
    var invalid = 0
    for input in inputs {
      let file = try InputFile(input)
      let outcome = try FileScan(
        format: options.format, threads: options.threads, sizes: options.sizes,
        schemas: options.schemas
      )
      .run(file, reporter: reporter) {
        (record: borrowing CheckedRecord, counts: inout ValidateCounts) in
        if record.hasError { counts.invalid += 1 } else { counts.valid += 1 }
      } consume: { (counts: inout ValidateCounts) throws(TunePrepError) in
        valid += counts.valid
        invalid += counts.invalid
      }
      summary.files += 1
      summary.read += outcome.records
    }
    summary.counts = [("valid", valid), ("invalid", invalid)]
    return summary
  }
}

/// Per-block counts of `validate`.
struct ValidateCounts: BlockPayload {
  var valid = 0
  var invalid = 0
  init() {}
}
