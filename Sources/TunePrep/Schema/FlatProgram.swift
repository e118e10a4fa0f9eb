/// What one ``FlatOp`` does; the operands `a`, `b`, `c` are read as each case says.
enum FlatCode: UInt8 {
  /// The `false` schema.
  case fail
  /// `type`; a: bit `k` set when ``JSONKind`` raw value `k` is accepted, and
  /// ``FlatBuilder/integerBit`` when integers are (a number without fraction or exponent is one).
  case type
  /// `enum` of strings; a: first ``FlatString``, b: count.
  case enumStrings
  /// `const` string; a: its ``FlatString``.
  case constString
  /// a: the limit. The cases up to here are leaves: they never evaluate another node.
  case minLength, maxLength, minItems, maxItems, minProperties, maxProperties
  /// `properties: {name: {const: "..."}}` alone (the usual `if` discriminator); a: the name's
  /// ``FlatString``, b: the constant's.
  case memberConst
  /// `required`; a: first ``FlatString``, b: count.
  case required
  /// `properties` + `additionalProperties` (+ merged `required`); a: ``FlatProperties`` index.
  case properties
  /// `prefixItems` + `items`; a: first prefix node in `lists`, b: prefix count, c: rest node or -1.
  case items
  /// a: first node in `lists`, b: count; for `anyOf`, c: the instruction of the first branch
  /// when that is a single leaf or `properties` (tried in place before the loop), else -1.
  case allOf, anyOf, oneOf
  /// a: the node.
  case not
  /// `if`/`then`/`else`; a: if node, b: then node or -1, c: else node or -1.
  case conditional
  /// A chain of `if`/`then`/`else` whose conditions are all ``memberConst`` on one property
  /// (`else` holding the next `if`); a: ``FlatSwitch`` index.
  case switchConst
  /// `$ref`; a: the target node.
  case ref
  /// ``properties`` and a ``switchConst`` of the same node whose property the table names, in
  /// one scan: the scan notes where the discriminator's value is, so the switch reads it rather
  /// than looking the member up again. a: ``FlatProperties`` index, b: ``FlatSwitch`` index,
  /// c: the discriminator's position among the table's names.
  case propertiesSwitch
  /// A check the flat program does not specialise; a: index in `legacyChecks`.
  case legacyCheck
  /// A whole schema that needs annotations (`unevaluated*`); a: index in `legacyNodes`.
  case legacyNode
  /// `enum`/`const` of scalars (strings, integers, `null`, booleans) with at least one value
  /// that is not a string; a: the same check in `legacyChecks` (for numbers written with a
  /// fraction, an exponent or as `-0`), b: first ``FlatString``, c: a ``ScalarEnum`` packing.
  ///
  /// The strings come first, then each integer in its canonical decimal form, which is how JSON
  /// writes an integer without fraction or exponent (bar `-0`): such a number equals an integer
  /// value exactly when its bytes equal that form.
  case enumScalars
}

/// The operand `c` of ``FlatCode/enumScalars``: the counts of string and integer values and
/// which literals the enum holds.
struct ScalarEnum {
  /// The most values of one sort that the packing holds.
  static let maxCount = 0xFFF
  static let nullBit: Int32 = 1 << 24
  static let falseBit: Int32 = 1 << 25
  static let trueBit: Int32 = 1 << 26

  static func pack(strings: Int, integers: Int, literals: Int32) -> Int32 {
    Int32(strings) | Int32(integers) << 12 | literals
  }
  @inline(__always) static func strings(_ c: Int32) -> Int { Int(c & 0xFFF) }
  @inline(__always) static func integers(_ c: Int32) -> Int { Int(c >> 12 & 0xFFF) }
}

/// One instruction: a trivial struct, so reading it costs no reference counting.
struct FlatOp {
  var a: Int
  var b: Int32
  var c: Int32
  var code: FlatCode
  /// The instruction also stands for a sibling `type` of the one kind it applies to (object,
  /// array or string): an instance of another kind fails instead of passing.
  var strict = false
}

/// A string of the schema (property name, `enum`/`const` value) in the byte arena.
///
/// `word` holds the first (up to) eight bytes, so most comparisons against a tape string are one
/// length and one 64-bit compare.
struct FlatString {
  var start: Int32
  var length: Int32
  var word: WordPrefix
}

/// A `properties`/`additionalProperties` table.
struct FlatProperties {
  /// First ``FlatString`` of the property names, and their count.
  var firstName: Int32
  var count: Int32
  /// First node (in `lists`) of the schemas, one per name.
  var firstSchema: Int32
  /// The `additionalProperties` node, or -1.
  var additional: Int32
  /// Whether `additionalProperties` is the `false` schema.
  var additionalFalse: Bool
  /// Bit `j` set: name `j` is `required` by the same schema (checked in the same scan).
  var requiredMask: UInt64
}

/// An `if`/`then`/`else` chain on one discriminator property, read once per object.
///
/// Case `k` stands for the `k`-th `if` of the chain: its condition holds when the object has
/// no member of that name, or when the member is the case's string. The first case whose
/// condition holds runs its `then`; every case before it runs its ``FlatCase/otherwise``.
struct FlatSwitch {
  /// The property's ``FlatString``.
  var name: Int32
  /// First ``FlatCase`` and first case constant (``FlatString``, consecutive), and the count.
  var firstCase: Int32
  var firstValue: Int32
  var count: Int32
  /// The first `if` as a plain ``FlatCode/conditional`` (if, then, else nodes), for the
  /// objects the switch does not decide alone (repeated keys, recursion near the limit).
  var condition: Int32
  var then: Int32
  var otherwise: Int32
}

/// One `if` of a ``FlatSwitch``.
struct FlatCase {
  /// The `then` node, or -1.
  var then: Int32
  /// When the condition fails: the instructions of the `else` node other than the next `if`
  /// (the whole `else` node for the last case), or -1 for none.
  var otherwise: Int32
}

/// A compiled schema as flat arrays of trivial structs, for the boolean validation pass.
///
/// Built from the ``SchemaNode`` graph once compilation ends. Nodes are indices: node `n`'s
/// instructions are `ops[nodeStart[n]..<nodeStart[n + 1]]`. Checks it does not specialise
/// (patterns, numbers, `uniqueItems`, ...) run through ``SchemaEvaluator`` from a side table,
/// and so do schemas that need annotations for `unevaluated*`. Immutable once built.
///
/// The tables of trivial structs live in one allocation that the program owns (and frees in
/// `deinit`), so that an evaluation reads them through plain pointers: no closure per table and
/// no reference counting per call.
final class FlatProgram: @unchecked Sendable {
  /// The allocation every table below points into.
  private let storage: UnsafeMutableRawPointer
  let ops: UnsafePointer<FlatOp>
  let nodeStart: UnsafePointer<Int32>
  let lists: UnsafePointer<Int32>
  let strings: UnsafePointer<FlatString>
  let arena: UnsafePointer<UInt8>
  let properties: UnsafePointer<FlatProperties>
  let switches: UnsafePointer<FlatSwitch>
  let cases: UnsafePointer<FlatCase>
  /// The number of nodes, including those made for ``FlatSwitch`` cases.
  let nodeCount: Int
  let legacyChecks: [SchemaCheck]
  let legacyNodes: [SchemaNode]
  /// The node validation starts at.
  let root: Int

  /// Translates the compiled nodes; `nil` when the schema uses `$dynamicRef` (the dynamic scope
  /// is tracked only by ``SchemaEvaluator``).
  init?(nodes: [SchemaNode], root: SchemaNode, usesDynamicScope: Bool) {
    if usesDynamicScope { return nil }
    var builder = FlatBuilder(nodes: nodes)
    builder.build()
    guard let rootIndex = builder.index[ObjectIdentifier(root)] else { return nil }
    var layout = FlatLayout()
    let opsOffset = layout.reserve(builder.ops)
    let nodeStartOffset = layout.reserve(builder.nodeStart)
    let listsOffset = layout.reserve(builder.lists)
    let stringsOffset = layout.reserve(builder.strings)
    let arenaOffset = layout.reserve(builder.arena)
    let propertiesOffset = layout.reserve(builder.properties)
    let switchesOffset = layout.reserve(builder.switches)
    let casesOffset = layout.reserve(builder.cases)
    storage = UnsafeMutableRawPointer.allocate(byteCount: max(layout.size, 1), alignment: 16)
    ops = FlatLayout.copy(builder.ops, to: storage + opsOffset)
    nodeStart = FlatLayout.copy(builder.nodeStart, to: storage + nodeStartOffset)
    lists = FlatLayout.copy(builder.lists, to: storage + listsOffset)
    strings = FlatLayout.copy(builder.strings, to: storage + stringsOffset)
    arena = FlatLayout.copy(builder.arena, to: storage + arenaOffset)
    properties = FlatLayout.copy(builder.properties, to: storage + propertiesOffset)
    switches = FlatLayout.copy(builder.switches, to: storage + switchesOffset)
    cases = FlatLayout.copy(builder.cases, to: storage + casesOffset)
    nodeCount = builder.nodeStart.count - 1
    legacyChecks = builder.legacyChecks
    legacyNodes = builder.legacyNodes
    self.root = builder.resolve(rootIndex)
  }

  deinit {
    // Every table holds trivial values only, so there is nothing to deinitialize.
    storage.deallocate()
  }
}

/// Byte offsets of the tables of a ``FlatProgram`` in its one allocation.
struct FlatLayout {
  /// Bytes used so far.
  var size = 0

  /// Reserves room for `array`, aligned for its element; returns the byte offset.
  mutating func reserve<T>(_ array: [T]) -> Int {
    let alignment = MemoryLayout<T>.alignment
    let offset = (size + alignment - 1) / alignment * alignment
    size = offset + MemoryLayout<T>.stride * array.count
    return offset
  }

  /// Copies `array` (of a trivial type) to `destination`, reserved by ``reserve(_:)``.
  static func copy<T>(_ array: [T], to destination: UnsafeMutableRawPointer) -> UnsafePointer<T> {
    let typed = destination.bindMemory(to: T.self, capacity: array.count)
    array.withUnsafeBufferPointer { source in
      if let base = source.baseAddress { typed.initialize(from: base, count: source.count) }
    }
    return UnsafePointer(typed)
  }
}

/// Builds the arrays of a ``FlatProgram``.
struct FlatBuilder {
  let nodes: [SchemaNode]
  var index: [ObjectIdentifier: Int] = [:]
  var ops: [FlatOp] = []
  var nodeStart: [Int32] = []
  var lists: [Int32] = []
  var strings: [FlatString] = []
  var arena: [UInt8] = []
  var properties: [FlatProperties] = []
  var switches: [FlatSwitch] = []
  var cases: [FlatCase] = []
  var legacyChecks: [SchemaCheck] = []
  var legacyNodes: [SchemaNode] = []
  /// Per node: the node it forwards to when its only check is a `$ref` (else itself).
  var alias: [Int] = []

  init(nodes: [SchemaNode]) {
    self.nodes = nodes
    for (n, node) in nodes.enumerated() { index[ObjectIdentifier(node)] = n }
    alias = Array(nodes.indices)
  }

  /// Follows `$ref`-only nodes to the node that does the work (bounded, in case of a cycle).
  func resolve(_ n: Int) -> Int {
    var current = n
    var steps = 0
    while alias[current] != current && steps < alias.count {
      current = alias[current]
      steps += 1
    }
    return current
  }

  func node(_ schema: SchemaNode) -> Int32 {
    Int32(resolve(index[ObjectIdentifier(schema)] ?? 0))
  }

  mutating func string(_ bytes: [UInt8]) -> Int32 {
    strings.append(
      FlatString(
        start: Int32(arena.count), length: Int32(bytes.count), word: WordPrefix(bytes)))
    arena.append(contentsOf: bytes)
    return Int32(strings.count - 1)
  }

  mutating func list(_ schemas: [SchemaNode]) -> Int {
    let first = lists.count
    for schema in schemas { lists.append(node(schema)) }
    return first
  }

  mutating func build() {
    // Aliases first, so that every operand can point past `$ref`-only nodes.
    for (n, node) in nodes.enumerated() where !node.hasUnevaluated && node.checks.count == 1 {
      if case .ref(let target) = node.checks[0].op, let t = index[ObjectIdentifier(target)] {
        alias[n] = t
      }
    }
    for node in nodes {
      nodeStart.append(Int32(ops.count))
      if node.hasUnevaluated {
        legacyNodes.append(node)
        ops.append(FlatOp(a: legacyNodes.count - 1, b: 0, c: 0, code: .legacyNode))
        continue
      }
      let first = ops.count
      emit(node.checks)
      foldType(from: first)
    }
    nodeStart.append(Int32(ops.count))
    compileSwitches()
    fusePropertiesSwitches()
    markLeafFirstBranches()
  }

  /// The position among the names of properties table `p` of switch `s`'s property, if the
  /// table names it (the first position, as the scan's lookup finds).
  func switchName(in p: Int, of s: Int) -> Int? {
    let table = properties[p]
    let name = stringBytes(switches[s].name)
    return (0..<Int(table.count)).first { stringBytes(table.firstName + Int32($0)) == name }
  }

  /// Makes each node's ``FlatCode/properties`` and ``FlatCode/switchConst`` on a property the
  /// table names one ``FlatCode/propertiesSwitch`` (in place of the `properties`), and drops the
  /// switch from the node.
  ///
  /// Instructions of a node are conjunctive and free of side effects, so running the switch
  /// right after the scan, rather than at its own place, changes no result. A node left with
  /// one instruction also spares the evaluator its instruction loop.
  mutating func fusePropertiesSwitches() {
    var fused: [FlatOp] = []
    var starts: [Int32] = []
    fused.reserveCapacity(ops.count)
    for n in 0..<(nodeStart.count - 1) {
      starts.append(Int32(fused.count))
      var code = Array(ops[Int(nodeStart[n])..<Int(nodeStart[n + 1])])
      if let p = code.firstIndex(where: { $0.code == .properties }),
        let s = code.firstIndex(where: { $0.code == .switchConst }),
        let position = switchName(in: code[p].a, of: code[s].a)
      {
        code[p] = FlatOp(
          a: code[p].a, b: Int32(code[s].a), c: Int32(position), code: .propertiesSwitch,
          strict: code[p].strict)
        code.remove(at: s)
      }
      fused.append(contentsOf: code)
    }
    starts.append(Int32(fused.count))
    ops = fused
    nodeStart = starts
  }

  /// Notes in each `anyOf` the instruction of its first branch when that branch is one leaf
  /// instruction (`type`, `minLength`, `enum`, ...) or one `properties` (a discriminated
  /// variant, say), which the evaluator then tries in place.
  mutating func markLeafFirstBranches() {
    for pc in ops.indices where ops[pc].code == .anyOf && ops[pc].b > 0 {
      let first = Int(lists[ops[pc].a])
      let start = Int(nodeStart[first])
      guard Int(nodeStart[first + 1]) - start == 1 else { continue }
      let code = ops[start].code
      if code.rawValue <= FlatCode.maxProperties.rawValue || code == .properties {
        ops[pc].c = Int32(start)
      }
    }
  }

  /// The one kind of instance that instructions of `code` apply to (those that pass any other
  /// kind), if they have one.
  static func kind(of code: FlatCode) -> JSONKind? {
    switch code {
    case .properties, .required, .minProperties, .maxProperties, .memberConst: .object
    case .items, .minItems, .maxItems: .array
    case .minLength, .maxLength, .enumStrings, .constString: .string
    default: nil
    }
  }

  /// Folds the `type` instruction of the node whose instructions start at `first` into a sibling,
  /// which saves one dispatch per evaluation of the node.
  ///
  /// `type: object` with `properties` becomes a ``FlatOp/strict`` `properties` (and so on for
  /// arrays and strings); a `type` that accepts strings goes away next to `enum`/`const` of
  /// strings, which only strings pass anyway. Instructions are conjunctive, so dropping one
  /// that a sibling implies changes no result.
  mutating func foldType(from first: Int) {
    guard let t = (first..<ops.count).first(where: { ops[$0].code == .type }) else { return }
    let mask = ops[t].a
    let siblings = (first..<ops.count).filter { $0 != t }
    if mask & (1 << Int(JSONKind.string.rawValue)) != 0,
      siblings.contains(where: { ops[$0].code == .enumStrings || ops[$0].code == .constString })
    {
      ops.remove(at: t)
      return
    }
    for kind in [JSONKind.object, .array, .string] where mask == 1 << Int(kind.rawValue) {
      if let s = siblings.first(where: { Self.kind(of: ops[$0].code) == kind }) {
        ops[s].strict = true
        ops.remove(at: t)
      }
    }
  }

  /// The ``FlatString``s of the property name and the constant when node `n`'s only
  /// instruction (in `code`) is ``FlatCode/memberConst``.
  func memberConstant(_ n: Int, in code: [FlatOp]) -> (name: Int32, value: Int32)? {
    let start = Int(nodeStart[n])
    guard Int(nodeStart[n + 1]) - start == 1, code[start].code == .memberConst, !code[start].strict
    else { return nil }
    return (Int32(code[start].a), code[start].b)
  }

  /// The bytes of ``FlatString`` `s`.
  func stringBytes(_ s: Int32) -> ArraySlice<UInt8> {
    let string = strings[Int(s)]
    return arena[Int(string.start)..<Int(string.start + string.length)]
  }

  /// Turns each `if`/`then`/`else` whose `if` is a ``FlatCode/memberConst`` into a
  /// ``FlatCode/switchConst``, following `else` nodes whose own `if` tests the same property.
  ///
  /// The instructions of such an `else` node other than its `if` go to a new node, so that the
  /// switch runs them and then the next case without testing the property again. Instructions
  /// are conjunctive and free of side effects, so running them in another order changes no result.
  mutating func compileSwitches() {
    let code = ops
    var pc = 0
    while pc < ops.count {
      let op = ops[pc]
      if op.code == .conditional, let first = memberConstant(op.a, in: code) {
        var values: [Int32] = []
        var chain: [FlatCase] = []
        var visited: Set<Int32> = []
        var current = op
        while let (_, value) = memberConstant(current.a, in: code) {
          values.append(value)
          let otherwise = current.c
          if otherwise >= 0, chain.count < 32, visited.insert(otherwise).inserted,
            let next = chainedConditional(in: Int(otherwise), name: first.name, code: code)
          {
            let others = rest(of: Int(otherwise), without: next, code: code)
            chain.append(FlatCase(then: current.b, otherwise: others))
            current = code[next]
          } else {
            chain.append(FlatCase(then: current.b, otherwise: otherwise))
            break
          }
        }
        let firstValue = strings.count
        for value in values { _ = string(Array(stringBytes(value))) }
        switches.append(
          FlatSwitch(
            name: first.name, firstCase: Int32(cases.count), firstValue: Int32(firstValue),
            count: Int32(chain.count), condition: Int32(op.a), then: op.b, otherwise: op.c))
        cases.append(contentsOf: chain)
        ops[pc] = FlatOp(a: switches.count - 1, b: 0, c: 0, code: .switchConst)
      }
      pc += 1
    }
  }

  /// The position (in `code`) of node `n`'s `if`/`then`/`else` whose `if` tests property `name`
  /// with ``FlatCode/memberConst``, if any.
  func chainedConditional(in n: Int, name: Int32, code: [FlatOp]) -> Int? {
    var pc = Int(nodeStart[n])
    while pc < Int(nodeStart[n + 1]) {
      if code[pc].code == .conditional, let test = memberConstant(code[pc].a, in: code),
        stringBytes(test.name) == stringBytes(name)
      {
        return pc
      }
      pc += 1
    }
    return nil
  }

  /// A new node with the instructions of node `n` except the one at `skipped`; -1 when none is left.
  mutating func rest(of n: Int, without skipped: Int, code: [FlatOp]) -> Int32 {
    let start = Int(nodeStart[n])
    let end = Int(nodeStart[n + 1])
    if end - start == 1 { return -1 }
    // The last entry of `nodeStart` (the end of the last node) becomes the new node's start.
    let node = nodeStart.count - 1
    for pc in start..<end where pc != skipped { ops.append(code[pc]) }
    nodeStart.append(Int32(ops.count))
    return Int32(node)
  }

  /// The bit of a ``FlatCode/type`` operand that accepts integers.
  static let integerBit = 1 << 8

  /// The operand of ``FlatCode/type`` for a bit set of ``SchemaTypes``.
  static func kindMask(_ types: UInt8) -> Int {
    var mask = 0
    func accept(_ kind: JSONKind) { mask |= 1 << Int(kind.rawValue) }
    if types & SchemaTypes.null != 0 { accept(.null) }
    if types & SchemaTypes.boolean != 0 {
      accept(.false)
      accept(.true)
    }
    if types & SchemaTypes.number != 0 { accept(.number) }
    if types & SchemaTypes.integer != 0 { mask |= integerBit }
    if types & SchemaTypes.string != 0 { accept(.string) }
    if types & SchemaTypes.array != 0 { accept(.array) }
    if types & SchemaTypes.object != 0 { accept(.object) }
    return mask
  }

  mutating func op(_ code: FlatCode, _ a: Int, _ b: Int32 = 0, _ c: Int32 = 0) {
    ops.append(FlatOp(a: a, b: b, c: c, code: code))
  }

  /// The bytes of `schema`'s `const` when that (after `$ref`-only hops) is its only check.
  func constantString(_ schema: SchemaNode) -> [UInt8]? {
    let target = nodes[Int(node(schema))]
    guard !target.hasUnevaluated, target.checks.count == 1,
      case .constantString(let table) = target.checks[0].op
    else {
      return nil
    }
    return table.strings[0]
  }

  /// The strings, the integers (canonical decimal bytes) and the literal bits of an `enum` of
  /// scalars, or `nil` when a value is a container or a number that is no `Int64` integer.
  static func scalarEnum(_ values: [JSONValue])
    -> (strings: [[UInt8]], integers: [[UInt8]], literals: Int32)?
  {
    var strings: [[UInt8]] = []
    var integers: [[UInt8]] = []
    var literals: Int32 = 0
    for value in values {
      switch value {
      case .null: literals |= ScalarEnum.nullBit
      case .bool(let b): literals |= b ? ScalarEnum.trueBit : ScalarEnum.falseBit
      case .string(let text): strings.append(Array(text.utf8))
      case .number(let n):
        guard let integer = n.decimal.int64 else { return nil }
        integers.append(Array(String(integer).utf8))
      case .array, .object: return nil
      }
    }
    guard strings.count <= ScalarEnum.maxCount, integers.count <= ScalarEnum.maxCount else {
      return nil
    }
    return (strings, integers, literals)
  }

  /// Emits ``FlatCode/enumScalars`` for `values` when they are all scalars, else the check as a
  /// ``FlatCode/legacyCheck``; the legacy check is kept either way for the numbers it must judge.
  mutating func emitScalarEnum(_ check: SchemaCheck, _ values: [JSONValue]) {
    legacyChecks.append(check)
    guard let scalars = Self.scalarEnum(values) else {
      op(.legacyCheck, legacyChecks.count - 1)
      return
    }
    let first = strings.count
    for bytes in scalars.strings + scalars.integers { _ = string(bytes) }
    op(
      .enumScalars, legacyChecks.count - 1, Int32(first),
      ScalarEnum.pack(
        strings: scalars.strings.count, integers: scalars.integers.count,
        literals: scalars.literals))
  }

  mutating func emit(_ checks: [SchemaCheck]) {
    // `required` keys that `properties` also names are checked during the properties scan.
    var mergedRequired: [PropertyKey] = []
    var propertiesTable: PropertiesCheck?
    for check in checks {
      if case .properties(let table) = check.op, table.patterns.isEmpty, table.names.count <= 64 {
        propertiesTable = table
      }
    }
    for check in checks {
      if case .required(let keys) = check.op, let table = propertiesTable,
        keys.allSatisfy({ key in table.names.contains { $0.bytes == key.bytes } })
      {
        mergedRequired.append(contentsOf: keys)
      }
    }
    for check in checks {
      switch check.op {
      case .alwaysFalse: op(.fail, 0)
      case .type(let mask): op(.type, Self.kindMask(mask))
      case .enumStrings(let table):
        let first = strings.count
        for s in table.strings { _ = string(s) }
        op(.enumStrings, first, Int32(table.strings.count))
      case .constantString(let table):
        op(.constString, Int(string(table.strings[0])))
      case .minLength(let n): op(.minLength, n)
      case .maxLength(let n): op(.maxLength, n)
      case .minItems(let n): op(.minItems, n)
      case .maxItems(let n): op(.maxItems, n)
      case .minProperties(let n): op(.minProperties, n)
      case .maxProperties(let n): op(.maxProperties, n)
      case .required(let keys):
        if !mergedRequired.isEmpty
          && keys.allSatisfy({ key in mergedRequired.contains { $0.bytes == key.bytes } })
        {
          continue
        }
        let first = strings.count
        for key in keys { _ = string(key.bytes) }
        op(.required, first, Int32(keys.count))
      case .properties(let table)
      where table === propertiesTable && table.names.count == 1 && table.additional == nil
        && mergedRequired.isEmpty
        && constantString(table.schemas[0]) != nil:
        let name = string(table.names[0].bytes)
        let value = string(constantString(table.schemas[0]) ?? [])
        op(.memberConst, Int(name), value)
      case .properties(let table) where table === propertiesTable:
        let firstName = strings.count
        var mask: UInt64 = 0
        for (j, name) in table.names.enumerated() {
          _ = string(name.bytes)
          if mergedRequired.contains(where: { $0.bytes == name.bytes }) { mask |= 1 << UInt64(j) }
        }
        let firstSchema = list(table.schemas)
        let additional = table.additional.map(node) ?? -1
        properties.append(
          FlatProperties(
            firstName: Int32(firstName), count: Int32(table.names.count),
            firstSchema: Int32(firstSchema),
            additional: additional, additionalFalse: table.additional?.isFalse ?? false,
            requiredMask: mask))
        op(.properties, properties.count - 1)
      case .items(let table):
        let first = list(table.prefix)
        op(.items, first, Int32(table.prefix.count), table.rest.map(node) ?? -1)
      case .allOf(let schemas): op(.allOf, list(schemas), Int32(schemas.count))
      case .anyOf(let schemas): op(.anyOf, list(schemas), Int32(schemas.count), -1)
      case .oneOf(let schemas): op(.oneOf, list(schemas), Int32(schemas.count))
      case .not(let schema): op(.not, Int(node(schema)))
      case .conditional(let table):
        // Without then/else, `if` only contributes annotations, which this program never needs.
        if table.then == nil && table.otherwise == nil { continue }
        op(
          .conditional, Int(node(table.condition)), table.then.map(node) ?? -1,
          table.otherwise.map(node) ?? -1)
      case .ref(let target): op(.ref, Int(node(target)))
      case .enumeration(let values): emitScalarEnum(check, values)
      case .constant(let value): emitScalarEnum(check, [value])
      default:
        legacyChecks.append(check)
        op(.legacyCheck, legacyChecks.count - 1)
      }
    }
  }
}
