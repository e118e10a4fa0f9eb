/// One compiled (sub)schema: the checks its keywords make, in evaluation order.
///
/// Nodes are created before they are filled so that `$ref` cycles link to the same object;
/// they are mutated only while ``SchemaCompiler`` runs and are immutable once a
/// ``CompiledSchema`` is returned, which is what makes sharing them across threads safe.
final class SchemaNode: @unchecked Sendable {
  /// The checks, with `unevaluatedItems`/`unevaluatedProperties` last.
  var checks: [SchemaCheck] = []
  /// The schema resource this node belongs to (for the `$dynamicRef` dynamic scope).
  var resource: Int = 0
  /// Whether a check needs the annotations of its sibling keywords.
  var hasUnevaluated = false
  /// The schema location of the node, e.g. `/properties/messages`.
  let location: String
  /// True for the `false` schema (lets `additionalProperties: false` say "unknown property").
  var isFalse = false

  init(location: String) {
    self.location = location
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
struct NumberBound: Sendable {
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
struct PropertiesCheck: Sendable {
  var names: [PropertyKey] = []
  var schemas: [SchemaNode] = []
  var patterns: [(regex: ECMARegex, schema: SchemaNode)] = []
  var additional: SchemaNode?
  var additionalLocation = ""
  var additionalKeyword = "additionalProperties"
}

/// One keyword's compiled check.
struct SchemaCheck: Sendable {
  /// What the check does.
  var op: SchemaOp
  /// The keyword name, e.g. `enum`.
  var keyword: String
  /// The schema location of the keyword.
  var location: String
}

/// The checks the validator knows, one per keyword (or group of keywords evaluated together).
enum SchemaOp: Sendable {
  case alwaysFalse
  /// A bit set of ``SchemaTypes``.
  case type(UInt8)
  case enumeration([JSONValue])
  /// An `enum` whose values are all strings, compared as raw bytes on the tape.
  case enumStrings([[UInt8]], values: [JSONValue])
  case constant(JSONValue)
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
  case items(prefix: [SchemaNode], rest: SchemaNode?, restKeyword: String, restLocation: String)
  case contains(SchemaNode, min: Int, max: Int?)
  case allOf([SchemaNode])
  case anyOf([SchemaNode])
  case oneOf([SchemaNode])
  case not(SchemaNode)
  case conditional(if: SchemaNode, then: SchemaNode?, else: SchemaNode?)
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
    let parts = names.filter { mask & $0.1 != 0 && !($0.1 == integer && mask & number != 0) }.map(\.0)
    if parts.count <= 1 { return parts.first ?? "nothing" }
    return parts.dropLast().joined(separator: ", ") + " or " + (parts.last ?? "")
  }
}
