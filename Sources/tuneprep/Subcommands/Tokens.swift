public import ArgumentParser
public import TunePrep

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

extension EpochRule: ExpressibleByArgument {}

/// A `--format` of `tokens`: every format name parses, so `json` gets the clear refusal of
/// ``TunePrepCommand/Tokens/validate()``, but help and completion list only the formats that
/// hold messages to count.
struct CountableFormat: ExpressibleByArgument {
  var format: Format

  init?(argument: String) {
    guard let format = Format(name: argument) else { return nil }
    self.format = format
  }

  static var allValueStrings: [String] { Format.builtIn.map(\.rawValue) }
}

extension TunePrepCommand {
  struct Tokens: TunePrepSubcommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Count tokens per example in the target model's tokenizer, with training tokens and cost.",
      discussion: """
        Counts every example under OpenAI's chat convention (3 tokens per message, the role, \
        the content, name + 1, tool calls and tool definitions as compact JSON, 3 for the \
        reply priming), offline, in the tokenizer of --model, --encoding (default o200k_base) \
        or a Hugging Face --tokenizer file. Writes a table per file to stderr (min, median, \
        p95, max per example and per role), flags examples over --context-window \
        (tokens.over-context), and estimates training tokens x epochs x price. \
        Exit status: 0 clean, 1 findings at or above --fail-on, 2 cannot read (or no \
        vocabulary: run `make vocab`), 64 usage.

        Examples:
          tuneprep tokens --model gpt-4o-mini --context-window 65536 train.jsonl
          tuneprep tokens --provider openai --price-per-million 3 train.jsonl
          tuneprep tokens --encoding cl100k_base --per-record data.jsonl > counts.jsonl
        """)

    @OptionGroup var input: InputOptions

    @Option(
      name: .customLong("format"),
      help: ArgumentHelp("Record format (default: detected per file).", valueName: "format"))
    var countableFormat: CountableFormat?
    var format: Format? { countableFormat?.format }

    @Option(
      help: ArgumentHelp(
        "OpenAI encoding: o200k_base (default), cl100k_base, p50k_base, r50k_base, o200k_harmony, p50k_edit.",
        valueName: "name"))
    var encoding: String?

    @Option(
      help: ArgumentHelp(
        "Model whose encoding to use, e.g. gpt-4o-mini, gpt-4.1, gpt-3.5-turbo, ft:gpt-4o-mini:org::id.",
        valueName: "name"))
    var model: String?

    @Option(
      help: ArgumentHelp(
        "Hugging Face tokenizer.json (byte-level BPE) to count with instead.", valueName: "path"))
    var tokenizer: String?

    @Option(
      help: ArgumentHelp(
        "Folder holding <encoding>.tiktoken (default: TUNEPREP_VOCAB_DIR, the installed share/tuneprep/vocab, ./vocab).",
        valueName: "dir"))
    var vocabDir: String?

    @Flag(
      help:
        "Count special-token text such as <|endoftext|> as the special token (default: as plain text)."
    )
    var allowSpecial = false

    // `.unconditional`: "-5" is the value, so a negative number gets the range message below
    // rather than ArgumentParser's "missing value" (it reads "-5" as an option).
    @Option(
      parsing: .unconditional,
      help: ArgumentHelp(
        "Context window in tokens; longer examples are tokens.over-context errors.", valueName: "n")
    )
    var contextWindow: Int?

    @Option(
      help: ArgumentHelp(
        "Provider whose default epochs apply when --epochs is not given: openai.", valueName: "name"
      ))
    var provider: EpochRule?

    @Option(
      parsing: .unconditional,
      help: ArgumentHelp(
        "Training epochs, 1 to \(TokenStats.Options.maximumEpochs) (default: the --provider rule, else 1).",
        valueName: "n"))
    var epochs: Int?

    @Option(
      name: .customLong("price-per-million"), parsing: .unconditional,
      help: ArgumentHelp(
        "Price per million training tokens, a decimal number from 0 to \(Int(TokenStats.Options.maximumPricePerMillion)), for a cost estimate.",
        valueName: "amount"))
    var pricePerMillionText: String?
    /// `--price-per-million` as a number: decimal notation only (`3`, `0.15`, `2.5e1`), so that
    /// `0x10`, `inf` or `nan`, which `Double` would also read, are refused.
    var pricePerMillion: Double? { pricePerMillionText.flatMap { DecimalText.number($0[...]) } }

    @Flag(
      help: "Write one JSON line per counted example to stdout: {\"line\": N, \"tokens\": T, ...}.")
    var perRecord = false

    @Option(
      help: ArgumentHelp(
        "Count each example as this chat template renders it (chatml, llama3, mistral, gemma, or a JSON template file), special tokens included, instead of by OpenAI's message convention.",
        valueName: "name|path"))
    var template: String?

    @OptionGroup var reportOptions: ReportOptions

    func validate() throws {
      try checkPathArgument(tokenizer, option: "--tokenizer", role: .file)
      try checkPathArgument(vocabDir, option: "--vocab-dir", role: .folder)
      try checkPathArgument(template, option: "--template", role: .file)
      let chosen = [
        encoding.map { _ in "--encoding" }, model.map { _ in "--model" },
        tokenizer.map { _ in "--tokenizer" },
      ]
      .compactMap { $0 }
      if chosen.count > 1 {
        throw ValidationError(
          "\(chosen.joined(separator: " and ")) both choose the tokenizer; pass only one")
      }
      if let encoding {
        do throws(TokenizerError) { _ = try TokenEncoding(named: encoding) } catch {
          throw ValidationError(error.description)
        }
      }
      if let model, TokenEncoding.forModel(model) == nil {
        throw ValidationError(TokenizerError.unknownModel(model).description)
      }
      if format == .json {
        throw ValidationError(
          "--format json only checks JSON syntax; tokens needs a chat format, or none to detect it")
      }
      if let contextWindow, contextWindow < 1 {
        throw ValidationError("--context-window must be 1 or more, got \(contextWindow)")
      }
      let maxEpochs = TokenStats.Options.maximumEpochs
      if let epochs, !(1...maxEpochs).contains(epochs) {
        throw ValidationError("--epochs must be 1 to \(maxEpochs), got \(epochs)")
      }
      let maxPrice = TokenStats.Options.maximumPricePerMillion
      if let text = pricePerMillionText,
        !(pricePerMillion.map { $0 >= 0 && $0 <= maxPrice } ?? false)
      {
        throw ValidationError(
          "--price-per-million must be a decimal number from 0 to \(Int(maxPrice)) (currency units per million tokens, such as 3 or 0.15), got '\(text)'"
        )
      }
    }

    /// Loads the tokenizer the flags choose (o200k_base when none does).
    func loadTokenizer() throws(TunePrepError) -> Tokenizer {
      do throws(TokenizerError) {
        if let tokenizer { return try Tokenizer.load(tokenizerJSON: tokenizer) }
        let chosen: TokenEncoding
        if let encoding {
          chosen = try TokenEncoding(named: encoding)
        } else if let model {
          guard let forModel = TokenEncoding.forModel(model) else { throw .unknownModel(model) }
          chosen = forModel
        } else {
          chosen = .o200kBase
        }
        return try Tokenizer.load(chosen, locator: VocabularyLocator(vocabDir: vocabDir))
      } catch {
        throw .failed(error.description)
      }
    }

    func execute() throws(TunePrepError) -> Bool {
      try reportOptions.refuseOverwriting(
        inputs: input.paths + [tokenizer, templateFile(template)].compactMap { $0 })
      let tokenizer = try loadTokenizer()
      var options = TokenStats.Options()
      options.format = format
      options.threads = input.threads
      options.contextWindow = contextWindow
      options.allowSpecial = allowSpecial
      options.epochs = epochs
      options.epochRule = provider
      options.pricePerMillion = pricePerMillion
      if let template {
        if ChatTemplate.builtIn(template) == nil, !FileManager.default.fileExists(atPath: template)
        {
          throw .failed(
            "--template \(template): no built-in template has this name "
              + "(\(ChatTemplate.builtInNames.joined(separator: ", "))) and no file has this path; "
              + "pass one of those names or the path of a JSON template file")
        }
        guard case .text(let loaded) = try outputFormat("text", template: template) else {
          throw .failed("cannot load template \(template)")
        }
        options.template = loaded
      }
      let output = try reportOptions.openReportOutput()
      let reporter = FindingReporter(
        command: "tokens", options: reportOptions.reporterOptions(writingTo: output), output: output
      )
      let records = perRecord ? OutputStream.standardOutput() : nil
      let report = try TokenStats(tokenizer: tokenizer, options: options)
        .run(input.names, reporter: reporter, perRecord: records)
      try records?.flush()
      // The table is for people: left out, like the summary line, when a machine report is
      // going to stderr.
      let human = reportOptions.humanOutput()
      human?.write(report.textTable())
      reporter.finish(report.runSummary, summaryOutput: human)
      try output.commit()
      try human?.flush()
      return reporter.shouldFail
    }
  }
}
