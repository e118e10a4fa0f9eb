/// A stable finding code with its default severity and meaning.
///
/// Every code any command can report is listed in ``FindingCode/all``, which drives
/// `tuneprep check --list-codes`, config validation and the README table.
public struct FindingCode: Sendable, Hashable {
  /// The dotted name, such as `json.syntax`.
  public let name: String
  /// The severity unless a config overrides it.
  public let defaultSeverity: Severity
  /// One sentence: what the code means.
  public let meaning: String

  init(_ name: String, _ severity: Severity, _ meaning: String) {
    self.name = name
    self.defaultSeverity = severity
    self.meaning = meaning
  }
}

extension FindingCode {
  // MARK: json.* — the bytes of a record
  static let jsonSyntax = FindingCode(
    "json.syntax", .error, "the line is not valid JSON (RFC 8259)")
  static let jsonDepth = FindingCode(
    "json.depth", .error, "the record nests arrays or objects deeper than the parser's limit")
  static let jsonDuplicateKey = FindingCode(
    "json.duplicate-key", .warning,
    "an object has the same key twice; parsers disagree on which value wins")
  static let jsonLoneSurrogate = FindingCode(
    "json.lone-surrogate", .warning,
    "a \\uD800-\\uDFFF escape without its partner, which is not a character")
  static let jsonNumberRange = FindingCode(
    "json.number-range", .warning, "a number too large for a 64-bit float")
  static let jsonBlankLine = FindingCode(
    "json.blank-line", .warning, "an empty or whitespace-only line between records")
  static let jsonNotObject = FindingCode(
    "json.not-object", .error, "the record is valid JSON but not an object")

  // MARK: encoding.*
  static let encodingInvalidUTF8 = FindingCode(
    "encoding.invalid-utf8", .error, "bytes that are not UTF-8")
  static let encodingBOM = FindingCode(
    "encoding.bom", .warning, "the file starts with a UTF-8 byte order mark")
  static let encodingCRLF = FindingCode(
    "encoding.crlf", .info, "the file uses CRLF line endings (accepted, reported once per file)")

  // MARK: schema.* — structure of a built-in format or a user schema
  static let schemaRequired = FindingCode(
    "schema.required", .error, "a field the format requires is missing")
  static let schemaType = FindingCode(
    "schema.type", .error, "a field has the wrong JSON type")
  static let schemaUnknownKey = FindingCode(
    "schema.unknown-key", .error, "a key the format does not define (often a typo)")
  static let schemaEnum = FindingCode(
    "schema.enum", .error, "a value outside the allowed set (e.g. an unknown role)")
  static let schemaEmpty = FindingCode(
    "schema.empty", .error, "an array the format needs to be non-empty is empty")

  static let schemaInvalid = FindingCode(
    "schema.invalid", .error,
    "the record does not conform to the JSON Schema given with --schema, or to a rule of its format's schema that has no more specific code"
  )
  static let schemaOutput = FindingCode(
    "schema.output", .error, "the final answer does not conform to the --output-schema")
  static let schemaOutputNotJSON = FindingCode(
    "schema.output-not-json", .error,
    "the final answer is not JSON, but --output-schema expects JSON")

  // MARK: format.* — meaning of a record in its format
  static let formatUnknown = FindingCode(
    "format.unknown", .error, "the record matches no built-in format")
  static let formatMixed = FindingCode(
    "format.mixed", .error, "the record is in another format than the rest of the file")
  static let formatNoAnswer = FindingCode(
    "format.no-answer", .error, "the example has no assistant answer to learn")
  static let formatEmptyContent = FindingCode(
    "format.empty-content", .error,
    "a message or field has empty or whitespace-only text (Unicode whitespace, escaped or not)")
  static let formatConsecutiveRoles = FindingCode(
    "format.consecutive-roles", .warning, "two turns in a row have the same role")
  static let formatSystemPosition = FindingCode(
    "format.system-position", .error, "a system message that is not the first message")
  static let formatLastNotAssistant = FindingCode(
    "format.last-not-assistant", .warning,
    "the conversation ends with a turn after the last answer, which is not trained")
  static let formatLastTurn = FindingCode(
    "format.last-turn", .error,
    "the conversation does not end with the assistant's answer, which the format requires (bedrock-conversation)"
  )
  static let formatWeight = FindingCode(
    "format.weight", .error, "every assistant answer has weight 0, so the example trains nothing")
  static let formatToolCall = FindingCode(
    "format.tool-call", .error,
    "a tool call without id or name, or with arguments that are not a JSON object string")
  static let formatToolResponse = FindingCode(
    "format.tool-response", .error, "a tool message whose tool_call_id matches no earlier tool call"
  )
  static let formatPreferenceIdentical = FindingCode(
    "format.preference-identical", .error, "the preferred and non-preferred outputs are identical")
  static let formatAlternation = FindingCode(
    "format.alternation", .error, "turns do not alternate between the user and the assistant")
  static let formatUnknownRole = FindingCode(
    "format.unknown-role", .error, "a speaker name the format does not know (e.g. sharegpt `from`)")
  static let formatLossy = FindingCode(
    "format.lossy", .error,
    "the target format cannot hold a field of the record; converting would drop it (see --lossy)")
  static let formatRoleMapUnused = FindingCode(
    "format.role-map-unused", .warning,
    "--role-map was given but the file is not sharegpt, so no speaker name was mapped")
  static let formatUnconvertible = FindingCode(
    "format.unconvertible", .error,
    "the record's turns cannot be expressed in the target format at all")

  // MARK: import.* — rows and elements of CSV, TSV, XML and JSON exports
  static let importCSVFields = FindingCode(
    "import.csv-fields", .error, "a CSV/TSV row has more or fewer fields than the header")
  static let importCSVQuote = FindingCode(
    "import.csv-quote", .error,
    "a quoted CSV field is not closed, or has text after its closing quote")
  static let importEmptyCell = FindingCode(
    "import.empty-cell", .error,
    "a required cell, element or field (input, output, an Alpaca instruction) is empty or missing")
  static let importNoHeader = FindingCode(
    "import.no-header", .error, "the file has no header row naming the mapped columns")
  static let importMapping = FindingCode(
    "import.mapping", .error,
    "the header makes the mapping ambiguous or lossy (a column found twice, two candidate prompt or answer columns such as prompt and question, or a meta key that would replace a mapped field); an Alpaca header (instruction,input,output) is not ambiguous"
  )
  static let importEncoding = FindingCode(
    "import.encoding", .error, "the file's bytes are not valid UTF-8 or UTF-16")
  static let importXML = FindingCode(
    "import.xml", .error,
    "the XML is not well-formed, or nests elements deeper than 256 levels")
  static let importXMLDTD = FindingCode(
    "import.xml-dtd", .error,
    "the XML has a DOCTYPE; DTDs and entity declarations are not processed (no entity expansion)")
  static let importNoRecords = FindingCode(
    "import.no-records", .error, "the record selector matched nothing")

  // MARK: tokens.*
  static let tokensOverContext = FindingCode(
    "tokens.over-context", .error,
    "the example has more tokens than --context-window; the trainer truncates or rejects it")

  // MARK: dup.* and leak.* — duplicates (tuneprep dedupe)
  static let dupExact = FindingCode(
    "dup.exact", .warning, "the record has the same normalized key as the kept record of its group")
  static let dupNear = FindingCode(
    "dup.near", .warning,
    "the record is a near-duplicate (Jaccard at or above --threshold) of a kept record")
  static let leakExact = FindingCode(
    "leak.exact", .warning, "the record also appears in an evaluation file given with --against")
  static let leakNear = FindingCode(
    "leak.near", .warning,
    "the record nearly duplicates a record of an evaluation file given with --against")

  // MARK: split.* — train/validation/test splits (tuneprep split)
  static let splitEmpty = FindingCode(
    "split.empty", .warning, "a split got no examples")
  static let splitEvalSmall = FindingCode(
    "split.eval-small", .warning,
    "an evaluation split is smaller than --min-eval (50 by default), so its scores are noisy")
  static let splitTrainSmall = FindingCode(
    "split.train-small", .warning,
    "the training split is below the usual 500–5000 examples, but at least the 10 providers require"
  )
  static let splitTrainBelowMinimum = FindingCode(
    "split.train-below-minimum", .error,
    "the training split has fewer than 10 examples, which providers reject (OpenAI's minimum is 10)"
  )
  static let splitStratumTooSmall = FindingCode(
    "split.stratum-too-small", .warning,
    "a stratum has no examples in a split: too few of them, or groups too large for its share")
  static let splitKeyMissing = FindingCode(
    "split.key-missing", .warning, "records without a value at the --stratify or --group key")
  static let splitCountsAdjusted = FindingCode(
    "split.counts-adjusted", .warning,
    "--counts does not add up to the records that passed validation; the sizes are adjusted (the first split takes the difference)"
  )

  // MARK: count.*
  static let countEmptyFile = FindingCode(
    "count.empty-file", .error, "the file holds no records")

  /// Every code, in a stable order.
  public static let all: [FindingCode] = [
    jsonSyntax, jsonDepth, jsonDuplicateKey, jsonLoneSurrogate, jsonNumberRange, jsonBlankLine,
    jsonNotObject,
    encodingInvalidUTF8, encodingBOM, encodingCRLF,
    schemaRequired, schemaType, schemaUnknownKey, schemaEnum, schemaEmpty, schemaInvalid,
    schemaOutput, schemaOutputNotJSON,
    formatUnknown, formatMixed, formatNoAnswer, formatEmptyContent, formatConsecutiveRoles,
    formatSystemPosition, formatLastNotAssistant, formatLastTurn, formatWeight, formatToolCall,
    formatToolResponse,
    formatPreferenceIdentical, formatAlternation, formatUnknownRole, formatLossy,
    formatUnconvertible, formatRoleMapUnused,
    importCSVFields, importCSVQuote, importEmptyCell, importNoHeader, importMapping, importEncoding,
    importXML, importXMLDTD, importNoRecords,
    tokensOverContext,
    dupExact, dupNear, leakExact, leakNear,
    splitEmpty, splitEvalSmall, splitTrainBelowMinimum, splitTrainSmall, splitStratumTooSmall,
    splitKeyMissing,
    splitCountsAdjusted,
    countEmptyFile,
  ]

  /// Looks a code up by name.
  /// - Parameter name: the dotted name.
  /// - Returns: the code, or nil if no command reports it.
  public static func named(_ name: String) -> FindingCode? {
    all.first { $0.name == name }
  }
}
