/// What `tuneprep format --to` and `tuneprep import --to` write: a built-in record format, or
/// one `{"text": ...}` field rendered with a chat template.
public enum OutputFormat: Sendable, Equatable {
  /// A built-in format of DESIGN.md.
  case format(Format)
  /// `{"text": ...}` with the conversation rendered by a chat template.
  case text(ChatTemplate)

  /// The name used in messages.
  public var name: String {
    switch self {
    case .format(let f): f.rawValue
    case .text(let t): "text (\(t.name) template)"
    }
  }

  /// Whether records of this output keep fields outside the conversation (`id`, `source`).
  public var keepsMetadata: Bool {
    switch self {
    case .format(let f):
      switch f {
      case .alpaca, .sharegpt, .inputOutput: true
      default: false
      }
    case .text: false
    }
  }
}
