import ArgumentParser
import TunePrep

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

  /// Readies the process, then parses the command line and runs the command.
  ///
  /// First, before anything opens a file, a standard stream the process was started without is
  /// taken by `/dev/null` (see ``occupyClosedStandardStreams()``). Then an environment
  /// variable naming a folder that is not valid UTF-8 is a usage error: the decoded name would
  /// be another folder.
  static func main() {
    occupyClosedStandardStreams()
    do {
      for variable in ["TMPDIR", "TUNEPREP_VOCAB_DIR"] { try checkPathVariable(variable) }
    } catch {
      exit(withError: error)
    }
    main(nil)
  }
}
