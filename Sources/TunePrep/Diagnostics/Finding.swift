/// How serious a finding is; `--fail-on` compares against it.
public enum Severity: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
  case info = 0
  case warning = 1
  case error = 2

  /// The lowercase name used in reports and configs.
  public var description: String {
    switch self {
    case .info: "info"
    case .warning: "warning"
    case .error: "error"
    }
  }

  /// Parses `info`, `warning` or `error`.
  /// - Parameter name: the lowercase name.
  public init?(name: String) {
    switch name {
    case "info": self = .info
    case "warning": self = .warning
    case "error": self = .error
    default: return nil
    }
  }

  /// Orders by seriousness: info, then warning, then error.
  public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A place in an input: file and line, optionally a column and a JSON pointer.
public struct Location: Sendable, Equatable {
  /// The file name exactly as the user gave it (`<stdin>` for standard input), control
  /// characters included: each report escapes it in its own way when it writes it.
  public var file: String
  /// Line number from 1; 0 for a finding about the whole file.
  public var line: Int
  /// Byte column from 1 within the line, when known (the `text` and `json` reports).
  public var column: Int?
  /// Column in Unicode code points from 1 (the `sarif` and `github` reports), set only where
  /// it differs from ``column``, that is when a multi-byte character comes earlier on the line.
  public var characterColumn: Int?

  /// Creates a location.
  public init(file: String, line: Int, column: Int? = nil, characterColumn: Int? = nil) {
    self.file = file
    self.line = line
    self.column = column
    self.characterColumn = characterColumn == column ? nil : characterColumn
  }

  /// The column in Unicode code points, for reports that count characters.
  public var codePointColumn: Int? { characterColumn ?? column }
}

/// One problem found in the data: a stable code, a severity, where, and what to do.
public struct Finding: Sendable, Equatable {
  /// The stable dotted code, such as `json.syntax`.
  public var code: String
  /// The severity after configuration overrides.
  public var severity: Severity
  /// Where the problem is.
  public var location: Location
  /// The JSON pointer inside the record, when the problem is at one value.
  public var path: String?
  /// What is wrong and, where it helps, what to do; lowercase, no final period.
  public var message: String
  /// Other records involved (the kept copy of a duplicate, the first record of another format).
  public var related: [Location]

  /// Creates a finding with the code's default severity.
  public init(
    _ code: FindingCode, at location: Location, path: String? = nil, message: String,
    related: [Location] = []
  ) {
    self.code = code.name
    self.severity = code.defaultSeverity
    self.location = location
    self.path = path
    self.message = message
    self.related = related
  }
}

extension Finding {
  /// This finding as people read it: the control characters of every text that can come from
  /// the data or the command line (file names, JSON pointer, message, related files) escaped;
  /// see ``Swift/String/escapingControlCharacters``.
  ///
  /// The `text` report writes only this form. The machine-readable reports take the message from
  /// it too (it is prose for a person), but write the file names and the pointer exactly, each
  /// in its own syntax, so that two files whose escaped names look alike stay apart.
  var escapingControlCharacters: Finding {
    var copy = self
    copy.location.file = location.file.escapingControlCharacters
    copy.path = path?.escapingControlCharacters
    copy.message = message.escapingControlCharacters
    copy.related = related.map {
      var location = $0
      location.file = $0.file.escapingControlCharacters
      return location
    }
    return copy
  }
}
