/// Encodes a canonical ``Example`` into one JSONL record of an ``OutputFormat``: the second half
/// of the 2n adapters (``FormatDecoder`` is the first).
///
/// Keys are written in a fixed order per format, without spaces. Strings that come from the
/// input are copied as their raw JSON bytes (already valid JSON, escapes kept), so a round trip
/// never re-escapes text. Before writing, the encoder lists what the target cannot hold; such a
/// record is rejected with `format.lossy` naming the field, unless lossy conversion is allowed,
/// in which case the fields are dropped and counted.
struct FormatEncoder {
  let target: OutputFormat
  let lossy: Bool
  private let pieces: TemplatePieces?

  /// Why a record was not written.
  struct Rejection: Error {
    var code: FindingCode
    var message: String
    /// The value the problem is at, for the finding's JSON pointer.
    var node: Int?
  }

  init(target: OutputFormat, lossy: Bool) {
    self.target = target
    self.lossy = lossy
    if case .text(let template) = target {
      pieces = TemplatePieces(template)
    } else {
      pieces = nil
    }
  }

  /// Encodes `example` and appends the record and a newline to `out`.
  /// - Parameters:
  ///   - example: the decoded example.
  ///   - source: the format it was decoded from (decides whether `tools` carry over as is).
  ///   - d: the parsed record the example points into.
  ///   - out: receives the record; left unchanged when the record is rejected.
  ///   - dropped: receives the name of each field dropped by a lossy conversion.
  /// - Throws: a ``Rejection`` when the target cannot hold the record.
  func encode(
    _ example: Example, source: Format?, document d: JSONDocument, into out: inout [UInt8],
    dropped: inout [String]
  ) throws(Rejection) {
    var ex = example
    try reduce(&ex, source: source, document: d, dropped: &dropped)
    let mark = out.count
    switch target {
    case .format(let format):
      switch format {
      case .openaiChat: writeChat(ex, d, &out)
      case .openaiPreference: writePreference(ex, d, &out)
      case .promptCompletion:
        writePair(ex, d, &out, input: "prompt", output: "completion", system: false)
      case .inputOutput: writePair(ex, d, &out, input: "input", output: "output", system: true)
      case .alpaca: writeAlpaca(ex, d, &out)
      case .sharegpt: writeShareGPT(ex, source: source, d, &out)
      case .gemini: writeGemini(ex, d, &out)
      case .bedrockConversation: writeBedrock(ex, d, &out)
      case .json:
        out.removeSubrange(mark...)
        throw Rejection(
          code: .formatUnconvertible, message: "'json' is not an output format", node: nil)
      }
    case .text:
      if let pieces { writeText(ex, d, &out, pieces) }
    }
    out.append(0x0A)
  }

  // MARK: What the target can hold

  /// Drops (lossy) or rejects what the target cannot hold, and checks the turn structure.
  private func reduce(
    _ ex: inout Example, source: Format?, document d: JSONDocument, dropped: inout [String]
  ) throws(Rejection) {
    let name = target.name
    var losses: [(field: String, node: Int?)] = []
    func lose(_ field: String, _ node: Int?) {
      if !losses.contains(where: { $0.field == field }) { losses.append((field, node)) }
    }
    var targetFormat: Format?
    if case .format(let f) = target { targetFormat = f }

    // Preference pairs: only openai-preference holds the rejected answer.
    if targetFormat == .openaiPreference {
      guard ex.preferred.hasValue, ex.nonPreferred.hasValue else {
        throw Rejection(
          code: .formatUnconvertible,
          message:
            "the record has no preferred/non-preferred answer pair, which openai-preference needs",
          node: nil)
      }
    } else if let preferred = ex.preferred {
      lose("non_preferred_output", ex.nonPreferred?.first?.node)
      ex.turns += preferred
      ex.preferred = nil
      ex.nonPreferred = nil
    }

    let caps = Capabilities(target)
    if ex.system.hasValue && !caps.system { lose("system", nil) }
    if ex.systemName.hasValue && !caps.name { lose("name", nil) }
    if ex.systemWeight != nil && !caps.weight { lose("weight", nil) }
    let keepsTools = caps.tools && sameToolDialect(source, targetFormat, ex.tools, d)
    // Image and file parts are kept as their JSON, which only the same provider reads.
    let keepsOtherParts =
      Self.partFamily(source) != nil && Self.partFamily(source) == Self.partFamily(targetFormat)
    if let tools = ex.tools, !keepsTools { lose("tools", tools) }
    if let parallel = ex.parallelToolCalls, !caps.openAIFields {
      lose("parallel_tool_calls", parallel)
    }
    if let functions = ex.functions, !caps.openAIFields { lose("functions", functions) }
    for turn in ex.turns + (ex.preferred ?? []) + (ex.nonPreferred ?? []) {
      if turn.weight != nil && !caps.weight { lose("weight", turn.node) }
      if turn.name.hasValue && !caps.name { lose("name", turn.node) }
      if !caps.toolCalls
        && (!turn.toolCallIndices.isEmpty || turn.toolCallID.hasValue || turn.role == .tool)
      {
        lose(turn.role == .tool ? "tool messages" : "tool_calls", turn.node)
      }
      // OpenAI's legacy function message (no tool_call_id) is a tool message only it holds.
      if turn.isFunction && !caps.openAIFields { lose("tool messages", turn.node) }
      if let call = turn.functionCall, !caps.openAIFields { lose("function_call", call) }
      if let refusal = turn.refusal, !caps.openAIFields { lose("refusal", refusal) }
      if turn.hasNonTextContent && !keepsOtherParts {
        lose("non-text content (images, audio, files)", turn.node)
      }
    }
    if ex.hasOtherParts(ex.system) && !keepsOtherParts {
      lose("non-text content (images, audio, files)", nil)
    }
    if !caps.metadata {
      for (key, _) in ex.metadata { lose(d.string(key), key) }
    }
    if caps.singlePair {
      let conversational = ex.turns.filter { $0.role == .user || $0.role == .assistant }
      if conversational.count > 2 { lose("earlier turns", ex.turns.first?.node) }
    }
    if caps.openAIFields {
      // OpenAI answers a call by its id; a sharegpt observation that follows no function_call
      // turn has none to give.
      if let unlinked = ex.turns.first(where: {
        $0.role == .tool && !$0.isFunction && !$0.toolCallID.hasValue
      }) {
        throw Rejection(
          code: .formatUnconvertible,
          message:
            "\(name) needs each tool message to answer a tool call by its id, and this tool turn follows no function_call turn",
          node: unlinked.node)
      }
    } else if caps.toolCalls {
      try checkShareGPTCalls(ex, d, lose)
    }

    if !losses.isEmpty {
      guard lossy else {
        let first = losses[0]
        let fields = losses.map { "\"\($0.field)\"" }.joined(separator: ", ")
        throw Rejection(
          code: .formatLossy,
          message:
            "\(name) cannot hold \(fields) of this record: converting would drop \(losses.count == 1 ? "it" : "them"); "
            + "pass --lossy to drop and count \(losses.count == 1 ? "it" : "them"), or pick a target format that keeps \(losses.count == 1 ? "it" : "them")",
          node: first.node)
      }
      for loss in losses { dropped.append(loss.field) }
      if !caps.system { ex.system = nil }
      if !caps.name { ex.systemName = nil }
      if !caps.weight { ex.systemWeight = nil }
      if !keepsTools { ex.tools = nil }
      if !caps.openAIFields {
        ex.parallelToolCalls = nil
        ex.functions = nil
      }
      if !caps.metadata { ex.metadata = [] }
      if !keepsOtherParts { ex.system = ex.system.flatMap { textParts($0, of: &ex) } }
      var kept: [Turn] = []
      for var turn in ex.turns {
        if turn.hasNonTextContent && !keepsOtherParts {
          turn.content = turn.content.flatMap { textParts($0, of: &ex) }
          turn.hasNonTextContent = false
        }
        if !caps.weight { turn.weight = nil }
        if !caps.name { turn.name = nil }
        if !caps.toolCalls || !caps.openAIFields {
          if !caps.toolCalls {
            if turn.role == .tool { continue }
            turn.toolCallIndices = 0..<0
            turn.toolCallID = nil
          }
          if turn.isFunction { continue }
          turn.functionCall = nil
          turn.refusal = nil
          // sharegpt writes a turn's calls as a function_call turn, which has no text.
          if !turn.toolCallIndices.isEmpty { turn.content = nil }
          if !turn.content.hasValue && turn.toolCallIndices.isEmpty && turn.role != .tool {
            continue
          }
        }
        kept.append(turn)
      }
      ex.turns = kept
      if caps.singlePair, let answer = ex.turns.lastIndex(where: { $0.role == .assistant }),
        answer > 0, ex.turns[answer - 1].role == .user
      {
        ex.turns = [ex.turns[answer - 1], ex.turns[answer]]
      }
    }
    try checkStructure(ex, caps: caps)
  }

  /// What sharegpt cannot hold of the tool calls of `ex`, and links it cannot express.
  ///
  /// sharegpt writes an assistant turn's calls as a `function_call` turn, whose value is the
  /// calls' JSON (no text beside them: non-blank text is lost), and has no call ids: reading
  /// the output back gives each call the id of its position (`call_1`, ...), so other ids are
  /// lost, and the observations after a function_call turn answer its calls in order, so a tool
  /// message that answers another call cannot be written at all.
  private func checkShareGPTCalls(
    _ ex: Example, _ d: JSONDocument, _ lose: (String, Int?) -> Void
  ) throws(Rejection) {
    var position = 0
    var unanswered = 0..<0
    for turn in ex.turns {
      if !turn.toolCallIndices.isEmpty {
        if let content = turn.content, !ex.isBlank(content, in: d) {
          lose("assistant text beside tool_calls", turn.node)
        }
        for call in ex.toolCalls(of: turn) {
          if call.id.map({ ex.string($0, in: d) }) != ToolCall.positionalID(position) {
            lose("tool call ids", call.node)
          }
          position += 1
        }
        unanswered = turn.toolCallIndices
      } else if turn.role == .tool {
        guard !turn.isFunction else { continue }
        let answered = unanswered.first.flatMap { ex.toolCalls[$0].id }
        if turn.toolCallID.map({ ex.string($0, in: d) }) != answered.map({ ex.string($0, in: d) }) {
          throw Rejection(
            code: .formatUnconvertible,
            message:
              "sharegpt links each observation to the calls of the function_call turn before it, in order, but this tool message answers "
              + (turn.toolCallID.map { "call \(ex.string($0, in: d).jsonQuoted)" } ?? "no call")
              + (answered.map { " instead of \(ex.string($0, in: d).jsonQuoted)" } ?? ""),
            node: turn.node)
        }
        unanswered = unanswered.dropFirst()
      } else {
        unanswered = 0..<0
      }
    }
  }

  /// The provider whose image and file parts a format holds (nil: none).
  private static func partFamily(_ format: Format?) -> Int? {
    switch format {
    case .openaiChat, .openaiPreference: 0
    case .gemini: 1
    case .bedrockConversation: 2
    default: nil
    }
  }

  /// `text` without its parts that are not text (nil when nothing is left).
  private func textParts(_ text: Text, of ex: inout Example) -> Text? {
    guard ex.hasOtherParts(text) else { return text }
    let kept = ex.parts(of: text).filter { if case .text = $0 { true } else { false } }
    return kept.isEmpty ? nil : ex.own(parts: kept)
  }

  /// Checks the turn order the target needs, which dropping cannot fix.
  private func checkStructure(_ ex: Example, caps: Capabilities) throws(Rejection) {
    let name = target.name
    if caps.singlePair || caps.pairs || caps.alternation {
      // A tool turn (only sharegpt keeps them) stands between the turns around it, as in
      // `validate`: a function_call turn, an observation and the answer alternate.
      var previous: Role?
      for turn in ex.turns {
        if turn.role == .system {
          throw Rejection(
            code: .formatUnconvertible,
            message: "\(name) has no place for a system message in the middle of the conversation",
            node: turn.node)
        }
        if turn.role != .tool && turn.role == (previous ?? .assistant) {
          throw Rejection(
            code: .formatUnconvertible,
            message:
              "\(name) needs turns that alternate user, assistant, user, ...; found "
              + (previous == nil
                ? "a conversation that starts with the assistant"
                : "two \(turn.role.name) turns in a row"),
            node: turn.node)
        }
        previous = turn.role
      }
      if (caps.singlePair || caps.pairs)
        && (ex.turns.last?.role != .assistant || ex.turns.count < 2)
      {
        throw Rejection(
          code: .formatUnconvertible,
          message:
            "\(name) needs the conversation to end with the assistant's answer to a user message",
          node: ex.turns.last?.node)
      }
    }
    if ex.turns.isEmpty && !ex.preferred.hasValue {
      throw Rejection(
        code: .formatUnconvertible, message: "the record has no turns to write", node: nil)
    }
  }

  /// Whether `tools` (an array, or sharegpt's JSON text in a string) written for `source` means
  /// the same in `target`.
  private func sameToolDialect(
    _ source: Format?, _ target: Format?, _ tools: Int?, _ d: JSONDocument
  ) -> Bool {
    if let tools, d.kind(tools) == .string { return source == .sharegpt && target == .sharegpt }
    func dialect(_ f: Format?) -> Int {
      switch f {
      case .openaiChat, .openaiPreference, .sharegpt: 0
      case .gemini: 1
      case .bedrockConversation: 2
      default: 3
      }
    }
    return dialect(source) == dialect(target) && dialect(source) != 3
  }

  /// What a target can hold.
  private struct Capabilities {
    var system = true
    var weight = false
    var name = false
    /// Tool calls and the tool messages that answer them.
    var toolCalls = false
    /// OpenAI's own fields: `function_call`, `refusal`, `parallel_tool_calls`, `functions` and
    /// the legacy function message.
    var openAIFields = false
    var tools = false
    var metadata = false
    /// Exactly one user turn and one answer.
    var singlePair = false
    /// User/assistant pairs (alpaca's history).
    var pairs = false
    /// Strict alternation starting with the user.
    var alternation = false

    init(_ target: OutputFormat) {
      metadata = target.keepsMetadata
      switch target {
      case .format(let f):
        switch f {
        case .openaiChat, .openaiPreference:
          weight = true
          name = true
          toolCalls = true
          openAIFields = true
          tools = true
        case .promptCompletion:
          system = false
          singlePair = true
        case .inputOutput:
          singlePair = true
        case .alpaca:
          pairs = true
        case .sharegpt:
          weight = true
          name = true
          toolCalls = true
          tools = true
          alternation = true
        case .gemini, .bedrockConversation:
          alternation = true
        case .json:
          break
        }
      case .text(let t):
        system = t.system != nil || t.systemPlacement != .unsupported
        alternation = t.requiresAlternation
      }
    }
  }

  // MARK: Writers

  private func writeChat(_ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]) {
    out.append(literal: "{\"messages\":[")
    writeMessages(ex, d, &out)
    out.append(literal: "]")
    writeOpenAIOptions(ex, d, &out)
    out.append(literal: "}")
  }

  /// Writes `tools`, `parallel_tool_calls` and `functions` of an OpenAI record, when present.
  private func writeOpenAIOptions(_ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]) {
    if let tools = ex.tools {
      out.append(literal: ",\"tools\":")
      appendCompactJSON(d, tools, to: &out)
    }
    if let parallel = ex.parallelToolCalls {
      out.append(literal: ",\"parallel_tool_calls\":")
      appendCompactJSON(d, parallel, to: &out)
    }
    if let functions = ex.functions {
      out.append(literal: ",\"functions\":")
      appendCompactJSON(d, functions, to: &out)
    }
  }

  private func writeMessages(_ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]) {
    var first = true
    if let system = ex.system {
      var turn = Turn(role: .system, content: system, node: -1)
      turn.name = ex.systemName
      turn.weight = ex.systemWeight
      turn.isDeveloper = ex.systemIsDeveloper
      writeMessage(turn, ex, d, &out)
      first = false
    }
    for turn in ex.turns {
      if !first { out.append(UInt8(ascii: ",")) }
      first = false
      writeMessage(turn, ex, d, &out)
    }
  }

  private func writeMessage(_ turn: Turn, _ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]) {
    out.append(literal: "{\"role\":")
    switch turn.role {
    case .system:
      if turn.isDeveloper {
        out.append(literal: "\"developer\"")
      } else {
        out.append(literal: "\"system\"")
      }
    case .user: out.append(literal: "\"user\"")
    case .assistant: out.append(literal: "\"assistant\"")
    case .tool:
      if turn.isFunction {
        out.append(literal: "\"function\"")
      } else {
        out.append(literal: "\"tool\"")
      }
    }
    if let name = turn.name {
      out.append(literal: ",\"name\":")
      appendText(name, ex, d, &out)
    }
    if let content = turn.content {
      out.append(literal: ",\"content\":")
      if case .parts = content {
        out.append(UInt8(ascii: "["))
        appendPartElements(content, textOpener: "{\"type\":\"text\",\"text\":", ex, d, &out)
        out.append(UInt8(ascii: "]"))
      } else {
        appendText(content, ex, d, &out)
      }
    } else if turn.toolCallIndices.isEmpty {
      out.append(literal: ",\"content\":null")
    }
    if !turn.toolCallIndices.isEmpty {
      out.append(literal: ",\"tool_calls\":[")
      for (i, call) in ex.toolCalls(of: turn).enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        out.append(literal: "{")
        if let id = call.id {
          out.append(literal: "\"id\":")
          appendText(id, ex, d, &out)
          out.append(literal: ",")
        }
        out.append(literal: "\"type\":\"function\",\"function\":{\"name\":")
        appendText(call.name, ex, d, &out)
        out.append(literal: ",\"arguments\":")
        appendText(call.arguments, ex, d, &out, absent: "\"{}\"")
        out.append(literal: "}}")
      }
      out.append(literal: "]")
    }
    if let id = turn.toolCallID {
      out.append(literal: ",\"tool_call_id\":")
      appendText(id, ex, d, &out)
    }
    if let call = turn.functionCall {
      out.append(literal: ",\"function_call\":")
      appendCompactJSON(d, call, to: &out)
    }
    if let refusal = turn.refusal {
      out.append(literal: ",\"refusal\":")
      appendCompactJSON(d, refusal, to: &out)
    }
    if let weight = turn.weight {
      out.append(literal: weight == 0 ? ",\"weight\":0" : ",\"weight\":1")
    }
    out.append(literal: "}")
  }

  private func writePreference(_ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]) {
    out.append(literal: "{\"input\":{\"messages\":[")
    writeMessages(ex, d, &out)
    out.append(literal: "]")
    writeOpenAIOptions(ex, d, &out)
    out.append(literal: "},\"preferred_output\":[")
    for (i, turn) in (ex.preferred ?? []).enumerated() {
      if i > 0 { out.append(UInt8(ascii: ",")) }
      writeMessage(turn, ex, d, &out)
    }
    out.append(literal: "],\"non_preferred_output\":[")
    for (i, turn) in (ex.nonPreferred ?? []).enumerated() {
      if i > 0 { out.append(UInt8(ascii: ",")) }
      writeMessage(turn, ex, d, &out)
    }
    out.append(literal: "]}")
  }

  private func writePair(
    _ ex: Example, _ d: JSONDocument, _ out: inout [UInt8], input: StaticString,
    output: StaticString,
    system: Bool
  ) {
    out.append(literal: "{\"")
    out.append(literal: input)
    out.append(literal: "\":")
    appendText(ex.turns[0].content, ex, d, &out)
    out.append(literal: ",\"")
    out.append(literal: output)
    out.append(literal: "\":")
    appendText(ex.turns[1].content, ex, d, &out)
    if system, let s = ex.system {
      out.append(literal: ",\"system\":")
      appendText(s, ex, d, &out)
    }
    writeMetadata(ex, d, &out)
    out.append(literal: "}")
  }

  private func writeMetadata(_ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]) {
    for (key, value) in ex.metadata {
      out.append(UInt8(ascii: ","))
      appendCompactJSON(d, key, to: &out)
      out.append(UInt8(ascii: ":"))
      appendCompactJSON(d, value, to: &out)
    }
  }

  private func writeAlpaca(_ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]) {
    let n = ex.turns.count
    let question = ex.turns[n - 2]
    out.append(literal: "{\"instruction\":")
    if let input = question.alpacaInput {
      appendText(.node(question.node), ex, d, &out)
      out.append(literal: ",\"input\":")
      appendText(.node(input), ex, d, &out)
    } else {
      appendText(question.content, ex, d, &out)
      out.append(literal: ",\"input\":\"\"")
    }
    out.append(literal: ",\"output\":")
    appendText(ex.turns[n - 1].content, ex, d, &out)
    if let s = ex.system {
      out.append(literal: ",\"system\":")
      appendText(s, ex, d, &out)
    }
    if n > 2 {
      out.append(literal: ",\"history\":[")
      var i = 0
      while i + 1 < n - 2 {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "["))
        appendText(ex.turns[i].content, ex, d, &out)
        out.append(UInt8(ascii: ","))
        appendText(ex.turns[i + 1].content, ex, d, &out)
        out.append(UInt8(ascii: "]"))
        i += 2
      }
      out.append(literal: "]")
    }
    writeMetadata(ex, d, &out)
    out.append(literal: "}")
  }

  private func writeShareGPT(
    _ ex: Example, source: Format?, _ d: JSONDocument, _ out: inout [UInt8]
  ) {
    out.append(literal: "{\"conversations\":[")
    var first = true
    if let s = ex.system {
      out.append(literal: "{\"from\":\"system\"")
      if let name = ex.systemName {
        out.append(literal: ",\"name\":")
        appendText(name, ex, d, &out)
      }
      out.append(literal: ",\"value\":")
      appendText(s, ex, d, &out)
      if let weight = ex.systemWeight {
        out.append(literal: weight == 0 ? ",\"weight\":0" : ",\"weight\":1")
      }
      out.append(literal: "}")
      first = false
    }
    for turn in ex.turns {
      if !first { out.append(UInt8(ascii: ",")) }
      first = false
      let calls = !turn.toolCallIndices.isEmpty
      switch turn.role {
      case .system: out.append(literal: "{\"from\":\"system\"")
      case .user: out.append(literal: "{\"from\":\"human\"")
      case .assistant where calls: out.append(literal: "{\"from\":\"function_call\"")
      case .assistant: out.append(literal: "{\"from\":\"gpt\"")
      case .tool: out.append(literal: "{\"from\":\"observation\"")
      }
      if let name = turn.name {
        out.append(literal: ",\"name\":")
        appendText(name, ex, d, &out)
      }
      out.append(literal: ",\"value\":")
      if !calls {
        appendText(turn.content, ex, d, &out)
      } else if source == .sharegpt, let value = d.member(turn.node, "value") {
        // The function_call turn as the record writes it.
        appendRawString(value, d, &out)
      } else {
        appendShareGPTCalls(ex.toolCalls(of: turn), ex, d, &out)
      }
      if let weight = turn.weight {
        out.append(literal: weight == 0 ? ",\"weight\":0" : ",\"weight\":1")
      }
      out.append(literal: "}")
    }
    out.append(literal: "]")
    if let tools = ex.tools {
      out.append(literal: ",\"tools\":")
      appendCompactJSON(d, tools, to: &out)
    }
    writeMetadata(ex, d, &out)
    out.append(literal: "}")
  }

  /// Appends `calls` as the value of a sharegpt `function_call` turn: a string holding the JSON
  /// `{"name":...,"arguments":{...}}` of the one call, or an array of them, with the arguments
  /// text as the call has it.
  private func appendShareGPTCalls(
    _ calls: ArraySlice<ToolCall>, _ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]
  ) {
    var json: [UInt8] = []
    if calls.count > 1 { json.append(UInt8(ascii: "[")) }
    for (i, call) in calls.enumerated() {
      if i > 0 { json.append(UInt8(ascii: ",")) }
      json.append(literal: "{\"name\":")
      appendText(call.name, ex, d, &json)
      json.append(literal: ",\"arguments\":")
      if let arguments = call.arguments {
        ex.append(arguments, in: d, to: &json)
      } else {
        json.append(literal: "{}")
      }
      json.append(UInt8(ascii: "}"))
    }
    if calls.count > 1 { json.append(UInt8(ascii: "]")) }
    appendJSONStringLiteral(json, to: &out)
  }

  private func writeGemini(_ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]) {
    out.append(literal: "{")
    if let s = ex.system {
      out.append(literal: "\"systemInstruction\":{\"parts\":[")
      appendTextBlocks(s, ex, d, &out)
      out.append(literal: "]},")
    }
    out.append(literal: "\"contents\":[")
    for (i, turn) in ex.turns.enumerated() {
      if i > 0 { out.append(UInt8(ascii: ",")) }
      out.append(
        literal: turn.role == .user
          ? "{\"role\":\"user\",\"parts\":[" : "{\"role\":\"model\",\"parts\":[")
      appendTextBlocks(turn.content, ex, d, &out)
      out.append(literal: "]}")
    }
    out.append(literal: "]")
    if let tools = ex.tools {
      out.append(literal: ",\"tools\":")
      appendCompactJSON(d, tools, to: &out)
    }
    out.append(literal: "}")
  }

  private func writeBedrock(_ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]) {
    out.append(literal: "{\"schemaVersion\":\"bedrock-conversation-2024\"")
    if let s = ex.system {
      out.append(literal: ",\"system\":[")
      appendTextBlocks(s, ex, d, &out)
      out.append(literal: "]")
    }
    out.append(literal: ",\"messages\":[")
    for (i, turn) in ex.turns.enumerated() {
      if i > 0 { out.append(UInt8(ascii: ",")) }
      out.append(
        literal: turn.role == .user
          ? "{\"role\":\"user\",\"content\":[" : "{\"role\":\"assistant\",\"content\":[")
      appendTextBlocks(turn.content, ex, d, &out)
      out.append(literal: "]}")
    }
    out.append(literal: "]}")
  }

  private func writeText(
    _ ex: Example, _ d: JSONDocument, _ out: inout [UInt8], _ p: TemplatePieces
  ) {
    out.append(literal: "{\"text\":\"")
    out.append(contentsOf: p.begin)
    var system = ex.system
    if let s = system, let piece = p.system {
      piece.write(s, prefix: nil, ex, d, trim: p.trim, &out)
      system = nil
    }
    let users = ex.turns.indices.filter { ex.turns[$0].role == .user }
    let systemTurn = p.placement == .firstUser ? users.first : users.last
    for (i, turn) in ex.turns.enumerated() {
      let prefix = i == systemTurn ? system : nil
      switch turn.role {
      case .user: p.user.write(turn.content, prefix: prefix, ex, d, trim: p.trim, &out)
      case .assistant: p.assistant.write(turn.content, prefix: nil, ex, d, trim: p.trim, &out)
      case .system:
        if let piece = p.system {
          piece.write(turn.content, prefix: nil, ex, d, trim: p.trim, &out)
        }
      case .tool: break
      }
    }
    out.append(contentsOf: p.end)
    out.append(literal: "\"}")
  }
}

/// A chat template split at `{content}`, each side already escaped for a JSON string.
private struct TemplatePieces {
  struct Piece {
    var before: [UInt8]
    var after: [UInt8]

    init(_ text: String) {
      let parts = text.split(separator: "{content}", maxSplits: 1, omittingEmptySubsequences: false)
      before = escapedJSON(String(parts.first ?? ""))
      after = parts.count > 1 ? escapedJSON(String(parts[1])) : []
    }

    /// Writes the piece around `text` of `ex` (none: empty), after `prefix` and a blank line.
    func write(
      _ text: Text?, prefix: Text?, _ ex: Example, _ d: JSONDocument, trim: Bool,
      _ out: inout [UInt8]
    ) {
      out.append(contentsOf: before)
      if let prefix {
        // The system prompt joins the turn's text as the template does: prompt, blank line, text.
        let body = text.map { ex.string($0, in: d) } ?? ""
        let joined = ex.string(prefix, in: d) + "\n\n" + (trim ? body.trimmingWhitespace() : body)
        out.append(contentsOf: escapedJSON(joined))
      } else if trim {
        appendEscaped(text, ex, d, &out, trim: true)
      } else {
        appendEscaped(text, ex, d, &out)
      }
      out.append(contentsOf: after)
    }
  }

  var begin: [UInt8]
  var end: [UInt8]
  var system: Piece?
  var user: Piece
  var assistant: Piece
  var trim: Bool
  var placement: ChatTemplate.SystemPlacement

  init(_ t: ChatTemplate) {
    begin = escapedJSON(t.begin)
    end = escapedJSON(t.end)
    system = t.system.map(Piece.init)
    user = Piece(t.user)
    assistant = Piece(t.assistant)
    trim = t.trimContent
    placement = t.systemPlacement
  }
}

/// The JSON-escaped bytes of `text`, without quotes.
private func escapedJSON(_ text: String) -> [UInt8] {
  var out: [UInt8] = []
  appendJSONStringLiteral(text.utf8, to: &out)
  return Array(out.dropFirst().dropLast())
}

/// Appends `text` of `ex` as the inside of a JSON string (no quotes; none: nothing); node text
/// is copied raw.
private func appendEscaped(
  _ text: Text?, _ ex: Example, _ d: JSONDocument, _ out: inout [UInt8], trim: Bool = false
) {
  switch text {
  case .node(let i):
    let r = d.rawRange(i)
    if trim {
      let first = r.isEmpty ? 0 : d.bytes[r.lowerBound]
      let last = r.isEmpty ? 0 : d.bytes[r.upperBound - 1]
      // Raw bytes that start or end with a space, an escape or non-ASCII may need trimming.
      if first == 0x20 || last == 0x20 || first == 0x5C || last == 0x5C || first >= 0x80
        || last >= 0x80
        || d.hasEscapes(i)
      {
        let trimmed = d.string(i).trimmingWhitespace()
        let escaped = escapedJSON(trimmed)
        out.append(contentsOf: escaped)
        return
      }
    }
    d.bytes.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[r])) }
  case .owned(let i):
    let s = ex.texts[i]
    out.append(contentsOf: escapedJSON(trim ? s.trimmingWhitespace() : s))
  case .parts(let i):
    if trim {
      out.append(contentsOf: escapedJSON(ex.string(.parts(i), in: d).trimmingWhitespace()))
    } else {
      appendJoinedParts(.parts(i), ex, d, &out)
    }
  case nil:
    break
  }
}

/// Appends `text` of `ex` as the elements of a Gemini `parts` or Bedrock `content` array: one
/// `{"text": ...}` object per text part; a part that is not text as its JSON value.
private func appendTextBlocks(
  _ text: Text?, _ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]
) {
  guard let text, case .parts = text else {
    out.append(literal: "{\"text\":")
    appendText(text, ex, d, &out)
    out.append(UInt8(ascii: "}"))
    return
  }
  appendPartElements(text, textOpener: "{\"text\":", ex, d, &out)
}

/// Appends the parts of a ``Text/parts(_:)`` text as comma-separated array elements.
///
/// A text part is `textOpener`, its string and `}`; a part that is not text is its JSON value.
/// Every format with parts (OpenAI content arrays, Gemini parts, Bedrock blocks) writes them so.
private func appendPartElements(
  _ text: Text, textOpener: StaticString, _ ex: Example, _ d: JSONDocument, _ out: inout [UInt8]
) {
  for (i, part) in ex.parts(of: text).enumerated() {
    if i > 0 { out.append(UInt8(ascii: ",")) }
    switch part {
    case .text(let node):
      out.append(literal: textOpener)
      appendRawString(node, d, &out)
      out.append(UInt8(ascii: "}"))
    case .other(let node): appendCompactJSON(d, node, to: &out)
    }
  }
}

/// Appends the raw bytes of the text parts of `text` (a ``Text/parts(_:)`` text), joined by
/// ``Example/partSeparator`` escaped: the inside of a JSON string.
private func appendJoinedParts(_ text: Text, _ ex: Example, _ d: JSONDocument, _ out: inout [UInt8])
{
  var first = true
  for case .text(let node) in ex.parts(of: text) {
    if !first { out.append(contentsOf: escapedJSON(Example.partSeparator)) }
    first = false
    let r = d.rawRange(node)
    d.bytes.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[r])) }
  }
}

/// Appends `text` of `ex` as a JSON string literal with quotes (node text is copied raw), or
/// the JSON literal `absent` when there is no text.
@inline(__always)
private func appendText(
  _ text: Text?, _ ex: Example, _ d: JSONDocument, _ out: inout [UInt8],
  absent: StaticString = "\"\""
) {
  switch text {
  case .node(let i): appendRawString(i, d, &out)
  case .owned(let i): appendJSONStringLiteral(ex.texts[i].utf8, to: &out)
  case .parts:
    out.append(UInt8(ascii: "\""))
    if let text { appendJoinedParts(text, ex, d, &out) }
    out.append(UInt8(ascii: "\""))
  case nil: out.append(literal: absent)
  }
}

/// Appends string node `i` as a JSON string literal, copying its raw bytes.
@inline(__always)
private func appendRawString(_ i: Int, _ d: JSONDocument, _ out: inout [UInt8]) {
  let r = d.rawRange(i)
  out.append(UInt8(ascii: "\""))
  d.bytes.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[r])) }
  out.append(UInt8(ascii: "\""))
}

/// How ``appendCompactJSON(_:_:style:to:)`` writes strings and numbers.
enum CompactJSONStyle {
  /// Their raw bytes, as the record has them (what `format` copies).
  case asWritten
  /// As Python's `json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))`
  /// writes them, which is what the token counts of `tools`, `functions`, `tool_calls` and
  /// `function_call` are measured on: strings with escapes re-escaped minimally (only `"`, `\`
  /// and control characters; other text as UTF-8), numbers as in ``appendPythonNumber(_:_:to:)``.
  /// Duplicate keys are all written (Python keeps the last value of each).
  case python
}

/// Appends value `node` as compact JSON (no spaces), its strings and numbers in `style`.
func appendCompactJSON(
  _ d: JSONDocument, _ node: Int, style: CompactJSONStyle = .asWritten, to out: inout [UInt8]
) {
  switch d.kind(node) {
  case .null: out.append(literal: "null")
  case .true: out.append(literal: "true")
  case .false: out.append(literal: "false")
  case .number:
    if style == .python {
      appendPythonNumber(d, node, to: &out)
    } else {
      let r = d.rawRange(node)
      d.bytes.withUnsafeBufferPointer {
        out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[r]))
      }
    }
  case .string:
    if style == .python, d.hasEscapes(node) {
      var decoded: [UInt8] = []
      d.appendString(node, to: &decoded)
      appendJSONStringLiteral(decoded, to: &out)
    } else {
      appendRawString(node, d, &out)
    }
  case .array:
    out.append(UInt8(ascii: "["))
    for (i, element) in d.elements(node).enumerated() {
      if i > 0 { out.append(UInt8(ascii: ",")) }
      appendCompactJSON(d, element, style: style, to: &out)
    }
    out.append(UInt8(ascii: "]"))
  case .object:
    out.append(UInt8(ascii: "{"))
    for (i, member) in d.members(node).enumerated() {
      if i > 0 { out.append(UInt8(ascii: ",")) }
      appendCompactJSON(d, member.key, style: style, to: &out)
      out.append(UInt8(ascii: ":"))
      appendCompactJSON(d, member.value, style: style, to: &out)
    }
    out.append(UInt8(ascii: "}"))
  }
}

extension Array where Element == UInt8 {
  /// Appends the bytes of a static string.
  @inline(__always)
  mutating func append(literal: StaticString) {
    append(
      contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
  }
}

extension String {
  /// The string without leading and trailing whitespace, as Jinja's `trim` (Python's `strip`).
  func trimmingWhitespace() -> String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s.removeFirst() }
    while let l = s.last, l.isWhitespace { s.removeLast() }
    return String(s)
  }
}
