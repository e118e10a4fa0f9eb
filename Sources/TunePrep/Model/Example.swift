/// Who speaks a turn, in the canonical model every format maps to.
public enum Role: UInt8, Sendable, CaseIterable, BitwiseCopyable {
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
///
/// Trivially copyable, like ``Turn`` and ``ToolCall``: owned text lives in the example's
/// ``Example/texts``, so copying or dropping a turn never touches reference counts. Read a text
/// through its example: ``Example/string(_:in:)``, ``Example/append(_:in:to:)``.
public enum Text: Sendable, Equatable, BitwiseCopyable {
  /// A string node of the record's ``JSONDocument``.
  case node(Int)
  /// Text owned by the example: an index into ``Example/texts``.
  case owned(Int)
  /// Text given as several parts (content parts, Gemini parts, Bedrock blocks): an index into
  /// ``Example/partLists``. Formats with parts write the parts back; a format that holds one
  /// string joins the text parts with ``Example/partSeparator``.
  case parts(Int)
}

/// One part of a ``Text/parts(_:)`` text: a text string, or a part that is not text (an image
/// or a file), kept as its JSON value so a format of the same family writes it back unchanged.
public enum ContentPart: Sendable, Equatable, BitwiseCopyable {
  /// A string node of the record: the part's text.
  case text(Int)
  /// The node of a whole part that is not text (an OpenAI `image_url` part, a Gemini
  /// `fileData` part, a Bedrock `image` block).
  case other(Int)
}

/// A call the assistant makes to a tool.
public struct ToolCall: Sendable, Equatable, BitwiseCopyable {
  /// The call's id, which a later tool message answers.
  public var id: Text?
  /// The function name.
  public var name: Text?
  /// The arguments as a JSON text (a JSON object serialized to a string, as OpenAI sends them).
  public var arguments: Text?
  /// The node of the call in the record, for findings: its OpenAI tool call object, or, for a
  /// call of a sharegpt `function_call` turn, the turn (see ``isSynthesized``).
  public var node: Int
  /// The record has no tool call object for this call (it comes from the JSON text of a
  /// sharegpt `function_call` turn): its ``id`` is the one ``ToolCall/positionalID(_:)`` gives
  /// it, its name and arguments are owned text, and its OpenAI JSON is written from those three.
  public var isSynthesized = false

  /// The id of the call at `index` among the record's calls (0 for the first): `call_1`, ...
  ///
  /// sharegpt has no call ids and links an observation to its call by order, so its calls get
  /// these.
  public static func positionalID(_ index: Int) -> String { "call_\(index + 1)" }
}

/// One turn of a conversation in the canonical model.
///
/// Trivially copyable (its texts and tool calls point into the record and the example), so the
/// decoder appends turns and every command reads them without reference counting.
public struct Turn: Sendable, Equatable, BitwiseCopyable {
  // Layout: the one-byte members come first and the optional node indices are stored as
  // `Int` with -1 for none, because the decoder copies a turn per message and a turn past
  // about 128 bytes is copied with a `memcpy` call (11 % more instructions for `validate`
  // when two `Int?` members were added).

  /// Who speaks.
  public var role: Role
  /// ``weight`` as a byte, -1 when the record gives none.
  private var weightValue: Int8 = -1
  /// Content that is not plain text (images, audio parts), which some formats cannot hold.
  public var hasNonTextContent = false
  /// A system turn the record named `developer` (OpenAI's newer name for `system`), which
  /// OpenAI output keeps; every other use treats it as system.
  public var isDeveloper = false
  /// A tool turn the record named `function` (OpenAI's legacy role for the result of a
  /// `function_call`, named by `name`, without a `tool_call_id`), which OpenAI output keeps;
  /// other formats have no such message, so for them it is a lossy tool message.
  public var isFunction = false
  /// What is said; nil for an assistant turn that only calls tools.
  public var content: Text?
  /// The participant name, when the record gives one.
  public var name: Text?
  /// The bounds of ``toolCallIndices``, stored apart because `Range` is not `BitwiseCopyable`.
  private var toolCallStart = 0
  private var toolCallEnd = 0
  /// For a tool turn, the id of the call it answers.
  public var toolCallID: Text?
  /// ``functionCall``, ``refusal`` and ``alpacaInput`` as node indices, -1 for none.
  private var functionCallNode = -1
  private var refusalNode = -1
  private var alpacaInputNode = -1
  /// The node of the turn in the record (for JSON pointers), or -1 when made by the tool.
  public var node: Int

  /// The OpenAI training weight (0 or 1) when the record gives one.
  public var weight: Int? {
    get { weightValue < 0 ? nil : Int(weightValue) }
    set { weightValue = newValue.map { Int8(clamping: $0) } ?? -1 }
  }
  /// Tool calls of an assistant turn: indices into the example's ``Example/toolCalls``
  /// (read them with ``Example/toolCalls(of:)``).
  public var toolCallIndices: Range<Int> {
    get { toolCallStart..<toolCallEnd }
    set {
      toolCallStart = newValue.lowerBound
      toolCallEnd = newValue.upperBound
    }
  }
  /// OpenAI's legacy `function_call` object of an assistant turn (a node of the record).
  public var functionCall: Int? {
    get { functionCallNode < 0 ? nil : functionCallNode }
    set { functionCallNode = newValue ?? -1 }
  }
  /// OpenAI's `refusal` of an assistant turn (a string or null node of the record).
  public var refusal: Int? {
    get { refusalNode < 0 ? nil : refusalNode }
    set { refusalNode = newValue ?? -1 }
  }
  /// For an alpaca user turn whose text joins `instruction` and `input`: the `input` string node
  /// (the instruction is ``node``), so alpaca output can split them again.
  public var alpacaInput: Int? {
    get { alpacaInputNode < 0 ? nil : alpacaInputNode }
    set { alpacaInputNode = newValue ?? -1 }
  }

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
  // Layout: like ``Turn``, the small members fill padding and the optional node indices are
  // stored as `UInt32`, so that an example stays near the size it had before these members
  // came (80 bytes): the decoder returns one per record, and a larger one is copied with
  // `memcpy` calls (callgrind).

  /// The system prompt, if any.
  public var system: Text?
  /// The record named the system prompt's message `developer`, which OpenAI output keeps.
  public var systemIsDeveloper = false
  /// ``systemWeight`` as a byte, -1 when the record gives none.
  private var systemWeightValue: Int8 = -1
  /// The participant name of the system message, when the record gives one.
  public var systemName: Text?
  /// ``tools``, ``parallelToolCalls`` and ``functions`` as node indices (a record has fewer
  /// than 2^32 nodes, see `JSONNode`), `UInt32.max` for none.
  private var toolsNode = UInt32.max
  private var parallelToolCallsNode = UInt32.max
  private var functionsNode = UInt32.max
  /// The conversation in order (the system prompt is not a turn).
  public var turns: [Turn] = []

  /// The training weight of the system turn, when the record gives one (sharegpt).
  public var systemWeight: Int? {
    get { systemWeightValue < 0 ? nil : Int(systemWeightValue) }
    set { systemWeightValue = newValue.map { Int8(clamping: $0) } ?? -1 }
  }
  /// Tool definitions as a JSON array node of the record (or, in sharegpt, a string holding a
  /// JSON text), if any.
  public var tools: Int? {
    get { toolsNode == .max ? nil : Int(toolsNode) }
    set { toolsNode = newValue.map { UInt32($0) } ?? .max }
  }
  /// OpenAI's `parallel_tool_calls` (a boolean node of the record), if given.
  public var parallelToolCalls: Int? {
    get { parallelToolCallsNode == .max ? nil : Int(parallelToolCallsNode) }
    set { parallelToolCallsNode = newValue.map { UInt32($0) } ?? .max }
  }
  /// OpenAI's legacy `functions` declarations (an array node of the record), if given.
  public var functions: Int? {
    get { functionsNode == .max ? nil : Int(functionsNode) }
    set { functionsNode = newValue.map { UInt32($0) } ?? .max }
  }
  /// For preference data: the preferred final answer.
  public var preferred: [Turn]?
  /// For preference data: the rejected final answer.
  public var nonPreferred: [Turn]?
  /// Fields outside the format's structure that the format keeps (such as an `id` in alpaca).
  public var metadata: [(key: Int, value: Int)] = []
  /// The tool calls of every turn, in order; a turn names its own by ``Turn/toolCallIndices``.
  public var toolCalls: [ToolCall] = []
  /// The text the tool made for this example (``Text/owned(_:)`` indexes it).
  public var texts: [String] = []
  /// The parts of every ``Text/parts(_:)`` text, in order.
  public var parts: [ContentPart] = []
  /// The range of ``parts`` of each ``Text/parts(_:)`` text (the text's index).
  public var partLists: [Range<Int>] = []

  /// What joins the text parts of a ``Text/parts(_:)`` text where one string must hold them
  /// (`docs/format.md`): a newline, so that words of two parts never run together.
  public static let partSeparator = "\n"

  /// Creates an empty example.
  public init() {}

  /// Compares every member; written out because the metadata tuples rule out a synthesized `==`.
  public static func == (lhs: Example, rhs: Example) -> Bool {
    lhs.system == rhs.system && lhs.systemIsDeveloper == rhs.systemIsDeveloper
      && lhs.systemName == rhs.systemName
      && lhs.systemWeight == rhs.systemWeight && lhs.turns == rhs.turns && lhs.tools == rhs.tools
      && lhs.parallelToolCalls == rhs.parallelToolCalls && lhs.functions == rhs.functions
      && lhs.parts == rhs.parts && lhs.partLists == rhs.partLists
      && lhs.preferred == rhs.preferred && lhs.nonPreferred == rhs.nonPreferred
      && lhs.metadata.map(\.key) == rhs.metadata.map(\.key)
      && lhs.metadata.map(\.value) == rhs.metadata.map(\.value)
      && lhs.toolCalls == rhs.toolCalls && lhs.texts == rhs.texts
  }

  /// Empties the example.
  /// - Parameter keepCapacity: whether its arrays keep their storage, to be filled again.
  public mutating func removeAll(keepingCapacity keepCapacity: Bool) {
    system = nil
    systemName = nil
    systemWeight = nil
    systemIsDeveloper = false
    tools = nil
    parallelToolCalls = nil
    functions = nil
    // Each only when set, or when not empty: assigning nil still calls a release, and emptying
    // an empty array still checks that its storage is unique.
    if preferred.hasValue { preferred = nil }
    if nonPreferred.hasValue { nonPreferred = nil }
    if !turns.isEmpty { turns.removeAll(keepingCapacity: keepCapacity) }
    if !metadata.isEmpty { metadata.removeAll(keepingCapacity: keepCapacity) }
    if !toolCalls.isEmpty { toolCalls.removeAll(keepingCapacity: keepCapacity) }
    if !texts.isEmpty { texts.removeAll(keepingCapacity: keepCapacity) }
    if !parts.isEmpty { parts.removeAll(keepingCapacity: keepCapacity) }
    if !partLists.isEmpty { partLists.removeAll(keepingCapacity: keepCapacity) }
  }

  /// The last assistant turn, which is what the example teaches.
  public var finalAnswer: Turn? {
    if let preferred, let last = preferred.last { return last }
    return turns.last { $0.role == .assistant }
  }

  // MARK: Text and tool calls

  /// Keeps `string` as text of the example.
  /// - Returns: the text, to store in a turn or as the system prompt.
  public mutating func own(_ string: String) -> Text {
    texts.append(string)
    return .owned(texts.count - 1)
  }

  /// Keeps `parts` as one text of the example.
  /// - Returns: the text, to store in a turn or as the system prompt.
  public mutating func own(parts list: some Sequence<ContentPart>) -> Text {
    let start = parts.count
    parts.append(contentsOf: list)
    partLists.append(start..<parts.count)
    return .parts(partLists.count - 1)
  }

  /// The parts of `text` (a text of this example); empty unless it is a ``Text/parts(_:)`` text.
  public func parts(of text: Text) -> ArraySlice<ContentPart> {
    guard case .parts(let i) = text else { return [] }
    return parts[partLists[i]]
  }

  /// Whether `text` has a part that is not text.
  public func hasOtherParts(_ text: Text?) -> Bool {
    guard let text, case .parts = text else { return false }
    return parts(of: text).contains { if case .other = $0 { true } else { false } }
  }

  /// The tool calls of `turn` (a turn of this example).
  public func toolCalls(of turn: Turn) -> ArraySlice<ToolCall> {
    toolCalls[turn.toolCallIndices]
  }

  /// The text as a `String`.
  /// - Parameters:
  ///   - text: a text of this example.
  ///   - document: the record the example was decoded from.
  public func string(_ text: Text, in document: JSONDocument) -> String {
    switch text {
    case .node(let i): document.string(i)
    case .owned(let i): texts[i]
    case .parts:
      parts(of: text).compactMap { part -> String? in
        if case .text(let node) = part { document.string(node) } else { nil }
      }.joined(separator: Self.partSeparator)
    }
  }

  /// Appends the text's UTF-8 bytes.
  /// - Parameters:
  ///   - text: a text of this example.
  ///   - document: the record the example was decoded from.
  ///   - out: receives the decoded bytes.
  public func append(_ text: Text, in document: JSONDocument, to out: inout [UInt8]) {
    switch text {
    case .node(let i): document.appendString(i, to: &out)
    case .owned(let i): out.append(contentsOf: texts[i].utf8)
    case .parts:
      var first = true
      for case .text(let node) in parts(of: text) {
        if !first { out.append(contentsOf: Self.partSeparator.utf8) }
        first = false
        document.appendString(node, to: &out)
      }
    }
  }

  /// Whether the text is empty or whitespace only.
  /// - Parameters:
  ///   - text: a text of this example.
  ///   - document: the record the example was decoded from.
  public func isBlank(_ text: Text, in document: JSONDocument) -> Bool {
    switch text {
    case .node(let i): document.isBlankString(i)
    case .owned(let i): isBlankText(texts[i])
    case .parts:
      parts(of: text).allSatisfy { part in
        if case .text(let node) = part { document.isBlankString(node) } else { true }
      }
    }
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
