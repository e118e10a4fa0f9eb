/// An operational error: tuneprep could not do its job (exit code 2), as opposed to a
/// ``Finding`` about the data (exit code 1).
public enum TunePrepError: Error, CustomStringConvertible, Equatable, Sendable {
  /// An input could not be opened.
  case cannotOpen(path: String, reason: String)
  /// An input is a directory.
  case isDirectory(path: String)
  /// Reading an input failed part-way.
  case readFailed(path: String, byteOffset: Int, reason: String)
  /// Writing an output failed.
  case writeFailed(path: String, reason: String)
  /// An output exists and the command does not overwrite without `--force`.
  case outputExists(path: String)
  /// An output path names the same file as an input (see ``OverwriteGuard``); `option` is the
  /// option that names the output.
  case outputIsInput(input: String, output: String, option: String)
  /// Two outputs name the same file (see ``OverwriteGuard``), each with the option naming it.
  case outputsCollide(first: String, firstOption: String, second: String, secondOption: String)
  /// A config file or option value is unusable.
  case badConfig(path: String, line: Int?, reason: String)
  /// A schema given by the user is unusable; `line` and `column` (from 1, a byte column) are
  /// where in the file, when the fault is at a place of it.
  case badSchema(path: String, line: Int? = nil, column: Int? = nil, reason: String)
  /// Anything else an operation needs to stop for.
  case failed(String)
  /// A line of an input is longer than the reader's limit (``ReadSizes/maxRecordSize``).
  case recordTooLong(path: String, line: Int, limit: Int)

  /// The message printed after `tuneprep: error: `.
  public var description: String {
    switch self {
    case .cannotOpen(let path, let reason):
      "cannot open \(path): \(reason)"
    case .isDirectory(let path):
      "\(path) is a directory, not a file: name a file, or use a shell glob such as \(path)/*.jsonl"
    case .readFailed(let path, let offset, let reason):
      "cannot read \(path) at byte \(offset): \(reason)"
    case .writeFailed(let path, let reason):
      "cannot write \(path): \(reason)"
    case .outputExists(let path):
      "\(path) already exists: pass --force to overwrite it"
    case .outputIsInput(let input, let output, let option):
      "\(input) is an input and would be overwritten by \(option)"
        + (output == input ? "" : " \(output)")
        + ": inputs are never modified; write to another path"
    case .outputsCollide(let first, let firstOption, let second, let secondOption):
      "\(firstOption) \(first) and \(secondOption) \(second) name the same file, "
        + "and one would replace the other: give each output its own path"
    case .badConfig(let path, let line, let reason):
      if let line { "\(path):\(line): \(reason)" } else { "\(path): \(reason)" }
    case .badSchema(let path, let line?, let column?, let reason):
      "schema \(path):\(line):\(column): \(reason)"
    case .badSchema(let path, _, _, let reason):
      "schema \(path): \(reason)"
    case .failed(let reason):
      reason
    case .recordTooLong(let path, let line, let limit):
      "\(path):\(line): the line is longer than "
        + (limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit) bytes") + " with no newline, "
        + "and records are read a line at a time: is this a JSONL file? (a file of "
        + "another kind, or one whose records are not separated by newlines)"
    }
  }
}
