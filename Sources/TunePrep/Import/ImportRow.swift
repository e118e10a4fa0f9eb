/// One record taken from a CSV/TSV row, an XML element or a JSON object, before conversion:
/// the mapped cells as UTF-8 bytes (nil when the column, element or field is missing).
struct ImportRow {
  /// Where the row starts (line, and for XML the column).
  var location: Location
  /// The prompt.
  var input: [UInt8]?
  /// The answer.
  var output: [UInt8]?
  /// The system prompt, if mapped.
  var system: [UInt8]?
  /// An identifier kept as the `id` field, if mapped.
  var id: [UInt8]?
  /// Extra fields kept as metadata, by name.
  var meta: [(name: String, value: [UInt8]?)] = []
}

/// The names the mapped cells are reported under ("column answer", "element ./answer").
struct ImportFieldNames: Sendable {
  var input: String
  var output: String
  var system: String?
  var id: String?
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

  /// Converted records, rejects lines and findings not yet handed out.
  var out: [UInt8] = []
  var rejects: [UInt8] = []
  var findings: [Finding] = []
  var written = 0
  var rejected = 0
  var dropped: [String: Int] = [:]

  init(target: OutputFormat, lossy: Bool, names: ImportFieldNames) {
    encoder = FormatEncoder(target: target, lossy: lossy)
    self.names = names
    out.reserveCapacity(1 << 20)
    record.reserveCapacity(1 << 12)
  }

  /// Converts one row, appending its record to ``out`` or a line to ``rejects``.
  mutating func convert(_ row: ImportRow) {
    record.removeAll(keepingCapacity: true)
    record.append(literal: "{\"input\":")
    appendJSONStringFast(row.input ?? [], to: &record)
    record.append(literal: ",\"output\":")
    appendJSONStringFast(row.output ?? [], to: &record)
    if let system = row.system, !isBlank(system) {
      record.append(literal: ",\"system\":")
      appendJSONStringFast(system, to: &record)
    }
    if let id = row.id {
      record.append(literal: ",\"id\":")
      appendJSONStringFast(id, to: &record)
    }
    for (name, value) in row.meta {
      record.append(UInt8(ascii: ","))
      appendJSONStringLiteral(name.utf8, to: &record)
      record.append(UInt8(ascii: ":"))
      appendJSONStringFast(value ?? [], to: &record)
    }
    record.append(UInt8(ascii: "}"))

    if row.input.map(isBlank) ?? true {
      reject(
        row, .importEmptyCell,
        "\(names.input) \(row.input == nil ? "is missing" : "is empty"): every example needs an input and an output; fill it in or remove the row"
      )
      return
    }
    if row.output.map(isBlank) ?? true {
      reject(
        row, .importEmptyCell,
        "\(names.output) \(row.output == nil ? "is missing" : "is empty"): every example needs an input and an output; fill it in or remove the row"
      )
      return
    }
    do throws(JSONSyntaxError) {
      try parser.parse(record, into: &document)
    } catch {
      let message =
        error.kind == .invalidUTF8
        ? "the row holds bytes that are not UTF-8: re-save the file as UTF-8 (or UTF-16 with a byte order mark)"
        : "the row could not be turned into a record: \(error.message)"
      reject(row, .importEncoding, message, parsed: false)
      return
    }
    var context = RecordContext(
      document: document,
      position: RecordPosition(
        file: row.location.file, line: row.location.line, column: 1, byteOffset: 0))
    var decoded = decoder.decode(.inputOutput, &context)
    defer { decoder.recycle(&decoded) }
    let errors = context.findings.filter { $0.severity == .error }
    for var finding in context.findings {
      finding.location = row.location
      finding.path = nil
      findings.append(finding)
    }
    guard let example = decoded, errors.isEmpty else {
      rejects(
        row, code: errors.first?.code ?? FindingCode.formatUnknown.name,
        reason: errors.map(\.message).joined(separator: "; "))
      return
    }
    droppedFields.removeAll(keepingCapacity: true)
    do throws(FormatEncoder.Rejection) {
      try encoder.encode(
        example, source: .inputOutput, document: document, into: &out, dropped: &droppedFields)
      written += 1
      for field in droppedFields { dropped[field, default: 0] += 1 }
    } catch {
      reject(row, error.code, error.message)
    }
  }

  /// Reports a problem with the whole input (not one row) as a finding.
  mutating func report(_ finding: Finding) {
    findings.append(finding)
  }

  private mutating func reject(
    _ row: ImportRow, _ code: FindingCode, _ message: String, parsed: Bool = true
  ) {
    findings.append(Finding(code, at: row.location, message: message))
    rejects(row, code: code.name, reason: message, parsed: parsed)
  }

  private mutating func rejects(_ row: ImportRow, code: String, reason: String, parsed: Bool = true)
  {
    rejected += 1
    record.withUnsafeBufferPointer {
      appendRejectLine(
        to: &rejects, file: row.location.file, line: row.location.line, code: code, reason: reason,
        record: $0,
        parsed: parsed)
    }
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

/// Whether UTF-8 bytes are empty or only ASCII whitespace.
func isBlank(_ bytes: [UInt8]) -> Bool {
  bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
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
