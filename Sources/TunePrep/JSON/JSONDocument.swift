/// The kind of one JSON value on a ``JSONDocument`` tape.
public enum JSONKind: UInt8, Sendable {
  case null, `false`, `true`, number, string, array, object

  /// The name used in messages ("expected string, found number").
  public var name: String {
    switch self {
    case .null: "null"
    case .false, .true: "boolean"
    case .number: "number"
    case .string: "string"
    case .array: "array"
    case .object: "object"
    }
  }
}

/// One value of a parsed document, stored flat in pre-order.
///
/// Containers know where their subtree ends, so walking siblings never recurses. An object's
/// children alternate key (a string node) and value.
public struct JSONNode: Sendable {
  /// What the value is.
  public var kind: JSONKind
  /// A flag whose meaning depends on the kind of value.
  ///
  /// For strings: the raw bytes contain a backslash escape. For numbers: the number has a fraction
  /// or an exponent.
  var flags: UInt8
  /// Byte offset of the value in the document's bytes.
  ///
  /// For a string, the first byte after the opening quote.
  var start: UInt32
  /// The length of the value.
  ///
  /// For strings and numbers, the raw byte length (without quotes). For containers, the number of
  /// elements (arrays) or members (objects).
  var length: UInt32
  /// Index of the first node after this value's subtree.
  var end: UInt32
}

/// A parsed JSON text as a flat tape of nodes that point into the original bytes.
///
/// Parsing allocates nothing per record once the tape has grown to fit: strings and numbers are
/// byte ranges, decoded only when a caller asks for them. The bytes are owned by the caller and
/// must outlive every access (see ``JSONDocument/withBytes``).
public struct JSONDocument: Sendable {
  /// The node tape; `nodes[0]` is the root once a parse succeeded.
  public internal(set) var nodes: [JSONNode] = []
  /// The bytes of the JSON text, which the nodes point into.
  public internal(set) var bytes: [UInt8] = []
  /// Duplicate keys, lone surrogates and out-of-range numbers found by the last parse.
  public internal(set) var warnings: [JSONWarning] = []
  /// The warnings of the last parse that were only counted, past ``JSONWarning/listedLimit``.
  public internal(set) var unlistedWarnings = UnlistedWarnings()

  /// Creates an empty document whose tape is reused by ``JSONParser``.
  public init() {
    nodes.reserveCapacity(256)
    bytes.reserveCapacity(4096)
  }

  /// The index of the root value.
  public var root: Int { 0 }

  /// The kind of node `i`.
  @inline(__always) public func kind(_ i: Int) -> JSONKind { nodes[i].kind }

  /// The element or member count of container `i`.
  @inline(__always) public func count(_ i: Int) -> Int { Int(nodes[i].length) }

  /// The index after the subtree of node `i`, that is, its next sibling.
  @inline(__always) public func next(_ i: Int) -> Int { Int(nodes[i].end) }

  /// The byte offset of node `i` (for a string, after its opening quote).
  @inline(__always) public func offset(_ i: Int) -> Int { Int(nodes[i].start) }

  /// Whether string node `i` has escapes, so its raw bytes differ from its value.
  @inline(__always) public func hasEscapes(_ i: Int) -> Bool { nodes[i].flags & 1 != 0 }

  /// Whether number node `i` is written as an integer (no fraction or exponent).
  @inline(__always) public func isIntegerLiteral(_ i: Int) -> Bool { nodes[i].flags & 1 == 0 }

  /// The raw byte range of a string (without quotes) or number node.
  @inline(__always) public func rawRange(_ i: Int) -> Range<Int> {
    let n = nodes[i]
    return Int(n.start)..<Int(n.start + n.length)
  }

  /// The element indices of array node `i`, in order.
  public func elements(_ i: Int) -> ChildSequence {
    ChildSequence(document: self, first: i + 1, end: next(i), stride: 1)
  }

  /// The members of object node `i`, in order, as (key index, value index) pairs.
  public func members(_ i: Int) -> MemberSequence {
    MemberSequence(document: self, first: i + 1, end: next(i))
  }

  /// Sibling iteration over an array's elements.
  public struct ChildSequence: Sequence, IteratorProtocol {
    let document: JSONDocument
    var current: Int
    let end: Int
    init(document: JSONDocument, first: Int, end: Int, stride: Int) {
      self.document = document
      self.current = first
      self.end = end
    }
    /// The next element index.
    public mutating func next() -> Int? {
      guard current < end else { return nil }
      let i = current
      current = document.next(i)
      return i
    }
  }

  /// Sibling iteration over an object's members.
  public struct MemberSequence: Sequence, IteratorProtocol {
    let document: JSONDocument
    var current: Int
    let end: Int
    init(document: JSONDocument, first: Int, end: Int) {
      self.document = document
      self.current = first
      self.end = end
    }
    /// The next (key, value) pair of node indices.
    public mutating func next() -> (key: Int, value: Int)? {
      guard current < end else { return nil }
      let key = current
      let value = key + 1
      current = document.next(value)
      return (key, value)
    }
  }
}
