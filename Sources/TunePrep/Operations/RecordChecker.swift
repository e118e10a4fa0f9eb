/// Parses and decodes one record, turning every problem into findings: the first stage of
/// every command (validate reports the findings; dedupe, format and split reject the record).
struct RecordChecker {
  /// The format the file was given or detected as (nil: none detected).
  let fileFormat: Format?
  /// Whether the format was detected (so records of another format are `format.mixed`).
  let detected: Bool
  /// Where the file's format was first seen, for `format.mixed` findings.
  let formatLocation: Location?
  /// Whether a record of another format than the detected file format is decoded in its own
  /// format instead of being a `format.mixed` error (dedupe's `--against` files, whose records
  /// are only compared, so that a file mixing formats is compared whole).
  var decodesEachFormat = false
  /// What a record that is a prompt without an answer is (see ``AnswerlessRecords``).
  var answerless = AnswerlessRecords.error

  var parser = JSONParser()
  /// The context records are checked in, kept from record to record.
  ///
  /// Each record is parsed into its document, and its findings storage and file name are reused. A
  /// context made per record would copy the document in, retaining and releasing its three arrays.
  private var context = RecordContext(
    document: JSONDocument(), position: RecordPosition(file: "", line: 0, column: 0, byteOffset: 0))
  /// The last record parsed (valid until the next record).
  var document: JSONDocument { context.document }
  var decoder = FormatDecoder()
  /// User schemas, checked after the format's own rules.
  var schemas = RecordSchemas()
  /// The built-in formats' schemas, which judge each record's structure.
  var structure = FormatSchemas.builtin {
    didSet { judgedFormat = nil }
  }
  /// Extra sharegpt speaker names (`--role-map`): the decoder maps them, and sharegpt's
  /// schema accepts them.
  var roleMap = RoleMap() {
    didSet {
      decoder.roleMap = roleMap
      structure = .builtin(allowing: roleMap)
    }
  }
  private var judge = StructureJudge()
  /// The schema of the last format judged, so the shared table is looked up once per run.
  private var judgedFormat: Format?
  private var formatSchema: CompiledSchema?
  private var schemaErrors: [SchemaError] = []
  private var answerParser = JSONParser()
  private var answerDocument = JSONDocument()

  init(fileFormat: Format?, detected: Bool, formatLocation: Location?) {
    self.fileFormat = fileFormat
    self.detected = detected
    self.formatLocation = formatLocation
  }

  /// Checks one record.
  /// - Parameters:
  ///   - bytes: the record's bytes.
  ///   - position: where it starts.
  ///   - findings: receives its findings in order.
  /// - Returns: the decoded example (nil for `--format json`, or when the record is unusable),
  ///   and whether the record had an error-severity finding.
  mutating func check(
    _ bytes: UnsafeBufferPointer<UInt8>, at position: RecordPosition, findings: inout [Finding]
  ) -> (example: Example?, hasError: Bool) {
    if let unread = position.unreadRest {
      findings.append(Finding(.jsonSyntax, at: position.startLocation, message: unread))
      return (nil, true)
    }
    do throws(JSONSyntaxError) {
      try parser.parse(UnsafeRawBufferPointer(bytes), into: &context.document)
    } catch {
      findings.append(syntaxFinding(error, bytes: bytes, position: position))
      return (nil, true)
    }
    context.begin(at: position)
    for warning in context.document.warnings {
      let code: FindingCode
      switch warning.kind {
      case .duplicateKey: code = .jsonDuplicateKey
      case .loneSurrogate: code = .jsonLoneSurrogate
      case .numberRange: code = .jsonNumberRange
      }
      let location = context.location(atByte: warning.offset)
      let path = warning.kind == .duplicateKey ? context.pointer(to: warning.node) : nil
      context.findings.append(Finding(code, at: location, path: path, message: warning.message))
    }
    let unlisted = context.document.unlistedWarnings
    if !unlisted.isEmpty {
      for (code, count, one, many) in [
        (FindingCode.jsonDuplicateKey, unlisted.duplicateKey, "duplicate key", "duplicate keys"),
        (
          .jsonLoneSurrogate, unlisted.loneSurrogate, "lone surrogate escape",
          "lone surrogate escapes"
        ),
        (.jsonNumberRange, unlisted.numberRange, "number out of range", "numbers out of range"),
      ] where count > 0 {
        context.report(
          code, at: nil,
          "and \(count) more \(count == 1 ? one : many) in this record, past the first \(JSONWarning.listedLimit) warnings listed: a record with this many was most likely written by a program with a bug"
        )
      }
    }
    var example: Example?
    var decoded = fileFormat
    if let format = fileFormat, format != .json {
      let before = context.findings.count
      example = decode(format, from: before)
      // A record of another format always fails the file's format, so detection runs only
      // then; its findings are replaced by one `format.mixed`, or by those of decoding it in
      // its own format.
      if detected, hasError(from: before),
        let own = Format.detect(context.document), own != format
      {
        context.findings.removeSubrange(before...)
        decoder.recycle(&example)
        if decodesEachFormat {
          example = decode(own, from: before)
          decoded = own
        } else {
          context.report(
            .formatMixed, at: nil,
            "the record looks like \(own.rawValue), but the file is \(format.rawValue)"
              + (formatLocation.map { " (as its line \($0.line) shows)" } ?? "")
              + ": keep one format per file, or convert with `tuneprep format --to \(format.rawValue)`",
            related: formatLocation.map { [$0] } ?? [])
        }
      }
    } else if fileFormat == nil {
      context.report(
        .formatUnknown, at: nil,
        "the record matches no built-in format (keys such as \"messages\", \"instruction\"/\"output\", \"conversations\", \"contents\", \"prompt\"/\"completion\"): name one with --format, or use --format json"
      )
    }
    if !schemas.isEmpty {
      checkSchemas(example: example)
    }
    var hasError = hasError(from: 0)
    if hasError, answerless != .error, let example, let decoded {
      hasError = amendAnswerless(example, format: decoded)
    }
    // Only when there are any: passing the kept storage retains and releases it.
    if !context.findings.isEmpty { findings.append(contentsOf: context.findings) }
    return (example, hasError)
  }

  /// Decodes the record as `format` and judges it against the format's schema.
  /// - Parameter before: where the record's findings from this step start.
  /// - Returns: the example, or nil when the record cannot be decoded.
  private mutating func decode(_ format: Format, from before: Int) -> Example? {
    let example = decoder.decode(format, &context)
    if judgedFormat != format {
      judgedFormat = format
      formatSchema = structure.schema(for: format)
    }
    // Unwrapped in place with `!`: binding it with `if let` (or `unsafelyUnwrapped`) copies
    // the schema, whose objects every worker shares, and the reference counting of that copy
    // is the costliest line of the check when two threads do it at once.
    if formatSchema != nil {
      // The `!` cannot fail (checked just above) and is what avoids the copy, so it stays.
      // swift-format-ignore: NeverForceUnwrap
      judge.judge(
        formatSchema!, format: format, from: before, decoded: example.hasValue, &context,
        limit: schemas.errorLimit)
    }
    return example
  }

  /// Whether a finding of the record from index `start` on is an error.
  ///
  /// Through a buffer: `contains` on the findings (or a slice of them) would retain and release
  /// their storage, which the context keeps from record to record.
  private func hasError(from start: Int) -> Bool {
    context.findings.withUnsafeBufferPointer { findings in
      findings[start...].contains { $0.severity == .error }
    }
  }

  /// Applies ``answerless`` to a record with errors: when the example is a prompt without an
  /// answer and every error says only that the answer is missing, those errors are withdrawn
  /// (``AnswerlessRecords/compared``) or say what to do (``AnswerlessRecords/notCompared(_:)``).
  /// - Returns: whether the record still has an error.
  private mutating func amendAnswerless(_ example: Example, format: Format) -> Bool {
    let isPrompt =
      example.preferred == nil && example.nonPreferred == nil
      && example.turns.contains { $0.role == .user }
      && !example.turns.contains { $0.role == .assistant }
    guard isPrompt else { return true }
    var answerFields: [String] = []
    for finding in context.findings where finding.severity == .error {
      guard let field = missingAnswer(finding, format: format) else { return true }
      answerFields.append(field)
    }
    switch answerless {
    case .error:
      return true
    case .compared:
      context.findings.removeAll { $0.severity == .error }
      return false
    case .notCompared(let key):
      var k = 0
      for i in context.findings.indices where context.findings[i].severity == .error {
        let field = answerFields[k]
        k += 1
        let lead =
          field.isEmpty
          ? "the evaluation record has no assistant answer"
          : "the evaluation record has no \"\(field)\" field (its answer)"
        context.findings[i].message =
          "\(lead), which --key \(key.rawValue) compares, so it is not compared and a leak of its prompt would go unseen: for an evaluation file of prompts only, use --key input, which compares the prompts"
      }
      return true
    }
  }

  /// Whether `finding` says only that the answer is missing: `format.no-answer` (returns ""),
  /// or `schema.required` for the record's answer field (returns the field's name).
  private func missingAnswer(_ finding: Finding, format: Format) -> String? {
    if finding.code == FindingCode.formatNoAnswer.name { return "" }
    guard finding.code == FindingCode.schemaRequired.name, (finding.path ?? "").isEmpty else {
      return nil
    }
    let fields: [StaticString]
    switch format {
    case .inputOutput, .alpaca: fields = ["output"]
    case .promptCompletion: fields = ["completion"]
    case .openaiPreference: fields = ["preferred_output", "non_preferred_output"]
    default: return nil
    }
    let root = context.document.root
    for field in fields where context.document.member(root, field) == nil {
      let name = field.description
      if finding.message.contains("\"\(name)\"") { return name }
    }
    return nil
  }

  /// Hands an example returned by ``check(_:at:findings:)`` back to the decoder once the
  /// caller is done with it (leaving nil), so the next record reuses its storage.
  mutating func recycle(_ example: inout Example?) {
    decoder.recycle(&example)
  }

  /// Swaps the last record parsed with `document`, to lend it without a copy.
  ///
  /// A copy retains and releases the document's three arrays. Swap back before the next record.
  mutating func swapDocument(with document: inout JSONDocument) {
    swap(&context.document, &document)
  }

  /// Checks the record against `--schema` and its final answer against `--output-schema`.
  private mutating func checkSchemas(example: Example?) {
    if let schema = schemas.record {
      schemaErrors.removeAll(keepingCapacity: true)
      if !schema.validate(context.document, into: &schemaErrors, limit: schemas.errorLimit) {
        for (k, error) in schemaErrors.enumerated() {
          context.findings.append(
            Finding(
              .schemaInvalid, at: locationOfValue(at: error.instanceLocation),
              path: error.instanceLocation,
              message:
                "\(error.message) (schema \(error.schemaLocation.isEmpty ? "#" : error.schemaLocation))"
                + moreSchemaErrorsNote(after: k)
            ))
        }
      }
    }
    guard let schema = schemas.output, let example else { return }
    guard let answer = example.finalAnswer, let content = answer.content else {
      context.report(
        .schemaOutputNotJSON, at: nil,
        "the example has no final answer text to check against --output-schema")
      return
    }
    var text: [UInt8] = []
    example.append(content, in: context.document, to: &text)
    let contentPath = answerPointer(content, of: example)
    do throws(JSONSyntaxError) {
      try answerParser.parse(text, into: &answerDocument)
    } catch {
      // Text after a complete value is about the answer, not about JSONL's one record per line.
      let reason =
        error.trailingText.map {
          "unexpected \($0) after the JSON value at character \(error.offset + 1) of the answer"
        } ?? "\(error.message) at character \(error.offset + 1) of the answer"
      let advice =
        error.trailingText == nil
        ? "" : ": write the answer as that one JSON value, with no text before or after it"
      context.findings.append(
        Finding(
          .schemaOutputNotJSON, at: locationOfValue(at: contentPath), path: contentPath,
          message:
            "the final answer is not JSON (\(reason)), but --output-schema expects a JSON value\(advice)"
        ))
      return
    }
    schemaErrors.removeAll(keepingCapacity: true)
    if !schema.validate(answerDocument, into: &schemaErrors, limit: schemas.errorLimit) {
      // The answer is text inside the record: its findings point at that text's value.
      let answerLocation = locationOfValue(at: contentPath)
      for (k, error) in schemaErrors.enumerated() {
        // A check cut short by the evaluation budget says itself what it knows.
        let lead =
          error.keyword == "evaluationBudget"
          ? "--output-schema: "
          : "the final answer does not match --output-schema: "
        context.findings.append(
          Finding(
            .schemaOutput, at: answerLocation, path: contentPath + error.instanceLocation,
            message:
              "\(lead)\(error.message) (schema \(error.schemaLocation.isEmpty ? "#" : error.schemaLocation))"
              + moreSchemaErrorsNote(after: k)
          ))
      }
    }
  }

  /// The JSON pointer of an answer's text in the record, in the format's own terms: the string
  /// itself (`/messages/1/content`, `/contents/1/parts/0/text`, `/conversations/1/value`,
  /// `/output`), or for text in several parts the array that holds them (`/contents/1/parts`).
  private func answerPointer(_ content: Text, of example: Example) -> String {
    let d = context.document
    switch content {
    case .node(let node):
      return d.pointer(to: node)
    case .parts:
      let texts = example.parts(of: content).lazy.compactMap { part -> Int? in
        if case .text(let node) = part { node } else { nil }
      }
      guard let node = texts.first else { return "" }
      // The text string, in its part object, in the array of parts.
      var segments = d.pointer(to: node).split(separator: "/", omittingEmptySubsequences: false)
      guard segments.count > 2 else { return "" }
      segments.removeLast(2)
      return segments.joined(separator: "/")
    case .owned:
      return ""
    }
  }

  /// The line and byte column of the record's value at JSON pointer `pointer`, as the built-in
  /// findings give them; the record's own location (no column) for the whole record ("") or
  /// when the pointer names no value.
  private func locationOfValue(at pointer: String) -> Location {
    guard !pointer.isEmpty, let node = context.document.node(atPointer: pointer) else {
      return context.position.recordLocation
    }
    let start = context.document.sourceRange(node).lowerBound
    return context.document.bytes.withUnsafeBufferPointer {
      context.position.location(atByte: start, in: $0)
    }
  }

  /// What the last listed schema error of a record says when the list reached
  /// ``RecordSchemas/errorLimit``: the evaluator stops there, so the record may have more,
  /// which are neither listed nor counted.
  /// - Parameter k: the index of the error in ``schemaErrors``.
  private func moreSchemaErrorsNote(after k: Int) -> String {
    guard k == schemas.errorLimit - 1 else { return "" }
    return
      "; the record may have more schema errors: at most \(schemas.errorLimit) are listed per record, so fix these and run again"
  }

  private func syntaxFinding(
    _ error: JSONSyntaxError, bytes: UnsafeBufferPointer<UInt8>, position: RecordPosition
  ) -> Finding {
    var kind = error.kind
    // A stray byte that is not UTF-8 is an encoding problem, whatever the parser expected.
    if kind == .syntax, error.offset < bytes.count, bytes[error.offset] >= 0x80,
      utf8SequenceLength(bytes, error.offset, bytes.count) == 0
    {
      kind = .invalidUTF8
    }
    let location = position.location(atByte: error.offset, in: bytes)
    let column = location.column.map { " at column \($0)" } ?? ""
    switch kind {
    case .syntax:
      return Finding(.jsonSyntax, at: location, message: "invalid JSON\(column): \(error.message)")
    case .depth:
      return Finding(
        .jsonDepth, at: location, message: "\(error.message) (at column \(location.column ?? 0))")
    case .invalidUTF8:
      let byte = error.offset < bytes.count ? hexByte(bytes[error.offset]) : "?"
      return Finding(
        .encodingInvalidUTF8, at: location,
        message:
          "invalid UTF-8 byte \(byte)\(column): re-encode the file as UTF-8 (for example iconv -f latin1 -t utf-8)"
      )
    }
  }

  /// Finds the format of a file from its first records.
  /// - Parameters:
  ///   - block: the first block of the file.
  ///   - file: the file's display name.
  /// - Returns: the first detected format and where it was seen.
  static func sniff(_ block: ByteBlock?, file: String) -> (Format, Location)? {
    guard let block else { return nil }
    var parser = JSONParser()
    var document = JSONDocument()
    var result: (Format, Location)?
    var tried = 0
    block.forEachRecord(file: file) { bytes, position in
      tried += 1
      do throws(JSONSyntaxError) {
        try parser.parse(UnsafeRawBufferPointer(bytes), into: &document)
        if let format = Format.detect(document) {
          result = (format, position.recordLocation)
          return false
        }
      } catch {}
      return tried < 1000
    }
    return result
  }
}

/// What ``RecordChecker`` makes of a record that decodes to a prompt with no answer: a user
/// turn and no assistant turn or preference output, whose only errors say that the answer is
/// missing (`format.no-answer`, or `schema.required` for `output`, `completion`,
/// `preferred_output` or `non_preferred_output`).
///
/// Such a record is an error for training; in an evaluation file (`dedupe --against`) it can
/// be a test prompt, which `--key input` compares.
enum AnswerlessRecords: Equatable {
  /// An error, as for any record (every command but `dedupe --against`).
  case error
  /// Not an error: the record is compared by its prompt (an `--against` file with
  /// `--key input`).
  case compared
  /// Still an error, whose message says that the key compares the answer and to use
  /// `--key input` (an `--against` file with another key).
  case notCompared(DedupeKey)
}
