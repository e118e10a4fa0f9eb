/// The rules every conversation must meet whatever its format: an answer to learn, roles in a
/// sensible order, tool responses that answer a call, and weights that train something.
struct ConversationRules {
  let format: Format

  /// Formats whose providers require strict user/assistant alternation.
  private var requiresAlternation: Bool {
    switch format {
    case .gemini, .bedrockConversation, .sharegpt: true
    default: false
    }
  }

  func check(_ example: Example, _ c: inout RecordContext) {
    let d = c.document
    let turns = example.turns
    if format == .openaiPreference {
      if let last = turns.last, last.role == .assistant {
        c.report(
          .formatLastNotAssistant, at: last.node,
          "the prompt of a preference pair should end with a user message; the answers go in the outputs")
      }
      return
    }
    guard !turns.isEmpty else { return }
    let answers = turns.filter { $0.role == .assistant }
    if answers.isEmpty {
      c.report(
        .formatNoAnswer, at: nil,
        "the example has no assistant answer: add the answer the model should learn to give")
    } else if answers.allSatisfy({ $0.weight == 0 }) {
      c.report(
        .formatWeight, at: answers.last?.node,
        "every assistant message has weight 0, so nothing in this example is trained")
    }
    var previous: Role?
    var seenNonSystem = false
    var callIDs: [String] = []
    for (index, turn) in turns.enumerated() {
      if turn.role == .system {
        if seenNonSystem || index > 0 || example.system != nil {
          c.report(
            .formatSystemPosition, at: turn.node,
            "a system message after the conversation started: put the system prompt first, once")
        }
      } else {
        seenNonSystem = true
      }
      for call in turn.toolCalls {
        if let id = call.id { callIDs.append(id.string(in: d)) }
      }
      if turn.role == .tool {
        if let id = turn.toolCallID {
          let value = id.string(in: d)
          if !callIDs.contains(value) {
            c.report(
              .formatToolResponse, at: turn.node,
              "tool_call_id \(value.jsonQuoted) answers no earlier tool call of an assistant message")
          }
        } else if format == .openaiChat {
          c.report(
            .formatToolResponse, at: turn.node,
            "the tool message has no \"tool_call_id\" naming the call it answers")
        }
      }
      if let previous, previous == turn.role, turn.role != .tool, turn.role != .system {
        if requiresAlternation {
          c.report(
            .formatAlternation, at: turn.node,
            "two \(turn.role.name) turns in a row: \(format.rawValue) requires turns to alternate between user and assistant")
        } else {
          c.report(
            .formatConsecutiveRoles, at: turn.node,
            "two \(turn.role.name) messages in a row: merge them or add the missing turn between them")
        }
      }
      if turn.role != .system { previous = turn.role }
    }
    if requiresAlternation, let first = turns.first(where: { $0.role != .system }), first.role != .user {
      c.report(
        .formatAlternation, at: first.node,
        "the conversation starts with \(first.role.name): \(format.rawValue) requires it to start with the user")
    }
    if let last = turns.last, last.role != .assistant, !answers.isEmpty {
      c.report(
        .formatLastNotAssistant, at: last.node,
        "the conversation ends with a \(last.role.name) turn after the last answer; it is not trained")
    }
  }
}
