/// Turns the keywords of one schema object into ``SchemaCheck``s, per draft and vocabulary.
struct CheckBuilder {
  let session: CompilerSession
  let position: SchemaPosition
  let info: PositionInfo
  let node: SchemaNode
  var checks: [SchemaCheck] = []
  var trailing: [SchemaCheck] = []
  /// Subschemas evaluated against the same instance location (for loop detection).
  var inPlace: [SchemaNode] = []
  var hasUnevaluated = false

  init(session: CompilerSession, position: SchemaPosition, info: PositionInfo, node: SchemaNode) {
    self.session = session
    self.position = position
    self.info = info
    self.node = node
  }

  var here: String { session.location(position) }

  func location(_ keyword: String) -> String { here + "/" + escapePointerToken(keyword) }

  subscript(_ keyword: String) -> JSONValue? { info.value[keyword] }

  func fail(_ keyword: String, _ message: String) -> SchemaCompileError {
    SchemaCompileError(message, at: location(keyword))
  }

  mutating func add(_ keyword: String, _ op: SchemaOp) {
    checks.append(SchemaCheck(op: op, keyword: keyword, location: location(keyword)))
  }

  func sub(_ keyword: String, _ rest: String = "") throws(SchemaCompileError) -> SchemaNode {
    try session.child(position, "/" + escapePointerToken(keyword) + rest)
  }

  func nonNegative(_ keyword: String) throws(SchemaCompileError) -> Int? {
    guard let value = self[keyword] else { return nil }
    guard case .number(let n) = value, n.decimal.isInteger, !n.decimal.negative else {
      throw fail(keyword, "\(keyword) must be a non-negative integer")
    }
    return n.intValue ?? Int.max
  }

  func number(_ keyword: String) throws(SchemaCompileError) -> NumberBound? {
    guard let value = self[keyword] else { return nil }
    guard case .number(let n) = value else { throw fail(keyword, "\(keyword) must be a number") }
    return NumberBound(n)
  }

  func keys(_ keyword: String, _ value: JSONValue) throws(SchemaCompileError) -> [PropertyKey] {
    guard case .array(let items) = value else {
      throw fail(keyword, "\(keyword) must be an array of strings")
    }
    var out: [PropertyKey] = []
    for item in items {
      guard case .string(let s) = item else {
        throw fail(keyword, "\(keyword) must be an array of strings")
      }
      out.append(PropertyKey(s))
    }
    return out
  }

  func regex(_ pattern: String, _ keyword: String) throws(SchemaCompileError) -> ECMARegex {
    do throws(RegexSyntaxError) {
      var regex = try ECMARegex(pattern)
      regex.stepBudget = session.options.regexStepBudget
      return regex
    } catch {
      // A pattern can be huge (a deeply nested one is thousands of parentheses): quote its start.
      let scalars = pattern.unicodeScalars
      var quoted = pattern.jsonQuoted
      if scalars.count > 100 {
        var head = String.UnicodeScalarView()
        head.append(contentsOf: scalars.prefix(60))
        quoted = "\(String(head).jsonQuoted)… (\(scalars.count) characters)"
      }
      throw fail(keyword, "invalid regular expression \(quoted): \(error)")
    }
  }

  // MARK: Draft 2020-12

  mutating func build2020() throws(SchemaCompileError) {
    let dialect = info.dialect
    if case .string(let reference) = self["$ref"] {
      let target = session.node(for: try session.resolve(reference, from: position, info: info))
      add("$ref", .ref(target))
      inPlace.append(target)
    }
    if case .string(let reference) = self["$dynamicRef"] {
      let targetPosition = try session.resolve(
        reference, from: position, info: info, keyword: "$dynamicRef")
      let target = session.node(for: targetPosition)
      var anchor: String?
      let fragment = URIReference(reference).fragment ?? ""
      if !fragment.isEmpty, !fragment.hasPrefix("/"),
        session.value(at: targetPosition)?["$dynamicAnchor"]?.stringValue == fragment
      {
        anchor = fragment
        session.dynamicNames.insert(fragment)
      }
      add("$dynamicRef", .dynamicRef(target, anchor: anchor))
      inPlace.append(target)
    }
    if dialect.validation { try buildValidation() }
    if dialect.applicator { try buildApplicators2020() }
    if dialect.unevaluated { try buildUnevaluated() }
    try buildFormat()
    checks.append(contentsOf: trailing)
  }

  mutating func buildValidation() throws(SchemaCompileError) {
    if let value = self["type"] { add("type", .type(try typeMask(value))) }
    if let value = self["enum"] {
      guard case .array(let options) = value else { throw fail("enum", "enum must be an array") }
      let strings = options.compactMap(\.stringValue)
      if strings.count == options.count {
        add(
          "enum", .enumStrings(EnumTable(strings: strings.map { Array($0.utf8) }, values: options)))
      } else {
        add("enum", .enumeration(options))
      }
    }
    if let value = self["const"] {
      if case .string(let text) = value {
        add("const", .constantString(EnumTable(strings: [Array(text.utf8)], values: [value])))
      } else {
        add("const", .constant(value))
      }
    }
    if let bound = try number("minimum") { add("minimum", .minimum(bound, exclusive: false)) }
    if let bound = try number("exclusiveMinimum") {
      add("exclusiveMinimum", .minimum(bound, exclusive: true))
    }
    if let bound = try number("maximum") { add("maximum", .maximum(bound, exclusive: false)) }
    if let bound = try number("exclusiveMaximum") {
      add("exclusiveMaximum", .maximum(bound, exclusive: true))
    }
    if let bound = try number("multipleOf") {
      guard !bound.decimal.negative, !bound.decimal.isZero else {
        throw fail("multipleOf", "multipleOf must be greater than 0")
      }
      add("multipleOf", .multipleOf(bound))
    }
    if let n = try nonNegative("minLength") { add("minLength", .minLength(n)) }
    if let n = try nonNegative("maxLength") { add("maxLength", .maxLength(n)) }
    if let value = self["pattern"] {
      guard case .string(let pattern) = value else {
        throw fail("pattern", "pattern must be a string")
      }
      add("pattern", .pattern(try regex(pattern, "pattern")))
    }
    if let n = try nonNegative("minItems") { add("minItems", .minItems(n)) }
    if let n = try nonNegative("maxItems") { add("maxItems", .maxItems(n)) }
    if self["uniqueItems"] == .bool(true) { add("uniqueItems", .uniqueItems) }
    if let value = self["required"] {
      let required = try keys("required", value)
      if !required.isEmpty { add("required", .required(required)) }
    }
    if let n = try nonNegative("minProperties") { add("minProperties", .minProperties(n)) }
    if let n = try nonNegative("maxProperties") { add("maxProperties", .maxProperties(n)) }
    if info.dialect.draft == .draft2020_12, case .object(let entries) = self["dependentRequired"] {
      var table: [(key: PropertyKey, required: [PropertyKey])] = []
      for (name, list) in entries {
        table.append((PropertyKey(name), try keys("dependentRequired", list)))
      }
      add("dependentRequired", .dependentRequired(table))
    }
  }

  func typeMask(_ value: JSONValue) throws(SchemaCompileError) -> UInt8 {
    func bit(_ name: String) throws(SchemaCompileError) -> UInt8 {
      guard let entry = SchemaTypes.names.first(where: { $0.0 == name }) else {
        throw fail("type", "unknown type \(name.jsonQuoted)")
      }
      return entry.1
    }
    switch value {
    case .string(let name): return try bit(name)
    case .array(let names):
      var mask: UInt8 = 0
      for name in names {
        guard case .string(let s) = name else {
          throw fail("type", "type must be a string or an array of strings")
        }
        mask |= try bit(s)
      }
      return mask
    default:
      throw fail("type", "type must be a string or an array of strings")
    }
  }

  mutating func buildApplicators2020() throws(SchemaCompileError) {
    // Arrays: prefixItems + items, then contains.
    var prefix: [SchemaNode] = []
    if case .array(let items) = self["prefixItems"] {
      for i in items.indices { prefix.append(try sub("prefixItems", "/\(i)")) }
    }
    let rest = self["items"] != nil ? try sub("items") : nil
    if !prefix.isEmpty || rest != nil {
      add(
        rest != nil ? "items" : "prefixItems",
        .items(
          ItemsCheck(
            prefix: prefix, rest: rest, restKeyword: "items", restLocation: location("items"))))
    }
    if self["contains"] != nil {
      let minimum = try nonNegative("minContains") ?? 1
      let maximum = try nonNegative("maxContains")
      add("contains", .contains(try sub("contains"), min: minimum, max: maximum))
    }
    try buildProperties()
    if case .object(let entries) = self["dependentSchemas"] {
      var table: [(key: PropertyKey, schema: SchemaNode)] = []
      for (name, _) in entries {
        let schema = try sub("dependentSchemas", "/" + escapePointerToken(name))
        table.append((PropertyKey(name), schema))
        inPlace.append(schema)
      }
      add("dependentSchemas", .dependentSchemas(table))
    }
    try buildDependencies()
    try buildLogic()
  }

  mutating func buildProperties() throws(SchemaCompileError) {
    let check = PropertiesCheck()
    var any = false
    if case .object(let entries) = self["properties"] {
      any = true
      for (name, _) in entries {
        check.names.append(PropertyKey(name))
        check.schemas.append(try sub("properties", "/" + escapePointerToken(name)))
      }
    }
    if case .object(let entries) = self["patternProperties"] {
      any = true
      for (pattern, _) in entries {
        check.patterns.append(
          (
            try regex(pattern, "patternProperties"),
            try sub("patternProperties", "/" + escapePointerToken(pattern))
          ))
      }
    }
    if self["additionalProperties"] != nil {
      any = true
      check.additional = try sub("additionalProperties")
      check.additionalLocation = location("additionalProperties")
    }
    if any {
      let keyword =
        self["additionalProperties"] != nil
        ? "additionalProperties" : (self["properties"] != nil ? "properties" : "patternProperties")
      add(keyword, .properties(check))
    }
    if self["propertyNames"] != nil {
      add("propertyNames", .propertyNames(try sub("propertyNames")))
    }
  }

  mutating func buildLogic() throws(SchemaCompileError) {
    for keyword in ["allOf", "anyOf", "oneOf"] {
      guard let value = self[keyword] else { continue }
      guard case .array(let items) = value, !items.isEmpty else {
        throw fail(keyword, "\(keyword) must be a non-empty array of schemas")
      }
      var schemas: [SchemaNode] = []
      for i in items.indices { schemas.append(try sub(keyword, "/\(i)")) }
      inPlace.append(contentsOf: schemas)
      switch keyword {
      case "allOf": add(keyword, .allOf(schemas))
      case "anyOf": add(keyword, .anyOf(schemas))
      default: add(keyword, .oneOf(schemas))
      }
    }
    if self["not"] != nil {
      let schema = try sub("not")
      inPlace.append(schema)
      add("not", .not(schema))
    }
    if self["if"] != nil {
      let condition = try sub("if")
      let then = self["then"] != nil ? try sub("then") : nil
      let otherwise = self["else"] != nil ? try sub("else") : nil
      inPlace.append(condition)
      if let then { inPlace.append(then) }
      if let otherwise { inPlace.append(otherwise) }
      // Even without then/else, `if` contributes annotations to unevaluated*.
      add(
        "if", .conditional(ConditionalCheck(condition: condition, then: then, otherwise: otherwise))
      )
    }
  }

  mutating func buildUnevaluated() throws(SchemaCompileError) {
    if self["unevaluatedItems"] != nil {
      hasUnevaluated = true
      trailing.append(
        SchemaCheck(
          op: .unevaluatedItems(try sub("unevaluatedItems")), keyword: "unevaluatedItems",
          location: location("unevaluatedItems")))
    }
    if self["unevaluatedProperties"] != nil {
      hasUnevaluated = true
      trailing.append(
        SchemaCheck(
          op: .unevaluatedProperties(try sub("unevaluatedProperties")),
          keyword: "unevaluatedProperties",
          location: location("unevaluatedProperties")))
    }
  }

  mutating func buildFormat() throws(SchemaCompileError) {
    guard case .string(let name) = self["format"] else { return }
    guard session.options.strictFormats || info.dialect.formatAssertion else { return }
    if let format = SchemaFormat(rawValue: name) { add("format", .format(format)) }
  }

  // MARK: Draft 7

  mutating func buildDraft7() throws(SchemaCompileError) {
    if case .string(let reference) = self["$ref"] {
      // In draft 7, $ref makes every sibling keyword be ignored.
      let target = session.node(for: try session.resolve(reference, from: position, info: info))
      add("$ref", .ref(target))
      inPlace.append(target)
      return
    }
    try buildValidation()
    if case .array(let items) = self["items"] {
      var prefix: [SchemaNode] = []
      for i in items.indices { prefix.append(try sub("items", "/\(i)")) }
      let rest = self["additionalItems"] != nil ? try sub("additionalItems") : nil
      add(
        "items",
        .items(
          ItemsCheck(
            prefix: prefix, rest: rest, restKeyword: "additionalItems",
            restLocation: location("additionalItems"))))
    } else if self["items"] != nil {
      add(
        "items",
        .items(
          ItemsCheck(
            prefix: [], rest: try sub("items"), restKeyword: "items",
            restLocation: location("items"))))
    }
    if self["contains"] != nil { add("contains", .contains(try sub("contains"), min: 1, max: nil)) }
    try buildProperties()
    try buildDependencies()
    try buildLogic()
    try buildFormat()
  }

  /// The draft-7 `dependencies` keyword (also honoured in 2020-12 for compatibility).
  mutating func buildDependencies() throws(SchemaCompileError) {
    if case .object(let entries) = self["dependencies"] {
      var required: [(key: PropertyKey, required: [PropertyKey])] = []
      var schemas: [(key: PropertyKey, schema: SchemaNode)] = []
      for (name, value) in entries {
        if case .array = value {
          required.append((PropertyKey(name), try keys("dependencies", value)))
        } else {
          let schema = try sub("dependencies", "/" + escapePointerToken(name))
          inPlace.append(schema)
          schemas.append((PropertyKey(name), schema))
        }
      }
      if !required.isEmpty { add("dependencies", .dependentRequired(required)) }
      if !schemas.isEmpty { add("dependencies", .dependentSchemas(schemas)) }
    }
  }
}
