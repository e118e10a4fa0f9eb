/// Which part of an example two records must share to be duplicates: `--key`.
public enum DedupeKey: String, Sendable, CaseIterable {
  /// The whole example: system prompt, every turn (with tool calls), tool definitions and, for
  /// preference data, both outputs.
  case conversation
  /// Everything before the final answer: system prompt, earlier turns and tool definitions.
  case input
  /// The final answer (the preferred output for preference data).
  case output
}

/// Builds the normalized key bytes of an example: one tagged part per text, so that moving
/// text between fields or roles gives a different key.
///
/// Layout: for each part a tag byte (0x01–0x0C; 0x0D for each further part of a text given as
/// parts; 0x0E for a part that is not text, whose canonical JSON follows), the normalized text,
/// and 0x1F; with ``weightZeroApart``, an empty part tagged 0x0F before each assistant message
/// with weight 0 and an empty part tagged 0x10 after it (its content and tool calls), which
/// ``Shingler`` reads as the start and end of context words. Control bytes
/// inside the text are escaped (0x1B, then the byte + 0x40; ``TextNormalizer`` writes them so
/// when it normalizes), so the layout is unambiguous and no two control characters compare
/// equal.
struct KeyBuilder {
  let key: DedupeKey
  let normalizer: TextNormalizer
  /// Always decode a text before normalizing it (the reference the fast path of
  /// ``TextNormalizer/appendJSONString(_:readable:to:)`` is tested against).
  let decodesFirst: Bool
  /// Marks each assistant message with weight 0: context, not a target.
  ///
  /// So an example differs from one that trains the same answer (dedupe), and the message's
  /// words are shingled apart from the same words trained (see ``marksContext``); split's
  /// units ignore weights, so that the same text never sits in two splits.
  let weightZeroApart: Bool
  /// Whether the last key built has a weight-0 message between context marks (0x0F … 0x10),
  /// whose words ``Shingler`` hashes as other words than the same words trained.
  private(set) var marksContext = false
  private var scratch: [UInt8] = []

  init(
    key: DedupeKey, normalization: TextNormalization, decodesFirst: Bool = false,
    weightZeroApart: Bool = false
  ) {
    self.key = key
    self.normalizer = TextNormalizer(mode: normalization)
    self.decodesFirst = decodesFirst
    self.weightZeroApart = weightZeroApart
    scratch.reserveCapacity(4096)
  }

  /// Appends the key bytes of `example` to `out`.
  /// - Returns: the example's size for `--keep longest`: the normalized key text bytes for the
  ///   `conversation` key, else the decoded bytes of all the example's text (so that among
  ///   records with the same input, the longest answer wins).
  mutating func build(_ example: Example, in document: JSONDocument, into out: inout [UInt8]) -> Int
  {
    marksContext = false
    let keySize = buildKey(example, in: document, into: &out)
    return key == .conversation ? keySize : textSize(example, document)
  }

  /// The decoded UTF-8 bytes of every text of the example.
  private mutating func textSize(_ example: Example, _ document: JSONDocument) -> Int {
    var total = 0
    func add(_ text: Text?) {
      guard let text else { return }
      switch text {
      case .owned(let i): total += example.texts[i].utf8.count
      case .parts:
        for case .text(let node) in example.parts(of: text) { add(.node(node)) }
      case .node(let i):
        if document.hasEscapes(i) {
          scratch.removeAll(keepingCapacity: true)
          document.appendString(i, to: &scratch)
          total += scratch.count
        } else {
          total += document.rawRange(i).count
        }
      }
    }
    add(example.system)
    for turns in [example.turns, example.preferred ?? [], example.nonPreferred ?? []] {
      for turn in turns {
        add(turn.content)
        for call in example.toolCalls(of: turn) {
          add(call.name)
          add(call.arguments)
        }
      }
    }
    return total
  }

  private mutating func buildKey(
    _ example: Example, in document: JSONDocument, into out: inout [UInt8]
  ) -> Int {
    var size = 0
    let includeInput = key != .output
    if includeInput, let system = example.system {
      size += part(0x01, system, of: example, document, &out)
    }
    // A turn is trivially copyable (its texts are node or table indices), so reading one by
    // value costs a few words and no reference counting.
    let turns = example.turns
    var finalIndex: Int?
    if !example.preferred.hasValue {
      finalIndex = turns.lastIndex { $0.role == .assistant }
    }
    for (i, turn) in turns.enumerated() {
      switch key {
      case .conversation: break
      case .input: if let finalIndex, i >= finalIndex { continue }
      case .output: if i != finalIndex { continue }
      }
      let context = weightZeroApart && turn.weight == 0 && turn.role == .assistant
      if context {
        marksContext = true
        out.append(0x0F)
        out.append(0x1F)
      }
      size += self.turn(turn, of: example, tag: 0x02 + turn.role.rawValue, document, &out)
      if context {
        out.append(0x10)
        out.append(0x1F)
      }
    }
    if includeInput, let tools = example.tools {
      out.append(0x0A)
      size += canonicalJSON(tools, document, &out)
      out.append(0x1F)
    }
    if key != .input, let preferred = example.preferred {
      for (i, turn) in preferred.enumerated() where key == .conversation || i == preferred.count - 1
      {
        size += self.turn(turn, of: example, tag: 0x0B, document, &out)
      }
    }
    if key == .conversation, let rejected = example.nonPreferred {
      for turn in rejected { size += self.turn(turn, of: example, tag: 0x0C, document, &out) }
    }
    return size
  }

  /// Appends the parts of one turn: its content, then each tool call's name and arguments.
  private mutating func turn(
    _ turn: Turn, of example: Example, tag: UInt8, _ document: JSONDocument, _ out: inout [UInt8]
  ) -> Int {
    var size = 0
    if let content = turn.content { size += part(tag, content, of: example, document, &out) }
    for call in example.toolCalls(of: turn) {
      if let name = call.name { size += part(0x08, name, of: example, document, &out) }
      if let arguments = call.arguments {
        size += part(0x09, arguments, of: example, document, &out)
      }
    }
    return size
  }

  /// Appends one tagged, normalized, escaped text part.
  private mutating func part(
    _ tag: UInt8, _ text: Text, of example: Example, _ document: JSONDocument, _ out: inout [UInt8]
  ) -> Int {
    if case .parts = text {
      // One key part per text part; the parts after the first get their own tag, so parts
      // never equal their concatenation nor a run of separate turns. A part that is not text
      // (an image, a file) is keyed by its canonical JSON under tag 0x0E, so two records that
      // differ only in their image are not duplicates; it adds nothing to the size.
      var size = 0
      var partTag = tag
      for content in example.parts(of: text) {
        switch content {
        case .text(let node):
          size += part(partTag, .node(node), of: example, document, &out)
        case .other(let node):
          out.append(0x0E)
          _ = canonicalJSON(node, document, &out)
          out.append(0x1F)
        }
        partTag = 0x0D
      }
      return size
    }
    if !decodesFirst, case .node(let i) = text {
      // Usually normalized straight from the record's bytes, without a decoded copy, and
      // written with its tag and terminator at once.
      let normalizer = self.normalizer
      let size = document.bytes.withUnsafeBufferPointer { bytes in
        let range = document.rawRange(i)
        return normalizer.appendJSONString(
          UnsafeBufferPointer(rebasing: bytes[range]), readable: bytes.count - range.lowerBound,
          tag: tag, terminator: 0x1F, to: &out)
      }
      if let size { return size }
    }
    out.append(tag)
    let start = out.count
    scratch.removeAll(keepingCapacity: true)
    example.append(text, in: document, to: &scratch)
    scratch.withUnsafeBufferPointer { normalizer.append($0, to: &out) }
    let size = out.count - start
    if normalizer.mode == .none { escapeControlBytes(&out, from: start) }
    out.append(0x1F)
    return size
  }

  /// A canonical form of a JSON value: kinds, keys and decoded strings, so that two tool lists
  /// that differ only in spacing or escapes give the same bytes.
  fileprivate mutating func canonicalJSON(
    _ node: Int, _ document: JSONDocument, _ out: inout [UInt8]
  ) -> Int {
    switch document.kind(node) {
    case .object:
      out.append(UInt8(ascii: "{"))
      var size = 0
      for (k, v) in document.members(node) {
        size += canonicalJSON(k, document, &out)
        out.append(UInt8(ascii: ":"))
        size += canonicalJSON(v, document, &out)
      }
      out.append(UInt8(ascii: "}"))
      return size
    case .array:
      out.append(UInt8(ascii: "["))
      var size = 0
      for e in document.elements(node) { size += canonicalJSON(e, document, &out) }
      out.append(UInt8(ascii: "]"))
      return size
    case .string:
      out.append(0x02)
      let start = out.count
      document.appendString(node, to: &out)
      escapeControlBytes(&out, from: start)
      out.append(0x03)
      return out.count - start - 1
    case .number, .null, .true, .false:
      let start = out.count
      document.bytes.withUnsafeBufferPointer {
        out.append(contentsOf: $0[document.sourceRange(node)])
      }
      out.append(UInt8(ascii: ","))
      return out.count - start
    }
  }
}

/// Escapes control bytes other than whitespace in `out[start...]` so that text can never
/// contain a tag or a terminator.
func escapeControlBytes(_ out: inout [UInt8], from start: Int) {
  let needed = out.withUnsafeBufferPointer { p in
    var k = start
    while k < p.count {
      let b = p[k]
      if b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D { return true }
      k += 1
    }
    return false
  }
  guard needed else { return }
  let tail = Array(out[start...])
  out.removeSubrange(start...)
  for b in tail {
    if b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D {
      out.append(0x1B)
      out.append(b &+ 0x40)
    } else {
      out.append(b)
    }
  }
}

extension KeyBuilder {
  /// Appends the key bytes of a record that has no example (`--format json`): the whole
  /// value in canonical form.
  /// - Returns: the number of key bytes.
  mutating func buildWhole(_ document: JSONDocument, into out: inout [UInt8]) -> Int {
    marksContext = false
    return canonicalJSON(document.root, document, &out)
  }
}
