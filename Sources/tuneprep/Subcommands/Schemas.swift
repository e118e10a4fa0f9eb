import ArgumentParser
import TunePrep

extension TunePrepCommand {
  struct Schemas: TunePrepSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "List the built-in formats' JSON Schemas, or print one.",
      discussion: """
        The schemas (draft 2020-12) describe the structure of each built-in format, with a \
        description of every field; they are the files in the repository's schemas/ folder, \
        built into the binary.

        Examples:
          tuneprep schemas
          tuneprep schemas openai-chat > openai-chat.schema.json
        """)

    @Argument(help: ArgumentHelp("A format name (see the list without it).", valueName: "name"))
    var name: String?

    func validate() throws {
      if let name, BuiltinSchemas.text(named: name) == nil {
        throw ValidationError(
          "no built-in schema named '\(name)': one of \(BuiltinSchemas.names.joined(separator: ", "))"
        )
      }
    }

    func execute() throws(TunePrepError) -> Bool {
      let out = OutputStream.standardOutput()
      if let name, let text = BuiltinSchemas.text(named: name) {
        out.write(text)
        if !text.hasSuffix("\n") { out.write("\n") }
      } else {
        for name in BuiltinSchemas.names {
          let title = BuiltinSchemas.title(named: name) ?? ""
          let pad = String(repeating: " ", count: max(1, 22 - name.count))
          out.write("\(name)\(pad)\(title)\n")
        }
      }
      try out.flush()
      return false
    }
  }
}
