/// Who speaks a turn, in the canonical model every format maps to.
public enum Role: UInt8, Sendable, CaseIterable {
  case system, user, assistant, tool

  /// The OpenAI role name.
  public var name: String {
    switch self {
    case .system: "system"
    case .user: "user"
    case .assistant: "assistant"
    case .tool: "tool"
    }
  }
}

/// A piece of text in an example: a string value of the parsed record (read lazily, without a
/// copy) or text the tool made itself (a joined list of content parts, a `--system` prompt).
public enum Text: Sendable, Equatable {
  /// A string node of the record's ``JSONDocument``.
  case node(Int)
  /// Text owned by the example.
  case owned(String)

  /// The text as a `String`.
  public func string(in document: JSONDocument) -> String {
    switch self {
    case .node(let i): document.string(i)
    case .owned(let s): s
    }
  }

  /// Appends the text's UTF-8 bytes.
  public func append(in document: JSONDocument, to out: inout [UInt8]) {
    switch self {
    case .node(let i): document.appendString(i, to: &out)
    case .owned(let s): out.append(contentsOf: s.utf8)
    }
  }

  /// Whether the text is empty or whitespace only.
  public func isBlank(in document: JSONDocument) -> Bool {
    switch self {
    case .node(let i): document.isBlankString(i)
    case .owned(let s): s.allSatisfy(\.isWhitespace)
    }
  }
}

/// A call the assistant makes to a tool.
public struct ToolCall: Sendable, Equatable {
  /// The call's id, which a later tool message answers.
  public var id: Text?
  /// The function name.
  public var name: Text?
  /// The arguments as a JSON text (a JSON object serialized to a string, as OpenAI sends them).
  public var arguments: Text?
  /// The node of the call in the record, for findings.
  public var node: Int
}

/// One turn of a conversation in the canonical model.
public struct Turn: Sendable, Equatable {
  /// Who speaks.
  public var role: Role
  /// What is said; nil for an assistant turn that only calls tools.
  public var content: Text?
  /// The OpenAI training weight (0 or 1) when the record gives one.
  public var weight: Int?
  /// The participant name, when the record gives one.
  public var name: Text?
  /// Tool calls of an assistant turn.
  public var toolCalls: [ToolCall] = []
  /// For a tool turn, the id of the call it answers.
  public var toolCallID: Text?
  /// Content that is not plain text (images, audio parts), which some formats cannot hold.
  public var hasNonTextContent = false
  /// For an alpaca user turn whose text joins `instruction` and `input`: the `input` string node
  /// (the instruction is ``node``), so alpaca output can split them again.
  public var alpacaInput: Int?
  /// The node of the turn in the record (for JSON pointers), or -1 when made by the tool.
  public var node: Int

  /// Creates a turn.
  public init(role: Role, content: Text?, node: Int) {
    self.role = role
    self.content = content
    self.node = node
  }
}

/// A training example in the one canonical shape that every format decodes to and encodes from.
///
/// Text points into the record's ``JSONDocument`` where it can, so decoding allocates little.
public struct Example: Sendable, Equatable {
  /// The system prompt, if any.
  public var system: Text?
  /// The conversation in order (the system prompt is not a turn).
  public var turns: [Turn] = []
  /// Tool definitions as a JSON array node of the record, if any.
  public var tools: Int?
  /// For preference data: the preferred and the rejected final answer.
  public var preferred: [Turn]?
  public var nonPreferred: [Turn]?
  /// Fields outside the format's structure that the format keeps (e.g. an `id` in alpaca).
  public var metadata: [(key: Int, value: Int)] = []

  /// Creates an empty example.
  public init() {}

  public static func == (lhs: Example, rhs: Example) -> Bool {
    lhs.system == rhs.system && lhs.turns == rhs.turns && lhs.tools == rhs.tools
      && lhs.preferred == rhs.preferred && lhs.nonPreferred == rhs.nonPreferred
      && lhs.metadata.map(\.key) == rhs.metadata.map(\.key)
      && lhs.metadata.map(\.value) == rhs.metadata.map(\.value)
  }

  /// The last assistant turn, which is what the example teaches.
  public var finalAnswer: Turn? {
    if let preferred, let last = preferred.last { return last }
    return turns.last { $0.role == .assistant }
  }
}

extension Optional {
  /// Whether the optional holds a value.
  ///
  /// Written as a pattern match because `x != nil` on an optional of an Equatable type (an
  /// ``Example``, a ``Text``) can resolve to the Equatable `!=`, which copies the value into a
  /// pair of optionals and destroys it again: a cost per call on the per-record path.
  @inline(__always) var hasValue: Bool {
    if case .some = self { return true }
    return false
  }
}
