/// A fixed list of object keys, matched against an object's members in one pass.
///
/// Decoders look up several keys per object; matching each member once against the set is
/// far cheaper than one linear `member(_:_:)` search per key, and needs no allocation.
struct KeySet: Sendable {
  let names: [StaticString]
  private let keys: [[UInt8]]

  init(_ names: [StaticString]) {
    precondition(names.count <= 16, "a KeySet holds at most 16 keys")
    self.names = names
    self.keys = names.map { name in
      Array(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }
  }

  /// The index of the key equal to the raw bytes `raw`, or nil.
  @inline(__always)
  func index(of raw: UnsafeBufferPointer<UInt8>) -> Int? {
    for (i, key) in keys.enumerated() where key.count == raw.count {
      if key.withUnsafeBufferPointer({ memoryEqual($0, raw) }) { return i }
    }
    return nil
  }
}

/// The value node of each key of a ``KeySet`` in one object (-1 when absent).
struct MemberSlots {
  private var values = SIMD16<Int32>(repeating: -1)
  /// Keys of the object that are not in the set.
  var unknown: [Int] = []

  /// The value node of key `i`, or nil.
  @inline(__always) subscript(_ i: Int) -> Int? {
    let v = values[i]
    return v < 0 ? nil : Int(v)
  }

  fileprivate mutating func set(_ i: Int, _ node: Int) {
    values[i] = Int32(node)
  }
}

extension JSONDocument {
  /// Matches every member of `object` against `keys` in one pass (the last duplicate wins).
  func slots(_ object: Int, _ keys: KeySet) -> MemberSlots {
    var slots = MemberSlots()
    guard kind(object) == .object else { return slots }
    bytes.withUnsafeBufferPointer { p in
      var k = object + 1
      let end = next(object)
      while k < end {
        let raw = UnsafeBufferPointer(rebasing: p[rawRange(k)])
        if !hasEscapes(k), let i = keys.index(of: raw) {
          slots.set(i, k + 1)
        } else if hasEscapes(k), let i = keys.names.firstIndex(where: { $0.description == string(k) }) {
          slots.set(i, k + 1)
        } else {
          slots.unknown.append(k)
        }
        k = next(k + 1)
      }
    }
    return slots
  }
}

@inline(__always)
private func memoryEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
  guard a.count == b.count else { return false }
  var i = 0
  while i < a.count {
    if a[i] != b[i] { return false }
    i += 1
  }
  return true
}
