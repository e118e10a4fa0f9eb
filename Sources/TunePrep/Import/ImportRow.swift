/// One record taken from a CSV/TSV row, an XML element or a JSON object, before conversion:
/// the mapped cells as UTF-8 bytes (nil when the column, element or field is missing).
///
/// A row is one of two shapes: an `input-output` pair (``instruction`` nil), or an Alpaca row
/// (``instruction`` set, from an `instruction` column or field), which the converter turns into
/// an `alpaca` record so that the alpaca reader joins the instruction and the input exactly as
/// `tuneprep format --from alpaca` does.
struct ImportRow {
  /// Where the row starts (line, and for XML the column).
  var location: Location
  /// The prompt; in an Alpaca row, the optional input that follows the instruction.
  var input: [UInt8]?
  /// An Alpaca row's instruction (an empty array when the cell or field is there but null).
  var instruction: [UInt8]?
  /// An Alpaca row's `history` as JSON text (an array of `[question, answer]` pairs), if any.
  var history: [UInt8]?
  /// The answer.
  var output: [UInt8]?
  /// The system prompt, if mapped.
  var system: [UInt8]?
  /// An identifier kept as the `id` field, if mapped.
  var id: [UInt8]?
  /// Extra fields kept as metadata, by name; a missing one (nil) is left out of the record.
  var meta: [(name: String, value: [UInt8]?)] = []
}

/// A row the converter did not write: counted and reported, waiting for its raw text.
///
/// The caller passes it to ``RowConverter/appendReject(_:raw:isJSON:)`` with the row as it was in
/// the input, so the rejects file keeps the raw row, not the record built from it.
struct ImportRejection {
  var location: Location
  var code: String
  var reason: String
}

/// The names the mapped cells are reported under ("column answer", "element ./answer").
struct ImportFieldNames: Sendable {
  var input: String
  var output: String
  var system: String?
  var id: String?
  /// An Alpaca row's instruction and history.
  var instruction = "field instruction"
  var history = "field history"
  /// What to do when the input or output field is missing, if that is likely a mapping
  /// mistake rather than a bad row (a JSON record read with the default field names).
  var missingFieldHint: String?

  /// The advice after "… is missing" or "… is empty": `missingFieldHint` for a missing field.
  func advice(missing: Bool, needs: String) -> String {
    if missing, let missingFieldHint { return missingFieldHint }
    return "every example needs \(needs); fill it in or remove the row"
  }
}

/// Turns imported rows into output records through the one canonical path.
///
/// The row becomes an `input-output` JSON record, which is parsed, decoded and checked like any
/// input record and then encoded into the target format. Every row is either written or rejected
/// with a reason.
struct RowConverter {
  let encoder: FormatEncoder
  /// Set once a CSV header is resolved; the converter itself is kept, so findings it already
  /// holds (such as the byte order mark) are not lost.
  var names: ImportFieldNames
  private var parser = JSONParser()
  private var document = JSONDocument()
  private var decoder = FormatDecoder()
  private var record: [UInt8] = []
  private var droppedFields: [String] = []
  /// Whether the next row's values may hold unpaired surrogates in their generalized UTF-8
  /// form (a JSON record with a lone surrogate escape), to be written back as `\uXXXX` escapes.
  var keepsSurrogateEscapes: Bool

  /// Converted records, rejects lines and findings not yet handed out.
  var out: [UInt8] = []
  var rejects: [UInt8] = []
  var findings: [Finding] = []
  var written = 0
  var rejected = 0
  var dropped: [String: Int] = [:]

  init(
    target: OutputFormat, lossy: Bool, names: ImportFieldNames, keepsSurrogateEscapes: Bool = false
  ) {
    encoder = FormatEncoder(target: target, lossy: lossy)
    self.names = names
    self.keepsSurrogateEscapes = keepsSurrogateEscapes
    out.reserveCapacity(1 << 20)
    record.reserveCapacity(1 << 12)
  }

  /// Converts one row, appending its record to ``out``.
  ///
  /// - Returns: nil when the row was written; else the rejection, already counted and
  ///   reported, which the caller completes with ``appendReject(_:raw:isJSON:)``.
  mutating func convert(_ row: ImportRow) -> ImportRejection? {
    if let instruction = row.instruction {
      return convertAlpaca(row, instruction: instruction)
    }
    if row.input.map(isBlank) ?? true {
      return reject(
        row, .importEmptyCell,
        "\(names.input) \(row.input == nil ? "is missing" : "is empty"): \(names.advice(missing: row.input == nil, needs: "an input and an output"))"
      )
    }
    if row.output.map(isBlank) ?? true {
      return reject(
        row, .importEmptyCell,
        "\(names.output) \(row.output == nil ? "is missing" : "is empty"): \(names.advice(missing: row.output == nil, needs: "an input and an output"))"
      )
    }
    record.removeAll(keepingCapacity: true)
    record.append(literal: "{\"input\":")
    appendValue(row.input ?? [])
    record.append(literal: ",\"output\":")
    appendValue(row.output ?? [])
    if let system = row.system, !isBlank(system) {
      record.append(literal: ",\"system\":")
      appendValue(system)
    }
    return finish(row, as: .inputOutput)
  }

  /// Converts an Alpaca row: builds an `alpaca` record (instruction, optional input, output,
  /// system, history) and reads it with the alpaca reader, the one place that turns an
  /// instruction and its input into the canonical example's prompt.
  private mutating func convertAlpaca(_ row: ImportRow, instruction: [UInt8]) -> ImportRejection? {
    if isBlank(instruction) {
      return reject(
        row, .importEmptyCell,
        "\(names.instruction) is empty: every example needs an instruction and an output; fill it in or remove the row"
      )
    }
    if row.output.map(isBlank) ?? true {
      return reject(
        row, .importEmptyCell,
        "\(names.output) \(row.output == nil ? "is missing" : "is empty"): \(names.advice(missing: row.output == nil, needs: "an instruction and an output"))"
      )
    }
    record.removeAll(keepingCapacity: true)
    record.append(literal: "{\"instruction\":")
    appendValue(instruction)
    if let input = row.input {
      record.append(literal: ",\"input\":")
      appendValue(input)
    }
    record.append(literal: ",\"output\":")
    appendValue(row.output ?? [])
    if let system = row.system, !isBlank(system) {
      record.append(literal: ",\"system\":")
      appendValue(system)
    }
    if let history = row.history, !isBlank(history) {
      // The history is JSON text (a CSV cell, or the field as written); the alpaca reader checks
      // its shape, so only its syntax is checked here, to say which cell is at fault.
      do throws(JSONSyntaxError) {
        try parser.parse(history, into: &document)
      } catch {
        return reject(
          row, .jsonSyntax,
          "\(names.history) is not JSON (\(error.message)): write it as a JSON array of [question, answer] pairs, such as [[\"Hi\",\"Hello!\"]], or leave it empty"
        )
      }
      record.append(literal: ",\"history\":")
      record.append(contentsOf: history)
    }
    return finish(row, as: .alpaca)
  }

  /// Appends the row's id and metadata to the record being built, closes it, reads it as
  /// `format` and encodes it into the target.
  private mutating func finish(_ row: ImportRow, as format: Format) -> ImportRejection? {
    if let id = row.id {
      record.append(literal: ",\"id\":")
      appendValue(id)
    }
    for (name, value) in row.meta {
      // A field the row does not have is left out, so it cannot be told apart from an empty one.
      guard let value else { continue }
      record.append(UInt8(ascii: ","))
      appendJSONStringLiteral(name.utf8, to: &record)
      record.append(UInt8(ascii: ":"))
      appendValue(value)
    }
    record.append(UInt8(ascii: "}"))

    do throws(JSONSyntaxError) {
      try parser.parse(record, into: &document)
    } catch {
      let message =
        error.kind == .invalidUTF8
        ? "the row holds bytes that are not UTF-8: re-save the file as UTF-8 (or UTF-16 with a byte order mark)"
        : "the row could not be turned into a record: \(error.message)"
      return reject(row, .importEncoding, message)
    }
    var context = RecordContext(
      document: document,
      position: RecordPosition(
        file: row.location.file, line: row.location.line, column: 1, byteOffset: 0))
    var decoded = decoder.decode(format, &context)
    defer { decoder.recycle(&decoded) }
    let errors = context.findings.filter { $0.severity == .error }
    for var finding in context.findings {
      finding.location = row.location
      finding.path = nil
      findings.append(finding)
    }
    guard let example = decoded, errors.isEmpty else {
      rejected += 1
      return ImportRejection(
        location: row.location, code: errors.first?.code ?? FindingCode.formatUnknown.name,
        reason: errors.map(\.message).joined(separator: "; "))
    }
    droppedFields.removeAll(keepingCapacity: true)
    do throws(FormatEncoder.Rejection) {
      try encoder.encode(
        example, source: format, document: document, into: &out, dropped: &droppedFields)
      written += 1
      for field in droppedFields { dropped[field, default: 0] += 1 }
      return nil
    } catch {
      return reject(row, error.code, error.message)
    }
  }

  /// Appends a value as a JSON string to the record being built.
  private mutating func appendValue(_ value: [UInt8]) {
    if keepsSurrogateEscapes {
      appendJSONStringKeepingSurrogates(value, to: &record)
    } else {
      appendJSONStringFast(value, to: &record)
    }
  }

  /// Reports a problem with the whole input (not one row) as a finding.
  mutating func report(_ finding: Finding) {
    findings.append(finding)
  }

  private mutating func reject(_ row: ImportRow, _ code: FindingCode, _ message: String)
    -> ImportRejection
  {
    findings.append(Finding(code, at: row.location, message: message))
    rejected += 1
    return ImportRejection(location: row.location, code: code.name, reason: message)
  }

  /// Writes the rejects line of a row ``convert(_:)`` rejected.
  /// - Parameters:
  ///   - rejection: what ``convert(_:)`` returned.
  ///   - raw: the row as it is in the input (a CSV row's text, a JSON record, an XML element).
  ///   - isJSON: whether `raw` is a valid JSON value, kept as JSON; else it is kept as a string.
  mutating func appendReject(
    _ rejection: ImportRejection, raw: UnsafeBufferPointer<UInt8>, isJSON: Bool
  ) {
    appendRejectLine(
      to: &rejects, file: rejection.location.file, line: rejection.location.line,
      code: rejection.code, reason: rejection.reason, record: raw, parsed: isJSON)
  }

  /// Moves the pending output, rejects and findings to their destinations.
  mutating func drain(output: OutputStream, rejectsOutput: OutputStream?, reporter: FindingReporter)
  {
    for finding in findings { reporter.report(finding) }
    findings.removeAll(keepingCapacity: true)
    output.write(out)
    out.removeAll(keepingCapacity: true)
    rejectsOutput?.write(rejects)
    rejects.removeAll(keepingCapacity: true)
  }
}

/// Whether UTF-8 bytes are empty or only whitespace (Unicode White_Space, the one definition of
/// blank: ``isBlankText(_:jsonEscaped:)``).
func isBlank(_ bytes: [UInt8]) -> Bool {
  bytes.withUnsafeBufferPointer { isBlankText($0, jsonEscaped: false) }
}

extension RowConverter {
  /// Rejects a row that could not be mapped (bad CSV syntax, a JSON line that is not an
  /// object), keeping its raw text in the rejects line.
  mutating func rejectRaw(
    _ location: Location, _ code: FindingCode, _ message: String, raw: UnsafeBufferPointer<UInt8>,
    reportFinding: Bool = true
  ) {
    if reportFinding { findings.append(Finding(code, at: location, message: message)) }
    rejected += 1
    appendRejectLine(
      to: &rejects, file: location.file, line: location.line, code: code.name, reason: message,
      record: raw,
      parsed: false)
  }
}

/// Appends `bytes` as a JSON string literal with quotes, copying runs that need no escape in
/// one step (the per-byte ``appendJSONStringLiteral(_:to:)`` dominated import profiles).
func appendJSONStringFast(_ bytes: [UInt8], to out: inout [UInt8]) {
  out.append(UInt8(ascii: "\""))
  bytes.withUnsafeBufferPointer { p in
    var runStart = 0
    var i = 0
    let n = p.count
    while i < n {
      let b = p[i]
      if b >= 0x20 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
        i += 1
        continue
      }
      if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<i])) }
      switch b {
      case UInt8(ascii: "\""): out.append(literal: "\\\"")
      case UInt8(ascii: "\\"): out.append(literal: "\\\\")
      case 0x0A: out.append(literal: "\\n")
      case 0x0D: out.append(literal: "\\r")
      case 0x09: out.append(literal: "\\t")
      case 0x08: out.append(literal: "\\b")
      case 0x0C: out.append(literal: "\\f")
      default:
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(literal: "\\u00")
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
      }
      i += 1
      runStart = i
    }
    if n > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<n])) }
  }
  out.append(UInt8(ascii: "\""))
}

/// Appends `bytes` as a JSON string literal like ``appendJSONStringFast(_:to:)``, but writes each
/// unpaired surrogate in its generalized UTF-8 form (`ED A0 80` to `ED BF BF`, which valid UTF-8
/// never holds) as a `\uXXXX` escape, so a lone surrogate escape in a JSON source is kept as an
/// escape, as `tuneprep format` keeps it, instead of becoming U+FFFD.
func appendJSONStringKeepingSurrogates(_ bytes: [UInt8], to out: inout [UInt8]) {
  guard bytes.contains(0xED) else { return appendJSONStringFast(bytes, to: &out) }
  var piece: [UInt8] = []
  var quoted: [UInt8] = []
  /// Appends `piece` escaped, without the quotes around it.
  func flush() {
    quoted.removeAll(keepingCapacity: true)
    appendJSONStringFast(piece, to: &quoted)
    out.append(contentsOf: quoted[1..<(quoted.count - 1)])
    piece.removeAll(keepingCapacity: true)
  }
  out.append(UInt8(ascii: "\""))
  var k = 0
  let n = bytes.count
  while k < n {
    if bytes[k] == 0xED && k + 2 < n && (0xA0...0xBF).contains(bytes[k + 1]) {
      flush()
      let unit =
        (UInt32(bytes[k] & 0x0F) << 12) | (UInt32(bytes[k + 1] & 0x3F) << 6)
        | UInt32(bytes[k + 2] & 0x3F)
      out.append(literal: "\\u")
      out.append(contentsOf: String(unit, radix: 16).utf8)
      k += 3
    } else {
      piece.append(bytes[k])
      k += 1
    }
  }
  flush()
  out.append(UInt8(ascii: "\""))
}
