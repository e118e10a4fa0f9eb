/// One record being decoded: its parsed document, where it is, and the findings so far.
///
/// Decoders report through ``report(_:at:_:)`` so every finding gets the record's file and
/// line, the byte column of the offending value and its JSON pointer.
struct RecordContext {
  /// The record's parsed document.
  ///
  /// Settable so that a ``RecordChecker`` can keep one context from record to record and parse each
  /// record straight into it.
  var document: JSONDocument
  private(set) var position: RecordPosition
  var findings: [Finding] = []
  /// Where ``location(atByte:)`` last stopped, so that the findings of a record, which come
  /// mostly in text order, cost one scan of its bytes in all, not one each.
  private var cursor = (offset: 0, at: TextPosition(line: 0, column: 0, characterColumn: 0))
  /// Parents of the document's nodes, built once a record has many findings.
  private var pointers: JSONPointerIndex?
  /// Whether the decoder left a turn out of the conversation for an error it reported (an
  /// unknown or missing role): the rules about turn order then see a conversation with a gap,
  /// and must not pile on ("starts with the assistant", "two user turns in a row").
  var droppedTurn = false

  init(document: JSONDocument, position: RecordPosition) {
    self.document = document
    self.position = position
    cursor = (0, start)
  }

  /// Readies this context for the next record, at `position`: its findings are emptied
  /// (keeping their storage) and its position moved (see ``RecordPosition/update(to:)``).
  mutating func begin(at position: RecordPosition) {
    if !findings.isEmpty { findings.removeAll(keepingCapacity: true) }
    self.position.update(to: position)
    cursor = (0, start)
    if pointers != nil { pointers = nil }
    droppedTurn = false
  }

  /// The line and byte column of byte `offset` of the record's document.
  mutating func location(atByte offset: Int) -> Location {
    let stop = min(max(offset, 0), document.bytes.count)
    if stop < cursor.offset { cursor = (0, start) }
    document.bytes.withUnsafeBufferPointer { bytes in
      // Offsets are where values start, so the run never splits a character.
      cursor.at.advance(over: UnsafeBufferPointer(rebasing: bytes[cursor.offset..<stop]))
    }
    cursor.offset = stop
    return Location(
      file: position.file, line: cursor.at.line, column: cursor.at.column,
      characterColumn: cursor.at.characterColumn)
  }

  /// Where the record starts.
  private var start: TextPosition {
    TextPosition(
      line: position.line, column: position.column, characterColumn: position.characterColumn)
  }

  /// The JSON pointer of value `node` of the record's document.
  ///
  /// Past a few findings, through an index of the nodes' parents: descending from the root per
  /// finding was quadratic in a record with thousands of findings.
  mutating func pointer(to node: Int) -> String {
    if findings.count < 8 || document.nodes.count >= 1 << 31 {
      return document.pointer(to: node)
    }
    if pointers == nil { pointers = JSONPointerIndex(document) }
    return pointers?.pointer(to: node, in: document) ?? document.pointer(to: node)
  }

  /// Reports `code` at value `node` (or the whole record when nil).
  mutating func report(
    _ code: FindingCode, at node: Int?, _ message: String, related: [Location] = []
  ) {
    guard let node, node < document.nodes.count else {
      findings.append(
        Finding(code, at: position.recordLocation, message: message, related: related))
      return
    }
    let location = location(atByte: document.sourceRange(node).lowerBound)
    findings.append(
      Finding(code, at: location, path: pointer(to: node), message: message, related: related))
  }

  /// Whether decoding found an error (so later, dependent rules should not pile on).
  var hasErrors: Bool { findings.contains { $0.severity == .error } }

  // MARK: Structure helpers

  /// Checks that `node` is of `kind`, reporting `schema.type` if not.
  ///
  /// Inlined, as it runs for most values of a record: the check is a load and a compare, and
  /// only a mismatch calls out (and builds the description `what`).
  @inline(__always)
  mutating func expect(_ node: Int, _ kind: JSONKind, _ what: @autoclosure () -> String) -> Bool {
    let actual = document.kind(node)
    if actual == kind || (kind == .true && actual == .false) { return true }
    reportType(node, expected: kind, found: actual, what())
    return false
  }

  /// Reports `schema.type`: `what` (node `node`) is `found` instead of `expected`.
  @inline(never)
  private mutating func reportType(
    _ node: Int, expected: JSONKind, found: JSONKind, _ what: String
  ) {
    report(.schemaType, at: node, "\(what) must be \(article(expected.name)), found \(found.name)")
  }

  /// The member `key` of `object`, reporting `schema.required` when it is missing.
  mutating func required(_ object: Int, _ key: StaticString, in what: @autoclosure () -> String)
    -> Int?
  {
    if let value = document.member(object, key) { return value }
    report(
      .schemaRequired, at: object == document.root ? nil : object,
      "\(what()) is missing the required \"\(key)\" field")
    return nil
  }

  /// A string member: nil if missing; reports `schema.type` for another type.
  mutating func optionalString(
    _ object: Int, _ key: StaticString, in what: @autoclosure () -> String
  ) -> Int? {
    guard let value = document.member(object, key) else { return nil }
    if document.kind(value) == .null { return nil }
    return expect(value, .string, "\"\(key)\"") ? value : nil
  }

  /// A required string member.
  mutating func requiredString(
    _ object: Int, _ key: StaticString, in what: @autoclosure () -> String
  ) -> Int? {
    guard let value = required(object, key, in: what()) else { return nil }
    return expect(value, .string, "\"\(key)\"") ? value : nil
  }

  /// Reports every key of `object` that is not in `allowed` as `schema.unknown-key`, and
  /// returns them (for formats that keep extra keys as metadata instead, call `unknownKeys`).
  mutating func rejectUnknownKeys(_ object: Int, allowed: [StaticString], in what: String) {
    reportUnknownKeys(unknownKeys(object, allowed: allowed), allowed: allowed, in: what)
  }

  /// Reports the unknown keys found by ``JSONDocument/slots(_:_:)``.
  mutating func rejectUnknownKeys(_ slots: MemberSlots, allowed keys: KeySet, in what: String) {
    reportUnknownKeys(document.unknownKeys(slots, keys), allowed: keys.names, in: what)
  }

  /// One `schema.unknown-key` per key name, at its first occurrence, with the closest allowed
  /// name as a hint: a key given twice (`json.duplicate-key`) is one unknown key, not two.
  private mutating func reportUnknownKeys(
    _ unknown: [Int], allowed: [StaticString], in what: String
  ) {
    var seen: Set<String> = []
    for key in unknown {
      let name = document.string(key)
      guard seen.insert(name).inserted else { continue }
      let hint =
        closest(name, allowed.map(\.description)).map { " (did you mean \"\($0)\"?)" } ?? ""
      report(.schemaUnknownKey, at: key, "\(what) has unknown key \(name.jsonQuoted)\(hint)")
    }
  }

  /// A string value: nil if absent or null; reports `schema.type` for another type.
  @inline(__always)
  mutating func stringValue(_ node: Int?, _ what: @autoclosure () -> String) -> Int? {
    guard let node, document.kind(node) != .null else { return nil }
    return expect(node, .string, what()) ? node : nil
  }

  /// The keys of `object` that are not in `allowed`.
  func unknownKeys(_ object: Int, allowed: [StaticString]) -> [Int] {
    var result: [Int] = []
    for (k, _) in document.members(object)
    where !allowed.contains(where: { document.stringEquals(k, $0) }) {
      result.append(k)
    }
    return result
  }
}

/// "a string", "an object".
func article(_ noun: String) -> String {
  let vowel = noun.first.map { "aeiou".contains($0) } ?? false
  return (vowel ? "an " : "a ") + noun
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
func closest(_ word: String, _ candidates: [String]) -> String? {
  var best: (String, Int)?
  let a = Array(word.lowercased().unicodeScalars)
  for candidate in candidates {
    let b = Array(candidate.unicodeScalars)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
      var previous = row[0]
      row[0] = i
      for j in 1...max(b.count, 1) where !b.isEmpty {
        let saved = row[j]
        row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
        previous = saved
      }
    }
    let distance = row[b.count]
    if distance <= max(1, b.count / 3), distance < (best?.1 ?? Int.max) {
      best = (candidate, distance)
    }
  }
  return best?.0
}
