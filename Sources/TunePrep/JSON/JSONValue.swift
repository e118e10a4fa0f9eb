/// A JSON value as a tree, for documents read once and kept (schemas, configuration).
///
/// Records are validated on the ``JSONDocument`` tape instead; this type is for the schema side.
/// `==` is JSON equality: numbers compare by value (`1 == 1.0`), object member order does not
/// matter, and strings compare by their decoded characters' scalars.
public enum JSONValue: Sendable, Equatable, CustomStringConvertible {
  case null
  case bool(Bool)
  /// A number, kept exactly as its decimal digits.
  case number(JSONNumber)
  case string(String)
  case array([JSONValue])
  /// An object's members in document order (duplicate keys keep their last value on lookup).
  case object([(key: String, value: JSONValue)])

  /// Builds the tree of node `index` of a parsed document.
  /// - Parameters:
  ///   - document: a successfully parsed document.
  ///   - index: the node to start from (default: the root).
  public init(_ document: JSONDocument, node index: Int = 0) {
    switch document.kind(index) {
    case .null: self = .null
    case .true: self = .bool(true)
    case .false: self = .bool(false)
    case .number:
      self = .number(JSONNumber(literal: document.bytes[document.rawRange(index)]))
    case .string: self = .string(document.string(index))
    case .array:
      self = .array(document.elements(index).map { JSONValue(document, node: $0) })
    case .object:
      self = .object(
        document.members(index).map {
          (key: document.string($0.key), value: JSONValue(document, node: $0.value))
        })
    }
  }

  /// Parses a JSON text into a tree.
  /// - Parameter text: one JSON text.
  /// - Throws: ``JSONSyntaxError`` if it is not JSON.
  public init(parsing text: String) throws(JSONSyntaxError) {
    var parser = JSONParser()
    var document = JSONDocument()
    try parser.parse(Array(text.utf8), into: &document)
    self.init(document)
  }

  /// The value of member `key` of an object (the last one if the key repeats), else nil.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.last(where: { $0.key == key })?.value
  }

  /// A copy with `values` appended to the array at `path` (object keys from this value down),
  /// or nil when there is no array there.
  public func appending(_ values: [JSONValue], toArrayAt path: ArraySlice<String>) -> JSONValue? {
    guard let key = path.first else {
      guard case .array(let items) = self else { return nil }
      return .array(items + values)
    }
    guard case .object(var members) = self,
      let index = members.lastIndex(where: { $0.key == key }),
      let changed = members[index].value.appending(values, toArrayAt: path.dropFirst())
    else { return nil }
    members[index].value = changed
    return .object(members)
  }

  /// The string, if this is one.
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The kind name used in messages: null, boolean, number, string, array, object.
  public var kindName: String {
    switch self {
    case .null: "null"
    case .bool: "boolean"
    case .number: "number"
    case .string: "string"
    case .array: "array"
    case .object: "object"
    }
  }

  /// Compact JSON text of the value.
  public var description: String {
    var out = ""
    write(to: &out)
    return out
  }

  private func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let n): out += n.literal
    case .string(let s): out += s.jsonQuoted
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        item.write(to: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      for (i, member) in members.enumerated() {
        if i > 0 { out += "," }
        out += member.key.jsonQuoted
        out += ":"
        member.value.write(to: &out)
      }
      out += "}"
    }
  }

  /// JSON equality: numbers by value, strings scalar by scalar, objects in any member order.
  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y
    case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      guard x.count == y.count else { return false }
      for member in x {
        guard let other = b[member.key], other == member.value else { return false }
      }
      return true
    default: return false
    }
  }
}

/// A JSON number: its literal text and its exact decimal value.
public struct JSONNumber: Sendable, Equatable {
  /// The number as written, such as `1.50`.
  public let literal: String
  /// The exact value.
  let decimal: JSONDecimal

  /// Reads a number literal already validated by ``JSONParser``.
  init(literal bytes: some Collection<UInt8>) {
    self.literal = String(decoding: bytes, as: UTF8.self)
    self.decimal = JSONDecimal(literal: bytes)
  }

  /// The nearest `Double`.
  public var doubleValue: Double { Double(literal) ?? decimal.double }

  /// The value as an `Int` when it is an integer that fits (`2.0` gives 2).
  public var intValue: Int? {
    guard let v = decimal.int64 else { return nil }
    return Int(v)
  }

  /// Numeric equality: `1 == 1.0`.
  public static func == (a: JSONNumber, b: JSONNumber) -> Bool { a.decimal == b.decimal }
}

// `string(_:)` is in JSONDocument+Access.swift.
extension JSONDocument {
  /// The decoded UTF-8 bytes of string node `i`.
  func stringBytes(_ i: Int) -> [UInt8] {
    let range = rawRange(i)
    if !hasEscapes(i) { return Array(bytes[range]) }
    var out: [UInt8] = []
    bytes.withUnsafeBufferPointer {
      appendDecodedJSONString(UnsafeBufferPointer(rebasing: $0[range]), to: &out)
    }
    return out
  }

  /// The exact value of number node `i`.
  func decimal(_ i: Int) -> JSONDecimal {
    JSONDecimal(literal: bytes[rawRange(i)])
  }
}
