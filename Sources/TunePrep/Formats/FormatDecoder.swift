/// Decodes a parsed record of a built-in format into the canonical ``Example``, reporting every
/// structural and semantic problem a trainer or provider would reject the record for.
///
/// All findings are collected; decoding stops early only where a later rule would have nothing
/// meaningful to check.
struct FormatDecoder {
  private var argumentsParser = JSONParser(maxDepth: 128)
  private var argumentsDocument = JSONDocument()
  /// Extra sharegpt speaker names (`--role-map`), looked up before the built-in ones.
  var roleMap = RoleMap()
  /// The last example handed back through ``recycle(_:)``, whose storage ``newExample()``
  /// reuses.
  private var spare: Example?
  /// The key sets of openai-chat records, read several times per message.
  ///
  /// Stored per decoder rather than as `static let`s, whose every read runs the lazy initializer's
  /// `swift_once` check.
  private let chatKeys = KeySet(["messages", "tools", "parallel_tool_calls", "functions"])
  /// The role names of an OpenAI message (``openAIRoles`` gives the canonical role of each).
  private let openAIRoleNames = KeySet([
    "user", "assistant", "system", "developer", "tool", "function",
  ])
  private let messageKeys = KeySet([
    "role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal",
  ])
  /// The keys of the common record and message shapes, recognised without the key sets.
  private let messagesKey = PlainKey("messages")
  private let roleKey = PlainKey("role")
  private let contentKey = PlainKey("content")

  /// Decodes the record in `context` as `format`.
  ///
  /// Hand the example back through ``recycle(_:)`` when done with it, so that the next one
  /// reuses its storage; an example that is not handed back just costs the next one new
  /// storage.
  /// - Returns: the example, or nil when the record is too broken to map.
  mutating func decode(_ format: Format, _ context: inout RecordContext) -> Example? {
    let root = context.document.root
    guard context.document.kind(root) == .object else {
      context.report(
        .jsonNotObject, at: nil,
        "the record is \(article(context.document.kind(root).name)), but \(format.rawValue) records are JSON objects"
      )
      return nil
    }
    // Bound straight from the call and lent `inout`, so the rules see the example itself, not
    // a copy (an `if let` on a stored optional copies it, retaining its turns for the rules;
    // see ``ConversationRules/check(_:_:)``).
    guard var example = decodeRecord(format, &context) else { return nil }
    ConversationRules(format: format).check(&example, &context)
    return example
  }

  /// The example of the record in `context`, decoded as `format`.
  ///
  /// Inlined, so the example is not copied once more on its way out.
  @inline(__always)
  private mutating func decodeRecord(_ format: Format, _ context: inout RecordContext) -> Example? {
    switch format {
    case .openaiChat: decodeOpenAIChat(&context)
    case .openaiPreference: decodePreference(&context)
    case .promptCompletion: decodePromptCompletion(&context)
    case .alpaca: decodeAlpaca(&context)
    case .sharegpt: decodeShareGPT(&context)
    case .inputOutput: decodeInputOutput(&context)
    case .gemini: decodeGemini(&context)
    case .bedrockConversation: decodeBedrock(&context)
    case .json: nil
    }
  }

  /// Takes back an example the caller is done with (leaving nil), so the next example reuses
  /// its storage instead of allocating its arrays anew (and the caller does not destroy
  /// them, releasing each).
  mutating func recycle(_ example: inout Example?) {
    guard example.hasValue else { return }
    // `spare` is nil here whenever `example` came from `decode`, which took the spare.
    swap(&spare, &example)
    example = nil
  }

  /// An empty example that reuses the storage of the spare one (see ``recycle(_:)``).
  ///
  /// Storage still held elsewhere (by a caller that keeps its examples) is never touched: the
  /// arrays then get new storage.
  private mutating func newExample() -> Example {
    var example = spare.take() ?? Example()
    example.removeAll(keepingCapacity: true)
    return example
  }

  // MARK: openai-chat

  /// The canonical role of name `index` of ``openAIRoleNames`` (a switch, not a table: a
  /// `static let` array would run its lazy initializer check on every message).
  private static func openAIRole(_ index: Int) -> Role {
    switch index {
    case 0: .user
    case 1: .assistant
    case 2, 3: .system
    default: .tool
    }
  }

  /// The index of `developer` in ``openAIRoleNames``.
  private static var developerIndex: Int { 3 }

  /// The index of the legacy `function` in ``openAIRoleNames``.
  private static var functionIndex: Int { 5 }

  private mutating func decodeOpenAIChat(_ c: inout RecordContext) -> Example? {
    let root = c.document.root
    var example = newExample()
    // Most records hold nothing but their messages; the key set is matched only otherwise.
    guard
      let messages = c.document.soleMember(root, messagesKey)
        ?? decodeChatMembers(root, &c, into: &example)
    else {
      c.report(.schemaRequired, at: nil, "the record is missing the required \"messages\" field")
      return nil
    }
    guard c.expect(messages, .array, "\"messages\"") else { return nil }
    if c.document.count(messages) == 0 {
      c.report(
        .schemaEmpty, at: messages,
        "\"messages\" is empty: an example needs at least a user and an assistant message")
      return nil
    }
    example.turns.reserveCapacity(c.document.count(messages))
    // Sibling by sibling rather than `elements(_:)`, whose iterator holds a copy of the document.
    var m = messages + 1
    let end = c.document.next(messages)
    while m < end {
      // decodeOpenAIMessage(_:_:into:) written out, and the common shape's turn built in
      // place: a turn returned through an optional is copied with `memcpy`, about 1,000
      // instructions per record more (callgrind).
      if let plain = plainMessage(m, c.document) {
        let role = Self.openAIRole(plain.roleIndex)
        let isDeveloper = plain.roleIndex == Self.developerIndex
        if plain.isBlank { reportBlankContent(.node(plain.content), role, &c) }
        // A leading system message becomes the example's system prompt.
        if role == .system, m == messages + 1 {
          example.system = .node(plain.content)
          example.systemIsDeveloper = isDeveloper
        } else {
          var turn = Turn(role: role, content: .node(plain.content), node: m)
          turn.isDeveloper = isDeveloper
          turn.isFunction = plain.roleIndex == Self.functionIndex
          example.turns.append(turn)
        }
      } else if let turn = decodeGeneralMessage(m, &c, into: &example) {
        if turn.role == .system, m == messages + 1 {
          example.system = turn.content
          example.systemName = turn.name
          example.systemIsDeveloper = turn.isDeveloper
        } else {
          example.turns.append(turn)
        }
      } else {
        c.droppedTurn = true
      }
      m = c.document.next(m)
    }
    return example
  }

  /// The members of a chat record beside `messages` (unknown keys, `tools`,
  /// `parallel_tool_calls`), checked into `example`.
  /// - Returns: the `messages` node, if the record has one.
  private func decodeChatMembers(_ root: Int, _ c: inout RecordContext, into example: inout Example)
    -> Int?
  {
    let slots = c.document.slots(root, chatKeys)
    if slots.unknownCount > 0 { c.rejectUnknownKeys(slots, allowed: chatKeys, in: "the record") }
    if let tools = slots[1], c.expect(tools, .array, "\"tools\"") {
      example.tools = tools
      c.checkOpenAITools(tools)
    }
    if let parallel = slots[2], c.expect(parallel, .true, "\"parallel_tool_calls\"") {
      example.parallelToolCalls = parallel
    }
    if let functions = slots[3], c.expect(functions, .array, "\"functions\"") {
      example.functions = functions
    }
    return slots[0]
  }

  /// Decodes one OpenAI chat message (shared by chat and preference records); its tool calls
  /// and joined text go to the tables of `example`.
  /// - Returns: the turn, or nil when the message is unusable.
  private mutating func decodeOpenAIMessage(
    _ m: Int, _ c: inout RecordContext, into example: inout Example
  ) -> Turn? {
    if let plain = plainMessage(m, c.document) {
      var turn = Turn(
        role: Self.openAIRole(plain.roleIndex), content: .node(plain.content), node: m)
      turn.isDeveloper = plain.roleIndex == Self.developerIndex
      turn.isFunction = plain.roleIndex == Self.functionIndex
      if plain.isBlank { reportBlankContent(turn.content, turn.role, &c) }
      return turn
    }
    return decodeGeneralMessage(m, &c, into: &example)
  }

  /// The role and content of a message of the common shape.
  ///
  /// That is `{"role": "<known role>", "content": "<text>"}` with plain keys; the result also
  /// says whether the content is blank (the one finding such a message can have). Nil for any
  /// other message, which ``decodeGeneralMessage(_:_:into:)`` decodes.
  @inline(__always)
  private func plainMessage(_ m: Int, _ d: JSONDocument) -> (
    roleIndex: Int, content: Int, isBlank: Bool
  )? {
    Self.plainMessage(m, d, roleKey, contentKey, openAIRoleNames)
  }

  /// ``plainMessage(_:_:)`` without `self`: when the compiler calls it out of line, a method
  /// gets a copy of the whole decoder (292 bytes, with `memcpy`) three times per record.
  private static func plainMessage(
    _ m: Int, _ d: JSONDocument, _ roleKey: PlainKey, _ contentKey: PlainKey, _ roleNames: KeySet
  ) -> (roleIndex: Int, content: Int, isBlank: Bool)? {
    guard let (roleNode, content) = d.plainPair(m, roleKey, contentKey), d.kind(content) == .string,
      let roleIndex = d.plainIndex(of: roleNode, in: roleNames)
    else { return nil }
    return (roleIndex, content, d.isBlankString(content))
  }

  /// A message whose string content is blank: the same finding whichever path decoded it.
  private func reportBlankContent(_ content: Text?, _ role: Role, _ c: inout RecordContext) {
    guard case .node(let node) = content else { return }
    c.report(
      .formatEmptyContent, at: node,
      "the \(role.name) message has empty content: remove the message or write its text")
  }

  /// ``decodeOpenAIMessage(_:_:into:)`` for every other shape of message.
  ///
  /// Such a message has other keys, other content or an unknown role. Out of line, so the common
  /// path stays small.
  private mutating func decodeGeneralMessage(
    _ m: Int, _ c: inout RecordContext, into example: inout Example
  ) -> Turn? {
    guard c.expect(m, .object, "a message") else { return nil }
    let d = c.document
    let slots = d.slots(m, messageKeys)
    if slots.unknownCount > 0 {
      c.rejectUnknownKeys(slots, allowed: messageKeys, in: "the message")
    }
    guard let roleNode = slots[0] else {
      c.report(.schemaRequired, at: m, "the message is missing the required \"role\" field")
      return nil
    }
    guard c.expect(roleNode, .string, "the message \"role\"") else { return nil }
    guard let roleIndex = d.index(of: roleNode, in: openAIRoleNames) else {
      let value = d.string(roleNode)
      let hint =
        closest(value, ["system", "developer", "user", "assistant", "tool"]).map {
          " (did you mean \"\($0)\"?)"
        } ?? ""
      c.report(
        .schemaEnum, at: roleNode,
        "role \(value.jsonQuoted) is not one of \"system\", \"developer\", \"user\", \"assistant\", \"tool\"\(hint)"
      )
      return nil
    }
    let role = Self.openAIRole(roleIndex)
    var turn = Turn(role: role, content: nil, node: m)
    turn.isDeveloper = roleIndex == Self.developerIndex
    turn.isFunction = roleIndex == Self.functionIndex
    var nonText = false
    let content = slots[1]
    let text = decodeContent(
      content, owner: m, role: role, &c, nonText: &nonText, texts: &example)
    turn.content = text
    turn.hasNonTextContent = nonText
    if let name = c.stringValue(slots[2], "the message \"name\"") { turn.name = .node(name) }
    if let weight = slots[3] {
      if let value = Self.numberValue(weight, d), value == 0 || value == 1 {
        turn.weight = Int(value)
        if role != .assistant {
          c.report(
            .schemaUnknownKey, at: weight,
            "\"weight\" is only allowed on assistant messages, not on \(role.name) messages")
        }
      } else {
        c.report(
          .schemaEnum, at: weight,
          "\"weight\" must be 0 or 1, found \(d.rawText(weight).prefix(20))")
      }
    }
    if let calls = slots[4] {
      if role != .assistant {
        c.report(.formatToolCall, at: calls, "\"tool_calls\" is only allowed on assistant messages")
      }
      if c.expect(calls, .array, "\"tool_calls\"") {
        let first = example.toolCalls.count
        for call in d.elements(calls) {
          if let decoded = decodeToolCall(call, &c) { example.toolCalls.append(decoded) }
        }
        turn.toolCallIndices = first..<example.toolCalls.count
      }
    }
    let hasToolCalls = !turn.toolCallIndices.isEmpty
    if let id = c.stringValue(slots[5], "the message \"tool_call_id\"") {
      turn.toolCallID = .node(id)
    }
    if let call = slots[6], c.expect(call, .object, "the message \"function_call\"") {
      turn.functionCall = call
    }
    turn.refusal = slots[7]
    let contentIsNull = content.map { d.kind($0) == .null } ?? true
    if !text.hasValue && contentIsNull && !hasToolCalls && !nonText
      && slots[6] == nil
    {
      if content == nil {
        c.report(
          .schemaRequired, at: m,
          "the \(role.name) message is missing the required \"content\" field")
      } else {
        c.report(
          .formatEmptyContent, at: content,
          "the \(role.name) message has null content and no tool calls")
      }
    } else if text.hasValue, !hasToolCalls, let content, d.kind(content) == .string,
      d.isBlankString(content)
    {
      reportBlankContent(.node(content), role, &c)
    }
    return turn
  }

  /// The value of number node `i` (nil for another value, or a number out of Double's range).
  ///
  /// A weight is almost always written `0` or `1`: a one-digit integer is read directly, not
  /// through a String and Double's parser.
  private static func numberValue(_ i: Int, _ d: JSONDocument) -> Double? {
    guard d.kind(i) == .number else { return nil }
    let range = d.rawRange(i)
    if range.count == 1, d.isIntegerLiteral(i) {
      let digit = d.bytes[range.lowerBound] &- UInt8(ascii: "0")
      if digit <= 9 { return Double(digit) }
    }
    return d.double(i)
  }

  /// Content as a string, or an array of parts whose text parts are joined (and kept in `example`'s
  /// texts).
  ///
  /// Sets `nonText` when a part is not text (an image). An image is only allowed in a user
  /// message (OpenAI's vision fine-tuning guide: no images as assistant output; system prompts
  /// are text).
  private func decodeContent(
    _ node: Int?, owner: Int, role: Role, _ c: inout RecordContext, nonText: inout Bool,
    texts example: inout Example
  ) -> Text? {
    guard let node else { return nil }
    let d = c.document
    switch d.kind(node) {
    case .string:
      return .node(node)
    case .null:
      return nil
    case .array:
      if d.count(node) == 0 {
        c.report(
          .schemaEmpty, at: node,
          "\"content\" is an empty array of parts: give the text, or a text part")
        return nil
      }
      var parts: [ContentPart] = []
      for part in d.elements(node) {
        guard c.expect(part, .object, "a content part") else { continue }
        guard let type = c.requiredString(part, "type", in: "the content part") else { continue }
        if d.stringEquals(type, "image_url") {
          if role != .user {
            c.report(
              .schemaInvalid, at: type,
              "an image in a\(role == .assistant ? "n" : "") \(role.name) message: OpenAI fine-tuning takes images only in user messages; move the image to the user message, or describe it in text"
            )
          }
          c.checkImagePart(part)
          nonText = true
          parts.append(.other(part))
          continue
        }
        guard d.stringEquals(type, "text") else {
          c.report(
            .schemaEnum, at: type, "a content part's \"type\" must be \"text\" or \"image_url\"")
          continue
        }
        c.rejectUnknownKeys(part, allowed: ["type", "text"], in: "the text part")
        if d.stringEquals(type, "text") {
          if let t = c.requiredString(part, "text", in: "the text part") {
            if d.isBlankString(t) {
              c.report(
                .formatEmptyContent, at: t,
                "a text part of the message is empty: remove it or write its text")
            }
            parts.append(.text(t))
          }
        } else {
          nonText = true
        }
      }
      // Kept as parts, so that a target with parts writes the array back.
      return parts.isEmpty ? nil : example.own(parts: parts)
    default:
      c.report(
        .schemaType, at: node,
        "\"content\" must be a string or an array of content parts, found \(d.kind(node).name)")
      return nil
    }
  }

  private static let toolCallKeys = KeySet(["id", "type", "function"])
  private static let functionKeys = KeySet(["name", "arguments"])

  /// A tool call's structure (as `schemas/openai-chat.json` has it) gives `schema.*` findings;
  /// arguments that do not encode a JSON object are `format.tool-call`.
  private mutating func decodeToolCall(_ call: Int, _ c: inout RecordContext) -> ToolCall? {
    guard c.expect(call, .object, "a tool call") else { return nil }
    let d = c.document
    var result = ToolCall(node: call)
    let slots = d.slots(call, Self.toolCallKeys)
    if slots.unknownCount > 0 {
      c.rejectUnknownKeys(slots, allowed: Self.toolCallKeys, in: "the tool call")
    }
    if let id = slots[0] {
      if c.expect(id, .string, "the tool call's \"id\"") {
        if d.isBlankString(id) {
          c.report(
            .formatEmptyContent, at: id,
            "the tool call's \"id\" is empty: a tool message must be able to answer it")
        } else {
          result.id = .node(id)
        }
      }
    } else {
      c.report(
        .schemaRequired, at: call,
        "the tool call has no \"id\": a tool message must be able to answer it")
    }
    if let type = slots[1] {
      if !d.stringEquals(type, "function") {
        c.report(.schemaEnum, at: type, "the tool call's \"type\" must be \"function\"")
      }
    } else {
      c.report(.schemaRequired, at: call, "the tool call has no \"type\" (always \"function\")")
    }
    guard let function = slots[2] else {
      c.report(
        .schemaRequired, at: call,
        "the tool call has no \"function\" object with a name and arguments")
      return result
    }
    guard c.expect(function, .object, "the tool call's \"function\"") else { return result }
    let functionSlots = d.slots(function, Self.functionKeys)
    if functionSlots.unknownCount > 0 {
      c.rejectUnknownKeys(functionSlots, allowed: Self.functionKeys, in: "the tool call's function")
    }
    if let name = functionSlots[0] {
      if c.expect(name, .string, "the function's \"name\"") {
        if d.isBlankString(name) {
          c.report(.formatEmptyContent, at: name, "the tool call's function \"name\" is empty")
        } else {
          result.name = .node(name)
        }
      }
    } else {
      c.report(.schemaRequired, at: function, "the tool call's function has no \"name\"")
    }
    guard let arguments = functionSlots[1] else {
      c.report(.schemaRequired, at: function, "the tool call's function has no \"arguments\"")
      return result
    }
    guard d.kind(arguments) == .string else {
      c.report(
        .schemaType, at: arguments,
        "the tool call's \"arguments\" must be a string holding a JSON object, found \(d.kind(arguments).name)"
      )
      return result
    }
    result.arguments = .node(arguments)
    let text = d.string(arguments)
    do throws(JSONSyntaxError) {
      try argumentsParser.parse(Array(text.utf8), into: &argumentsDocument)
      if argumentsDocument.kind(argumentsDocument.root) != .object {
        c.report(
          .formatToolCall, at: arguments,
          "the tool call's \"arguments\" must encode a JSON object, found \(argumentsDocument.kind(argumentsDocument.root).name)"
        )
      }
    } catch {
      c.report(
        .formatToolCall, at: arguments,
        "the tool call's \"arguments\" is not valid JSON (\(error.message)): it must be a JSON object serialized to a string"
      )
    }
    return result
  }

  // MARK: openai-preference

  private mutating func decodePreference(_ c: inout RecordContext) -> Example? {
    let root = c.document.root
    let d = c.document
    c.rejectUnknownKeys(
      root, allowed: ["input", "preferred_output", "non_preferred_output"], in: "the record")
    var example = newExample()
    if let input = c.required(root, "input", in: "the record"),
      c.expect(input, .object, "\"input\"")
    {
      c.rejectUnknownKeys(
        input, allowed: ["messages", "tools", "parallel_tool_calls"], in: "\"input\"")
      if let tools = d.member(input, "tools"), c.expect(tools, .array, "\"tools\"") {
        example.tools = tools
        c.checkOpenAITools(tools)
      }
      if let parallel = d.member(input, "parallel_tool_calls"),
        c.expect(parallel, .true, "\"parallel_tool_calls\"")
      {
        example.parallelToolCalls = parallel
      }
      if let messages = c.required(input, "messages", in: "\"input\""),
        c.expect(messages, .array, "\"input.messages\"")
      {
        if d.count(messages) == 0 {
          c.report(
            .schemaEmpty, at: messages,
            "\"input.messages\" is empty: the prompt needs at least a user message")
        }
        for m in d.elements(messages) {
          if let turn = decodeOpenAIMessage(m, &c, into: &example) { example.turns.append(turn) }
        }
        if let first = example.turns.first, first.role == .system {
          example.system = first.content
          example.systemName = first.name
          example.systemIsDeveloper = first.isDeveloper
          example.turns.removeFirst()
        }
      }
    }
    example.preferred = decodeOutput(root, "preferred_output", &c, into: &example)
    example.nonPreferred = decodeOutput(root, "non_preferred_output", &c, into: &example)
    if let a = example.preferred?.last?.content, let b = example.nonPreferred?.last?.content,
      example.string(a, in: d) == example.string(b, in: d)
    {
      c.report(
        .formatPreferenceIdentical, at: d.member(root, "non_preferred_output"),
        "the preferred and non-preferred outputs are identical: the pair teaches nothing")
    }
    return example
  }

  /// The messages of output `key`, decoded as turns of `example` (whose tables receive their
  /// tool calls and text) and then moved out of its turns.
  private mutating func decodeOutput(
    _ root: Int, _ key: StaticString, _ c: inout RecordContext, into example: inout Example
  ) -> [Turn]? {
    guard let output = c.required(root, key, in: "the record"),
      c.expect(output, .array, "\"\(key)\"")
    else {
      return nil
    }
    let d = c.document
    if d.count(output) == 0 {
      c.report(.schemaEmpty, at: output, "\"\(key)\" is empty: it needs one assistant message")
      return nil
    }
    let prompt = example.turns.count
    for m in d.elements(output) {
      guard let turn = decodeOpenAIMessage(m, &c, into: &example) else { continue }
      example.turns.append(turn)
      if turn.role != .assistant {
        c.report(
          .schemaEnum, at: d.member(m, "role") ?? m,
          "messages of \"\(key)\" must have role \"assistant\"")
      }
    }
    let turns = Array(example.turns[prompt...])
    example.turns.removeSubrange(prompt...)
    return turns
  }

  // MARK: prompt-completion, input-output

  private mutating func decodePromptCompletion(_ c: inout RecordContext) -> Example? {
    // A provider format (OpenAI's legacy completions): unknown keys are rejected, not kept.
    c.rejectUnknownKeys(c.document.root, allowed: ["prompt", "completion"], in: "the record")
    return pairExample(&c, input: "prompt", output: "completion", extraKeys: [])
  }

  private mutating func decodeInputOutput(_ c: inout RecordContext) -> Example? {
    pairExample(&c, input: "input", output: "output", extraKeys: ["system"])
  }

  /// Community formats keep unknown top-level keys as metadata (such as `id`, `source`).
  private mutating func pairExample(
    _ c: inout RecordContext, input: StaticString, output: StaticString, extraKeys: [StaticString]
  ) -> Example? {
    let root = c.document.root
    let d = c.document
    var example = newExample()
    let inputNode = c.requiredString(root, input, in: "the record")
    let outputNode = c.requiredString(root, output, in: "the record")
    if extraKeys.contains(where: { $0.description == "system" }),
      let system = c.optionalString(root, "system", in: "the record"), !d.isBlankString(system)
    {
      example.system = .node(system)
    }
    if let inputNode {
      if d.isBlankString(inputNode) {
        c.report(
          .formatEmptyContent, at: inputNode,
          "\"\(input)\" is empty: the model would learn to answer nothing")
      }
      example.turns.append(Turn(role: .user, content: .node(inputNode), node: inputNode))
    }
    if let outputNode {
      if d.isBlankString(outputNode) {
        c.report(
          .formatEmptyContent, at: outputNode, "\"\(output)\" is empty: there is no answer to learn"
        )
      }
      example.turns.append(Turn(role: .assistant, content: .node(outputNode), node: outputNode))
    }
    for key in c.unknownKeys(root, allowed: [input, output] + extraKeys) {
      example.metadata.append((key, key + 1))
    }
    return inputNode == nil && outputNode == nil ? nil : example
  }

  // MARK: alpaca

  private mutating func decodeAlpaca(_ c: inout RecordContext) -> Example? {
    let root = c.document.root
    let d = c.document
    var example = newExample()
    if let system = c.optionalString(root, "system", in: "the record"), !d.isBlankString(system) {
      example.system = .node(system)
    }
    if let history = d.member(root, "history"), d.kind(history) != .null,
      c.expect(history, .array, "\"history\"")
    {
      for pair in d.elements(history) {
        guard c.expect(pair, .array, "a \"history\" entry"), d.count(pair) == 2 else {
          if d.kind(pair) == .array {
            c.report(
              .schemaType, at: pair,
              "a \"history\" entry must be a [question, answer] pair of two strings")
          }
          continue
        }
        let items = Array(d.elements(pair))
        guard c.expect(items[0], .string, "a history question"),
          c.expect(items[1], .string, "a history answer")
        else {
          continue
        }
        example.turns.append(Turn(role: .user, content: .node(items[0]), node: items[0]))
        example.turns.append(Turn(role: .assistant, content: .node(items[1]), node: items[1]))
      }
    }
    let instruction = c.requiredString(root, "instruction", in: "the record")
    let input = c.optionalString(root, "input", in: "the record")
    let output = d.member(root, "output")
    if output == nil {
      let hint =
        ["response", "answer", "completion", "target"].first { key in
          d.members(root).contains { d.string($0.key) == key }
        }.map { " (found \"\($0)\": rename it to \"output\")" } ?? ""
      c.report(
        .schemaRequired, at: nil, "the record is missing the required \"output\" field\(hint)")
    } else if let output, !c.expect(output, .string, "\"output\"") {
      return nil
    }
    guard let instruction else { return nil }
    if d.isBlankString(instruction) {
      c.report(
        .formatEmptyContent, at: instruction,
        "\"instruction\" is empty: say what the model should do")
    }
    // The user turn is the instruction, followed by the input when there is one.
    if let input, !d.isBlankString(input) {
      var joined: [UInt8] = []
      d.appendString(instruction, to: &joined)
      joined.append(contentsOf: [0x0A, 0x0A])
      d.appendString(input, to: &joined)
      var turn = Turn(
        role: .user, content: example.own(String(decoding: joined, as: UTF8.self)),
        node: instruction)
      turn.alpacaInput = input
      example.turns.append(turn)
    } else {
      example.turns.append(Turn(role: .user, content: .node(instruction), node: instruction))
    }
    if let output {
      if d.isBlankString(output) {
        c.report(
          .formatEmptyContent, at: output, "\"output\" is empty: there is no answer to learn")
      }
      example.turns.append(Turn(role: .assistant, content: .node(output), node: output))
    }
    for key in c.unknownKeys(
      root, allowed: ["instruction", "input", "output", "system", "history"])
    {
      example.metadata.append((key, key + 1))
    }
    return example
  }

  // MARK: sharegpt

  private mutating func decodeShareGPT(_ c: inout RecordContext) -> Example? {
    let root = c.document.root
    let d = c.document
    var example = newExample()
    if let system = c.optionalString(root, "system", in: "the record"), !d.isBlankString(system) {
      example.system = .node(system)
    }
    guard let conversations = c.required(root, "conversations", in: "the record"),
      c.expect(conversations, .array, "\"conversations\"")
    else { return nil }
    if d.count(conversations) == 0 {
      c.report(.schemaEmpty, at: conversations, "\"conversations\" is empty")
      return nil
    }
    // The calls of the last function_call turn that no observation has answered yet: the
    // observations after a function_call turn answer its calls in order.
    var unanswered = 0..<0
    for m in d.elements(conversations) {
      guard c.expect(m, .object, "a conversation turn") else {
        c.droppedTurn = true
        continue
      }
      c.rejectUnknownKeys(m, allowed: ["from", "value", "weight", "name"], in: "the turn")
      guard let from = c.requiredString(m, "from", in: "the turn") else {
        c.droppedTurn = true
        continue
      }
      let value = c.requiredString(m, "value", in: "the turn")
      let role: Role
      var isFunctionCall = false
      if !roleMap.isEmpty, let mapped = roleMap.role(for: d.string(from)) {
        role = mapped
      } else if d.stringEquals(from, "human") || d.stringEquals(from, "user") {
        role = .user
      } else if d.stringEquals(from, "gpt") || d.stringEquals(from, "assistant")
        || d.stringEquals(from, "chatgpt") || d.stringEquals(from, "bing")
        || d.stringEquals(from, "bard")
      {
        role = .assistant
      } else if d.stringEquals(from, "function_call") {
        role = .assistant
        isFunctionCall = true
      } else if d.stringEquals(from, "system") {
        role = .system
      } else if d.stringEquals(from, "observation") || d.stringEquals(from, "tool")
        || d.stringEquals(from, "function_response") || d.stringEquals(from, "function")
      {
        role = .tool
      } else {
        let name = d.string(from)
        let hint =
          closest(name, ["human", "gpt", "system", "observation"]).map {
            " (did you mean \"\($0)\"?)"
          } ?? ""
        c.report(
          .formatUnknownRole, at: from,
          "\"from\": \(name.jsonQuoted) is not a known speaker (human, gpt, system, function_call, observation, tool)\(hint); map it with --role-map"
        )
        c.droppedTurn = true
        continue
      }
      if let value, d.isBlankString(value) {
        c.report(
          .formatEmptyContent, at: value, "the \(d.string(from)) turn has an empty \"value\"")
      }
      var turn = Turn(role: role, content: value.map { .node($0) }, node: m)
      if isFunctionCall {
        // The value is the calls' JSON text, which the canonical example holds as tool calls.
        turn.content = nil
        let first = example.toolCalls.count
        if let value, !d.isBlankString(value) {
          decodeShareGPTCalls(value, turn: m, &c, into: &example)
        }
        turn.toolCallIndices = first..<example.toolCalls.count
        unanswered = turn.toolCallIndices
      } else if role == .tool {
        if let call = unanswered.first {
          turn.toolCallID = example.toolCalls[call].id
          unanswered = unanswered.dropFirst()
        }
      } else {
        unanswered = 0..<0
      }
      if let weight = d.member(m, "weight"), let w = d.double(weight), w == 0 || w == 1 {
        turn.weight = Int(w)
      }
      if let name = c.optionalString(m, "name", in: "the turn") { turn.name = .node(name) }
      example.turns.append(turn)
    }
    if let first = example.turns.first, first.role == .system, !example.system.hasValue {
      example.system = first.content
      example.systemName = first.name
      example.systemWeight = first.weight
      example.turns.removeFirst()
    }
    // Tools as LLaMA-Factory writes them (a JSON text in a string) or as an array.
    if let tools = d.member(root, "tools") {
      switch d.kind(tools) {
      case .array, .string: example.tools = tools
      default:
        c.report(
          .schemaType, at: tools,
          "\"tools\" must be a string (a JSON text) or an array, found \(d.kind(tools).name)")
      }
    }
    for key in c.unknownKeys(root, allowed: ["conversations", "system", "tools"]) {
      example.metadata.append((key, key + 1))
    }
    return example
  }

  /// Decodes the JSON text of sharegpt `function_call` turn `turn` (its string node `value`)
  /// into tool calls of `example`, as LLaMA-Factory reads it: an object
  /// `{"name": ..., "arguments": {...}}`, or an array of them for parallel calls.
  ///
  /// Each call gets the id of its position among the record's calls (`call_1`, ...), which the
  /// observations that answer it take as their `tool_call_id`; its arguments are the exact
  /// text of the `arguments` object, as an OpenAI tool call holds them.
  private mutating func decodeShareGPTCalls(
    _ value: Int, turn: Int, _ c: inout RecordContext, into example: inout Example
  ) {
    let shape =
      "it must be a JSON object {\"name\": ..., \"arguments\": {...}}, or an array of them"
    var text: [UInt8] = []
    c.document.appendString(value, to: &text)
    do throws(JSONSyntaxError) {
      try argumentsParser.parse(text, into: &argumentsDocument)
    } catch {
      c.report(
        .formatToolCall, at: value,
        "the function_call turn's \"value\" is not valid JSON (\(error.message)): \(shape)")
      return
    }
    let calls = argumentsDocument
    switch calls.kind(calls.root) {
    case .object:
      decodeShareGPTCall(calls.root, of: calls, value: value, turn: turn, &c, into: &example)
    case .array where calls.count(calls.root) > 0:
      for call in calls.elements(calls.root) {
        decodeShareGPTCall(call, of: calls, value: value, turn: turn, &c, into: &example)
      }
    default:
      c.report(
        .formatToolCall, at: value,
        "the function_call turn's \"value\" holds \(calls.kind(calls.root) == .array ? "an empty array" : article(calls.kind(calls.root).name)): \(shape)"
      )
    }
  }

  /// One call `{"name": ..., "arguments": {...}}` (node `call` of `calls`) of a sharegpt
  /// `function_call` turn, appended to `example`'s tool calls when it is well formed.
  private func decodeShareGPTCall(
    _ call: Int, of calls: JSONDocument, value: Int, turn: Int, _ c: inout RecordContext,
    into example: inout Example
  ) {
    let what = "a call in the function_call turn's \"value\""
    guard calls.kind(call) == .object else {
      c.report(
        .formatToolCall, at: value,
        "\(what) is \(article(calls.kind(call).name)), not an object {\"name\": ..., \"arguments\": {...}}"
      )
      return
    }
    var name: Int?
    var arguments: Int?
    var wellFormed = true
    for (key, member) in calls.members(call) {
      let keyName = calls.string(key)
      if keyName == "name" && name == nil {
        name = member
      } else if keyName == "arguments" && arguments == nil {
        arguments = member
      } else {
        wellFormed = false
        c.report(
          .formatToolCall, at: value,
          "\(what) has \(keyName == "name" || keyName == "arguments" ? "a second" : "an unknown key") \(keyName.jsonQuoted): a call holds only \"name\" and \"arguments\""
        )
      }
    }
    if let name, calls.kind(name) != .string || calls.isBlankString(name) {
      wellFormed = false
      c.report(
        .formatToolCall, at: value,
        calls.kind(name) == .string
          ? "\(what) has an empty \"name\"" : "\(what) has a \"name\" that is not a string")
    } else if name == nil {
      wellFormed = false
      c.report(.formatToolCall, at: value, "\(what) has no \"name\" naming the function")
    }
    if let arguments, calls.kind(arguments) != .object {
      wellFormed = false
      c.report(
        .formatToolCall, at: value,
        "\(what) has \"arguments\" that are \(article(calls.kind(arguments).name)): they must be a JSON object"
      )
    } else if arguments == nil {
      wellFormed = false
      c.report(
        .formatToolCall, at: value,
        "\(what) has no \"arguments\" (write {} for a function without parameters)")
    }
    guard wellFormed, let name, let arguments else { return }
    let range = calls.sourceRange(arguments)
    var result = ToolCall(node: turn)
    result.isSynthesized = true
    result.id = example.own(ToolCall.positionalID(example.toolCalls.count))
    result.name = example.own(calls.string(name))
    result.arguments = example.own(String(decoding: calls.bytes[range], as: UTF8.self))
    example.toolCalls.append(result)
  }

  // MARK: gemini

  private mutating func decodeGemini(_ c: inout RecordContext) -> Example? {
    let root = c.document.root
    let d = c.document
    c.rejectUnknownKeys(
      root, allowed: ["contents", "systemInstruction", "system_instruction", "tools"],
      in: "the record")
    var example = newExample()
    if let system = d.member(root, "systemInstruction") ?? d.member(root, "system_instruction"),
      c.expect(system, .object, "\"systemInstruction\"")
    {
      var scratch = Turn(role: .system, content: nil, node: system)
      example.system = geminiText(system, &c, turn: &scratch, texts: &example)
      if scratch.hasNonTextContent, let parts = d.member(system, "parts") {
        // Vertex AI's dataset format gives systemInstruction parts as {"text"} only.
        for part in d.elements(parts) {
          if let file = d.member(part, "fileData") {
            c.report(
              .schemaInvalid, at: file,
              "\"systemInstruction\" holds a file: Vertex AI takes only {\"text\": ...} parts there; put the file in a user turn of \"contents\""
            )
          }
        }
      }
    }
    if let tools = d.member(root, "tools"), c.expect(tools, .array, "\"tools\"") {
      example.tools = tools
    }
    guard let contents = c.required(root, "contents", in: "the record"),
      c.expect(contents, .array, "\"contents\"")
    else {
      return nil
    }
    if d.count(contents) == 0 {
      c.report(.schemaEmpty, at: contents, "\"contents\" is empty")
      return nil
    }
    for m in d.elements(contents) {
      guard c.expect(m, .object, "a content") else {
        c.droppedTurn = true
        continue
      }
      c.rejectUnknownKeys(m, allowed: ["role", "parts"], in: "the content")
      guard let roleNode = c.requiredString(m, "role", in: "the content") else {
        c.droppedTurn = true
        continue
      }
      let role: Role
      if d.stringEquals(roleNode, "user") {
        role = .user
      } else if d.stringEquals(roleNode, "model") {
        role = .assistant
      } else {
        c.report(
          .schemaEnum, at: roleNode,
          "role \(d.string(roleNode).jsonQuoted) is not one of \"user\", \"model\"")
        c.droppedTurn = true
        continue
      }
      var turn = Turn(role: role, content: nil, node: m)
      turn.content = geminiText(m, &c, turn: &turn, texts: &example)
      example.turns.append(turn)
    }
    return example
  }

  /// The joined text parts of `owner` (kept in `example`'s texts when there are several).
  private func geminiText(
    _ owner: Int, _ c: inout RecordContext, turn: inout Turn, texts example: inout Example
  ) -> Text? {
    let d = c.document
    guard let parts = c.required(owner, "parts", in: "the content"),
      c.expect(parts, .array, "\"parts\"")
    else {
      return nil
    }
    if d.count(parts) == 0 {
      c.report(.schemaEmpty, at: parts, "\"parts\" is empty: add a {\"text\": ...} part")
      return nil
    }
    var list: [ContentPart] = []
    for part in d.elements(parts) {
      if let text = c.checkGeminiPart(part) {
        list.append(.text(text))
      } else if d.kind(part) == .object, d.member(part, "fileData") != nil {
        turn.hasNonTextContent = true
        list.append(.other(part))
      }
    }
    return Self.text(of: list, &example)
  }

  /// The text of a list of parts: one text part as itself, else the parts (none: nil).
  private static func text(of list: [ContentPart], _ example: inout Example) -> Text? {
    if list.count == 1, case .text(let node) = list[0] { return .node(node) }
    return list.isEmpty ? nil : example.own(parts: list)
  }

  // MARK: bedrock-conversation

  private mutating func decodeBedrock(_ c: inout RecordContext) -> Example? {
    let root = c.document.root
    let d = c.document
    c.rejectUnknownKeys(root, allowed: ["schemaVersion", "system", "messages"], in: "the record")
    var example = newExample()
    if let version = c.requiredString(root, "schemaVersion", in: "the record"),
      !d.stringEquals(version, "bedrock-conversation-2024")
    {
      c.report(.schemaEnum, at: version, "\"schemaVersion\" must be \"bedrock-conversation-2024\"")
    }
    if let system = d.member(root, "system"), c.expect(system, .array, "\"system\"") {
      var texts: [ContentPart] = []
      for block in d.elements(system) {
        guard c.expect(block, .object, "a system block") else { continue }
        c.rejectUnknownKeys(block, allowed: ["text"], in: "the system block")
        if let t = c.requiredString(block, "text", in: "the system block") {
          if d.isBlankString(t) {
            c.report(.formatEmptyContent, at: t, "the system block's \"text\" is empty")
          }
          texts.append(.text(t))
        }
      }
      example.system = Self.text(of: texts, &example)
    }
    guard let messages = c.required(root, "messages", in: "the record"),
      c.expect(messages, .array, "\"messages\"")
    else {
      return nil
    }
    if d.count(messages) == 0 {
      c.report(.schemaEmpty, at: messages, "\"messages\" is empty")
      return nil
    }
    for m in d.elements(messages) {
      guard c.expect(m, .object, "a message") else {
        c.droppedTurn = true
        continue
      }
      c.rejectUnknownKeys(m, allowed: ["role", "content"], in: "the message")
      guard let roleNode = c.requiredString(m, "role", in: "the message") else {
        c.droppedTurn = true
        continue
      }
      let role: Role
      if d.stringEquals(roleNode, "user") {
        role = .user
      } else if d.stringEquals(roleNode, "assistant") {
        role = .assistant
      } else {
        c.report(
          .schemaEnum, at: roleNode,
          "role \(d.string(roleNode).jsonQuoted) is not one of \"user\", \"assistant\"")
        c.droppedTurn = true
        continue
      }
      var turn = Turn(role: role, content: nil, node: m)
      if let content = c.required(m, "content", in: "the message"),
        c.expect(content, .array, "\"content\"")
      {
        if d.count(content) == 0 {
          c.report(.schemaEmpty, at: content, "\"content\" is empty: add a {\"text\": ...} block")
        }
        var list: [ContentPart] = []
        for block in d.elements(content) {
          if let text = c.checkBedrockBlock(block) {
            list.append(.text(text))
          } else if d.kind(block) == .object, let image = d.member(block, "image") {
            if role == .assistant {
              // "User inputs can include both text and images, while assistant responses are
              // always textual" (Bedrock's guide to image-and-text fine-tuning data).
              c.report(
                .schemaInvalid, at: image,
                "an image in an assistant message: Bedrock takes images only in user messages (assistant responses are text); move the image to the user message, or describe it in text"
              )
            }
            turn.hasNonTextContent = true
            list.append(.other(block))
          }
        }
        turn.content = Self.text(of: list, &example)
      }
      example.turns.append(turn)
    }
    return example
  }
}
