extension JSONDocument {
  /// Whether string node `i` equals `literal` (an ASCII key such as `"role"`).
  /// - Complexity: O(length); no allocation unless the string has escapes.
  public func stringEquals(_ i: Int, _ literal: StaticString) -> Bool {
    guard kind(i) == .string else { return false }
    let r = rawRange(i)
    if hasEscapes(i) {
      return string(i) == literal.description
    }
    guard r.count == literal.utf8CodeUnitCount else { return false }
    let lit = literal.utf8Start
    return bytes.withUnsafeBufferPointer { p in
      var k = 0
      while k < r.count {
        if p[r.lowerBound + k] != lit[k] { return false }
        k += 1
      }
      return true
    }
  }

  /// The decoded value of string node `i`.
  public func string(_ i: Int) -> String {
    let r = rawRange(i)
    return bytes.withUnsafeBufferPointer { p in
      let raw = UnsafeBufferPointer(rebasing: p[r])
      if !hasEscapes(i) {
        return String(decoding: raw, as: UTF8.self)
      }
      return decodeJSONString(raw)
    }
  }

  /// Appends the decoded UTF-8 bytes of string node `i` to `out`.
  public func appendString(_ i: Int, to out: inout [UInt8]) {
    let r = rawRange(i)
    bytes.withUnsafeBufferPointer { p in
      let raw = UnsafeBufferPointer(rebasing: p[r])
      if hasEscapes(i) {
        appendDecodedJSONString(raw, to: &out)
      } else {
        out.append(contentsOf: raw)
      }
    }
  }

  /// The raw JSON text of node `i` (for a string, without quotes).
  public func rawText(_ i: Int) -> String {
    let r = rawRange(i)
    return bytes.withUnsafeBufferPointer {
      String(decoding: UnsafeBufferPointer(rebasing: $0[r]), as: UTF8.self)
    }
  }

  /// The exact JSON source bytes of value `i`, quotes and nested values included.
  public func sourceRange(_ i: Int) -> Range<Int> {
    switch kind(i) {
    case .string:
      let r = rawRange(i)
      return (r.lowerBound - 1)..<(r.upperBound + 1)
    case .number, .null, .true, .false:
      return rawRange(i)
    case .array, .object:
      // The container ends at the byte after its last descendant's source, then its bracket.
      let start = offset(i)
      var end = start + 1
      if next(i) > i + 1 {
        end = sourceRange(lastChild(i)).upperBound
      }
      return bytes.withUnsafeBufferPointer { p in
        let close: UInt8 = kind(i) == .object ? UInt8(ascii: "}") : UInt8(ascii: "]")
        var k = end
        while k < p.count && p[k] != close { k += 1 }
        return start..<min(k + 1, p.count)
      }
    }
  }

  private func lastChild(_ i: Int) -> Int {
    var child = i + 1
    var last = child
    while child < next(i) {
      last = child
      child = next(child)
    }
    return last
  }

  /// The value of member `key` of object node `object`, or nil (the last one if duplicated,
  /// as most JSON libraries read it).
  public func member(_ object: Int, _ key: StaticString) -> Int? {
    guard kind(object) == .object else { return nil }
    var found: Int?
    for (k, v) in members(object) where stringEquals(k, key) {
      found = v
    }
    return found
  }

  /// The numeric value of number node `i`, if it fits a Double.
  public func double(_ i: Int) -> Double? {
    guard kind(i) == .number else { return nil }
    return Double(rawText(i))
  }

  /// Whether string node `i` is empty or only whitespace: Unicode White_Space after decoding
  /// its escapes (``isBlankText(_:jsonEscaped:)``, the one definition of blank).
  ///
  /// Inlined for its first byte, which settles almost every string (text starts with a visible
  /// ASCII character); only a string starting with anything else is scanned, out of line.
  @inline(__always)
  public func isBlankString(_ i: Int) -> Bool {
    let node = nodes[i]
    if node.length == 0 { return true }
    let first = bytes[Int(node.start)]
    if first > 0x20 && first < 0x7F && first != UInt8(ascii: "\\") { return false }
    return isBlankRun(rawRange(i))
  }

  /// ``isBlankString(_:)`` past the first byte.
  @inline(never)
  private func isBlankRun(_ r: Range<Int>) -> Bool {
    bytes.withUnsafeBufferPointer { p in
      isBlankText(UnsafeBufferPointer(rebasing: p[r]), jsonEscaped: true)
    }
  }

  /// The node a JSON pointer (RFC 6901) names, the reverse of ``pointer(to:)``.
  ///
  /// For a finding's position only: it walks the document and decodes keys, so it is for the
  /// error path, not per record. With duplicate keys it takes the first member of that name.
  /// - Parameter pointer: the pointer, such as `/messages/1/content` ("" is the whole document).
  /// - Returns: the node, or nil when the pointer names no value of this document.
  func node(atPointer pointer: String) -> Int? {
    guard root < nodes.count else { return nil }
    var current = root
    guard !pointer.isEmpty else { return current }
    var tokens = pointer.unicodeScalars.split(separator: "/", omittingEmptySubsequences: false)
    guard tokens.first?.isEmpty == true else { return nil }
    tokens.removeFirst()
    for scalars in tokens {
      var token = ""
      var tilde = false
      for scalar in scalars {
        if tilde {
          token.unicodeScalars.append(scalar == "1" ? "/" : scalar == "0" ? "~" : scalar)
          tilde = false
        } else if scalar == "~" {
          tilde = true
        } else {
          token.unicodeScalars.append(scalar)
        }
      }
      switch kind(current) {
      case .object:
        guard let member = members(current).first(where: { string($0.key) == token }) else {
          return nil
        }
        current = member.value
      case .array:
        guard let index = Int(token), index >= 0,
          let element = elements(current).dropFirst(index).first(where: { _ in true })
        else { return nil }
        current = element
      default:
        return nil
      }
    }
    return current
  }

  /// The JSON pointer (RFC 6901) of node `target`, found by descending from the root.
  /// - Complexity: O(depth × siblings); meant for findings, not the hot path.
  public func pointer(to target: Int) -> String {
    var path = ""
    var current = root
    while current != target && current < nodes.count {
      switch kind(current) {
      case .array:
        var index = 0
        var child = current + 1
        while child < next(current) && next(child) <= target {
          child = next(child)
          index += 1
        }
        guard child < next(current) else { return path }
        path += "/\(index)"
        current = child
      case .object:
        var found = false
        for (k, v) in members(current) where target == k || (v <= target && target < next(v)) {
          let name = string(k).replacingTilde()
          path += "/" + name
          current = target == k ? target : v
          found = true
          break
        }
        if !found { return path }
      default:
        return path
      }
    }
    return path
  }
}

/// Every node's parent and place in it, so that the JSON pointers of many nodes of one
/// document cost their depth each.
///
/// ``JSONDocument/pointer(to:)`` descends from the root and counts siblings on the way, which
/// is right for the one or two findings of an ordinary record; a record with thousands of
/// findings (40,000 repeated user messages, each `format.consecutive-roles`) made that
/// quadratic: 31 s for a 1 MB line. Building the index is one pass over the tape.
struct JSONPointerIndex {
  /// The parent of each node; `UInt32.max` for the root.
  private var parent: [UInt32]
  /// Each node's place in its parent: the element index in an array, or for an object member
  /// (its key and its value alike) the key's node index with the top bit set.
  private var place: [UInt32]
  private static let memberFlag: UInt32 = 1 << 31

  init(_ document: JSONDocument) {
    let count = document.nodes.count
    parent = [UInt32](repeating: UInt32.max, count: count)
    place = [UInt32](repeating: 0, count: count)
    for node in 0..<count {
      switch document.kind(node) {
      case .array:
        var child = node + 1
        var index: UInt32 = 0
        while child < document.next(node) {
          parent[child] = UInt32(truncatingIfNeeded: node)
          place[child] = index
          index &+= 1
          child = document.next(child)
        }
      case .object:
        var key = node + 1
        while key < document.next(node) {
          let tag = UInt32(truncatingIfNeeded: key) | Self.memberFlag
          parent[key] = UInt32(truncatingIfNeeded: node)
          place[key] = tag
          parent[key + 1] = UInt32(truncatingIfNeeded: node)
          place[key + 1] = tag
          key = document.next(key + 1)
        }
      default:
        break
      }
    }
  }

  /// The JSON pointer of node `target`, the same text as ``JSONDocument/pointer(to:)``.
  func pointer(to target: Int, in document: JSONDocument) -> String {
    guard target >= 0, target < parent.count else { return "" }
    var segments: [String] = []
    var current = target
    while parent[current] != UInt32.max {
      let tag = place[current]
      if tag & Self.memberFlag != 0 {
        segments.append("/" + document.string(Int(tag & ~Self.memberFlag)).replacingTilde())
      } else {
        segments.append("/\(tag)")
      }
      current = Int(parent[current])
    }
    return segments.reversed().joined()
  }
}

extension String {
  /// Escapes `~` and `/` for a JSON pointer segment.
  ///
  /// It works on Unicode scalars: a key such as "~\u{301}" (a tilde with a combining accent) is
  /// one `Character` that is not equal to "~", so a `Character`-level check would leave the tilde
  /// or slash raw and the pointer in the report would name another value.
  fileprivate func replacingTilde() -> String {
    guard unicodeScalars.contains(where: { $0 == "~" || $0 == "/" }) else { return self }
    var out = ""
    for scalar in unicodeScalars {
      switch scalar {
      case "~": out += "~0"
      case "/": out += "~1"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}
