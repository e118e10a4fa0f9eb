import ArgumentParser
import TunePrep

/// The one place that turns outcomes into exit codes: 0 clean, 1 findings at or above
/// `--fail-on`, 2 operational error, 64 usage error (ArgumentParser's `ValidationError`).
protocol TunePrepSubcommand: ParsableCommand {
  /// Runs the command.
  /// - Returns: whether the run found problems that should fail it (exit 1).
  /// - Throws: ``TunePrepError`` for operational errors (exit 2).
  func execute() throws(TunePrepError) -> Bool
}

extension TunePrepSubcommand {
  func run() throws {
    ignoreBrokenPipeSignal()
    let failed: Bool
    do throws(TunePrepError) {
      failed = try execute()
    } catch {
      let stderr = OutputStream.standardError()
      // Paths and config values in the message may hold control characters; keep it one line.
      stderr.write("tuneprep: error: \(error.description.escapingControlCharacters)\n")
      try? stderr.flush()
      throw ExitCode(2)
    }
    if failed { throw ExitCode(1) }
  }
}
