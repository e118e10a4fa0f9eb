import ArgumentParser
import TunePrep

extension TunePrepCommand {
  struct Split: TunePrepSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Split records into reproducible train, validation and test files.",
      discussion: """
        Writes DIR/<name>.jsonl per split, each record byte for byte as in the input, and \
        DIR/manifest.json (options, seed, SHA-256 of the input and of every split, counts, \
        findings). Records that fail validation are not split: they are reported, and written \
        with their reason to --rejects. Exact duplicates always stay in one split. \
        Sizes are exact by default (a seeded shuffle); --stable instead places each example by \
        a keyed hash of its content, so a grown dataset keeps every old example where it was, \
        at the price of sizes that only approximately match the ratios. \
        Exit status: 0 clean, 1 findings at or above --fail-on, 2 cannot read or write, 64 usage.

        Examples:
          tuneprep split data.jsonl --out-dir splits
          tuneprep split data.jsonl --out-dir splits --ratios 90,10 --seed 7
          tuneprep split data.jsonl --out-dir splits --stratify /label
          tuneprep split data.jsonl --out-dir splits --group near-duplicates
        """)

    @Argument(
      help: ArgumentHelp("Input JSONL file ('-' or none: standard input).", valueName: "input"))
    var input: String?

    @Option(
      help: ArgumentHelp(
        "The output folder (created if missing; must be empty unless --force).", valueName: "dir"))
    var outDir: String

    @Option(
      help: ArgumentHelp(
        "Relative split sizes, each 0 to \(Int(Splitter.Sizes.maximumRatio)), e.g. 80,10,10 or 0.9,0.1 (default 80,10,10).",
        valueName: "a,b,c"))
    var ratios: String?

    @Option(
      help: ArgumentHelp(
        "Exact split sizes instead of ratios, each 0 to \(Splitter.Sizes.maximumCount), e.g. 4000,500,500.",
        valueName: "a,b,c"))
    var counts: String?

    @Option(
      help: ArgumentHelp(
        "Split names, one per size (default train,validation,test).", valueName: "names"))
    var names: String?

    @Option(
      help: ArgumentHelp(
        "Shuffle or hash seed; the same seed gives the same files.", valueName: "n"))
    var seed: UInt64 = Splitter.defaultSeed

    @Flag(
      help:
        "Place each example by a keyed hash of its content: adding examples never moves old ones; sizes are approximate."
    )
    var stable = false

    @Option(
      help: ArgumentHelp(
        "Keep each value's share in every split: a JSON pointer (e.g. /label) or 'output' (the final answer).",
        valueName: "key"))
    var stratify: String?

    @Option(
      help: ArgumentHelp(
        "Keep records together: a JSON pointer (e.g. /metadata/conversation_id) or 'near-duplicates'.",
        valueName: "key"))
    var group: String?

    @Option(
      help: ArgumentHelp("Jaccard similarity for near duplicates (as in dedupe).", valueName: "J"))
    var threshold: Double = 0.8

    @Flag(
      help:
        "Skip the check for near duplicates that cross splits (exact duplicates are still checked)."
    )
    var noNearLeakCheck = false

    @Flag(
      help:
        "Skip the SHA-256 of the input and of every split (the manifest then has null checksums); saves about a quarter of the time."
    )
    var noChecksums = false

    @Option(
      help: ArgumentHelp("Evaluation splits smaller than this are a finding.", valueName: "n"))
    var minEval: Int = 50

    @Option(help: ArgumentHelp("Record format (default: detected).", valueName: "format"))
    var format: Format?

    @Option(
      help: ArgumentHelp(
        "Write records that fail validation, with their reason, to this JSONL file.",
        valueName: "path"))
    var rejects: String?

    @Flag(help: "Replace the split files and manifest in an existing, non-empty --out-dir.")
    var force = false

    @OptionGroup var threadOptions: ThreadOptions

    @OptionGroup var reportOptions: ReportOptions

    func validate() throws {
      try checkPathArgument(input, option: "INPUT", role: .input)
      try checkPathArgument(outDir, option: "--out-dir", role: .folder)
      try checkPathArgument(rejects, option: "--rejects", role: .file)
      _ = try splitterOptions()
    }

    /// The library options these flags describe.
    func splitterOptions() throws -> Splitter.Options {
      var options = Splitter.Options()
      if ratios != nil && counts != nil {
        throw ValidationError("give --ratios or --counts, not both")
      }
      if let counts {
        options.sizes = .counts(
          try parseList(counts, flag: "--counts", example: "whole numbers such as 4000,500,500") {
            DecimalText.wholeNumber($0)
          })
      } else if let ratios {
        options.sizes = .ratios(
          try parseList(
            ratios, flag: "--ratios", example: "decimal numbers such as 80,10,10 or 0.8,0.1,0.1"
          ) { DecimalText.number($0) })
      }
      if let problem = options.sizes.problem {
        throw ValidationError("\(problem), got '\(counts ?? ratios ?? "")'")
      }
      let count = options.sizes.count
      guard (2...8).contains(count) else {
        throw ValidationError(
          "split into 2 to 8 parts; --\(counts != nil ? "counts" : "ratios") gives \(count)")
      }
      if let names {
        let list = names.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
        guard list.count == count else {
          throw ValidationError(
            "--names gives \(list.count) name\(list.count == 1 ? "" : "s") for \(count) splits")
        }
        if let problem = Splitter.problem(withNames: list) { throw ValidationError(problem) }
        options.names = list
      } else {
        guard count <= 3 else { throw ValidationError("name \(count) splits with --names") }
        options.names = Array(["train", "validation", "test"].prefix(count))
      }
      options.seed = seed
      options.stable = stable
      if let stratify {
        if stratify == "output" {
          options.stratify = .output
        } else if let pointer = JSONPointer(stratify), !stratify.isEmpty {
          options.stratify = .pointer(pointer)
        } else {
          throw ValidationError(
            "--stratify takes a JSON pointer such as /label, or 'output', got '\(stratify)'")
        }
      }
      if let group {
        if group == "near-duplicates" {
          options.group = .nearDuplicates
        } else if let pointer = JSONPointer(group), !group.isEmpty {
          options.group = .pointer(pointer)
        } else {
          throw ValidationError(
            "--group takes a JSON pointer such as /metadata/conversation_id, or 'near-duplicates', got '\(group)'"
          )
        }
      }
      guard threshold > 0 && threshold <= 1 else {
        throw ValidationError("--threshold must be above 0 and at most 1, got \(threshold)")
      }
      options.threshold = threshold
      options.nearLeakCheck = !noNearLeakCheck
      options.checksums = !noChecksums
      guard minEval >= 0 else {
        throw ValidationError("--min-eval must be 0 or more, got \(minEval)")
      }
      options.minEval = minEval
      options.threads = threadOptions.threads
      options.format = format
      options.toolVersion = TunePrepCommand.configuration.version
      return options
    }

    /// Parses a comma-separated list; spaces around a value are allowed.
    /// - Parameters:
    ///   - flag: the option, for the message.
    ///   - example: what the values are, with an example, for the message.
    ///   - parse: one value, or nil when it is not one.
    private func parseList<T>(
      _ text: String, flag: String, example: String, _ parse: (Substring) -> T?
    ) throws -> [T] {
      var values: [T] = []
      for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
        let trimmed = piece.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
        let value = String(trimmed)
        guard let parsed = parse(value[...]) else {
          throw ValidationError(
            "\(flag) takes comma-separated \(example); '\(value.escapingControlCharacters)' is not one"
          )
        }
        values.append(parsed)
      }
      return values
    }

    func execute() throws(TunePrepError) -> Bool {
      let options: Splitter.Options
      do {
        options = try splitterOptions()
      } catch {
        throw .failed("\(error)")
      }
      let splitter = Splitter(options: options)
      // The splitter checks its own files too; this also covers --report-file, and refuses
      // before the report is opened.
      try reportOptions.refuseOverwriting(
        inputs: [input ?? "-"],
        outputs: splitter.outputPaths(in: outDir).map { ($0, "--out-dir") } + [
          (rejects, "--rejects")
        ])
      let output = try reportOptions.openReportOutput()
      let reporter = FindingReporter(
        command: "split", options: reportOptions.reporterOptions(writingTo: output), output: output)
      let destination = Splitter.Destination(directory: outDir, force: force, rejects: rejects)
      let summary = try splitter.run(InputName(input ?? "-"), into: destination, reporter: reporter)
      // The seed line is for people (the manifest records the seed too): left out, like the
      // summary line, when a machine report is going to stderr.
      let human = reportOptions.humanOutput()
      // Paths are shown escaped, like every file name in a message.
      human?.write(
        "tuneprep split: seed \(options.seed)\(options.stable ? " (--stable)" : ""); wrote "
          + splitter.outputPaths(in: outDir).map(\.escapingControlCharacters).joined(
            separator: ", ") + "\n")
      reporter.finish(summary, summaryOutput: human)
      try output.commit()
      try human?.flush()
      return reporter.shouldFail
    }
  }
}
