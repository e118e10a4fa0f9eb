public import ArgumentParser
public import TunePrep

extension Format: ExpressibleByArgument {
  /// Parses a format name given on the command line, as ``init(name:)`` does.
  public init?(argument: String) {
    self.init(name: argument)
  }

  /// Every format name, for help and shell completion.
  public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension TunePrepCommand {
  struct Validate: TunePrepSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Check records against their format and report every problem.",
      discussion: """
        Reads JSONL (or a .json file holding one array of records), detects each file's format \
        unless --format names it, and reports every finding with file, line and a stable code. \
        Exit status: 0 clean, 1 findings at or above --fail-on, 2 cannot read or write, 64 usage.

        Examples:
          tuneprep validate train.jsonl valid.jsonl
          tuneprep validate --format alpaca --fail-on warning data.jsonl
          cat data.jsonl | tuneprep validate --report json --report-file findings.jsonl
        """)

    @OptionGroup var input: InputOptions

    @Option(
      help: ArgumentHelp(
        "Record format (default: detected per file). 'json' checks well-formedness only.",
        valueName: "format"))
    var format: Format?

    @Option(
      help: ArgumentHelp(
        "Also check every record against this JSON Schema (draft 2020-12 or 7).", valueName: "path")
    )
    var schema: String?

    @Option(
      help: ArgumentHelp(
        "Parse each example's final answer as JSON and check it against this JSON Schema.",
        valueName: "path"))
    var outputSchema: String?

    @Option(
      help: ArgumentHelp(
        "Resolve $refs under URL from local folder DIR (repeatable); other remote $refs are errors.",
        valueName: "url=dir"))
    var refBase: [String] = []

    @Flag(
      help:
        "Assert the 'format' keyword of the schemas (date-time, email, uri, uuid, ...) instead of treating it as an annotation."
    )
    var strictFormats = false

    @OptionGroup var reportOptions: ReportOptions

    @Flag(help: "List every finding code with its default severity and meaning, then exit.")
    var listCodes = false

    var schemaOptions: SchemaFlags {
      SchemaFlags(refBase: refBase, strictFormats: strictFormats)
    }

    func validate() throws {
      try checkPathArgument(schema, option: "--schema", role: .file)
      try checkPathArgument(outputSchema, option: "--output-schema", role: .file)
      // An empty one gets the URL=DIR message below.
      for mapping in refBase where !mapping.isEmpty {
        try checkPathArgument(mapping, option: "--ref-base", role: .folder)
      }
      for mapping in refBase where SchemaResolver.mapping(parsing: mapping) == nil {
        throw ValidationError("--ref-base takes URL=DIR, got '\(mapping)'")
      }
    }

    func execute() throws(TunePrepError) -> Bool {
      if listCodes {
        let out = OutputStream.standardOutput()
        for code in FindingCode.all {
          out.write("\(code.name)\t\(code.defaultSeverity)\t\(code.meaning)\n")
        }
        try out.flush()
        return false
      }
      try reportOptions.refuseOverwriting(
        inputs: input.paths + [schema, outputSchema].compactMap { $0 })
      var options = Validator.Options()
      options.format = format
      options.schemas = try schemaOptions.compile(schema: schema, outputSchema: outputSchema)
      options.threads = input.threads
      return try reportOptions.run(command: "validate") { (reporter) throws(TunePrepError) in
        try Validator(options: options).run(input.names, reporter: reporter)
      }
    }
  }
}
