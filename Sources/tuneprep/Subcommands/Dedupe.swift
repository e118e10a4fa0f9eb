public import ArgumentParser
public import TunePrep

extension DedupeKey: ExpressibleByArgument {}
extension TextNormalization: ExpressibleByArgument {}
extension Deduplicator.KeepPolicy: ExpressibleByArgument {}

extension Shingling: ExpressibleByArgument {
  /// Completes `--shingle` with both forms at their default size, `words:5` and `chars:5`.
  public static var defaultCompletionKind: CompletionKind { .list(["words:5", "chars:5"]) }
}

extension TunePrepCommand {
  struct Dedupe: TunePrepSubcommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Remove exact and near-duplicate records, and records that leak from evaluation files.",
      discussion: """
        Kept records go to stdout (or -o) byte for byte as they were in the input; every dropped \
        record is reported (dup.exact, dup.near, leak.exact, leak.near, or the finding that made \
        it invalid) and, with --rejects, written with its reason, the kept record's line and the \
        similarity. The summary on stderr adds up: read = kept + dropped per reason. \
        Exit status: 0 clean, 1 findings at or above --fail-on, 2 cannot read or write, 64 usage.

        Examples:
          tuneprep dedupe --near data.jsonl --rejects dropped.jsonl > clean.jsonl
          tuneprep dedupe train.jsonl -o clean.jsonl --against valid.jsonl test.jsonl
          cat data.jsonl | tuneprep dedupe --key output --keep longest --dry-run
        """)

    @Argument(help: ArgumentHelp("Input file ('-' or none: standard input).", valueName: "input"))
    var input: String?

    @Option(
      name: [.customShort("o"), .long],
      help: ArgumentHelp(
        "Write kept records here instead of stdout (atomically).", valueName: "path"))
    var output: String?

    @Option(
      help: ArgumentHelp(
        "Write every dropped record with its reason to this JSONL file.", valueName: "path"))
    var rejects: String?

    @Option(
      help: ArgumentHelp(
        "Write each duplicate group (kept line and dropped members) to this JSONL file.",
        valueName: "path"))
    var clusters: String?

    @Flag(help: "Only report: write no kept records (--rejects and --clusters are still written).")
    var dryRun = false

    @Option(
      help: ArgumentHelp(
        "What must match: conversation (all of it), input (all but the final answer) or output (the final answer).",
        valueName: "key"))
    var key: DedupeKey = .conversation

    @Option(
      help: ArgumentHelp(
        "Before comparing: none, whitespace (collapse and trim) or text (also Unicode NFC and case folding).",
        valueName: "mode"))
    var normalize: TextNormalization = .text

    @Flag(help: "Also remove near duplicates (MinHash + LSH, each pair verified by exact Jaccard).")
    var near = false

    @Option(
      help: ArgumentHelp(
        "Jaccard similarity at or above which records are near duplicates (0 < J <= 1).",
        valueName: "J"))
    var threshold: Double = 0.8

    @Option(
      help: ArgumentHelp(
        "Shingles for --near: words:N (default words:5) or chars:N (for CJK text), N from \(Shingling.sizes.lowerBound) to \(Shingling.sizes.upperBound).",
        valueName: "kind:N"),
      completion: Shingling.defaultCompletionKind,
      transform: Self.shingling)
    var shingle: Shingling = .standard

    @Option(
      help: ArgumentHelp(
        "Which record of a group survives: first, last or longest (most text; ties: the earliest).",
        valueName: "policy"))
    var keep: Deduplicator.KeepPolicy = .first

    @Option(
      parsing: .upToNextOption,
      help: ArgumentHelp(
        "Evaluation files: drop input records that exactly (or, with --near, nearly) duplicate any of their records. Their records are read in the format each has and checked as the input's; one that fails is reported, since it cannot be compared. A prompt without an answer is compared with --key input.",
        valueName: "file"))
    var against: [String] = []

    @Flag(help: "With --against: report leaked records (leak.*) but keep them.")
    var reportOnly = false

    @Option(
      help: ArgumentHelp(
        "The input's record format (default: detected; --against files always detect theirs). 'json' compares whole JSON values, in every file.",
        valueName: "format"))
    var format: Format?

    @OptionGroup var threadOptions: ThreadOptions

    @OptionGroup var reportOptions: ReportOptions

    /// Parses `--shingle`, saying what it takes when the value is not one.
    static func shingling(_ text: String) throws -> Shingling {
      guard let shingling = Shingling(argument: text) else {
        let sizes = Shingling.sizes
        throw ValidationError(
          "give words:N or chars:N with N from \(sizes.lowerBound) to \(sizes.upperBound), such as words:5"
        )
      }
      return shingling
    }

    func validate() throws {
      try checkPathArgument(input, option: "INPUT", role: .input)
      try checkPathArgument(output, option: "--output", role: .output)
      try checkPathArgument(rejects, option: "--rejects", role: .file)
      try checkPathArgument(clusters, option: "--clusters", role: .file)
      for file in against { try checkPathArgument(file, option: "--against", role: .file) }
      if !(threshold > 0 && threshold <= 1) {
        throw ValidationError("--threshold must be greater than 0 and at most 1, got \(threshold)")
      }
      if reportOnly && against.isEmpty {
        throw ValidationError("--report-only needs --against FILE...")
      }
      if dryRun && output != nil {
        throw ValidationError("--dry-run writes no records: drop -o/--output or --dry-run")
      }
      if against.contains("-") {
        throw ValidationError("--against needs files; standard input can only be the input")
      }
    }

    func execute() throws(TunePrepError) -> Bool {
      try reportOptions.refuseOverwriting(
        inputs: [input ?? "-"] + against,
        outputs: [(output, "--output"), (rejects, "--rejects"), (clusters, "--clusters")])
      var options = Deduplicator.Options()
      options.format = format
      options.key = key
      options.normalization = normalize
      options.near = near
      options.threshold = threshold
      options.shingling = shingle
      options.keep = keep
      options.against = against.map(InputName.init)
      options.reportOnly = reportOnly
      options.threads = threadOptions.threads
      let kept = dryRun ? nil : try OutputStream.file(output ?? "-")
      let rejectsOutput = try rejects.map { (path) throws(TunePrepError) in
        try OutputStream.file(path)
      }
      let clustersOutput = try clusters.map { (path) throws(TunePrepError) in
        try OutputStream.file(path)
      }
      return try reportOptions.run(command: "dedupe") { (reporter) throws(TunePrepError) in
        let summary = try Deduplicator(options: options).run(
          InputName(input ?? "-"),
          outputs: .init(kept: kept, rejects: rejectsOutput, clusters: clustersOutput),
          reporter: reporter)
        try kept?.commit()
        try rejectsOutput?.commit()
        try clustersOutput?.commit()
        return summary
      }
    }
  }
}
