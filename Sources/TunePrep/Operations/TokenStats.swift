/// Counts every example's tokens in the target model's tokenizer and summarizes them per file:
/// `tuneprep tokens`.
///
/// Counting runs inside the shared ``FileScan`` on every core with one shared ``Tokenizer``.
/// Records with an error-severity finding are skipped (a trainer would reject them); their
/// findings are in the report. Examples over the context window get `tokens.over-context`.
public struct TokenStats {
  /// What to count and how to read.
  public struct Options: Sendable {
    /// The format, or nil to detect it per file.
    public var format: Format?
    /// Worker threads (nil: one per core), at most ``ThreadCount/maximum`` (more are clamped).
    public var threads: Int?
    /// Read and block sizes.
    public var sizes: ReadSizes = .standard
    /// The model's context window in tokens; longer examples are findings.
    public var contextWindow: Int?
    /// Count special-token text (`<|endoftext|>`) as the special token.
    public var allowSpecial = false
    /// Epochs given by the user; wins over ``epochRule``.
    ///
    /// `tuneprep tokens` takes
    /// 1...``maximumEpochs``; any value renders without a trap (see
    /// ``TokenReport/trainingTokens``).
    public var epochs: Int?
    /// The provider's default-epochs rule, used when ``epochs`` is nil.
    public var epochRule: EpochRule?
    /// Price in currency units per million training tokens.
    ///
    /// `tuneprep tokens` takes
    /// 0...``maximumPricePerMillion``; any value renders without a trap.
    public var pricePerMillion: Double?
    /// Count each example as rendered by this chat template (as `format --to text` writes it,
    /// special tokens included) instead of by the OpenAI message convention.
    public var template: ChatTemplate?

    /// The most epochs `--epochs` takes: 1000, twenty times OpenAI's limit of 50, and far
    /// past the few epochs fine-tuning uses.
    public static let maximumEpochs = 1000

    /// The highest price `--price-per-million` takes: 1,000,000 (one currency unit per
    /// token), thousands of times any provider's price.
    public static let maximumPricePerMillion: Double = 1_000_000

    /// Creates default options.
    public init() {}
  }

  let options: Options
  let tokenizer: Tokenizer

  /// Creates a counter.
  /// - Parameters:
  ///   - tokenizer: the model's tokenizer, shared by every thread.
  ///   - options: what to count and how.
  public init(tokenizer: Tokenizer, options: Options) {
    self.tokenizer = tokenizer
    self.options = options
  }

  /// Counts every input in order.
  /// - Parameters:
  ///   - inputs: files or standard input.
  ///   - reporter: receives the findings.
  ///   - perRecord: when given, receives one JSON line per counted example, in input order.
  /// - Returns: the per-file and total counts.
  /// - Throws: ``TunePrepError`` when an input cannot be read.
  public func run(_ inputs: [InputName], reporter: FindingReporter, perRecord: OutputStream? = nil)
    throws(TunePrepError) -> TokenReport
  {
    let counter = ExampleTokenCounter(tokenizer: tokenizer, allowSpecial: options.allowSpecial)
    let contextWindow = options.contextWindow
    let writeLines = perRecord != nil
    let encodingName = tokenizer.name
    let templateEncoder = options.template.map { FormatEncoder(target: .text($0), lossy: true) }
    let tokenizer = self.tokenizer
    /// Counts the `text` of the `{"text": ...}` record the template encoder wrote.
    @Sendable func renderedTokens(_ block: inout TokenBlock) -> Int {
      do throws(JSONSyntaxError) {
        try block.parser.parse(block.rendered, into: &block.document)
      } catch {
        return 0
      }
      guard let text = block.document.member(block.document.root, "text") else { return 0 }
      block.scratch.removeAll(keepingCapacity: true)
      block.document.appendString(text, to: &block.scratch)
      return block.scratch.withUnsafeBufferPointer { tokenizer.count(utf8: $0, allowSpecial: true) }
    }
    var files: [TokenFileStats] = []
    var total = TokenTally()
    for input in inputs {
      let file = try InputFile(input)
      let quotedName = file.name.displayName.jsonQuoted
      var tally = TokenTally()
      let outcome = try FileScan(
        format: options.format, threads: options.threads, sizes: options.sizes
      )
      .run(file, reporter: reporter) { (record: borrowing CheckedRecord, block: inout TokenBlock) in
        guard !record.hasError, let example = record.example else {
          block.tally.skipped += 1
          return
        }
        var tokens = counter.count(example, in: record.document, scratch: &block.scratch)
        if let encoder = templateEncoder {
          // The example's total is the rendered text, counted with the template's special
          // tokens as the special tokens they are; tool definitions are not part of it.
          block.rendered.removeAll(keepingCapacity: true)
          var dropped: [String] = []
          do throws(FormatEncoder.Rejection) {
            try encoder.encode(
              example, source: record.format, document: record.document, into: &block.rendered,
              dropped: &dropped)
          } catch {
            block.findings.append(
              Finding(
                error.code, at: record.position.recordLocation,
                message: "\(error.message); the example was not counted with the template"))
            block.tally.skipped += 1
            return
          }
          tokens.total = renderedTokens(&block)
          tokens.tools = 0
        }
        block.tally.add(tokens, contextWindow: contextWindow)
        let over = contextWindow.map { tokens.total > $0 } ?? false
        if over, let window = contextWindow {
          block.findings.append(
            Finding(
              .tokensOverContext, at: record.position.recordLocation,
              message:
                "the example has \(counting: tokens.total, "token") (\(encodingName)), over the "
                + "\(window)-token context window by \(tokens.total - window); shorten or split it, "
                + "or the trainer truncates it"))
        }
        if writeLines {
          block.lines.append(
            contentsOf: perRecordLine(
              line: record.position.line, file: quotedName, tokens: tokens,
              over: contextWindow == nil ? nil : over
            ).utf8)
        }
      } consume: { (block: inout TokenBlock) throws(TunePrepError) in
        for finding in block.findings { reporter.report(finding) }
        perRecord?.write(block.lines)
        tally.merge(block.tally)
      }
      tally.records = outcome.records
      if inputs.count > 1 { total.merge(tally) }
      files.append(TokenFileStats(name: file.name.displayName, tally: &tally))
    }
    let totalStats = inputs.count > 1 ? TokenFileStats(name: "total", tally: &total) : files.first
    return TokenReport(
      encoding: encodingName, options: options, files: files,
      total: totalStats ?? TokenFileStats(name: "total", tally: &total))
  }
}

/// The `--per-record` line of one example.
private func perRecordLine(line: Int, file: String, tokens: ExampleTokens, over: Bool?) -> String {
  var s =
    "{\"line\":\(line),\"tokens\":\(tokens.total),\"file\":\(file),\"messages\":\(tokens.messages)"
  for role in Role.allCases {
    s += ",\"\(role.name)\":\(tokens.content[Int(role.rawValue)])"
  }
  s += ",\"tools\":\(tokens.tools),\"weight0\":\(tokens.weightZero)"
  if let over { s += ",\"over_context\":\(over)" }
  if tokens.approx { s += ",\"approx\":true" }
  return s + "}\n"
}

/// Per-block result of `tokens`: counts, over-context findings and per-record lines.
struct TokenBlock: BlockPayload {
  var scratch: [UInt8] = []
  /// With `--template`: the rendered record, and a parser to read its text back.
  var rendered: [UInt8] = []
  var parser = JSONParser()
  var document = JSONDocument()
  var tally = TokenTally()
  var findings: [Finding] = []
  var lines: [UInt8] = []
  init() {}
}

/// Running counts of examples: sums, and every example's counts for the distributions (four
/// bytes per example and role present, the fixed-size state the design allows).
struct TokenTally {
  var records = 0
  var skipped = 0
  var tokens = 0
  var billed = 0
  var tools = 0
  var weightZero = 0
  var messages = 0
  var overContext = 0
  /// Examples with uncounted non-text parts (``ExampleTokens/approx``).
  var approx = 0
  var examples: [UInt32] = []
  var roles: [[UInt32]] = Role.allCases.map { _ in [] }

  /// Adds one example; `billed` caps it at the context window as the trainer truncates.
  mutating func add(_ t: ExampleTokens, contextWindow: Int?) {
    tokens += t.total
    billed += contextWindow.map { min(t.total, $0) } ?? t.total
    tools += t.tools
    weightZero += t.weightZero
    messages += t.messages
    if let contextWindow, t.total > contextWindow { overContext += 1 }
    if t.approx { approx += 1 }
    examples.append(UInt32(clamping: t.total))
    for role in Role.allCases {
      if let n = t.content(of: role) { roles[Int(role.rawValue)].append(UInt32(clamping: n)) }
    }
  }

  /// Adds another tally's counts and examples after this one's.
  mutating func merge(_ other: TokenTally) {
    records += other.records
    skipped += other.skipped
    tokens += other.tokens
    billed += other.billed
    tools += other.tools
    weightZero += other.weightZero
    messages += other.messages
    overContext += other.overContext
    approx += other.approx
    examples.append(contentsOf: other.examples)
    for r in roles.indices { roles[r].append(contentsOf: other.roles[r]) }
  }
}
