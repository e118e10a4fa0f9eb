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

  /// Reports what the turn order of `example` breaks.
  ///
  /// The example is not changed: it is `inout` only so that the decoder lends it without a
  /// copy. Taken by value (or `borrowing`), the decoder copied it for the call, about 350
  /// instructions per record.
  func check(_ example: inout Example, _ c: inout RecordContext) {
    // Through a buffer: a copy of the turns array would be retained and released per record.
    example.turns.withUnsafeBufferPointer { check($0, of: example, &c) }
  }

  /// What one pass over the turns finds, so the ordered pass runs only when a turn can fail.
  private struct Summary {
    var answerCount = 0
    var weightedAnswers = 0
    var lastAnswer = -1
    /// Whether a turn is a system or tool turn, or repeats the role before it: the turns the
    /// ordered pass may report.
    var needsOrderPass = false
  }

  private func summarize(_ turns: UnsafeBufferPointer<Turn>) -> Summary {
    var summary = Summary()
    var previous: Role?
    for i in turns.indices {
      let role = turns[i].role
      switch role {
      case .assistant:
        summary.answerCount += 1
        if turns[i].weight != 0 { summary.weightedAnswers += 1 }
        summary.lastAnswer = i
      case .system, .tool:
        summary.needsOrderPass = true
      case .user:
        break
      }
      if previous == role { summary.needsOrderPass = true }
      if role != .system { previous = role }
    }
    return summary
  }

  private func check(
    _ turns: UnsafeBufferPointer<Turn>, of example: borrowing Example, _ c: inout RecordContext
  ) {
    if format == .openaiPreference {
      if let last = turns.last, last.role == .assistant {
        c.report(
          .formatLastNotAssistant, at: last.node,
          "the prompt of a preference pair should end with a user message; the answers go in the outputs"
        )
      }
      return
    }
    guard !turns.isEmpty else {
      // Only a system prompt (the messages themselves are checked by the schema: an empty
      // list is already an error).
      if !c.hasErrors {
        c.report(
          .formatNoAnswer, at: nil,
          "the example has only a system prompt: add the user message and the assistant answer the model should learn to give"
        )
      }
      return
    }
    let summary = summarize(turns)
    let answerCount = summary.answerCount
    // A turn dropped for an earlier error (an unknown role, say) must not also read as a
    // missing answer.
    if answerCount == 0 && !c.hasErrors {
      c.report(
        .formatNoAnswer, at: nil,
        "the example has no assistant answer: add the answer the model should learn to give")
    } else if answerCount > 0 && summary.weightedAnswers == 0 {
      c.report(
        .formatWeight, at: turns[summary.lastAnswer].node,
        "every assistant message has weight 0, so nothing in this example is trained")
    }
    if summary.needsOrderPass { checkOrder(turns, of: example, &c) }
    // With a turn left out for an error already reported, the order of the others says
    // nothing: the first one left may not be the conversation's first.
    if requiresAlternation, !c.droppedTurn, let first = turns.first(where: { $0.role != .system }),
      first.role != .user
    {
      c.report(
        .formatAlternation, at: first.node,
        "the conversation starts with \(first.role.name): \(format.rawValue) requires it to start with the user"
      )
    }
    let last = turns.count - 1
    if turns[last].role != .assistant, answerCount > 0, !c.droppedTurn {
      if requiresFinalAnswer {
        c.report(
          .formatLastTurn, at: turns[last].node,
          "the conversation ends with a \(turns[last].role.name) turn: \(format.rawValue) requires the last turn to be the assistant's answer; remove the turns after the last answer, or answer them"
        )
      } else {
        c.report(
          .formatLastNotAssistant, at: turns[last].node,
          "the conversation ends with a \(turns[last].role.name) turn after the last answer; it is not trained"
        )
      }
    }
  }

  /// Formats whose provider rejects a conversation that does not end with the answer.
  ///
  /// That is Bedrock ("the last turn is the bot's response"). Elsewhere the turns after the
  /// last answer are only context that is not trained (a warning).
  private var requiresFinalAnswer: Bool { format == .bedrockConversation }

  /// System messages after the start, tool messages that answer no call, and repeated roles.
  private func checkOrder(
    _ turns: UnsafeBufferPointer<Turn>, of example: borrowing Example, _ c: inout RecordContext
  ) {
    var previous: Role?
    var seenNonSystem = false
    var callIDs = CallIDs()
    for index in turns.indices {
      let role = turns[index].role
      if role == .system {
        if !seenNonSystem && (index > 0 || example.system.hasValue) {
          // Before any user or assistant turn: not late, but a second system prompt.
          let first =
            index > 0
            ? "the system message before it"
            : format == .sharegpt
              ? "the record's \"system\" field" : "the first system message"
          c.report(
            .formatSystemPosition, at: turns[index].node,
            "a second system prompt: \(first) already gives one, and an example has one system prompt; merge them into one"
          )
        } else if seenNonSystem {
          c.report(
            .formatSystemPosition, at: turns[index].node,
            "a system message after the conversation started: put the system prompt first, once")
        }
      } else {
        seenNonSystem = true
      }
      // By index: a slice of the example's calls would retain their array for every turn.
      for k in turns[index].toolCallIndices {
        if let id = example.toolCalls[k].id { callIDs.insert(example.string(id, in: c.document)) }
      }
      if role == .tool && turns[index].isFunction {
        // A legacy function message answers a function_call by the function's name.
        if !turns[index].name.hasValue {
          c.report(
            .formatToolResponse, at: turns[index].node,
            "the function message has no \"name\" naming the function whose result it is")
        }
      } else if role == .tool {
        if let id = turns[index].toolCallID {
          let value = example.string(id, in: c.document)
          if !callIDs.contains(value) {
            c.report(
              .formatToolResponse, at: turns[index].node,
              "tool_call_id \(value.jsonQuoted) answers no earlier tool call of an assistant message"
            )
          }
        } else if format == .openaiChat {
          c.report(
            .formatToolResponse, at: turns[index].node,
            "the tool message has no \"tool_call_id\" naming the call it answers")
        }
      }
      if let previous, previous == role, role != .tool, role != .system, !c.droppedTurn {
        if requiresAlternation {
          c.report(
            .formatAlternation, at: turns[index].node,
            "two \(role.name) turns in a row: \(format.rawValue) requires turns to alternate between user and assistant"
          )
        } else {
          c.report(
            .formatConsecutiveRoles, at: turns[index].node,
            "two \(role.name) messages in a row: merge them or add the missing turn between them")
        }
      }
      if role != .system { previous = role }
    }
  }
}

/// The tool call ids seen so far in a conversation: a short list, and a set once there are
/// many (a record with thousands of calls made a linear search per tool message quadratic).
private struct CallIDs {
  private var list: [String] = []
  private var set: Set<String> = []

  mutating func insert(_ id: String) {
    if !set.isEmpty {
      set.insert(id)
    } else if list.count < 16 {
      list.append(id)
    } else {
      set = Set(list)
      set.insert(id)
      list = []
    }
  }

  func contains(_ id: String) -> Bool {
    set.isEmpty ? list.contains(id) : set.contains(id)
  }
}
