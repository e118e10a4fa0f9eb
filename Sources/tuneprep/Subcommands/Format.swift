import ArgumentParser
import TunePrep

extension TunePrepCommand {
  /// `tuneprep format`; the type is not named `Format` because that would hide
  /// ``TunePrep/Format`` in every `TunePrepCommand` extension.
  struct FormatCommand: TunePrepSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "format",
      abstract: "Convert records between trainer formats through one canonical model.",
      discussion: """
        Reads JSONL (or a .json array) in any built-in format, detected unless --from names it, \
        and writes JSONL in the --to format with keys in a fixed order. A record the target cannot \
        hold completely (a system prompt, weights, tool calls, extra fields) is rejected with a \
        format.lossy finding naming the field, unless --lossy drops it and counts it in the summary. \
        Every record not written goes to --rejects with its line and reason. \
        --to text renders the conversation with a chat template (chatml, llama3, mistral, gemma, or \
        a JSON template file). Exit status: 0 clean, 1 findings at or above --fail-on, 2 cannot read \
        or write, 64 usage.

        Examples:
          tuneprep format chat.jsonl --to alpaca -o alpaca.jsonl --rejects rejects.jsonl
          tuneprep format sharegpt.jsonl --to openai-chat --role-map bot=assistant,customer=user
          tuneprep format chat.jsonl --to text --template llama3 --lossy
        """)

    @Argument(help: ArgumentHelp("Input file ('-' or none: standard input).", valueName: "input"))
    var input: String = "-"

    @Option(
      help: ArgumentHelp(
        "Output format: \(TunePrep.Format.builtIn.map(\.rawValue).joined(separator: ", ")), or text (with --template).",
        valueName: "format"))
    var to: String

    @Option(help: ArgumentHelp("Input format (default: detected).", valueName: "format"))
    var from: TunePrep.Format?

    @Option(
      name: .shortAndLong,
      help: ArgumentHelp("Write records here ('-': stdout, the default).", valueName: "path"))
    var output: String = "-"

    @Option(
      help: ArgumentHelp(
        "Write every record that is not converted here, with its line and reason.",
        valueName: "path"))
    var rejects: String?

    @Flag(
      help:
        "Drop fields the target format cannot hold (counted per field in the summary) instead of rejecting the record."
    )
    var lossy = false

    @Option(
      help: ArgumentHelp(
        "Set the system prompt of every record (adds or replaces).", valueName: "text"))
    var system: String?

    @Option(
      help: ArgumentHelp(
        "Set the system prompt from a UTF-8 file (a BOM and one final line end removed).",
        valueName: "path"))
    var systemFile: String?

    @Flag(help: "Remove the system prompt from every record.")
    var stripSystem = false

    @Option(
      help: ArgumentHelp(
        "Map unusual sharegpt speaker names to roles, e.g. human=user,bot=assistant,customer=user.",
        valueName: "map"))
    var roleMap: String?

    @Option(
      help: ArgumentHelp(
        "Chat template for --to text: chatml, llama3, mistral, gemma, or a JSON template file.",
        valueName: "name|path"))
    var template: String?

    @OptionGroup var threadOptions: ThreadOptions

    @OptionGroup var reportOptions: ReportOptions

    func validate() throws {
      try checkPathArgument(input, option: "INPUT", role: .input)
      try checkPathArgument(output, option: "--output", role: .output)
      try checkPathArgument(rejects, option: "--rejects", role: .file)
      try checkPathArgument(systemFile, option: "--system-file", role: .file)
      try checkPathArgument(template, option: "--template", role: .file)
      if to != "text" && TunePrep.Format(name: to).map({ $0 != .json }) != true {
        throw ValidationError(
          "--to must be one of \(TunePrep.Format.builtIn.map(\.rawValue).joined(separator: ", ")), text; got '\(to)'"
        )
      }
      if to == "text" && template == nil {
        throw ValidationError("--to text needs --template chatml|llama3|mistral|gemma|PATH")
      }
      if to != "text" && template != nil {
        throw ValidationError("--template only applies to --to text")
      }
      if from == .json {
        throw ValidationError(
          "--from json has no examples to convert: name a built-in format or leave --from out")
      }
      if system != nil && systemFile != nil {
        throw ValidationError("give either --system or --system-file, not both")
      }
      if let system, system.unicodeScalars.contains("\u{FFFD}"),
        let (bytes, bad) = invalidUTF8Argument(decodedAs: system, option: "--system")
      {
        let hex = String(bytes[bad], radix: 16, uppercase: true)
        throw ValidationError(
          "--system is not valid UTF-8: byte 0x\(hex.count == 1 ? "0" : "")\(hex) at byte \(bad + 1) "
            + "of the text is not part of a UTF-8 character (the shell passed the bytes as they "
            + "are): give the prompt as UTF-8 text, or save it as a UTF-8 file and use --system-file"
        )
      }
      if let system, isBlankText(system) {
        throw ValidationError(
          "--system is empty: give the system prompt's text, or --strip-system to remove it")
      }
      if stripSystem && (system != nil || systemFile != nil) {
        throw ValidationError("--strip-system contradicts --system/--system-file")
      }
      if let roleMap {
        do throws(RoleMapError) {
          _ = try RoleMap(parsing: roleMap)
        } catch {
          throw ValidationError("--role-map: \(error.message)")
        }
        if let from, from != .sharegpt {
          throw ValidationError(
            "--role-map maps sharegpt speaker names, but --from is \(from.rawValue), whose roles are fixed: leave --role-map out"
          )
        }
      }
    }

    func execute() throws(TunePrepError) -> Bool {
      try reportOptions.refuseOverwriting(
        inputs: [input] + [systemFile, templateFile(template)].compactMap { $0 },
        outputs: [(output, "--output"), (rejects, "--rejects")])
      var options = Formatter.Options()
      options.from = from
      options.to = try outputFormat(to, template: template)
      options.lossy = lossy
      options.stripSystem = stripSystem
      options.system = system
      if let systemFile { options.system = try Formatter.systemPrompt(fromFile: systemFile) }
      if let roleMap { options.roleMap = (try? RoleMap(parsing: roleMap)) ?? RoleMap() }
      options.threads = threadOptions.threads
      return try reportOptions.run(command: "format") { (reporter) throws(TunePrepError) in
        let out = try OutputStream.file(output)
        let rejectsOut = try rejects.map { (path) throws(TunePrepError) in
          try OutputStream.file(path)
        }
        let summary = try Formatter(options: options).run(
          InputName(input), output: out, rejects: rejectsOut, reporter: reporter)
        try out.commit()
        try rejectsOut?.commit()
        return summary
      }
    }
  }
}

/// The file a `--template` value names, or nil for a built-in template or none.
func templateFile(_ template: String?) -> String? {
  guard let template, ChatTemplate.builtIn(template) == nil else { return nil }
  return template
}

/// The output format named by `--to` (and `--template` for `text`).
/// - Throws: ``TunePrepError`` when a template file cannot be read or parsed.
func outputFormat(_ name: String, template: String?) throws(TunePrepError) -> OutputFormat {
  if name == "text" {
    let template = template ?? "chatml"
    if let builtIn = ChatTemplate.builtIn(template) { return .text(builtIn) }
    return .text(try ChatTemplate(parsing: readSmallFile(template), path: template))
  }
  guard let format = TunePrep.Format(name: name) else { throw .failed("unknown format \(name)") }
  return .format(format)
}

/// The raw bytes of the command-line argument that was decoded as `value` (alone, or as
/// `option=value`), when they are not valid UTF-8, with the offset of the first bad byte in the
/// value.
///
/// Swift decodes the arguments with invalid bytes replaced by U+FFFD, so only the raw `argv`
/// shows whether the user typed U+FFFD or passed bytes that are not UTF-8.
/// - Parameters:
///   - value: the option's value as parsed.
///   - option: the option's name, such as `--system`.
/// - Returns: the value's bytes and the offset of the first invalid one, or nil.
func invalidUTF8Argument(decodedAs value: String, option: String) -> ([UInt8], Int)? {
  let prefix = Array((option + "=").utf8)
  for index in 1..<Int(CommandLine.argc) {
    guard let argument = CommandLine.unsafeArgv[index] else { continue }
    var bytes: [UInt8] = []
    var p = argument
    while p.pointee != 0 {
      bytes.append(UInt8(bitPattern: p.pointee))
      p += 1
    }
    if bytes.starts(with: prefix) { bytes.removeFirst(prefix.count) }
    guard let bad = firstInvalidUTF8Byte(bytes), String(decoding: bytes, as: UTF8.self) == value
    else { continue }
    return (bytes, bad)
  }
  return nil
}
