/// Brings example pairs in from spreadsheet exports (CSV, TSV), XML and JSON files with other
/// field names: `tuneprep import`.
///
/// Every reader streams; each row or element becomes an `input-output` record that goes
/// through the same decoder, checks and encoder as `tuneprep format`. Every row read is written
/// or rejected with a finding that names its line, so the summary adds up.
public struct Importer {
  /// The kind of file being imported.
  public enum Source: String, Sendable, CaseIterable {
    case csv, tsv, xml, json

    /// The kind a file name's extension implies (`.jsonl` and `.json` are `json`).
    public init?(path: String) {
      let lower = path.lowercased()
      if lower.hasSuffix(".csv") {
        self = .csv
      } else if lower.hasSuffix(".tsv") || lower.hasSuffix(".tab") {
        self = .tsv
      } else if lower.hasSuffix(".xml") {
        self = .xml
      } else if lower.hasSuffix(".jsonl") || lower.hasSuffix(".json") || lower.hasSuffix(".ndjson")
      {
        self = .json
      } else {
        return nil
      }
    }
  }

  /// A namespace prefix for XML selectors (`--namespace p=URI`).
  public struct Namespace: Sendable, Equatable {
    /// The prefix used in the selectors.
    public var prefix: String
    /// The namespace URI it stands for.
    public var uri: String

    /// Creates a namespace binding.
    public init(prefix: String, uri: String) {
      self.prefix = prefix
      self.uri = uri
    }
  }

  /// What to import and how to map it.
  public struct Options: Sendable {
    /// The kind of input.
    public var source: Source = .csv
    /// The prompt.
    ///
    /// A column name or 1-based number (CSV/TSV), an XPath (XML), a field name or JSON pointer
    /// (JSON). Nil for CSV/TSV: found in the header by name.
    public var input: String?
    /// The answer, mapped like ``input``.
    public var output: String?
    /// The system prompt, if any.
    public var system: String?
    /// An identifier kept as `id`.
    public var id: String?
    /// Extra fields kept as metadata.
    public var meta: [String] = []
    /// CSV/TSV: whether the first row is a header (nil: yes when columns are named).
    public var header: Bool?
    /// XML: the elements that are records, such as `//ticket`.
    public var record: String?
    /// XML: namespace prefixes used in the selectors.
    public var namespaces: [Namespace] = []
    /// The output format.
    public var to: OutputFormat = .format(.openaiChat)
    /// Drop what the target cannot hold instead of rejecting the row.
    public var lossy = false
    /// Worker threads for JSON inputs (nil: one per core), at most ``ThreadCount/maximum``.
    public var threads: Int?
    /// Bytes per read.
    public var readSize = 1 << 20

    /// Creates default options.
    public init() {}
  }

  let options: Options

  /// Creates an importer.
  public init(options: Options) {
    self.options = options
  }

  /// Imports `input`.
  /// - Parameters:
  ///   - input: a file or standard input.
  ///   - output: receives the records.
  ///   - rejects: receives each row not imported, with its reason.
  ///   - reporter: receives the findings.
  /// - Returns: the run's counts (`written`, `rejected`, dropped fields).
  /// - Throws: ``TunePrepError`` when reading or writing fails.
  public func run(
    _ input: InputName, output: OutputStream, rejects: OutputStream?, reporter: FindingReporter
  ) throws(TunePrepError) -> RunSummary {
    var summary = RunSummary(command: "import")
    var totals = ImportTotals()
    // The command refuses these as usage errors first; a library caller gets them here.
    if let problem = options.mappingProblem() { throw .failed(problem) }
    let file = try InputFile(input)
    switch options.source {
    case .csv, .tsv:
      try importCSV(file, output: output, rejects: rejects, reporter: reporter, totals: &totals)
    case .json:
      try importJSON(file, output: output, rejects: rejects, reporter: reporter, totals: &totals)
    case .xml:
      try importXML(file, output: output, rejects: rejects, reporter: reporter, totals: &totals)
    }
    summary.files = 1
    summary.read = totals.read
    summary.counts = [("written", totals.written), ("rejected", totals.rejected)]
    for (field, n) in totals.dropped.sorted(by: { $0.key < $1.key }) {
      summary.counts.append(("dropped \(field)", n))
    }
    return summary
  }
}

/// Counts of one import.
struct ImportTotals {
  var read = 0
  var written = 0
  var rejected = 0
  var dropped: [String: Int] = [:]

  /// Adds what `converter` did since the last call and resets its counts.
  mutating func take(_ converter: inout RowConverter) {
    written += converter.written
    rejected += converter.rejected
    for (field, n) in converter.dropped { dropped[field, default: 0] += n }
    converter.written = 0
    converter.rejected = 0
    converter.dropped.removeAll(keepingCapacity: true)
  }
}

// MARK: CSV and TSV

extension Importer {
  private static let inputNames = [
    "input", "prompt", "question", "instruction", "query", "request",
  ]
  private static let outputNames = [
    "output", "response", "answer", "completion", "reply", "target",
  ]
  private static let systemNames = ["system", "system_prompt"]

  func importCSV(
    _ file: InputFile, output: OutputStream, rejects: OutputStream?, reporter: FindingReporter,
    totals: inout ImportTotals
  ) throws(TunePrepError) {
    let name = file.name.displayName
    let reader = TextChunkReader(file: file, readSize: options.readSize)
    var parser = CSVParser(delimiter: options.source == .tsv ? 0x09 : UInt8(ascii: ","))
    let specs =
      [options.input, options.output, options.system, options.id]
      + options.meta.map { Optional($0) }
    let numbered = specs.allSatisfy { $0.map { Int($0) != nil } ?? true } && options.input != nil
    let hasHeader = options.header ?? !numbered
    var columns: CSVColumns?
    var header: [String] = []
    var fatal: Finding?
    if !hasHeader {
      do throws(TunePrepError) {
        columns = try CSVColumns(options: options, header: nil, file: name)
      } catch {
        throw error
      }
    }
    var converter = RowConverter(
      target: options.to, lossy: options.lossy,
      names: ImportFieldNames(input: "", output: ""))
    var buffer: [UInt8] = []
    buffer.reserveCapacity(options.readSize * 2)
    var first = true
    while fatal == nil {
      let more = try reader.read(appendingTo: &buffer)
      // Where UTF-16 text could not be converted (empty for UTF-8 files): each row that holds
      // such a place is rejected, and `handled` counts the places the rows took.
      let problems = reader.problems
      var handled = 0
      if first {
        first = false
        if reader.encoding == .utf8BOM {
          converter.report(
            Finding(
              .encodingBOM, at: Location(file: name, line: 1, column: 1),
              message:
                "the file starts with a UTF-8 byte order mark (as spreadsheet programs write it); it was skipped"
            ))
        }
      }
      let consumed = buffer.withUnsafeBufferPointer { buf in
        parser.parse(buf, final: !more) { p, range, line in
          guard fatal == nil else { return }
          let location = Location(file: name, line: line)
          // The row's unconvertible places: those before its end, and an odd last byte right
          // at the end of a last row that has no line end.
          var rowProblems = 0
          while handled + rowProblems < problems.count {
            let offset = problems[handled + rowProblems].offset
            guard offset < range.upperBound || (offset == buf.count && range.upperBound == offset)
            else { break }
            rowProblems += 1
          }
          let problem = rowProblems > 0 ? problems[handled] : nil
          handled += rowProblems
          guard let cols = columns else {
            if let problem {
              fatal = Finding(
                .importEncoding, at: location,
                message:
                  "the header row holds \(problem.description): the file is not valid UTF-16; fix the header and export again (nothing was imported)"
              )
              return
            }
            let names = (0..<p.fields.count).map {
              String(decoding: p.value($0, in: buf) ?? [], as: UTF8.self).trimmingSpaces()
            }
            // A line of only spaces before the header is skipped like an empty line (which
            // the parser skips), so a file of nothing but white space is an empty file.
            if names.count == 1 && names[0].isEmpty && p.rowError == nil { return }
            header = names
            do throws(CSVColumns.Failure) {
              let resolved = try CSVColumns(resolving: options, header: header)
              columns = resolved
              converter.names = resolved.names
            } catch {
              fatal = Finding(error.code, at: location, message: error.message)
            }
            return
          }
          // Without a header, the first well-formed row sets the field count; a column number
          // past its end is a mapping problem, reported before any row like a header mismatch.
          if cols.fieldCount == nil && p.rowError == nil,
            let (flag, index) = cols.numbered.first(where: { $0.index >= p.fields.count })
          {
            fatal = Finding(
              .importNoHeader, at: location,
              message:
                "\(flag) \(index + 1) is past the end of the first row, which has \(p.fields.count) field\(p.fields.count == 1 ? "" : "s"): "
                + "count the columns again (1 is the first), or pass --header if the first row names them"
            )
            return
          }
          totals.read += 1
          let raw = UnsafeBufferPointer(rebasing: buf[range])
          if let problem {
            // The row's text keeps an unpaired surrogate in its generalized UTF-8 form (not
            // valid UTF-8, so the rejects file can keep its bytes) and leaves an odd last byte out.
            converter.rejectRaw(
              location, .importEncoding,
              "the row holds \(problem.description)\(rowProblems > 1 ? " (and \(rowProblems - 1) more such place\(rowProblems == 2 ? "" : "s"))" : ""): "
                + "the file is not valid UTF-16; fix the text in the source and export again; the row was not imported",
              raw: raw)
            return
          }
          if let problem = p.rowError {
            converter.rejectRaw(location, problem.code, problem.message, raw: raw)
            return
          }
          let expected = cols.fieldCount ?? p.fields.count
          if columns?.fieldCount == nil { columns?.fieldCount = p.fields.count }
          if p.fields.count != expected {
            converter.rejectRaw(
              location, .importCSVFields,
              "the row has \(p.fields.count) field\(p.fields.count == 1 ? "" : "s") but \(hasHeader ? "the header has" : "the first row has") \(expected): "
                + "a delimiter or a quote is missing or extra; the row was not imported, so no value lands in the wrong column",
              raw: raw)
            return
          }
          var row = ImportRow(location: location)
          if cols.alpaca {
            row.instruction = p.value(cols.input, in: buf) ?? []
            if let i = cols.alpacaInput { row.input = p.value(i, in: buf) }
            if let i = cols.history { row.history = p.value(i, in: buf) }
          } else {
            row.input = p.value(cols.input, in: buf)
          }
          row.output = p.value(cols.output, in: buf)
          if let i = cols.system { row.system = p.value(i, in: buf) }
          if let i = cols.id { row.id = p.value(i, in: buf) }
          for (metaName, i) in cols.meta { row.meta.append((metaName, p.value(i, in: buf))) }
          if let rejection = converter.convert(row) {
            converter.appendReject(rejection, raw: raw, isJSON: false)
          }
        }
      }
      buffer.removeFirst(consumed)
      reader.consumed(consumed, handledProblems: handled)
      converter.drain(output: output, rejectsOutput: rejects, reporter: reporter)
      totals.take(&converter)
      if !more { break }
    }
    // An odd byte after the last line end belongs to no row: say so at the line it is on.
    if fatal == nil, let odd = reader.problems.first, case .oddTrailingByte(let byte) = odd.kind {
      let hex = String(byte, radix: 16, uppercase: true)
      reporter.report(
        Finding(
          .importEncoding, at: Location(file: name, line: parser.line),
          message:
            "after its last row, the file ends with a stray byte (0x\(hex.count == 1 ? "0" : "")\(hex)), half a UTF-16 code unit: the file may be cut short; check the export (the byte was not imported)"
        ))
    }
    if let fatal {
      reporter.report(fatal)
    } else if columns == nil || (hasHeader && header.isEmpty) {
      reporter.report(
        Finding(
          .countEmptyFile, at: Location(file: name, line: 0),
          message: "the file holds no rows: check the path, or whether the export wrote anything"))
    } else if totals.read == 0 {
      reporter.report(
        Finding(
          .countEmptyFile, at: Location(file: name, line: 0),
          message: "the file holds a header but no rows"))
    }
  }
}

/// Which fields of a CSV row hold what.
struct CSVColumns {
  /// The prompt; for an Alpaca header, the instruction.
  var input: Int
  var output: Int
  /// Whether the header is an Alpaca header (see ``init(resolving:header:)``): rows are
  /// imported as Alpaca rows.
  var alpaca = false
  /// An Alpaca header's `input` and `history` columns, if it has them.
  var alpacaInput: Int?
  var history: Int?
  var system: Int?
  var id: Int?
  var meta: [(String, Int)] = []
  /// The number of fields every row must have (the header's; nil until the first row without a header).
  var fieldCount: Int?
  var names: ImportFieldNames

  /// Each mapped column with the flag that named it, in flag order.
  var numbered: [(flag: String, index: Int)] {
    var all = [("--input-column", input), ("--output-column", output)]
    if let system { all.append(("--system-column", system)) }
    if let id { all.append(("--id-column", id)) }
    for (_, index) in meta { all.append(("--meta-column", index)) }
    return all
  }

  struct Failure: Error {
    var message: String
    /// `import.no-header` when the header lacks a column; `import.mapping` when it makes the
    /// mapping ambiguous or lossy.
    var code = FindingCode.importNoHeader
  }

  /// Columns given by number, for a file without a header.
  init(options: Importer.Options, header: [String]?, file: String) throws(TunePrepError) {
    func number(_ spec: String?, _ flag: String) throws(TunePrepError) -> Int? {
      guard let spec else { return nil }
      guard let n = Int(spec), n >= 1 else {
        throw .badConfig(
          path: file, line: nil,
          reason: "\(flag) \(spec): without a header, name columns by number (1 is the first)")
      }
      return n - 1
    }
    guard let input = try number(options.input, "--input-column"),
      let output = try number(options.output, "--output-column")
    else {
      throw .badConfig(
        path: file, line: nil,
        reason: "a file without a header needs --input-column N and --output-column N")
    }
    self.input = input
    self.output = output
    system = try number(options.system, "--system-column")
    id = try number(options.id, "--id-column")
    for text in options.meta {
      let m = ImportMeta(text)
      if let i = try number(m.spec, "--meta-column") {
        meta.append((m.name ?? "column\(i + 1)", i))
      }
    }
    names = ImportFieldNames(
      input: "column \(input + 1)", output: "column \(output + 1)",
      system: system.map { "column \($0 + 1)" },
      id: id.map { "column \($0 + 1)" })
  }

  /// Columns found in a header row, by name (case-insensitive) or number.
  ///
  /// A name the header holds twice, a guess that two columns fit (`input` and `prompt`), the
  /// same column for the prompt and the answer, and a meta column whose header name would
  /// replace a mapped field are refused: each would import the wrong text without a word.
  ///
  /// The Alpaca rule: without `--input-column`, a header with an `instruction` column that no
  /// other option names is an Alpaca header (`instruction,input,output`, as spreadsheets export
  /// Alpaca data). The instruction is the prompt, and the `input` and `history` columns, when
  /// the header has them and no option names them, are its optional input and history; each row
  /// becomes an `alpaca` record. Another prompt-like column beside `instruction` (`prompt`,
  /// `question`, `query`, `request`) is still ambiguous.
  init(resolving options: Importer.Options, header: [String]) throws(Failure) {
    let lower = header.map { $0.lowercased() }
    let listed = header.map { "'\($0)'" }.joined(separator: ", ")
    /// The 1-based positions of the columns named `name`, as text ("1 and 3").
    func positions(_ name: String) -> String {
      let found = lower.indices.filter { lower[$0] == name }.map { String($0 + 1) }
      return found.dropLast().joined(separator: ", ") + " and " + (found.last ?? "")
    }
    // The columns the options name (by name or number), which the Alpaca rule leaves alone.
    let specs =
      [options.output, options.system, options.id].compactMap { $0 }
      + options.meta.map { ImportMeta($0).spec }
    let namedColumns = specs.compactMap { spec -> Int? in
      if let n = Int(spec), n >= 1, n <= header.count { return n - 1 }
      return lower.firstIndex(of: spec.lowercased())
    }
    /// The column `name` of an Alpaca header, unless an option names it.
    func alpacaColumn(_ name: String) throws(Failure) -> Int? {
      guard let i = lower.firstIndex(of: name), !namedColumns.contains(i) else { return nil }
      if lower.lastIndex(of: name) != i {
        throw Failure(
          message:
            "the header (\(listed)) looks like Alpaca data but has the column '\(name)' twice (columns \(positions(name))): rename one, or map the columns with --input-column and --output-column",
          code: .importMapping
        )
      }
      return i
    }
    let instructionColumn = options.input == nil ? try alpacaColumn("instruction") : nil
    func find(_ spec: String?, _ flag: String, guesses: [String]) throws(Failure) -> Int? {
      if let spec {
        if let n = Int(spec), n >= 1, n <= header.count { return n - 1 }
        let name = spec.lowercased()
        if let i = lower.firstIndex(of: name) {
          if lower.lastIndex(of: name) != i {
            throw Failure(
              message:
                "\(flag) '\(spec)' matches columns \(positions(name)) of the header (\(listed)): the header names two columns alike; give the column by number (\(flag) N, with --header), or rename one",
              code: .importMapping
            )
          }
          return i
        }
        if let n = Int(spec), n > header.count {
          throw Failure(
            message:
              "\(flag) \(n) is past the end of the header, which has \(header.count) column\(header.count == 1 ? "" : "s") (\(listed)): count the columns again (1 is the first), or name the column"
          )
        }
        throw Failure(
          message:
            "\(flag) '\(spec)' is not a column of the header (\(listed)): check the spelling, or pass --no-header if the file has none"
        )
      }
      // A column another option names is not a candidate: `--output-column prompt` leaves
      // `question` as the only input column.
      let named = [options.input, options.output, options.system, options.id].compactMap {
        $0?.lowercased()
      }
      let fits = guesses.filter { lower.contains($0) && !named.contains($0) }
      if fits.count > 1 {
        let names = fits.map { "'\(header[lower.firstIndex(of: $0) ?? 0])'" }
        throw Failure(
          message:
            "\(flag) is not given and the header (\(listed)) has \(names.count) columns that could be it (\(names.joined(separator: ", "))): choose one with \(flag)",
          code: .importMapping
        )
      }
      guard let guess = fits.first else { return nil }
      if lower.lastIndex(of: guess) != lower.firstIndex(of: guess) {
        throw Failure(
          message:
            "\(flag) is not given and the header (\(listed)) has the column '\(guess)' twice (columns \(positions(guess))): choose one by number with \(flag) N and --header, or rename one",
          code: .importMapping
        )
      }
      return lower.firstIndex(of: guess)
    }
    // With an `instruction` column, `input` is its optional input, not a second prompt.
    let inputGuesses =
      instructionColumn == nil
      ? Importer.inputNamesList
      : Importer.inputNamesList.filter {
        $0 != "input"
      }
    guard let input = try find(options.input, "--input-column", guesses: inputGuesses)
    else {
      throw Failure(
        message:
          "no input column: the header (\(listed)) has none of \(Importer.inputNamesList.joined(separator: ", ")); name it with --input-column, or pass --no-header with column numbers if the first row is data"
      )
    }
    guard
      let output = try find(options.output, "--output-column", guesses: Importer.outputNamesList)
    else {
      throw Failure(
        message:
          "no output column: the header (\(listed)) has none of \(Importer.outputNamesList.joined(separator: ", ")); name it with --output-column"
      )
    }
    if input == output {
      throw Failure(
        message:
          "the input and the output are both column \(input + 1) ('\(header[input])'): the answer would be a copy of the prompt; give the answer's column to --output-column",
        code: .importMapping
      )
    }
    self.input = input
    self.output = output
    if instructionColumn != nil {
      alpaca = true
      alpacaInput = try alpacaColumn("input")
      history = try alpacaColumn("history")
    }
    system = try find(
      options.system, "--system-column",
      guesses: options.input == nil ? Importer.systemNamesList : [])
    id = try find(options.id, "--id-column", guesses: [])
    var keys: [(meta: ImportMeta, key: String)] = []
    for text in options.meta {
      let m = ImportMeta(text)
      if let i = try find(m.spec, "--meta-column", guesses: []) {
        meta.append((m.name ?? header[i], i))
        keys.append((m, m.name ?? header[i]))
      }
    }
    if let problem = options.metaKeyProblem(keys, alpacaRows: alpaca) {
      throw Failure(message: problem, code: .importMapping)
    }
    fieldCount = header.count
    names = ImportFieldNames(
      input: "column '\(header[input])'", output: "column '\(header[output])'",
      system: system.map { "column '\(header[$0])'" },
      id: id.map { "column '\(header[$0])'" },
      instruction: "column '\(header[input])'",
      history: "column '\(history.map { header[$0] } ?? "history")'")
  }
}

extension Importer {
  static var inputNamesList: [String] { inputNames }
  static var outputNamesList: [String] { outputNames }
  static var systemNamesList: [String] { systemNames }
}

// MARK: JSON and JSONL

extension Importer {
  func importJSON(
    _ file: InputFile, output: OutputStream, rejects: OutputStream?, reporter: FindingReporter,
    totals: inout ImportTotals
  ) throws(TunePrepError) {
    let name = file.name.displayName
    let fields = ImportJSONFields(options)
    var fileEnd = FileEndFindings()
    let pipeline = RecordPipeline(threads: options.threads, sizes: .standard)
    try pipeline.run(
      file,
      makeVisitor: { _ in ImportJSONVisitor(fields: fields) },
      fileFinding: { reporter.report($0) },
      consume: { (block: inout BlockOutcome<ImportJSONResult>) throws(TunePrepError) in
        // Each record's own findings come right after its parse findings, so the report is in
        // line order, as validate's is.
        for finding in block.result.findings { reporter.report(finding) }
        totals.read += block.records
        fileEnd.count(crlfLines: block.crlfLines, from: block.firstCRLFLine)
        guard var converter = block.result.converter else { return }
        converter.drain(output: output, rejectsOutput: rejects, reporter: reporter)
        totals.take(&converter)
      })
    fileEnd.report(file: name, records: totals.read, to: reporter)
  }
}

/// The fields a JSON import maps.
///
/// Without `--input-field`, a record that has an `instruction` field is an Alpaca record, as
/// `tuneprep format --from alpaca` reads it: the instruction with its optional `input`, and the
/// record's `system` and `history` unless options map them otherwise. Other records give their
/// `input` field as the prompt.
struct ImportJSONFields: Sendable {
  let options: Importer.Options
  let input: JSONField
  let output: JSONField
  let system: JSONField?
  let id: JSONField?
  let meta: [JSONField]
  /// The key each meta field is written under (`NAME=` or the field's last segment).
  let metaKeys: [String]
  let names: ImportFieldNames
  /// The Alpaca fields, nil when `--input-field` is given or an option names `instruction`.
  let alpaca: AlpacaFields?

  /// The fields of an Alpaca record that options do not name otherwise.
  struct AlpacaFields: Sendable {
    let instruction = JSONField("instruction")
    let input: JSONField?
    let system: JSONField?
    let history: JSONField?
  }

  init(_ options: Importer.Options) {
    self.options = options
    input = JSONField(options.input ?? "input")
    output = JSONField(options.output ?? "output")
    system = options.system.map(JSONField.init)
    id = options.id.map(JSONField.init)
    let metas = options.meta.map(ImportMeta.init)
    meta = metas.map { JSONField($0.spec) }
    metaKeys = zip(metas, meta).map { $0.name ?? $1.key }
    var names = ImportFieldNames(
      input: "field \(input.name)", output: "field \(output.name)",
      system: system.map { "field \($0.name)" },
      id: id.map { "field \($0.name)" })
    // A record without `input` or `output` read with those default names most likely keeps its
    // prompt and answer under other names (Dolly's `instruction`/`context`/`response`).
    if options.input == nil || options.output == nil {
      names.missingFieldHint =
        "without --input-field and --output-field the prompt is read from `input` (or an Alpaca `instruction`) and the answer from `output`; name the fields this record uses, e.g. --input-field question --output-field answer"
    }
    self.names = names
    if options.readsAlpacaFields {
      let named = ([output, system, id].compactMap { $0 } + meta).map(\.path)
      /// The top-level field `key`, unless an option names it.
      func free(_ key: String) -> JSONField? {
        named.contains([key]) ? nil : JSONField(key)
      }
      alpaca = AlpacaFields(
        input: free("input"), system: system == nil ? free("system") : nil,
        history: free("history"))
    } else {
      alpaca = nil
    }
  }
}

/// One block of a JSON import: the findings in record order, and the converter that holds the
/// block's records, rejects and counts (made on first use, on the worker thread).
struct ImportJSONResult: BlockResult {
  var findings: [Finding] = []
  var converter: RowConverter?
  init() {}
}

/// Checks each JSON record like validate does, then maps and converts it, putting the
/// converter's findings for the record right after the record's own.
struct ImportJSONVisitor: RecordVisitor {
  let fields: ImportJSONFields
  private var checker = RecordChecker(fileFormat: .json, detected: false, formatLocation: nil)

  init(fields: ImportJSONFields) {
    self.fields = fields
  }

  mutating func visit(
    _ bytes: UnsafeBufferPointer<UInt8>, at position: RecordPosition,
    into result: inout ImportJSONResult
  ) {
    let first = result.findings.count
    let (_, hasError) = checker.check(bytes, at: position, findings: &result.findings)
    if result.converter == nil {
      result.converter = RowConverter(
        target: fields.options.to, lossy: fields.options.lossy, names: fields.names,
        keepsSurrogateEscapes: false)
    }
    // The converter is changed in place through optional chaining: moving it out and back
    // would retain and release its buffers for every record.
    convert(bytes, at: position, hasError: hasError, firstFinding: first, into: &result)
    if result.converter?.findings.isEmpty == false {
      result.findings.append(contentsOf: result.converter?.findings ?? [])
      result.converter?.findings.removeAll(keepingCapacity: true)
    }
  }

  private func convert(
    _ bytes: UnsafeBufferPointer<UInt8>, at position: RecordPosition, hasError: Bool,
    firstFinding first: Int, into result: inout ImportJSONResult
  ) {
    let location = position.recordLocation
    guard !hasError else {
      let reason = result.findings[first...].filter { $0.severity == .error }.map(\.message)
        .joined(separator: "; ")
      result.converter?.rejectRaw(location, .jsonSyntax, reason, raw: bytes, reportFinding: false)
      return
    }
    let d = checker.document
    guard d.kind(d.root) == .object else {
      result.converter?.rejectRaw(
        location, .jsonNotObject,
        "the record is \(article(d.kind(d.root).name)), not an object with fields to import",
        raw: bytes)
      return
    }
    // Only a record with a lone surrogate escape takes the slower path that keeps it.
    let surrogates = d.warnings.contains { $0.kind == .loneSurrogate }
    result.converter?.keepsSurrogateEscapes = surrogates
    var row = ImportRow(location: location)
    // Looked up by a static key, so records that are not Alpaca records cost no allocation.
    if let alpaca = fields.alpaca, d.member(d.root, "instruction") != nil {
      // A null instruction is an empty one, reported as such.
      row.instruction = alpaca.instruction.value(in: d, keepingSurrogates: surrogates) ?? []
      row.input = alpaca.input?.value(in: d, keepingSurrogates: surrogates)
      row.history = alpaca.history?.json(in: d)
      row.system = (fields.system ?? alpaca.system)?.value(in: d, keepingSurrogates: surrogates)
    } else {
      row.input = fields.input.value(in: d, keepingSurrogates: surrogates)
      row.system = fields.system?.value(in: d, keepingSurrogates: surrogates)
    }
    row.output = fields.output.value(in: d, keepingSurrogates: surrogates)
    row.id = fields.id?.value(in: d, keepingSurrogates: surrogates)
    for (field, key) in zip(fields.meta, fields.metaKeys) {
      row.meta.append((key, field.value(in: d, keepingSurrogates: surrogates)))
    }
    if let rejection = result.converter?.convert(row) {
      // The record parsed, so the rejects file keeps it as JSON.
      result.converter?.appendReject(rejection, raw: bytes, isJSON: true)
    }
  }
}

/// A field of a JSON record: a top-level key, or a JSON pointer (`/a/0/b`).
struct JSONField: Sendable {
  let name: String
  let path: [String]

  init(_ spec: String) {
    name = spec
    if spec.hasPrefix("/") {
      path = spec.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(
        unescapePointerSegment)
    } else {
      path = [spec]
    }
  }

  /// The metadata key this field is written under (its last path segment).
  var key: String { path.last ?? name }

  /// The field's text: a string's value, a number or boolean as written, other values as
  /// compact JSON; nil when missing or null.
  ///
  /// With `keepingSurrogates` (the record has a lone surrogate escape), a string's lone
  /// surrogates are kept in their generalized UTF-8 form instead of becoming U+FFFD.
  func value(in d: JSONDocument, keepingSurrogates: Bool = false) -> [UInt8]? {
    guard let node = node(in: d) else { return nil }
    var out: [UInt8] = []
    switch d.kind(node) {
    case .null: return nil
    case .string where keepingSurrogates && d.hasEscapes(node):
      // Decoded here, not with `appendString`, so a lone surrogate escape survives (in its
      // generalized UTF-8 form, written back as the same escape) instead of becoming U+FFFD.
      d.bytes.withUnsafeBufferPointer {
        appendDecodedJSONString(
          UnsafeBufferPointer(rebasing: $0[d.rawRange(node)]), keepingLoneSurrogates: true,
          to: &out)
      }
    case .string: d.appendString(node, to: &out)
    default: appendCompactJSON(d, node, to: &out)
    }
    return out
  }

  /// The field as compact JSON text, whatever its kind (a string keeps its quotes); nil when
  /// missing or null.
  func json(in d: JSONDocument) -> [UInt8]? {
    guard let node = node(in: d), d.kind(node) != .null else { return nil }
    var out: [UInt8] = []
    appendCompactJSON(d, node, to: &out)
    return out
  }

  /// The field's node, nil when missing.
  func node(in d: JSONDocument) -> Int? {
    var node = d.root
    for segment in path {
      switch d.kind(node) {
      case .object:
        guard let next = d.members(node).first(where: { d.string($0.key) == segment })?.value else {
          return nil
        }
        node = next
      case .array:
        guard let index = Int(segment), index >= 0, index < d.count(node) else { return nil }
        guard let next = d.elements(node).dropFirst(index).first(where: { _ in true }) else {
          return nil
        }
        node = next
      default:
        return nil
      }
    }
    return node
  }
}

/// Decodes a JSON pointer segment (`~1` is `/`, `~0` is `~`).
func unescapePointerSegment(_ segment: Substring) -> String {
  guard segment.contains("~") else { return String(segment) }
  var out = ""
  var tilde = false
  for ch in segment {
    if tilde {
      out.append(ch == "1" ? "/" : ch == "0" ? "~" : ch)
      tilde = false
    } else if ch == "~" {
      tilde = true
    } else {
      out.append(ch)
    }
  }
  return out
}
