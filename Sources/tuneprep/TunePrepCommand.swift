import ArgumentParser

@main
struct TunePrepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tuneprep",
    abstract: "Validate, deduplicate, convert and split fine-tuning datasets.",
    version: "0.1.0",
    subcommands: [
      Validate.self, Dedupe.self, Split.self, FormatCommand.self, Import.self, Tokens.self,
      Schemas.self,
    ]
  )
}
