/// Runs compiled checks over a document tape for one validation.
///
/// In boolean mode (`collecting == false`) it stops at the first failure and builds nothing; in
/// collecting mode it evaluates every keyword and appends ``SchemaError``s up to `limit`.
/// Subschemas whose failure is expected (inside `anyOf`, `oneOf`, `not`, `if`, `contains`) always
/// run in boolean mode.
struct SchemaEvaluator {
  let nodes: UnsafeBufferPointer<JSONNode>
  let bytes: UnsafeBufferPointer<UInt8>
  let program: SchemaProgram
  /// The node validation started at; instance locations are relative to it.
  let origin: Int
  var collecting: Bool
  let limit: Int
  var errors: [SchemaError] = []
  var scope: [Int] = []
  var depth = 0
  /// Subschema evaluations left before the check gives up (see ``SchemaOptions/evaluationBudget``).
  var remaining = Int.max
  /// The budget ran out: the verdict and the errors are incomplete.
  var exhausted = false

  static let maxDepth = 1_500

  init(
    nodes: UnsafeBufferPointer<JSONNode>, bytes: UnsafeBufferPointer<UInt8>, program: SchemaProgram,
    origin: Int,
    collecting: Bool, limit: Int
  ) {
    self.nodes = nodes
    self.bytes = bytes
    self.program = program
    self.origin = origin
    self.collecting = collecting
    self.limit = limit
  }

  // MARK: Tape helpers

  @inline(__always) func kind(_ i: Int) -> JSONKind { nodes[i].kind }
  @inline(__always) func next(_ i: Int) -> Int { Int(nodes[i].end) }
  @inline(__always) func count(_ i: Int) -> Int { Int(nodes[i].length) }

  func rawBytes(_ i: Int) -> UnsafeBufferPointer<UInt8> {
    let n = nodes[i]
    return UnsafeBufferPointer(rebasing: bytes[Int(n.start)..<Int(n.start + n.length)])
  }

  /// The decoded UTF-8 of string node `i`.
  func stringBytes(_ i: Int) -> [UInt8] {
    if nodes[i].flags & 1 == 0 { return Array(rawBytes(i)) }
    var out: [UInt8] = []
    appendDecodedJSONString(rawBytes(i), to: &out)
    return out
  }

  func string(_ i: Int) -> String {
    if nodes[i].flags & 1 == 0 { return String(decoding: rawBytes(i), as: UTF8.self) }
    return decodeJSONString(rawBytes(i))
  }

  /// Whether string node `i` equals `key` (UTF-8), without decoding when it has no escapes.
  @inline(__always) func stringEquals(_ i: Int, _ key: [UInt8]) -> Bool {
    let n = nodes[i]
    if n.flags & 1 == 0 {
      guard Int(n.length) == key.count else { return false }
      let start = Int(n.start)
      return key.withUnsafeBufferPointer { k in
        var j = 0
        while j < k.count {
          if bytes[start &+ j] != k[j] { return false }
          j &+= 1
        }
        return true
      }
    }
    return stringBytes(i) == key
  }

  /// The member value of object `object` whose key is `key`, if any.
  func member(_ object: Int, _ key: [UInt8]) -> Int? {
    var k = object + 1
    let end = next(object)
    var found: Int?
    while k < end {
      if stringEquals(k, key) { found = k + 1 }
      k = next(k + 1)
    }
    return found
  }

  /// The length of string node `i` in Unicode code points.
  func codePointCount(_ i: Int) -> Int {
    let raw = rawBytes(i)
    var count = 0
    if nodes[i].flags & 1 == 0 {
      for b in raw where b & 0xC0 != 0x80 { count &+= 1 }
      return count
    }
    // Count on the escaped bytes: an escape is one code point, and a \uD8xx\uDCxx pair is one.
    var j = 0
    let n = raw.count
    while j < n {
      let b = raw[j]
      if b == UInt8(ascii: "\\") {
        if j + 1 < n && raw[j + 1] == UInt8(ascii: "u") {
          let isHigh =
            j + 2 < n && (raw[j + 2] | 0x20) == UInt8(ascii: "d") && j + 3 < n
            && (UInt8(ascii: "8")...UInt8(ascii: "b")).contains(raw[j + 3] | 0x20)
          if isHigh && j + 7 < n && raw[j + 6] == UInt8(ascii: "\\")
            && raw[j + 7] == UInt8(ascii: "u")
            && j + 9 < n && (raw[j + 8] | 0x20) == UInt8(ascii: "d")
            && (UInt8(ascii: "c")...UInt8(ascii: "f")).contains(raw[j + 9] | 0x20)
          {
            j &+= 12
          } else {
            j &+= 6
          }
        } else {
          j &+= 2
        }
        count &+= 1
      } else {
        if b & 0xC0 != 0x80 { count &+= 1 }
        j &+= 1
      }
    }
    return count
  }

  func decimal(_ i: Int) -> JSONDecimal { JSONDecimal(literal: rawBytes(i)) }

  /// The value of an integer literal of at most 18 characters, without allocating.
  @inline(__always) func smallInteger(_ i: Int) -> Int64? {
    let n = nodes[i]
    guard n.flags & 1 == 0, n.length <= 18 else { return nil }
    var value: Int64 = 0
    var negative = false
    for b in rawBytes(i) {
      if b == UInt8(ascii: "-") { negative = true } else { value = value &* 10 &+ Int64(b &- 48) }
    }
    return negative ? -value : value
  }

  /// Compares number node `i` with `bound`: -1, 0 or 1.
  func compare(_ i: Int, _ bound: NumberBound) -> Int {
    if let value = smallInteger(i), let limit = bound.int {
      return value < limit ? -1 : (value == limit ? 0 : 1)
    }
    let value = decimal(i)
    return value < bound.decimal ? -1 : (value == bound.decimal ? 0 : 1)
  }

  // MARK: Errors

  /// Appends an error (in collecting mode, below the limit, unless the same error is already
  /// there) and returns false.
  ///
  /// A subschema reached by two paths (two `$ref`s to it) fails twice at the same place: it is
  /// listed once. Once the budget has run out nothing is added, since a check cut short may
  /// fail where it would not have.
  mutating func fail(_ check: SchemaCheck, _ i: Int, _ message: String) -> Bool {
    guard collecting, errors.count < limit, !exhausted else { return false }
    let error = SchemaError(
      instanceLocation: pointer(to: i), schemaLocation: check.location, keyword: check.keyword,
      message: message)
    if !errors.contains(error) { errors.append(error) }
    return false
  }

  /// The JSON pointer of node `target`, found by walking down from the origin.
  func pointer(to target: Int) -> String {
    var out = ""
    var current = origin
    while current != target {
      switch kind(current) {
      case .object:
        var k = current + 1
        let end = next(current)
        var moved = false
        while k < end {
          let v = k + 1
          if k == target { return out }
          if target >= v && target < next(v) {
            out += "/" + escapePointerToken(string(k))
            current = v
            moved = true
            break
          }
          k = next(v)
        }
        if !moved { return out }
      case .array:
        var e = current + 1
        let end = next(current)
        var index = 0
        var moved = false
        while e < end {
          if target >= e && target < next(e) {
            out += "/\(index)"
            current = e
            moved = true
            break
          }
          e = next(e)
          index += 1
        }
        if !moved { return out }
      default:
        return out
      }
    }
    return out
  }

  /// A short rendering of node `i` for messages: `"robot"`, `42`, `an object`.
  func describe(_ i: Int) -> String {
    switch kind(i) {
    case .null: return "null"
    case .true: return "true"
    case .false: return "false"
    case .number: return String(decoding: rawBytes(i), as: UTF8.self)
    case .string:
      let s = string(i)
      let shown =
        s.unicodeScalars.count > 60
        ? String(String.UnicodeScalarView(s.unicodeScalars.prefix(57))) + "..." : s
      return shown.jsonQuoted
    case .array: return "an array"
    case .object: return "an object"
    }
  }

  // MARK: Evaluation

  /// Evaluates `schema` against node `i`, adding what it evaluated to `annotations` when `want`.
  mutating func eval(_ schema: SchemaNode, _ i: Int, _ annotations: inout Annotations, _ want: Bool)
    -> Bool
  {
    remaining &-= 1
    if remaining < 0 {
      exhausted = true
      return false
    }
    depth &+= 1
    defer { depth &-= 1 }
    if depth > Self.maxDepth {
      if collecting && errors.count < limit {
        errors.append(
          SchemaError(
            instanceLocation: pointer(to: i), schemaLocation: schema.location, keyword: "$ref",
            message: "schema recursion deeper than \(Self.maxDepth) levels"))
      }
      return false
    }
    var pushed = false
    if program.usesDynamicScope && scope.last != schema.resource {
      scope.append(schema.resource)
      pushed = true
    }
    defer { if pushed { scope.removeLast() } }
    let want = want || schema.hasUnevaluated
    var valid = true
    let checks = schema.frozen
    var index = 0
    while index < checks.count {
      defer { index &+= 1 }
      if !run(checks[index], i, &annotations, want) {
        valid = false
        if !collecting || errors.count >= limit { return false }
      }
    }
    return valid
  }

  /// Evaluates a subschema in boolean mode (its failure is not an error by itself).
  mutating func quietly(
    _ schema: SchemaNode, _ i: Int, _ annotations: inout Annotations, _ want: Bool
  ) -> Bool {
    let saved = collecting
    collecting = false
    defer { collecting = saved }
    return eval(schema, i, &annotations, want)
  }

  @inline(__always)
  mutating func run(
    _ check: borrowing SchemaCheck, _ i: Int, _ ann: inout Annotations, _ want: Bool
  ) -> Bool {
    switch check.op {
    case .alwaysFalse:
      return collecting ? fail(check, i, "no value is allowed here (the schema is false)") : false

    case .type(let mask):
      let k = kind(i)
      let ok: Bool
      switch k {
      case .null: ok = mask & SchemaTypes.null != 0
      case .true, .false: ok = mask & SchemaTypes.boolean != 0
      case .string: ok = mask & SchemaTypes.string != 0
      case .object: ok = mask & SchemaTypes.object != 0
      case .array: ok = mask & SchemaTypes.array != 0
      case .number:
        if mask & SchemaTypes.number != 0 {
          ok = true
        } else if mask & SchemaTypes.integer != 0 {
          ok = nodes[i].flags & 1 == 0 || decimal(i).isInteger
        } else {
          ok = false
        }
      }
      if ok { return true }
      guard collecting else { return false }
      var found = k.name
      if k == .number && nodes[i].flags & 1 != 0 && mask & SchemaTypes.integer != 0 {
        found = "non-integer number"
      }
      return fail(check, i, "expected \(SchemaTypes.describe(mask)), found \(found)")

    case .enumStrings(let table):
      if kind(i) == .string {
        for option in table.strings where stringEquals(i, option) { return true }
      }
      guard collecting else { return false }
      return fail(check, i, notOneOf(i, table.values))

    case .enumeration(let values):
      for value in values where equals(i, value) { return true }
      guard collecting else { return false }
      return fail(check, i, notOneOf(i, values))

    case .constantString(let table):
      if kind(i) == .string && stringEquals(i, table.strings[0]) { return true }
      guard collecting else { return false }
      return fail(check, i, "must be \(listValues(table.values)), found \(describe(i))")

    case .constant(let value):
      if equals(i, value) { return true }
      guard collecting else { return false }
      return fail(check, i, "must be \(shortText(value)), found \(describe(i))")

    case .minimum(let bound, let exclusive):
      guard kind(i) == .number else { return true }
      let c = compare(i, bound)
      if exclusive ? c > 0 : c >= 0 { return true }
      guard collecting else { return false }
      return fail(
        check, i,
        exclusive
          ? "\(describe(i)) must be greater than \(bound.text)"
          : "\(describe(i)) is less than the minimum \(bound.text)")

    case .maximum(let bound, let exclusive):
      guard kind(i) == .number else { return true }
      let c = compare(i, bound)
      if exclusive ? c < 0 : c <= 0 { return true }
      guard collecting else { return false }
      return fail(
        check, i,
        exclusive
          ? "\(describe(i)) must be less than \(bound.text)"
          : "\(describe(i)) is greater than the maximum \(bound.text)")

    case .multipleOf(let bound):
      guard kind(i) == .number else { return true }
      if decimal(i).isMultiple(of: bound.decimal) { return true }
      guard collecting else { return false }
      return fail(check, i, "\(describe(i)) is not a multiple of \(bound.text)")

    case .minLength(let n):
      guard kind(i) == .string else { return true }
      // Every code point takes at least one byte and at most four.
      // Every code point takes at most 4 bytes, or 12 when written as an escaped surrogate pair.
      if n <= count(i) / (nodes[i].flags & 1 == 0 ? 4 : 12) { return true }
      let length = codePointCount(i)
      if length >= n { return true }
      guard collecting else { return false }
      return fail(
        check, i, "string is \(counting: length, "character") long; at least \(n) required")

    case .maxLength(let n):
      guard kind(i) == .string else { return true }
      if count(i) <= n { return true }
      let length = codePointCount(i)
      if length <= n { return true }
      guard collecting else { return false }
      return fail(check, i, "string is \(counting: length, "character") long; at most \(n) allowed")

    case .pattern(let regex):
      guard kind(i) == .string else { return true }
      switch regex.search(string(i)) {
      case .match: return true
      case .noMatch:
        guard collecting else { return false }
        return fail(
          check, i, "\(describe(i)) does not match the pattern \(regex.pattern.jsonQuoted)")
      case .budgetExceeded:
        guard collecting else { return false }
        return fail(
          check, i,
          "the pattern \(regex.pattern.jsonQuoted) needed too many steps or too much backtracking memory on this value (a pathological regular expression, or a repeated group over a value of millions of characters): simplify the pattern"
        )
      }

    case .minItems(let n):
      guard kind(i) == .array, count(i) < n else { return true }
      guard collecting else { return false }
      return fail(
        check, i, "array has \(counting: count(i), "item"); at least \(n) required")

    case .maxItems(let n):
      guard kind(i) == .array, count(i) > n else { return true }
      guard collecting else { return false }
      return fail(check, i, "array has \(counting: count(i), "item"); at most \(n) allowed")

    case .uniqueItems:
      guard kind(i) == .array, count(i) > 1 else { return true }
      guard let (a, b) = firstDuplicate(i) else { return true }
      guard collecting else { return false }
      return fail(check, i, "items \(a) and \(b) are equal; items must be unique")

    case .minProperties(let n):
      guard kind(i) == .object, count(i) < n else { return true }
      guard collecting else { return false }
      return fail(
        check, i,
        "object has \(counting: count(i), "property", plural: "properties"); at least \(n) required"
      )

    case .maxProperties(let n):
      guard kind(i) == .object, count(i) > n else { return true }
      guard collecting else { return false }
      return fail(
        check, i,
        "object has \(counting: count(i), "property", plural: "properties"); at most \(n) allowed")

    case .required(let keys):
      guard kind(i) == .object else { return true }
      var valid = true
      for key in keys where member(i, key.bytes) == nil {
        valid = false
        guard collecting else { return false }
        _ = fail(check, i, "missing required property \(key.name.jsonQuoted)")
      }
      return valid

    case .dependentRequired(let table):
      guard kind(i) == .object else { return true }
      var valid = true
      for entry in table where member(i, entry.key.bytes) != nil {
        for key in entry.required where member(i, key.bytes) == nil {
          valid = false
          guard collecting else { return false }
          _ = fail(
            check, i,
            "property \(entry.key.name.jsonQuoted) requires property \(key.name.jsonQuoted)")
        }
      }
      return valid

    case .properties(let table):
      return runProperties(table, check, i, &ann, want)

    case .propertyNames(let schema):
      guard kind(i) == .object else { return true }
      var valid = true
      var k = i + 1
      let end = next(i)
      while k < end {
        let before = errors.count
        var sub = Annotations()
        if !eval(schema, k, &sub, false) {
          valid = false
          if !collecting { return false }
          for e in before..<errors.count {
            errors[e].message = "property name \(describe(k)): " + errors[e].message
          }
        }
        k = next(k + 1)
      }
      return valid

    case .items(let table):
      guard kind(i) == .array else { return true }
      let prefix = table.prefix
      let rest = table.rest
      let restKeyword = table.restKeyword
      let restLocation = table.restLocation
      var valid = true
      var index = 0
      var e = i + 1
      let end = next(i)
      while e < end {
        if index < prefix.count {
          if !child(prefix[index], e) {
            valid = false
            if !collecting { return false }
          }
        } else if let rest {
          if rest.isFalse {
            guard collecting else { return false }
            let allowed = prefix.count
            return fail(
              SchemaCheck(op: check.op, keyword: restKeyword, location: restLocation), i,
              "array has \(counting: count(i), "item"); at most \(allowed) allowed (\(restKeyword): false)"
            )
          }
          if !child(rest, e) {
            valid = false
            if !collecting { return false }
          }
        } else {
          break
        }
        index += 1
        e = next(e)
      }
      if want {
        ann.itemPrefix = max(ann.itemPrefix, min(count(i), prefix.count))
        if rest != nil && count(i) > prefix.count { ann.allItems = true }
        if rest != nil && prefix.isEmpty { ann.allItems = true }
      }
      return valid

    case .contains(let schema, let minimum, let maximum):
      guard kind(i) == .array else { return true }
      var matches = 0
      var index = 0
      var e = i + 1
      let end = next(i)
      while e < end {
        var sub = Annotations()
        if quietly(schema, e, &sub, false) {
          matches += 1
          if want { ann.items.append(index) }
          if !want && maximum == nil && matches >= minimum { return true }
        }
        index += 1
        e = next(e)
      }
      if matches < minimum {
        guard collecting else { return false }
        if minimum == 1 { return fail(check, i, "no item matches the \"contains\" schema") }
        return fail(
          check, i,
          "\(counting: matches, "item") match\(matches == 1 ? "es" : "") the \"contains\" schema; at least \(minimum) required"
        )
      }
      if let maximum, matches > maximum {
        guard collecting else { return false }
        return fail(
          check, i,
          "\(counting: matches, "item") match\(matches == 1 ? "es" : "") the \"contains\" schema; at most \(maximum) allowed"
        )
      }
      return true

    case .allOf(let schemas):
      var valid = true
      for schema in schemas {
        var sub = Annotations()
        if eval(schema, i, &sub, want) {
          if want { ann.merge(sub) }
        } else {
          valid = false
          if !collecting { return false }
        }
      }
      return valid

    case .anyOf(let schemas):
      var any = false
      for schema in schemas {
        var sub = Annotations()
        if quietly(schema, i, &sub, want) {
          any = true
          if !want { return true }
          ann.merge(sub)
        }
      }
      if any { return true }
      guard collecting else { return false }
      return explainAlternatives(schemas, check, i, "anyOf")

    case .oneOf(let schemas):
      var matched: [Int] = []
      var kept = Annotations()
      for (index, schema) in schemas.enumerated() {
        var sub = Annotations()
        if quietly(schema, i, &sub, want) {
          matched.append(index)
          kept = sub
          if matched.count > 1 && !collecting { return false }
        }
      }
      if matched.count == 1 {
        if want { ann.merge(kept) }
        return true
      }
      guard collecting else { return false }
      if matched.isEmpty { return explainAlternatives(schemas, check, i, "oneOf") }
      return fail(
        check, i,
        "matches \(matched.count) alternatives of oneOf (\(matched.map(String.init).joined(separator: ", "))); exactly one must match"
      )

    case .not(let schema):
      var sub = Annotations()
      if !quietly(schema, i, &sub, false) { return true }
      guard collecting else { return false }
      return fail(check, i, "\(describe(i)) must not match the schema in \"not\"")

    case .conditional(let table):
      let condition = table.condition
      let then = table.then
      let otherwise = table.otherwise
      if then == nil && otherwise == nil && !want { return true }
      var sub = Annotations()
      if quietly(condition, i, &sub, want) {
        if want { ann.merge(sub) }
        guard let then else { return true }
        var branch = Annotations()
        let ok = eval(then, i, &branch, want)
        if ok && want { ann.merge(branch) }
        return ok
      }
      guard let otherwise else { return true }
      var branch = Annotations()
      let ok = eval(otherwise, i, &branch, want)
      if ok && want { ann.merge(branch) }
      return ok

    case .dependentSchemas(let table):
      guard kind(i) == .object else { return true }
      var valid = true
      for entry in table where member(i, entry.key.bytes) != nil {
        var sub = Annotations()
        if eval(entry.schema, i, &sub, want) {
          if want { ann.merge(sub) }
        } else {
          valid = false
          if !collecting { return false }
        }
      }
      return valid

    case .ref(let target):
      var sub = Annotations()
      let ok = eval(target, i, &sub, want)
      if ok && want { ann.merge(sub) }
      return ok

    case .dynamicRef(let initial, let anchor):
      var target = initial
      if let anchor {
        for resource in scope {
          if let found = program.dynamicAnchors[resource]?[anchor] {
            target = found
            break
          }
        }
      }
      var sub = Annotations()
      let ok = eval(target, i, &sub, want)
      if ok && want { ann.merge(sub) }
      return ok

    case .unevaluatedProperties(let schema):
      guard kind(i) == .object, !ann.allProperties else { return true }
      var valid = true
      var k = i + 1
      let end = next(i)
      while k < end {
        if !ann.properties.contains(k) {
          if schema.isFalse {
            valid = false
            guard collecting else { return false }
            _ = fail(
              check, i,
              "unknown property \(describe(k)) (not allowed by unevaluatedProperties: false)")
          } else if !child(schema, k + 1) {
            valid = false
            if !collecting { return false }
          }
        }
        k = next(k + 1)
      }
      if want { ann.allProperties = true }
      return valid

    case .unevaluatedItems(let schema):
      guard kind(i) == .array, !ann.allItems else { return true }
      var valid = true
      var index = 0
      var e = i + 1
      let end = next(i)
      while e < end {
        if index >= ann.itemPrefix && !ann.items.contains(index) {
          if schema.isFalse {
            valid = false
            guard collecting else { return false }
            _ = fail(check, e, "item \(index) is not allowed (unevaluatedItems: false)")
          } else if !child(schema, e) {
            valid = false
            if !collecting { return false }
          }
        }
        index += 1
        e = next(e)
      }
      if want { ann.allItems = true }
      return valid

    case .format(let format):
      guard kind(i) == .string else { return true }
      if format.isValid(string(i)) { return true }
      guard collecting else { return false }
      return fail(check, i, "\(describe(i)) is not a valid \(format.rawValue)")
    }
  }

  /// Why node `i` fails an `enum` of `values`.
  func notOneOf(_ i: Int, _ values: [JSONValue]) -> String {
    if values.isEmpty {
      return
        "\(describe(i)) cannot match: the enum is empty, so no value can; list the allowed values (or write false for a schema that allows nothing)"
    }
    return "\(describe(i)) is not one of \(listValues(values))"
  }

  /// Evaluates a subschema on a child instance, whose annotations the parent never reads.
  mutating func child(_ schema: SchemaNode, _ i: Int) -> Bool {
    var annotations = Annotations()
    return eval(schema, i, &annotations, false)
  }

  mutating func runProperties(
    _ table: PropertiesCheck, _ check: SchemaCheck, _ i: Int, _ ann: inout Annotations, _ want: Bool
  ) -> Bool {
    guard kind(i) == .object else { return true }
    var valid = true
    var k = i + 1
    let end = next(i)
    let names = table.names
    while k < end {
      let v = k + 1
      var matched = false
      for index in names.indices where stringEquals(k, names[index].bytes) {
        matched = true
        if !child(table.schemas[index], v) {
          valid = false
          if !collecting { return false }
        }
        break
      }
      if !table.patterns.isEmpty {
        let key = string(k)
        for entry in table.patterns {
          let result = entry.regex.search(key)
          if result == .match {
            matched = true
            if !child(entry.schema, v) {
              valid = false
              if !collecting { return false }
            }
          } else if result == .budgetExceeded {
            valid = false
            guard collecting else { return false }
            _ = fail(
              check, k,
              "the pattern \(entry.regex.pattern.jsonQuoted) needed too many steps or too much backtracking memory on this key (a pathological regular expression): simplify the pattern"
            )
          }
        }
      }
      if !matched, let additional = table.additional {
        matched = true
        if additional.isFalse {
          valid = false
          guard collecting else { return false }
          _ = fail(
            SchemaCheck(
              op: check.op, keyword: table.additionalKeyword, location: table.additionalLocation),
            i,
            "unknown property \(describe(k)) (not allowed by additionalProperties: false)")
        } else if !child(additional, v) {
          valid = false
          if !collecting { return false }
        }
      }
      if want && matched { ann.properties.append(k) }
      k = next(v)
    }
    return valid
  }

  /// Reports why no alternative of `anyOf`/`oneOf` matched.
  ///
  /// When exactly one alternative fails for a reason other than the value's type, that is the
  /// one the author meant, and its errors are reported; otherwise one summary error is.
  mutating func explainAlternatives(
    _ schemas: [SchemaNode], _ check: SchemaCheck, _ i: Int, _ keyword: String
  )
    -> Bool
  {
    let saved = errors
    let here = pointer(to: i)
    var perBranch: [[SchemaError]] = []
    for schema in schemas {
      errors = []
      var sub = Annotations()
      _ = eval(schema, i, &sub, false)
      perBranch.append(errors)
    }
    errors = saved
    let candidates = perBranch.filter { branch in
      !branch.isEmpty && !branch.allSatisfy { $0.keyword == "type" && $0.instanceLocation == here }
        && !(branch.count == 1 && branch[0].instanceLocation == here
          && (branch[0].keyword == "const" || branch[0].keyword == "enum"))
    }
    if candidates.count == 1 {
      for error in candidates[0] where errors.count < limit { errors.append(error) }
      return false
    }
    let reasons = perBranch.compactMap { $0.first?.message }
    var unique: [String] = []
    for reason in reasons where !unique.contains(reason) { unique.append(reason) }
    let summary = unique.prefix(4).joined(separator: "; ")
    return fail(
      check, i,
      "matches none of the \(counting: schemas.count, "alternative") of \(keyword)"
        + (summary.isEmpty ? "" : " (\(summary))"))
  }

  // MARK: Equality

  /// JSON equality of node `i` and a schema value.
  func equals(_ i: Int, _ value: JSONValue) -> Bool {
    switch value {
    case .null: return kind(i) == .null
    case .bool(let b): return kind(i) == (b ? .true : .false)
    case .number(let n):
      guard kind(i) == .number else { return false }
      if let small = smallInteger(i), let other = n.decimal.int64 { return small == other }
      return decimal(i) == n.decimal
    case .string(let s):
      guard kind(i) == .string else { return false }
      return stringEquals(i, Array(s.utf8))
    case .array(let items):
      guard kind(i) == .array, count(i) == items.count else { return false }
      var e = i + 1
      for item in items {
        if !equals(e, item) { return false }
        e = next(e)
      }
      return true
    case .object(let members):
      guard kind(i) == .object, count(i) == members.count else { return false }
      for m in members {
        guard let v = member(i, Array(m.key.utf8)), equals(v, m.value) else { return false }
      }
      return true
    }
  }

  /// JSON equality of two nodes of the tape.
  func equalNodes(_ a: Int, _ b: Int) -> Bool {
    let ka = kind(a)
    guard ka == kind(b) else { return false }
    switch ka {
    case .null, .true, .false: return true
    case .number:
      if nodes[a].flags & 1 == 0 && nodes[b].flags & 1 == 0
        && rawBytes(a).elementsEqual(rawBytes(b))
      {
        return true
      }
      return decimal(a) == decimal(b)
    case .string:
      if nodes[a].flags & 1 == 0 && nodes[b].flags & 1 == 0 {
        return rawBytes(a).elementsEqual(rawBytes(b))
      }
      return stringBytes(a) == stringBytes(b)
    case .array:
      guard count(a) == count(b) else { return false }
      var x = a + 1
      var y = b + 1
      let end = next(a)
      while x < end {
        if !equalNodes(x, y) { return false }
        x = next(x)
        y = next(y)
      }
      return true
    case .object:
      guard count(a) == count(b) else { return false }
      var k = a + 1
      let end = next(a)
      while k < end {
        guard let v = member(b, stringBytes(k)), equalNodes(k + 1, v) else { return false }
        k = next(k + 1)
      }
      return true
    }
  }

  /// A hash consistent with ``equalNodes(_:_:)`` (numbers by value, objects by content).
  func hashNode(_ i: Int) -> UInt64 {
    switch kind(i) {
    case .null: return 1
    case .true: return 2
    case .false: return 3
    case .number:
      let d = decimal(i)
      var h: UInt64 = d.negative ? 5 : 4
      for digit in d.digits { h = (h ^ UInt64(digit)) &* 0x100_0000_01B3 }
      return h ^ UInt64(bitPattern: Int64(d.exponent)) &* 31
    case .string:
      return stringBytes(i).withUnsafeBufferPointer { StableHash.fnv1a64($0) } ^ 6
    case .array:
      var h: UInt64 = 7
      var e = i + 1
      let end = next(i)
      while e < end {
        h = (h &* 1_000_003) ^ hashNode(e)
        e = next(e)
      }
      return h
    case .object:
      var h: UInt64 = 8
      var k = i + 1
      let end = next(i)
      while k < end {
        let keyHash = stringBytes(k).withUnsafeBufferPointer { StableHash.fnv1a64($0) }
        h = h &+ (keyHash &* 31 ^ hashNode(k + 1))
        k = next(k + 1)
      }
      return h
    }
  }

  /// The first pair of equal items (by position) of array `i`, if any.
  func firstDuplicate(_ i: Int) -> (Int, Int)? {
    var elements: [Int] = []
    var e = i + 1
    let end = next(i)
    while e < end {
      elements.append(e)
      e = next(e)
    }
    if elements.count <= 16 {
      for b in 1..<elements.count {
        for a in 0..<b where equalNodes(elements[a], elements[b]) { return (a, b) }
      }
      return nil
    }
    var hashed = elements.enumerated().map { (hash: hashNode($0.element), index: $0.offset) }
    hashed.sort { $0.hash != $1.hash ? $0.hash < $1.hash : $0.index < $1.index }
    var best: (Int, Int)?
    var start = 0
    while start < hashed.count {
      var stop = start + 1
      while stop < hashed.count && hashed[stop].hash == hashed[start].hash { stop += 1 }
      for b in start..<stop {
        for a in start..<b where equalNodes(elements[hashed[a].index], elements[hashed[b].index]) {
          let pair = (hashed[a].index, hashed[b].index)
          if best == nil || pair.1 < (best?.1 ?? Int.max) { best = pair }
        }
      }
      start = stop
    }
    return best
  }
}

/// `"system", "user", "assistant", "tool"` for messages.
func listValues(_ values: [JSONValue]) -> String {
  let shown = values.prefix(12).map(shortText)
  return shown.joined(separator: ", ") + (values.count > 12 ? ", ..." : "")
}

func shortText(_ value: JSONValue) -> String {
  let text = value.description
  return text.count > 60 ? String(text.prefix(57)) + "..." : text
}
