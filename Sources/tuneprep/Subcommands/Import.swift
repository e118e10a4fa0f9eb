public import ArgumentParser
public import TunePrep

extension Importer.Source: ExpressibleByArgument {}

extension TunePrepCommand {
  struct Import: TunePrepSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Import example pairs from CSV, TSV, XML or JSON exports into a trainer format.",
      discussion: """
        CSV/TSV (RFC 4180; UTF-8, or UTF-16 with a byte order mark): columns by header name or \
        number; without column options the header's input/prompt/question and \
        output/response/answer columns are used, and an Alpaca header (instruction,input,output) \
        imports as alpaca records, as do JSON records with an instruction field. XML: --record selects the record elements \
        (//name or /a/b/name, prefixes via --namespace), --input/--output/--system/--id/--meta are \
        XPaths relative to the record (./question, @id). JSON arrays and JSONL: fields by name or \
        JSON pointer. A row with the wrong number of fields, an empty required cell or bad bytes \
        is rejected with its line, never shifted. Exit status: 0 clean, 1 findings at or above \
        --fail-on, 2 cannot read or write, 64 usage.

        Examples:
          tuneprep import tickets.csv --input-column question --output-column answer -o train.jsonl
          tuneprep import tickets.xml --record //ticket --input ./question --output ./answer --id @id --to alpaca
          tuneprep import data.jsonl --input-field /prompt/text --output-field response --to sharegpt
        """)

    @Argument(
      help: ArgumentHelp(
        "Input file: .csv, .tsv, .xml, .json or .jsonl ('-' or none: standard input, with --from).",
        valueName: "input"))
    var input: String = "-"

    @Option(
      help: ArgumentHelp(
        "Input kind when the extension does not say: csv, tsv, xml or json.", valueName: "kind"))
    var from: Importer.Source?

    @Option(
      name: [.customLong("input-column"), .customLong("input-field"), .customLong("input")],
      help: ArgumentHelp(
        "The prompt: CSV column name or number, XML XPath, or JSON field/pointer.",
        valueName: "column"))
    var inputColumn: String?

    @Option(
      name: [.customLong("output-column"), .customLong("output-field"), .customLong("output")],
      help: ArgumentHelp(
        "The answer: CSV column name or number, XML XPath, or JSON field/pointer.",
        valueName: "column"))
    var outputColumn: String?

    @Option(
      name: [.customLong("system-column"), .customLong("system-field"), .customLong("system")],
      help: ArgumentHelp("The system prompt, mapped like --input-column.", valueName: "column"))
    var systemColumn: String?

    @Option(
      name: [.customLong("id-column"), .customLong("id-field"), .customLong("id")],
      help: ArgumentHelp("An identifier, kept as the record's \"id\" field.", valueName: "column"))
    var idColumn: String?

    @Option(
      name: [.customLong("meta-column"), .customLong("meta-field"), .customLong("meta")],
      help: ArgumentHelp(
        "An extra field kept in the record (repeatable); NAME=COLUMN sets its key.",
        valueName: "column"))
    var metaColumn: [String] = []

    @Flag(
      inversion: .prefixedNo,
      help:
        "Whether the first CSV/TSV row is a header (default: yes, unless columns are given by number)."
    )
    var header: Bool?

    @Option(
      help: ArgumentHelp(
        "XML: the record elements, e.g. //ticket or /export/tickets/ticket.", valueName: "xpath"))
    var record: String?

    @Option(
      help: ArgumentHelp(
        "XML: a namespace prefix used in the XPaths, as prefix=URI (repeatable).",
        valueName: "prefix=uri"))
    var namespace: [String] = []

    @Option(
      help: ArgumentHelp(
        "Output format (default openai-chat): \(TunePrep.Format.builtIn.map(\.rawValue).joined(separator: ", ")), or text.",
        valueName: "format"))
    var to: String = "openai-chat"

    @Option(
      help: ArgumentHelp(
        "Chat template for --to text: chatml, llama3, mistral, gemma, or a JSON template file.",
        valueName: "name|path"))
    var template: String?

    @Option(
      name: [.customShort("o"), .customLong("output-file")],
      help: ArgumentHelp("Write records here ('-': stdout, the default).", valueName: "path"))
    var outputFile: String = "-"

    @Option(
      help: ArgumentHelp(
        "Write every row that is not imported here, with its line and reason.", valueName: "path"))
    var rejects: String?

    @Flag(
      help:
        "Drop fields the target format cannot hold (counted in the summary) instead of rejecting the row."
    )
    var lossy = false

    /// `--threads`; only JSON inputs use more than one.
    @OptionGroup var threadOptions: ThreadOptions

    @OptionGroup var reportOptions: ReportOptions

    var source: Importer.Source? { from ?? Importer.Source(path: input) }

    func validate() throws {
      try checkPathArgument(input, option: "INPUT", role: .input)
      try checkPathArgument(outputFile, option: "--output-file", role: .output)
      try checkPathArgument(rejects, option: "--rejects", role: .file)
      try checkPathArgument(template, option: "--template", role: .file)
      guard let source else {
        let what = input == "-" ? "standard input" : "'\(input)' from its extension"
        throw ValidationError("cannot tell the kind of \(what): pass --from csv|tsv|xml|json")
      }
      if to != "text" && TunePrep.Format(name: to).map({ $0 != .json }) != true {
        throw ValidationError(
          "--to must be one of \(TunePrep.Format.builtIn.map(\.rawValue).joined(separator: ", ")), text; got '\(to)'"
        )
      }
      if to == "text" && template == nil {
        throw ValidationError("--to text needs --template chatml|llama3|mistral|gemma|PATH")
      }
      if source == .xml {
        if record == nil || inputColumn == nil || outputColumn == nil {
          throw ValidationError(
            "XML import needs --record XPATH, --input XPATH and --output XPATH (e.g. --record //ticket --input ./question --output ./answer)"
          )
        }
      } else if record != nil || !namespace.isEmpty {
        throw ValidationError("--record and --namespace only apply to XML inputs")
      }
      if let problem = mappingOptions.mappingProblem() { throw ValidationError(problem) }
      for ns in namespace where !ns.contains("=") {
        throw ValidationError("--namespace \(ns): write prefix=URI")
      }
      if !lossy, idColumn != nil || !metaColumn.isEmpty {
        let keeps =
          to != "text"
          && TunePrep.Format(name: to).map { OutputFormat.format($0).keepsMetadata } == true
        if !keeps {
          // The targets that keep them, from the same property that decides it here.
          let targets = TunePrep.Format.builtIn.filter { OutputFormat.format($0).keepsMetadata }
            .map(\.rawValue)
          let list = targets.dropLast().joined(separator: ", ") + " or " + (targets.last ?? "")
          throw ValidationError(
            "\(to) records have no place for --id-column/--meta-column fields: use --to \(list), or pass --lossy"
          )
        }
      }
    }

    /// The mapping options as the library takes them (without `--to`'s template file, which is
    /// read only when the command runs).
    var mappingOptions: Importer.Options {
      var options = Importer.Options()
      options.source = source ?? .csv
      options.input = inputColumn
      options.output = outputColumn
      options.system = systemColumn
      options.id = idColumn
      options.meta = metaColumn
      options.header = header
      options.record = record
      options.namespaces = namespace.map { ns in
        let parts = ns.split(separator: "=", maxSplits: 1).map(String.init)
        return Importer.Namespace(prefix: parts.first ?? "", uri: parts.count > 1 ? parts[1] : "")
      }
      if let format = TunePrep.Format(name: to) { options.to = .format(format) }
      options.lossy = lossy
      options.threads = threadOptions.threads
      return options
    }

    func execute() throws(TunePrepError) -> Bool {
      try reportOptions.refuseOverwriting(
        inputs: [input] + [templateFile(template)].compactMap { $0 },
        outputs: [(outputFile, "--output-file"), (rejects, "--rejects")])
      var options = mappingOptions
      options.to = try outputFormat(to, template: template)
      return try reportOptions.run(command: "import") { (reporter) throws(TunePrepError) in
        let out = try OutputStream.file(outputFile)
        let rejectsOut = try rejects.map { (path) throws(TunePrepError) in
          try OutputStream.file(path)
        }
        let summary = try Importer(options: options).run(
          InputName(input), output: out, rejects: rejectsOut, reporter: reporter)
        try out.commit()
        try rejectsOut?.commit()
        return summary
      }
    }
  }
}
