/// One compiled (sub)schema: the checks its keywords make, in evaluation order.
///
/// Nodes are created before they are filled so that `$ref` cycles link to the same object;
/// they are mutated only while ``SchemaCompiler`` runs and are immutable once a
/// ``CompiledSchema`` is returned, which is what makes sharing them across threads safe.
final class SchemaNode: @unchecked Sendable {
  /// The checks, with `unevaluatedItems`/`unevaluatedProperties` last.
  @exclusivity(unchecked) var checks: [SchemaCheck] = []
  /// A copy of `checks` that the evaluator walks without reference counting; made by
  /// ``freeze()`` when compilation ends and released by ``SchemaProgram``.
  @exclusivity(unchecked) private(set) var frozen = UnsafeMutableBufferPointer<SchemaCheck>(
    start: nil, count: 0)
  /// The schema resource this node belongs to (for the `$dynamicRef` dynamic scope).
  @exclusivity(unchecked) var resource: Int = 0
  /// Whether a check needs the annotations of its sibling keywords.
  @exclusivity(unchecked) var hasUnevaluated = false
  /// The schema location of the node, such as `/properties/messages`.
  let location: String
  /// True for the `false` schema (lets `additionalProperties: false` say "unknown property").
  @exclusivity(unchecked) var isFalse = false

  init(location: String) {
    self.location = location
  }

  /// Copies `checks` into ``frozen``; called once, after every node is compiled.
  func freeze() {
    let buffer = UnsafeMutableBufferPointer<SchemaCheck>.allocate(capacity: checks.count)
    _ = buffer.initialize(from: checks)
    frozen = buffer
  }

  /// Releases ``frozen`` and the links to other nodes, breaking `$ref` cycles.
  func release() {
    if frozen.count > 0 {
      frozen.deinitialize()
    }
    frozen.deallocate()
    frozen = UnsafeMutableBufferPointer(start: nil, count: 0)
    checks = []
  }
}

/// A property name, both as text (for messages) and as UTF-8 bytes (for comparison on the tape).
struct PropertyKey: Sendable {
  let name: String
  let bytes: [UInt8]
  init(_ name: String) {
    self.name = name
    self.bytes = Array(name.utf8)
  }
}

/// A numeric limit, with an `Int64` copy for the fast path.
final class NumberBound: Sendable {
  let decimal: JSONDecimal
  let int: Int64?
  let text: String
  init(_ number: JSONNumber) {
    decimal = number.decimal
    int = number.decimal.int64
    text = number.literal
  }
}

/// `properties`, `patternProperties` and `additionalProperties` of one schema, evaluated together.
///
/// A class, so that a check holds one reference; filled by ``CheckBuilder`` before publication.
final class PropertiesCheck: @unchecked Sendable {
  @exclusivity(unchecked) var names: [PropertyKey] = []
  @exclusivity(unchecked) var schemas: [SchemaNode] = []
  @exclusivity(unchecked) var patterns: [(regex: ECMARegex, schema: SchemaNode)] = []
  @exclusivity(unchecked) var additional: SchemaNode?
  @exclusivity(unchecked) var additionalLocation = ""
  @exclusivity(unchecked) var additionalKeyword = "additionalProperties"
}

/// An `enum` whose values are all strings: their UTF-8 bytes, and the values for messages.
final class EnumTable: Sendable {
  let strings: [[UInt8]]
  let values: [JSONValue]
  init(strings: [[UInt8]], values: [JSONValue]) {
    self.strings = strings
    self.values = values
  }
}

/// `prefixItems` + `items` (2020-12) or array-form `items` + `additionalItems` (draft 7).
final class ItemsCheck: Sendable {
  let prefix: [SchemaNode]
  let rest: SchemaNode?
  let restKeyword: String
  let restLocation: String
  init(prefix: [SchemaNode], rest: SchemaNode?, restKeyword: String, restLocation: String) {
    self.prefix = prefix
    self.rest = rest
    self.restKeyword = restKeyword
    self.restLocation = restLocation
  }
}

/// `if`, `then` and `else`.
final class ConditionalCheck: Sendable {
  let condition: SchemaNode
  let then: SchemaNode?
  let otherwise: SchemaNode?
  init(condition: SchemaNode, then: SchemaNode?, otherwise: SchemaNode?) {
    self.condition = condition
    self.then = then
    self.otherwise = otherwise
  }
}

/// One keyword's compiled check.
struct SchemaCheck: Sendable {
  /// What the check does.
  var op: SchemaOp
  /// Where the check comes from; one reference, so copying a check stays cheap.
  let site: CheckSite

  init(op: SchemaOp, keyword: String, location: String) {
    self.op = op
    self.site = CheckSite(keyword: keyword, location: location)
  }

  /// The keyword name, such as `enum`.
  var keyword: String { site.keyword }
  /// The schema location of the keyword.
  var location: String { site.location }
}

/// The keyword and schema location of a check, used only to build errors.
final class CheckSite: Sendable {
  let keyword: String
  let location: String
  init(keyword: String, location: String) {
    self.keyword = keyword
    self.location = location
  }
}

/// The checks the validator knows, one per keyword (or group of keywords evaluated together).
enum SchemaOp: Sendable {
  case alwaysFalse
  /// A bit set of ``SchemaTypes``.
  case type(UInt8)
  case enumeration([JSONValue])
  /// An `enum` whose values are all strings, compared as raw bytes on the tape.
  case enumStrings(EnumTable)
  case constant(JSONValue)
  /// A `const` string, compared as raw bytes on the tape (the table holds one entry).
  case constantString(EnumTable)
  case minimum(NumberBound, exclusive: Bool)
  case maximum(NumberBound, exclusive: Bool)
  case multipleOf(NumberBound)
  case minLength(Int)
  case maxLength(Int)
  case pattern(ECMARegex)
  case minItems(Int)
  case maxItems(Int)
  case uniqueItems
  case minProperties(Int)
  case maxProperties(Int)
  case required([PropertyKey])
  case dependentRequired([(key: PropertyKey, required: [PropertyKey])])
  case properties(PropertiesCheck)
  case propertyNames(SchemaNode)
  /// `prefixItems` + `items` (2020-12) or array-form `items` + `additionalItems` (draft 7).
  case items(ItemsCheck)
  case contains(SchemaNode, min: Int, max: Int?)
  case allOf([SchemaNode])
  case anyOf([SchemaNode])
  case oneOf([SchemaNode])
  case not(SchemaNode)
  case conditional(ConditionalCheck)
  case dependentSchemas([(key: PropertyKey, schema: SchemaNode)])
  case ref(SchemaNode)
  /// A `$dynamicRef`: its static target, and the anchor name to look up in the dynamic scope
  /// when the static target carries a matching `$dynamicAnchor`.
  case dynamicRef(SchemaNode, anchor: String?)
  case unevaluatedProperties(SchemaNode)
  case unevaluatedItems(SchemaNode)
  case format(SchemaFormat)
}

/// The bits of a `type` check.
enum SchemaTypes {
  static let null: UInt8 = 1
  static let boolean: UInt8 = 2
  static let object: UInt8 = 4
  static let array: UInt8 = 8
  static let number: UInt8 = 16
  static let string: UInt8 = 32
  static let integer: UInt8 = 64

  static let names: [(String, UInt8)] = [
    ("null", null), ("boolean", boolean), ("object", object), ("array", array),
    ("number", number), ("string", string), ("integer", integer),
  ]

  /// "string or array" for messages.
  static func describe(_ mask: UInt8) -> String {
    let parts = names.filter { mask & $0.1 != 0 && !($0.1 == integer && mask & number != 0) }.map(
      \.0)
    if parts.count <= 1 { return parts.first ?? "nothing" }
    return parts.dropLast().joined(separator: ", ") + " or " + (parts.last ?? "")
  }
}
