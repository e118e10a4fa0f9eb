/// The token counts of one training example under OpenAI's chat convention
/// (``TokenCounter``), taken from the canonical ``Example`` so every format counts alike.
///
/// Per message: 3 + tokens(role as the record names it: `developer` and `function` too)
/// + tokens(content) + (tokens(name) + 1 if named) + tokens(compact JSON of `tool_calls`)
/// + tokens(compact JSON of `function_call`) + tokens(`refusal`) + tokens(`tool_call_id`); the
/// system prompt is a message, its name included; plus 3 per example for the reply priming. This
/// is what `token_reference.py` counts: every string value of a message and the compact JSON of
/// every other non-null value. Tool definitions (`tools`, and the legacy `functions`) are
/// counted as their compact JSON text and added to ``total``; the cookbook rule leaves them out,
/// and OpenAI does not publish how it renders them, so that part is an estimate.
///
/// A preference example counts its input plus the longer of the two outputs: the longest
/// sequence the trainer sees, which is what must fit the context window.
public struct ExampleTokens: Sendable, Equatable {
  /// The whole example: chat messages under the convention plus tool definitions.
  public var total = 0
  /// Tokens of the tool definitions (part of ``total``).
  public var tools = 0
  /// Messages counted (the system prompt included).
  public var messages = 0
  /// Content tokens per role (indexed by `Role.rawValue`): the text of the messages only, as
  /// the cookbook's `num_assistant_tokens_per_example` counts it.
  public var content = [0, 0, 0, 0]
  /// Which roles have at least one message (bit `1 << Role.rawValue`).
  public var rolesPresent: UInt8 = 0
  /// Tokens of assistant messages with `weight: 0` (whole messages, part of ``total``): billed
  /// but not learned from.
  public var weightZero = 0
  /// The example has content parts that are not text (images, audio, files), which are not
  /// counted: its count is a lower bound, as `token_reference.py` marks it `approx`.
  public var approx = false

  /// Creates zero counts.
  public init() {}

  /// Content tokens of `role`, or nil when the example has no message of that role.
  public func content(of role: Role) -> Int? {
    rolesPresent & (1 << role.rawValue) == 0 ? nil : content[Int(role.rawValue)]
  }
}

/// Counts examples with one shared tokenizer.
///
/// Immutable and `Sendable`, so one instance serves every worker thread; each thread passes its
/// own scratch buffer.
struct ExampleTokenCounter: Sendable {
  let tokenizer: Tokenizer
  let allowSpecial: Bool
  /// Tokens of each role name, by `Role.rawValue`, then `developer` and `function` (the names
  /// a record may give a system or tool message).
  private let roleTokens: [Int]
  private static let developerSlot = Role.allCases.count
  private static let functionSlot = Role.allCases.count + 1

  init(tokenizer: Tokenizer, allowSpecial: Bool) {
    self.tokenizer = tokenizer
    self.allowSpecial = allowSpecial
    roleTokens = (Role.allCases.map(\.name) + ["developer", "function"]).map {
      tokenizer.count($0, allowSpecial: allowSpecial)
    }
  }

  /// The counts of `example`, whose text lives in `document`.
  /// - Parameters:
  ///   - example: the decoded example.
  ///   - document: the parsed record its text points into.
  ///   - scratch: a reusable buffer for decoded text and compact JSON.
  /// - Returns: the counts.
  func count(_ example: Example, in document: JSONDocument, scratch: inout [UInt8]) -> ExampleTokens
  {
    var result = ExampleTokens()
    var total = TokenCounter.replyPriming
    if let system = example.system {
      var turn = Turn(role: .system, content: system, node: -1)
      turn.name = example.systemName
      turn.isDeveloper = example.systemIsDeveloper
      total += count(turn, of: example, in: document, scratch: &scratch, into: &result)
    }
    for turn in example.turns {
      total += count(turn, of: example, in: document, scratch: &scratch, into: &result)
    }
    if let preferred = example.preferred {
      var good = ExampleTokens()
      var bad = ExampleTokens()
      var goodTotal = 0
      var badTotal = 0
      for turn in preferred {
        goodTotal += count(turn, of: example, in: document, scratch: &scratch, into: &good)
      }
      for turn in example.nonPreferred ?? [] {
        badTotal += count(turn, of: example, in: document, scratch: &scratch, into: &bad)
      }
      let longer = badTotal > goodTotal ? bad : good
      total += max(goodTotal, badTotal)
      result.messages += longer.messages
      result.weightZero += longer.weightZero
      result.approx = result.approx || good.approx || bad.approx
      result.rolesPresent |= longer.rolesPresent
      for r in 0..<4 { result.content[r] += longer.content[r] }
    }
    if let tools = example.tools {
      result.tools += countCompactJSON(tools, in: document, scratch: &scratch)
    }
    if let functions = example.functions {
      result.tools += countCompactJSON(functions, in: document, scratch: &scratch)
    }
    total += result.tools
    result.total = total
    return result
  }

  /// One message's tokens under the convention; adds its content to `result`.
  private func count(
    _ turn: Turn, of example: Example, in document: JSONDocument, scratch: inout [UInt8],
    into result: inout ExampleTokens
  ) -> Int {
    let roleSlot =
      turn.isDeveloper
      ? Self.developerSlot : turn.isFunction ? Self.functionSlot : Int(turn.role.rawValue)
    var tokens = TokenCounter.tokensPerMessage + roleTokens[roleSlot]
    var content = 0
    if let text = turn.content {
      content = count(text, of: example, in: document, scratch: &scratch)
    }
    tokens += content
    if let name = turn.name {
      tokens +=
        count(name, of: example, in: document, scratch: &scratch) + TokenCounter.tokensPerName
    }
    if !turn.toolCallIndices.isEmpty {
      scratch.removeAll(keepingCapacity: true)
      scratch.append(UInt8(ascii: "["))
      for (k, call) in example.toolCalls(of: turn).enumerated() {
        if k > 0 { scratch.append(UInt8(ascii: ",")) }
        if call.isSynthesized {
          appendToolCallJSON(call, of: example, in: document, to: &scratch)
        } else {
          appendCompactJSON(document, call.node, style: .python, to: &scratch)
        }
      }
      scratch.append(UInt8(ascii: "]"))
      tokens += count(scratch)
    }
    if let call = turn.functionCall {
      tokens += countCompactJSON(call, in: document, scratch: &scratch)
    }
    if let refusal = turn.refusal, document.kind(refusal) == .string {
      tokens += count(.node(refusal), of: example, in: document, scratch: &scratch)
    }
    if let id = turn.toolCallID {
      tokens += count(id, of: example, in: document, scratch: &scratch)
    }
    if turn.hasNonTextContent { result.approx = true }
    let r = Int(turn.role.rawValue)
    result.content[r] += content
    result.rolesPresent |= 1 << turn.role.rawValue
    result.messages += 1
    if turn.role == .assistant, turn.weight == 0 { result.weightZero += tokens }
    return tokens
  }

  private func count(
    _ text: Text, of example: Example, in document: JSONDocument, scratch: inout [UInt8]
  ) -> Int {
    switch text {
    case .owned(let i):
      return tokenizer.count(example.texts[i], allowSpecial: allowSpecial)
    case .parts:
      return tokenizer.count(example.string(text, in: document), allowSpecial: allowSpecial)
    case .node(let i) where !document.hasEscapes(i):
      // The common case: count the record's bytes in place, without a copy.
      let range = document.rawRange(i)
      return document.bytes.withUnsafeBufferPointer {
        tokenizer.count(utf8: UnsafeBufferPointer(rebasing: $0[range]), allowSpecial: allowSpecial)
      }
    case .node(let i):
      scratch.removeAll(keepingCapacity: true)
      document.appendString(i, to: &scratch)
      return count(scratch)
    }
  }

  /// Appends the compact JSON of a call that has no object in the record (a sharegpt
  /// `function_call`): the OpenAI tool call that `format --to openai-chat` writes for it, with
  /// its strings escaped as ``CompactJSONStyle/python`` escapes them.
  private func appendToolCallJSON(
    _ call: ToolCall, of example: Example, in document: JSONDocument, to out: inout [UInt8]
  ) {
    var text: [UInt8] = []
    func string(_ value: Text?) {
      text.removeAll(keepingCapacity: true)
      if let value { example.append(value, in: document, to: &text) }
      appendJSONStringLiteral(text, to: &out)
    }
    out.append(literal: "{\"id\":")
    string(call.id)
    out.append(literal: ",\"type\":\"function\",\"function\":{\"name\":")
    string(call.name)
    out.append(literal: ",\"arguments\":")
    string(call.arguments)
    out.append(literal: "}}")
  }

  /// Tokens of the compact JSON text of `node`.
  private func countCompactJSON(_ node: Int, in document: JSONDocument, scratch: inout [UInt8])
    -> Int
  {
    scratch.removeAll(keepingCapacity: true)
    appendCompactJSON(document, node, style: .python, to: &scratch)
    return count(scratch)
  }

  private func count(_ bytes: [UInt8]) -> Int {
    bytes.withUnsafeBufferPointer { tokenizer.count(utf8: $0, allowSpecial: allowSpecial) }
  }
}
