/// A fixed list of object keys, matched against an object's members in one pass.
///
/// Decoders look up several keys per object; matching each member once against the set is
/// far cheaper than one linear `member(_:_:)` search per key, and needs no allocation.
struct KeySet: Sendable {
  let names: [StaticString]
  /// One trivial entry per key, so a lookup touches no reference-counted storage per candidate.
  private struct Entry {
    /// The key's first (up to) eight bytes.
    var first: WordPrefix
    /// The key's bytes eight to sixteen, so that keys of up to sixteen bytes (`"assistant"`,
    /// `"tool_call_id"`) match with a second word compare.
    var second: WordPrefix
    var length: Int
    /// Where the key's bytes start in `arena`.
    var start: Int
  }
  private let entries: [Entry]
  /// The keys' bytes, end to end (read only for keys longer than sixteen bytes).
  private let arena: [UInt8]

  init(_ names: [StaticString]) {
    precondition(names.count <= 16, "a KeySet holds at most 16 keys")
    self.names = names
    var entries: [Entry] = []
    var arena: [UInt8] = []
    for name in names {
      let bytes = Array(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
      entries.append(
        Entry(
          first: WordPrefix(bytes), second: WordPrefix(bytes.dropFirst(8)), length: bytes.count,
          start: arena.count))
      arena += bytes
    }
    self.entries = entries
    self.arena = arena
  }

  /// The index of the key equal to the `count` raw bytes at `start` of `p`, or nil.
  @inline(__always)
  func index(in p: UnsafeBufferPointer<UInt8>, start: Int, count: Int) -> Int? {
    let word = littleEndianWord(p, at: start)
    return entries.withUnsafeBufferPointer { entries in
      var i = 0
      while i < entries.count {
        let e = entries[i]
        if e.length == count && e.first.matches(word) {
          if count <= 8 || secondWordMatches(e, p, start) { return i }
        }
        i &+= 1
      }
      return nil
    }
  }

  /// Whether the bytes after the first eight of a key as long as `e` equal that key's: one
  /// word compare up to sixteen bytes.
  @inline(__always)
  private func secondWordMatches(_ e: Entry, _ p: UnsafeBufferPointer<UInt8>, _ start: Int) -> Bool
  {
    e.second.matches(littleEndianWord(p, at: start &+ 8))
      && (e.length <= 16 || tailMatches(e, p, start))
  }

  /// Whether the bytes after the first sixteen of a key as long as `e` equal that key's.
  ///
  /// Out of line: keys are rarely that long, and the hot loop stays small.
  @inline(never)
  private func tailMatches(_ e: Entry, _ p: UnsafeBufferPointer<UInt8>, _ start: Int) -> Bool {
    arena.withUnsafeBufferPointer { a in
      var j = 16
      while j < e.length && a[e.start &+ j] == p[start &+ j] { j &+= 1 }
      return j >= e.length
    }
  }
}

/// The value node of each key of a ``KeySet`` in one object (-1 when absent).
///
/// A trivial value (no array inside), so making and dropping one per object costs nothing;
/// the unknown keys themselves are looked up again only when there are any.
struct MemberSlots {
  /// The value node of each key, or `UInt32.max`.
  private var values = SIMD16<UInt32>(repeating: .max)
  /// The object the slots were filled from.
  let object: Int
  /// How many keys of the object are not in the set.
  private(set) var unknownCount = 0

  init(object: Int) {
    self.object = object
  }

  /// The value node of key `i`, or nil.
  @inline(__always) subscript(_ i: Int) -> Int? {
    let v = values[i]
    return v == .max ? nil : Int(v)
  }

  fileprivate mutating func set(_ i: Int, _ node: Int) {
    // One store into the lane (a SIMD lane set with a variable index spills and reloads the
    // whole vector). Node indices fit the tape's 32-bit `end` fields.
    precondition(i >= 0 && i < 16)
    withUnsafeMutableBytes(of: &values) {
      $0.storeBytes(of: UInt32(truncatingIfNeeded: node), toByteOffset: i &* 4, as: UInt32.self)
    }
  }

  fileprivate mutating func countUnknown() {
    unknownCount += 1
  }
}

extension JSONDocument {
  /// Matches every member of `object` against `keys` in one pass (the last duplicate wins).
  func slots(_ object: Int, _ keys: KeySet) -> MemberSlots {
    var slots = MemberSlots(object: object)
    nodes.withUnsafeBufferPointer { nodes in
      guard object < nodes.count, nodes[object].kind == .object else { return }
      bytes.withUnsafeBufferPointer { p in
        var k = object &+ 1
        let end = Int(nodes[object].end)
        while k < end {
          let key = nodes[k]
          let i =
            key.flags & 1 == 0
            ? keys.index(in: p, start: Int(key.start), count: Int(key.length))
            : decodedIndex(of: k, in: keys)
          if let i {
            slots.set(i, k &+ 1)
          } else {
            slots.countUnknown()
          }
          k = Int(nodes[k &+ 1].end)
        }
      }
    }
    return slots
  }

  /// The keys of the object of `slots` that are not in `keys`, in order.
  func unknownKeys(_ slots: MemberSlots, _ keys: KeySet) -> [Int] {
    guard slots.unknownCount > 0 else { return [] }
    return members(slots.object).compactMap { key, _ in index(of: key, in: keys) == nil ? key : nil
    }
  }
}

extension JSONDocument {
  /// The index in `keys` of the value of string node `i` (a role name, a type tag), or nil
  /// when it is none of them or not a string.
  func index(of i: Int, in keys: KeySet) -> Int? {
    let node = nodes[i]
    guard node.kind == .string else { return nil }
    if node.flags & 1 != 0 {
      return decodedIndex(of: i, in: keys)
    }
    return plainIndex(of: i, in: keys)
  }

  /// ``index(of:in:)`` for a string with escapes, compared by its decoded value (rare: out of
  /// line, so the callers' loops stay small).
  @inline(never)
  private func decodedIndex(of i: Int, in keys: KeySet) -> Int? {
    let value = string(i)
    return keys.names.firstIndex { $0.description == value }
  }
}

/// One short key (at most eight bytes) as a single zero-padded little-endian word.
///
/// Objects of one common shape (a chat message's `{"role": …, "content": …}`) are recognised
/// by comparing each member's key against one of these: a length compare and one masked word
/// compare, with none of a ``KeySet``'s per-object setup.
struct PlainKey: Sendable {
  /// The key's bytes.
  let word: WordPrefix
  let length: UInt32

  init(_ name: StaticString) {
    precondition(name.utf8CodeUnitCount <= 8, "a PlainKey holds at most eight bytes")
    let bytes = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
    word = WordPrefix(bytes)
    length = UInt32(bytes.count)
  }
}

extension JSONDocument {
  /// The value nodes of an object that holds exactly the two members `first` and `second`, in
  /// that order, both keys written without escapes; nil for any other object (decode those
  /// through ``slots(_:_:)``).
  @inline(__always)
  func plainPair(_ object: Int, _ first: PlainKey, _ second: PlainKey) -> (first: Int, second: Int)?
  {
    nodes.withUnsafeBufferPointer { n in
      bytes.withUnsafeBufferPointer { p in
        guard object < n.count, n[object].kind == .object, n[object].length == 2 else { return nil }
        let firstKey = object &+ 1
        guard isPlain(n[firstKey], first, p) else { return nil }
        let secondKey = Int(n[firstKey &+ 1].end)
        guard isPlain(n[secondKey], second, p) else { return nil }
        return (firstKey &+ 1, secondKey &+ 1)
      }
    }
  }

  /// The value node of an object that holds exactly one member, `key`, written without
  /// escapes; nil for any other object.
  @inline(__always)
  func soleMember(_ object: Int, _ key: PlainKey) -> Int? {
    nodes.withUnsafeBufferPointer { n in
      bytes.withUnsafeBufferPointer { p in
        guard object < n.count, n[object].kind == .object, n[object].length == 1,
          isPlain(n[object &+ 1], key, p)
        else { return nil }
        return object &+ 2
      }
    }
  }

  /// The index in `keys` of string node `i` written without escapes, or nil (for another
  /// value, an escaped string or a name not in `keys`, which ``index(of:in:)`` tells apart).
  @inline(__always)
  func plainIndex(of i: Int, in keys: KeySet) -> Int? {
    let node = nodes[i]
    guard node.kind == .string, node.flags & 1 == 0 else { return nil }
    return bytes.withUnsafeBufferPointer {
      keys.index(in: $0, start: Int(node.start), count: Int(node.length))
    }
  }

  /// Whether `node` is a string equal to `key` and written without escapes.
  @inline(__always)
  private func isPlain(_ node: JSONNode, _ key: PlainKey, _ p: UnsafeBufferPointer<UInt8>) -> Bool {
    node.kind == .string && node.flags & 1 == 0 && node.length == key.length
      && key.word.matches(littleEndianWord(p, at: Int(node.start)))
  }
}
