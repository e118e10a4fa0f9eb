import ArgumentParser
import TunePrep

/// `--threads`, shared by every command that reads records, with its one validation.
struct ThreadOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Worker threads, 1 to \(ThreadCount.maximum) (default: one per core); results do not depend on it.",
      valueName: "n"))
  var threads: Int?

  func validate() throws {
    if let threads, !(1...ThreadCount.maximum).contains(threads) {
      throw ValidationError(
        "--threads must be 1 to \(ThreadCount.maximum) (more threads than cores do not help), got \(threads)"
      )
    }
  }
}
