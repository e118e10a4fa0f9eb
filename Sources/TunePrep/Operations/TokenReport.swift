/// The token counts of one input file (or of all inputs together).
public struct TokenFileStats: Sendable, Equatable {
  /// The file's display name, or `total`.
  public var name: String
  /// Records read.
  public var records = 0
  /// Examples counted (records without an error finding).
  public var counted = 0
  /// Records not counted because of an error finding.
  public var skipped = 0
  /// Tokens of all counted examples (tool definitions included).
  public var tokens = 0
  /// ``tokens`` with each example capped at the context window (what one epoch bills).
  public var billed = 0
  /// Tokens of tool definitions (part of ``tokens``).
  public var tools = 0
  /// Tokens of assistant messages with `weight: 0` (part of ``tokens``, not learned from).
  public var weightZero = 0
  /// Messages counted.
  public var messages = 0
  /// Examples over the context window.
  public var overContext = 0
  /// Examples with image, audio or file parts, which are not counted (their counts are lower
  /// bounds).
  public var approx = 0
  /// Tokens per example.
  public var example = TokenDistribution()
  /// Content tokens per example for each role (by `Role.rawValue`), over the examples that
  /// have that role.
  public var roles: [TokenDistribution] = []

  /// Summarizes a tally (sorting its lists in place).
  init(name: String, tally: inout TokenTally) {
    self.name = name
    records = tally.records
    counted = tally.examples.count
    skipped = tally.skipped
    tokens = tally.tokens
    billed = tally.billed
    tools = tally.tools
    weightZero = tally.weightZero
    messages = tally.messages
    overContext = tally.overContext
    approx = tally.approx
    example = TokenDistribution(sorting: &tally.examples)
    roles = tally.roles.indices.map { TokenDistribution(sorting: &tally.roles[$0]) }
  }
}

/// The result of `tuneprep tokens`: per-file counts, the total, epochs and cost.
public struct TokenReport: Sendable, Equatable {
  /// Where the epoch count comes from.
  public enum EpochSource: Sendable, Equatable {
    /// `--epochs`.
    case given
    /// A provider's default rule for this many examples.
    case rule(EpochRule)
    /// Neither: one epoch is assumed.
    case assumed
  }

  /// The tokenizer's name (`o200k_base`, or a `tokenizer.json` file name).
  public var encoding: String
  /// The context window, if one was given.
  public var contextWindow: Int?
  /// Each input, in order.
  public var files: [TokenFileStats]
  /// All inputs together (the single file when there is one).
  public var total: TokenFileStats
  /// Training epochs.
  public var epochs: Int
  /// Where ``epochs`` comes from.
  public var epochSource: EpochSource
  /// Price per million training tokens, if given.
  public var pricePerMillion: Double?
  /// How an example is counted: `openai-chat` (the message convention) or the chat template's name.
  public var convention = "openai-chat"

  init(
    encoding: String, options: TokenStats.Options, files: [TokenFileStats], total: TokenFileStats
  ) {
    self.encoding = encoding
    self.contextWindow = options.contextWindow
    self.files = files
    self.total = total
    self.pricePerMillion = options.pricePerMillion
    if let template = options.template { convention = "\(template.name) template" }
    if let given = options.epochs {
      epochs = given
      epochSource = .given
    } else if let rule = options.epochRule {
      epochs = rule.defaultEpochs(examples: total.counted)
      epochSource = .rule(rule)
    } else {
      epochs = 1
      epochSource = .assumed
    }
  }

  /// Training tokens over all epochs: billed tokens per epoch × epochs.
  ///
  /// Saturates at `Int.max` (or `Int.min`) instead of trapping; with the CLI's bounds on
  /// `--epochs` that takes more than 9 × 10^15 tokens per epoch.
  public var trainingTokens: Int {
    let (product, overflow) = total.billed.multipliedReportingOverflow(by: epochs)
    guard overflow else { return product }
    return (total.billed < 0) == (epochs < 0) ? Int.max : Int.min
  }

  /// ``trainingTokens`` × ``pricePerMillion`` / 1,000,000, if a price was given.
  public var cost: Double? {
    pricePerMillion.map { Double(trainingTokens) * $0 / 1_000_000 }
  }
}
