import ArgumentParser
import TunePrep

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#else
  import Darwin
#endif

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
    // TUNEPREP_THREADS stands for --threads when that is not given, so it has the same range;
    // set but empty counts as unset.
    if threads == nil, let text = getenv("TUNEPREP_THREADS").map({ String(cString: $0) }),
      !text.isEmpty, !(Int(text).map { (1...ThreadCount.maximum).contains($0) } ?? false)
    {
      throw ValidationError(
        "TUNEPREP_THREADS must be a number from 1 to \(ThreadCount.maximum), got '\(text)'; "
          + "fix or unset it, or pass --threads")
    }
  }
}
