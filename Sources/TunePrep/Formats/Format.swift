/// A record format tuneprep reads and writes.
public enum Format: String, Sendable, CaseIterable {
  case openaiChat = "openai-chat"
  case openaiPreference = "openai-preference"
  case promptCompletion = "prompt-completion"
  case alpaca
  case sharegpt
  case inputOutput = "input-output"
  case gemini
  case bedrockConversation = "bedrock-conversation"
  /// Any JSON value per line: well-formedness only.
  case json

  /// The built-in example formats (every case but `json`).
  public static let builtIn: [Format] = allCases.filter { $0 != .json }

  /// Parses a format name as given to `--format`, `--from` or `--to`.
  /// - Parameter name: the name.
  public init?(name: String) {
    self.init(rawValue: name)
  }

  /// The list of names for usage messages.
  public static var namesList: String {
    allCases.map(\.rawValue).joined(separator: ", ")
  }

  /// Guesses the format of one record from its top-level keys.
  /// - Parameter document: a parsed record.
  /// - Returns: the format, or nil if the keys match none.
  public static func detect(_ document: JSONDocument) -> Format? {
    let root = document.root
    guard document.nodes.count > 0, document.kind(root) == .object else { return nil }
    var keys: UInt32 = 0
    var inputIsObject = false
    for (k, v) in document.members(root) {
      for (bit, name) in detectionKeys.enumerated() where document.stringEquals(k, name) {
        keys |= 1 << UInt32(bit)
        if bit == 4 { inputIsObject = document.kind(v) == .object }
      }
    }
    func has(_ bit: Int) -> Bool { keys & (1 << UInt32(bit)) != 0 }
    if has(0) { return has(1) ? .bedrockConversation : .openaiChat }
    if has(2) || has(3) { return .openaiPreference }
    if has(4) && inputIsObject { return .openaiPreference }
    if has(5) { return .gemini }
    if has(6) { return .sharegpt }
    if has(7) { return .alpaca }
    if has(8) || has(9) { return .promptCompletion }
    if has(4) || has(10) { return .inputOutput }
    return nil
  }

  private static let detectionKeys: [StaticString] = [
    "messages", "schemaVersion", "preferred_output", "non_preferred_output", "input", "contents",
    "conversations", "instruction", "prompt", "completion", "output",
  ]
}
