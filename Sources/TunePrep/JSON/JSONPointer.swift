/// A JSON pointer (RFC 6901), parsed once and resolved against many records.
///
/// For example `/metadata/conversation_id` for `split --group`.
public struct JSONPointer: Sendable, Equatable, CustomStringConvertible {
  /// The reference tokens, unescaped (`~1` is `/`, `~0` is `~`).
  let tokens: [[UInt8]]
  /// The pointer as written.
  public let description: String

  /// Parses a pointer.
  /// - Parameter text: `""` (the whole record) or `/`-separated tokens.
  /// - Returns: nil when the text does not start with `/` or has a `~` not followed by 0 or 1.
  public init?(_ text: String) {
    description = text
    if text.isEmpty {
      tokens = []
      return
    }
    guard text.hasPrefix("/") else { return nil }
    var parsed: [[UInt8]] = []
    for piece in text.utf8.dropFirst().split(
      separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    {
      var token: [UInt8] = []
      var escaped = false
      for byte in piece {
        if escaped {
          switch byte {
          case UInt8(ascii: "0"): token.append(UInt8(ascii: "~"))
          case UInt8(ascii: "1"): token.append(UInt8(ascii: "/"))
          default: return nil
          }
          escaped = false
        } else if byte == UInt8(ascii: "~") {
          escaped = true
        } else {
          token.append(byte)
        }
      }
      if escaped { return nil }
      parsed.append(token)
    }
    tokens = parsed
  }

  /// The node the pointer refers to in `document`, or nil when it does not exist.
  ///
  /// Object keys compare by decoded value; duplicate keys resolve to the last one, as
  /// ``JSONDocument/member(_:_:)`` does.
  /// - Parameter document: a parsed record.
  func resolve(in document: JSONDocument) -> Int? {
    guard !document.nodes.isEmpty else { return nil }
    var current = document.root
    for token in tokens {
      switch document.kind(current) {
      case .object:
        var found: Int?
        for (key, value) in document.members(current) where keyEquals(document, key, token) {
          found = value
        }
        guard let found else { return nil }
        current = found
      case .array:
        guard let index = arrayIndex(token), index < document.count(current) else { return nil }
        var element = current + 1
        for _ in 0..<index { element = document.next(element) }
        current = element
      default:
        return nil
      }
    }
    return current
  }

  private func keyEquals(_ document: JSONDocument, _ key: Int, _ token: [UInt8]) -> Bool {
    if document.hasEscapes(key) {
      return Array(document.string(key).utf8) == token
    }
    let range = document.rawRange(key)
    guard range.count == token.count else { return false }
    return document.bytes.withUnsafeBufferPointer { p in
      var k = 0
      while k < token.count {
        if p[range.lowerBound + k] != token[k] { return false }
        k += 1
      }
      return true
    }
  }

  /// An RFC 6901 array index: `0` or digits without a leading zero.
  private func arrayIndex(_ token: [UInt8]) -> Int? {
    guard !token.isEmpty, token.count <= 18 else { return nil }
    if token.count > 1 && token[0] == UInt8(ascii: "0") { return nil }
    var value = 0
    for byte in token {
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
      value = value * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return value
  }
}
