#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// Splits one input into train, validation and test files: `tuneprep split`.
///
/// The first pass runs the shared scan (parse, decode, check) on every core and keeps 24 bytes
/// per record (offset, length, line, a 64-bit hash of dedupe's exact-duplicate key), plus a
/// stratum id or group key when asked. The plan is made on that state alone: exact duplicates,
/// records sharing a `--group` key and near-duplicate clusters become one unit; units are
/// shuffled with a seeded generator (``SplitRandom``) or placed by a keyed hash (`--stable`).
/// The second pass copies every record byte for byte from the input to its split file, hashing
/// the input and every output with SHA-256 for the manifest. Standard input is spooled to a
/// temporary file first.
public struct Splitter {
  /// How big the splits are.
  public enum Sizes: Sendable, Equatable {
    /// Relative weights, e.g. 80,10,10 or 0.8,0.1,0.1.
    case ratios([Double])
    /// Exact record counts, e.g. 4000,500,500.
    case counts([Int])

    /// How many splits.
    public var count: Int {
      switch self {
      case .ratios(let r): r.count
      case .counts(let c): c.count
      }
    }

    /// The largest ratio: 1,000,000, so that 8 ratios in millionths add up to far less than
    /// `Int.max` (ratios are relative: `80,10,10` and `0.8,0.1,0.1` are the same split).
    public static let maximumRatio: Double = 1_000_000

    /// The largest count, 4,294,967,295: a split numbers its records with 32 bits.
    public static let maximumCount = Int(UInt32.max)

    /// Why these sizes cannot be used (naming the `--ratios` or `--counts` option), or nil.
    ///
    /// Ratios must be finite numbers from 0 to ``maximumRatio`` with a positive sum in
    /// millionths; counts must be from 0 to ``maximumCount`` with a positive sum.
    public var problem: String? {
      switch self {
      case .ratios(let r):
        if r.contains(where: { !($0 >= 0 && $0 <= Self.maximumRatio) }) {
          return
            "--ratios must be non-negative numbers up to \(Int(Self.maximumRatio)) (relative sizes such as 80,10,10)"
        }
        if weights.reduce(0, +) == 0 {
          return
            "--ratios must add up to more than 0, with one of 0.000001 or more (relative sizes such as 80,10,10)"
        }
      case .counts(let c):
        if c.contains(where: { !(0...Self.maximumCount).contains($0) }) {
          return
            "--counts must be non-negative numbers up to \(Self.maximumCount) (record counts such as 4000,500,500)"
        }
        if c.reduce(0, +) == 0 {
          return "--counts must add up to more than 0 (record counts such as 4000,500,500)"
        }
      }
      return nil
    }

    /// Integer weights (ratios scaled to millionths).
    ///
    /// A ratio outside 0...``maximumRatio`` (which ``problem`` rejects) is clamped, never a trap.
    var weights: [Int] {
      switch self {
      case .ratios(let r):
        r.map { $0 > 0 ? Int((Swift.min($0, Self.maximumRatio) * 1_000_000).rounded()) : 0 }
      case .counts(let c): c
      }
    }
  }

  /// What `--stratify` reads.
  public enum StratumKey: Sendable, Equatable, CustomStringConvertible {
    /// The final answer's text (for classification-style tasks whose answer is a label).
    case output
    /// A value of the record.
    case pointer(JSONPointer)

    /// The key as written on the command line.
    public var description: String {
      switch self {
      case .output: "output"
      case .pointer(let p): p.description
      }
    }
  }

  /// What `--group` keeps together.
  public enum GroupKey: Sendable, Equatable, CustomStringConvertible {
    /// Records whose value at the pointer is equal.
    case pointer(JSONPointer)
    /// Each near-duplicate cluster, found as `tuneprep dedupe --near` finds it.
    case nearDuplicates

    /// The key as written on the command line.
    public var description: String {
      switch self {
      case .nearDuplicates: "near-duplicates"
      case .pointer(let p): p.description
      }
    }
  }

  /// The count the summary adds after the splits' counts.
  static let rejectedName = "rejected"

  /// Names a split cannot take because the run summary uses them: ``RunSummary/reservedNames``
  /// and `rejected`.
  public static var reservedNames: [String] { RunSummary.reservedNames + [rejectedName] }

  /// Why `names` cannot name the splits (naming the `--names` option), or nil.
  ///
  /// A name becomes a file name, `<name>.jsonl` in the output folder, and a member of the
  /// summary (`--report json`): it must not be empty, contain `/`, start with `.` (hidden, and
  /// the temporary files' prefix), be `manifest`, be one of ``reservedNames`` or appear twice.
  /// Control characters are allowed; every message shows them escaped.
  public static func problem(withNames names: [String]) -> String? {
    for name in names {
      let shown = "'\(name.escapingControlCharacters)'"
      if name.isEmpty || name.contains("/") || name.hasPrefix(".") || name == "manifest" {
        return
          "--names: \(shown) cannot name a split file (empty, contains '/', starts with '.', or is 'manifest')"
      }
      if reservedNames.contains(name) {
        return
          "--names: \(shown) is a member of the run summary (\(reservedNames.joined(separator: ", "))): choose another name"
      }
    }
    if let twice = names.indices.first(where: { names[..<$0].contains(names[$0]) }) {
      return "--names has a name twice: '\(names[twice].escapingControlCharacters)'"
    }
    return nil
  }

  /// The seed used when none is given: fixed, so that two runs without `--seed` agree.
  public static let defaultSeed: UInt64 = 20_240_917

  /// What to split and how.
  public struct Options: Sendable {
    /// The input format, or nil to detect it.
    public var format: Format?
    /// Split sizes.
    public var sizes: Sizes = .ratios([80, 10, 10])
    /// Split names, one per size; files are `<name>.jsonl`.
    public var names = ["train", "validation", "test"]
    /// The shuffle or hash seed.
    public var seed = Splitter.defaultSeed
    /// Assign by keyed content hash instead of a shuffle.
    public var stable = false
    /// Stratify by this key.
    public var stratify: StratumKey?
    /// Keep groups together.
    public var group: GroupKey?
    /// Jaccard threshold for near duplicates (grouping and the leak check).
    public var threshold = 0.8
    /// Hash the input and every split with SHA-256 for the manifest.
    ///
    /// That hashes 2 bytes per input byte, so very large pools may turn it off.
    public var checksums = true
    /// Look for near duplicates that cross splits when they are not grouped.
    public var nearLeakCheck = true
    /// Evaluation splits smaller than this are a finding.
    public var minEval = 50
    /// A first (training) split smaller than this is a finding (the 500–5000 guidance).
    public var minTrain = 500
    /// The tool version written into the manifest.
    public var toolVersion = "unknown"
    /// Worker threads (nil: one per core), at most ``ThreadCount/maximum`` (more are clamped).
    public var threads: Int?
    /// Read and block sizes, for both passes (larger than other commands' by default: see
    /// ``ReadSizes/copying``).
    public var readSizes: ReadSizes = .copying

    /// Creates default options.
    public init() {}
  }

  /// Where the results go.
  public struct Destination: Sendable {
    /// The output folder (created when missing).
    public var directory: String
    /// Replace existing split files and manifest.
    public var force = false
    /// Where rejected records go with their reason (JSONL), if anywhere.
    public var rejects: String?

    /// Creates a destination.
    public init(directory: String, force: Bool = false, rejects: String? = nil) {
      self.directory = directory
      self.force = force
      self.rejects = rejects
    }
  }

  let options: Options

  /// Creates a splitter.
  public init(options: Options) {
    self.options = options
  }

  /// The files a run writes into `directory`: one per split, then `manifest.json`.
  public func outputPaths(in directory: String) -> [String] {
    outputNames.map { joinPath(directory, $0) }
  }

  /// The names of the files a run writes: one per split, then `manifest.json`.
  var outputNames: [String] {
    options.names.map { "\($0).jsonl" } + ["manifest.json"]
  }

  /// Splits `input` into `destination`.
  /// - Parameters:
  ///   - input: a file or standard input.
  ///   - destination: the output folder and options.
  ///   - reporter: receives every finding.
  /// - Returns: the counts: one per split, then `rejected` (they add up to `read`).
  /// - Throws: ``TunePrepError`` when the sizes are out of range (see ``Sizes/problem``), the
  ///   names do not match them or cannot be used (see ``problem(withNames:)``), or when the input cannot be read or an output written; nothing
  ///   is left under a final name then.
  public func run(
    _ input: InputName, into destination: Destination, reporter: FindingReporter
  ) throws(TunePrepError) -> RunSummary {
    if let problem = options.sizes.problem { throw .failed(problem) }
    guard options.names.count == options.sizes.count else {
      throw .failed(
        "\(counting: options.names.count, "split name") for \(counting: options.sizes.count, "size"): give one name per size"
      )
    }
    if let problem = Self.problem(withNames: options.names) { throw .failed(problem) }
    try refuseOverwritingInput(
      input, directory: destination.directory, rejects: destination.rejects)
    let outputs = try SplitOutputs.open(
      names: outputNames, directory: destination.directory, force: destination.force,
      rejects: destination.rejects, inputs: OverwriteGuard(inputs: [input]))
    var committed = false
    defer { if !committed { outputs.discard() } }

    let source = try SplitSource.open(input, keepRecordFile: needsNearDuplicates)
    let scan = try SplitScan(options: options).run(source, reporter: reporter)
    var plan = SplitPlan(scan: scan, options: options)
    let threads = ThreadCount.resolve(options.threads)
    if options.group == .nearDuplicates {
      plan.nearPairs = try SplitNearDuplicates.pairs(
        scan: scan, source: source, threshold: options.threshold, threads: threads)
    }
    let assignment = plan.assign(reporter: reporter, file: input.displayName)
    var leakPairs: BackgroundPairs?
    if options.group != .nearDuplicates && options.nearLeakCheck {
      // The leak check needs only the pairs that the assignment put in different splits, so
      // it runs after it and skips the rest: with 80/10/10 about two thirds of the candidate
      // pairs are in one split, and each would cost a signature compare and an exact check.
      // Its result is needed only after writing, so it runs beside the writing pass, whose
      // threads leave about a third of the two cores idle while they wait on the kernel.
      let splitOf = assignment.splitOf
      let threshold = options.threshold
      leakPairs = BackgroundPairs { () throws(TunePrepError) in
        try SplitNearDuplicates.pairs(
          scan: scan, source: source, threshold: threshold, threads: threads,
          only: { a, b in splitOf[Int(a)] != splitOf[Int(b)] })
      }
    }
    // The thread reads the input until it ends, whatever happens to the writing.
    defer { _ = leakPairs?.wait() }
    let digests = try SplitWriter(options: options).write(
      scan: scan, assignment: assignment, source: source, outputs: outputs)
    if let leakPairs { plan.nearPairs = try leakPairs.wait().get() }
    SplitChecks(scan: scan, assignment: assignment, options: options, plan: plan)
      .report(to: reporter, file: input.displayName, directory: destination.directory)

    var summary = RunSummary(command: "split")
    summary.files = 1
    summary.read = scan.entries.count + scan.rejected.count
    for (k, name) in options.names.enumerated() {
      summary.counts.append((name, assignment.splitCounts[k]))
    }
    summary.counts.append((Self.rejectedName, scan.rejected.count))
    let manifest = SplitManifest(
      options: options, input: input, inputDigest: digests.input, inputBytes: digests.inputBytes,
      records: summary.read, format: scan.format, assignment: assignment,
      splitDigests: digests.splits,
      rejected: scan.rejected.count, reporter: reporter)
    outputs.manifest.write(manifest.json())
    try outputs.commit()
    committed = true
    return summary
  }

  /// Refuses an output that would replace the input, since inputs are never modified, or
  /// another output.
  ///
  /// For example, splitting `splits/train.jsonl` into `splits` with `--force`, or
  /// `--rejects splits/test.jsonl`.
  private func refuseOverwritingInput(_ input: InputName, directory: String, rejects: String?)
    throws(TunePrepError)
  {
    try OverwriteGuard(inputs: [input]).check(
      outputPaths(in: directory).map { ($0, "--out-dir") } + [(rejects, "--rejects")])
  }

  /// Whether near-duplicate pairs are needed (grouping by them, or the leak check).
  var needsNearDuplicates: Bool {
    options.group == .nearDuplicates || options.nearLeakCheck
  }
}

/// Near-duplicate pairs computed on a thread of their own (or at once, when the system gives
/// no thread), collected with ``wait()``.
final class BackgroundPairs {
  typealias Pairs = [(UInt32, UInt32, Float)]
  private var result: Result<Pairs, TunePrepError> = .success([])
  private var thread: WorkerThread?

  init(_ compute: @escaping () throws(TunePrepError) -> Pairs) {
    // The thread holds the object until it ends, so dropping it unwaited stays safe.
    thread = try? WorkerThread.start { self.result = Result(catching: compute) }.get()
    if thread == nil { result = Result(catching: compute) }
  }

  /// The pairs, or the error that stopped their computation, once the thread has ended.
  func wait() -> Result<Pairs, TunePrepError> {
    thread?.join()
    thread = nil
    return result
  }
}
