/// Runs a ``FlatProgram`` over a document tape and answers valid or not, building nothing.
///
/// Holds plain pointers only (the program's tables, which the program owns, and the document's
/// buffers, valid for one ``FlatProgram/isValid`` call) and unowned references, so making one,
/// copying it or reading an instruction costs no reference counting.
struct FlatEvaluator {
  let ops: UnsafePointer<FlatOp>
  let nodeStart: UnsafePointer<Int32>
  let lists: UnsafePointer<Int32>
  let strings: UnsafePointer<FlatString>
  let arena: UnsafePointer<UInt8>
  let properties: UnsafePointer<FlatProperties>
  let switches: UnsafePointer<FlatSwitch>
  let cases: UnsafePointer<FlatCase>
  /// The program, alive for the whole evaluation (its caller holds it).
  unowned(unsafe) let program: FlatProgram
  let nodes: UnsafeBufferPointer<JSONNode>
  let bytes: UnsafeBufferPointer<UInt8>
  /// The document's bytes for whole-word reads, and the last offset where a word fits (-1 when
  /// the document has no bytes, so `wordBase` is then never read).
  let wordBase: UnsafeRawPointer
  let wordLimit: Int
  /// The node graph, for the checks handed to ``SchemaEvaluator`` (alive like `program`).
  unowned(unsafe) let schemaProgram: SchemaProgram
  /// The node validation started at.
  let origin: Int
  /// No object of the document repeats a key (the parser reported no duplicate), so a member
  /// lookup may stop at the first match.
  let uniqueKeys: Bool
  /// The subschema evaluations left (below zero: the budget ran out).
  ///
  /// Shared with the ``SchemaEvaluator`` runs of legacy checks. Only the instructions that
  /// evaluate other nodes at the same instance value spend it (`$ref`, `allOf`, `anyOf`, `oneOf`,
  /// `not`, `if`/`then`/`else` and switches): they alone can multiply the work at one value;
  /// `properties` and `items` evaluate each member or element once.
  let budget: UnsafeMutablePointer<Int>

  init(
    program: FlatProgram, nodes: UnsafeBufferPointer<JSONNode>, bytes: UnsafeBufferPointer<UInt8>,
    schemaProgram: SchemaProgram, origin: Int, uniqueKeys: Bool, budget: UnsafeMutablePointer<Int>
  ) {
    ops = program.ops
    nodeStart = program.nodeStart
    lists = program.lists
    strings = program.strings
    arena = program.arena
    properties = program.properties
    switches = program.switches
    cases = program.cases
    self.program = program
    self.nodes = nodes
    self.bytes = bytes
    if let base = bytes.baseAddress {
      wordBase = UnsafeRawPointer(base)
      wordLimit = bytes.count &- 8
    } else {
      wordBase = UnsafeRawPointer(program.arena)
      wordLimit = -1
    }
    self.schemaProgram = schemaProgram
    self.origin = origin
    self.uniqueKeys = uniqueKeys
    self.budget = budget
  }

  /// Spends `count` evaluations of the budget; false once it has run out.
  @inline(__always)
  func spend(_ count: Int) -> Bool {
    let left = budget.pointee &- count
    budget.pointee = left
    return left >= 0
  }

  /// A boolean-mode ``SchemaEvaluator`` on the same tape, for the rare checks it does here.
  ///
  /// The flat evaluator itself holds no mutable state, so it is never copied on a call.
  func legacy(depth: Int = 0) -> SchemaEvaluator {
    var evaluator = SchemaEvaluator(
      nodes: nodes, bytes: bytes, program: schemaProgram, origin: origin, collecting: false,
      limit: 0)
    evaluator.depth = depth
    return evaluator
  }

  // MARK: Tape helpers

  @inline(__always) func next(_ i: Int) -> Int { Int(nodes[i].end) }

  /// The eight bytes at `start` of the document as a little-endian word (bytes past the end
  /// read as zero): one compare against a limit set once, rather than two per read.
  @inline(__always) func word(at start: Int) -> UInt64 {
    if start <= wordLimit {
      return UInt64(littleEndian: wordBase.loadUnaligned(fromByteOffset: start, as: UInt64.self))
    }
    return littleEndianWordNearEnd(bytes, at: start)
  }

  /// Whether schema string `s` equals the `length` raw bytes at `start` beyond the prefix.
  @inline(__always) func tailEquals(_ s: FlatString, _ start: Int, _ length: Int) -> Bool {
    var j = 8
    let base = Int(s.start)
    while j < length {
      if arena[base &+ j] != bytes[start &+ j] { return false }
      j &+= 1
    }
    return true
  }

  /// The position (from 0) among `count` schema strings from `first` of string node `i`, or -1.
  @inline(__always)
  func find(_ i: Int, _ first: Int, _ count: Int) -> Int {
    let n = nodes[i]
    if n.flags & 1 != 0 { return findDecoded(i, first, count) }
    let start = Int(n.start)
    let length = Int(n.length)
    let w = word(at: start)
    var j = 0
    while j < count {
      let s = strings[first &+ j]
      if Int(s.length) == length && s.word.matches(w)
        && (length <= 8 || tailEquals(s, start, length))
      {
        return j
      }
      j &+= 1
    }
    return -1
  }

  /// ``find(_:_:_:)`` for a string with escapes: decodes it first (rare, allocates).
  @inline(never)
  func findDecoded(_ i: Int, _ first: Int, _ count: Int) -> Int {
    let decoded = legacy().stringBytes(i)
    var j = 0
    while j < count {
      let s = strings[first &+ j]
      if Int(s.length) == decoded.count
        && decoded.indices.allSatisfy({ arena[Int(s.start) &+ $0] == decoded[$0] })
      {
        return j
      }
      j &+= 1
    }
    return -1
  }

  // MARK: Evaluation

  /// Whether node `i` satisfies schema node `schema`, `depth` levels down: a node without
  /// instructions always holds, and at ``SchemaEvaluator/maxDepth`` levels nothing else does.
  ///
  /// Its instructions run through ``step(_:_:_:)``.
  @inline(never)
  func eval(_ schema: Int, _ i: Int, _ depth: Int) -> Bool {
    var pc = Int(nodeStart[schema])
    let end = Int(nodeStart[schema &+ 1])
    if pc == end { return true }
    if depth >= SchemaEvaluator.maxDepth { return false }
    let inner = depth &+ 1
    repeat {
      if !step(pc, i, inner) { return false }
      pc &+= 1
    } while pc < end
    return true
  }

  /// ``eval(_:_:_:)`` with the node of one instruction (most subschemas) run in place.
  @inline(__always)
  func check(_ schema: Int, _ i: Int, _ depth: Int) -> Bool {
    let start = Int(nodeStart[schema])
    if Int(nodeStart[schema &+ 1]) &- start != 1 { return eval(schema, i, depth) }
    if depth >= SchemaEvaluator.maxDepth { return false }
    return step(start, i, depth &+ 1)
  }

  /// Runs instruction `pc` on node `i`: leaves inline, `properties` and switches straight to
  /// their scans (the commonest applicators, spared the frame of ``run(_:_:_:)``), the first
  /// branch of an `anyOf` inline when it is one leaf or `properties`, the rest in
  /// ``run(_:_:_:)``.
  @inline(__always)
  func step(_ pc: Int, _ i: Int, _ depth: Int) -> Bool {
    let op = ops[pc]
    if op.code.rawValue <= FlatCode.maxProperties.rawValue {
      // A string `enum` (a role, a kind) is decided by its lookup, in place.
      if op.code == .enumStrings {
        return nodes[i].kind == .string && find(i, op.a, Int(op.b)) >= 0
      }
      return quickLeaf(op, nodes[i]) || runLeaf(pc, i)
    }
    if op.code == .properties {
      let node = nodes[i]
      guard node.kind == .object else { return !op.strict }
      return runProperties(op.a, i, Int(node.end), depth)
    }
    if op.code == .switchConst { return runSwitch(op.a, i, depth) }
    if op.code == .propertiesSwitch { return runPropertiesSwitch(pc, i, depth) }
    // An `anyOf` whose first branch is one instruction that holds (a string for `type: string`,
    // an object for `properties`, say) needs no loop; otherwise `run` tries every branch. The
    // branch runs one level down, as ``check(_:_:_:)`` would run it.
    if op.code == .anyOf && op.c >= 0 && depth < SchemaEvaluator.maxDepth
      && runFirstBranch(Int(op.c), i, depth &+ 1)
    {
      return true
    }
    return run(pc, i, depth)
  }

  /// Runs instruction `pc`, the first branch of an `anyOf` (a leaf or a `properties`), on node
  /// `i` at `depth`.
  @inline(__always)
  func runFirstBranch(_ pc: Int, _ i: Int, _ depth: Int) -> Bool {
    let op = ops[pc]
    let node = nodes[i]
    if op.code == .properties {
      guard node.kind == .object else { return !op.strict }
      return runProperties(op.a, i, Int(node.end), depth)
    }
    return quickLeaf(op, node) || runLeaf(pc, i)
  }

  /// Whether leaf `op` plainly holds for `node` on a test of a few instructions.
  ///
  /// Such tests are a `type` that accepts the node's kind and a `minLength` that the byte length of
  /// a string settles. `false` means "not settled here": ``runLeaf(_:_:)`` decides.
  ///
  /// The compiler keeps ``runLeaf(_:_:)`` out of line (a call and a jump table per leaf); these
  /// are the leaves most values meet, so most of those calls are saved.
  @inline(__always)
  func quickLeaf(_ op: FlatOp, _ node: JSONNode) -> Bool {
    if op.code == .type { return op.a &>> Int(node.kind.rawValue) & 1 != 0 }
    guard op.code == .minLength && node.kind == .string else { return false }
    // A code point takes at most 4 bytes, or 12 as an escaped surrogate pair.
    let length = Int(node.length)
    return op.a <= (node.flags & 1 == 0 ? length &>> 2 : length / 12)
  }

  /// Runs instruction `pc` (not a leaf) on node `i`; applicators recurse through
  /// ``check(_:_:_:)``.
  ///
  /// Takes indices rather than the instruction and the node, which would be packed into
  /// registers at every call.
  @inline(never)
  func run(_ pc: Int, _ i: Int, _ depth: Int) -> Bool {
    let op = ops[pc]
    let node = nodes[i]
    switch op.code {
    case .fail, .type, .enumStrings, .constString, .minLength, .maxLength, .minItems, .maxItems,
      .minProperties,
      .maxProperties:
      return runLeaf(pc, i)

    case .memberConst:
      return runMemberConst(op, node, i)

    case .required:
      guard node.kind == .object else { return !op.strict }
      let count = Int(op.b)
      if count > 64 { return requiredSlow(i, op.a, count) }
      var missing = count == 64 ? UInt64.max : (1 &<< UInt64(count)) &- 1
      var k = i &+ 1
      let stop = Int(node.end)
      while k < stop && missing != 0 {
        let j = find(k, op.a, count)
        if j >= 0 { missing &= ~(1 &<< UInt64(j)) }
        k = next(k &+ 1)
      }
      return missing == 0

    case .properties:
      guard node.kind == .object else { return !op.strict }
      return runProperties(op.a, i, Int(node.end), depth)

    case .items:
      guard node.kind == .array else { return !op.strict }
      let prefixCount = Int(op.b)
      var index = 0
      var e = i &+ 1
      let stop = Int(node.end)
      while e < stop && index < prefixCount {
        if !check(Int(lists[op.a &+ index]), e, depth) { return false }
        index &+= 1
        e = next(e)
      }
      return e >= stop || op.c < 0 || runItems(Int(op.c), from: e, to: stop, depth)

    case .allOf:
      if !spend(Int(op.b)) { return false }
      var j = 0
      while j < Int(op.b) {
        if !check(Int(lists[op.a &+ j]), i, depth) { return false }
        j &+= 1
      }
      return true

    case .anyOf:
      if !spend(Int(op.b)) { return false }
      var j = 0
      while j < Int(op.b) {
        if check(Int(lists[op.a &+ j]), i, depth) { return true }
        j &+= 1
      }
      return false

    case .oneOf:
      if !spend(Int(op.b)) { return false }
      var matched = 0
      var j = 0
      while j < Int(op.b) {
        if check(Int(lists[op.a &+ j]), i, depth) {
          matched &+= 1
          if matched > 1 { return false }
        }
        j &+= 1
      }
      return matched == 1

    case .not:
      // Out of budget, the verdict is discarded: `not` may invert the `false` it gets.
      if !spend(1) { return false }
      return !check(op.a, i, depth)

    case .conditional:
      return runConditional(op.a, Int(op.b), Int(op.c), i, depth)

    case .switchConst:
      return runSwitch(op.a, i, depth)

    case .propertiesSwitch:
      return runPropertiesSwitch(pc, i, depth)

    case .ref:
      if !spend(1) { return false }
      return check(op.a, i, depth)

    case .legacyCheck:
      return runLegacyCheck(op.a, i, depth)

    case .legacyNode:
      return runLegacyNode(op.a, i, depth)

    case .enumScalars:
      return runScalarEnum(op, i, depth)
    }
  }

  /// Whether node `i` is one of the values of ``FlatCode/enumScalars`` `op`.
  ///
  /// Strings and integers written plainly compare as bytes; a number with a fraction or an
  /// exponent, or `-0`, may still equal an integer value, so the evaluator judges those.
  func runScalarEnum(_ op: FlatOp, _ i: Int, _ depth: Int) -> Bool {
    let node = nodes[i]
    let strings = ScalarEnum.strings(op.c)
    switch node.kind {
    case .null: return op.c & ScalarEnum.nullBit != 0
    case .false: return op.c & ScalarEnum.falseBit != 0
    case .true: return op.c & ScalarEnum.trueBit != 0
    case .string: return find(i, Int(op.b), strings) >= 0
    case .number:
      let integers = ScalarEnum.integers(op.c)
      if integers == 0 { return false }
      let start = Int(node.start)
      // A plain number has at least two bytes when it starts with a minus sign.
      let negativeZero = bytes[start] == UInt8(ascii: "-") && bytes[start &+ 1] == UInt8(ascii: "0")
      if node.flags & 1 != 0 || negativeZero {
        return runLegacyCheck(op.a, i, depth)
      }
      return find(i, Int(op.b) &+ strings, integers) >= 0
    case .array, .object: return false
    }
  }

  /// Whether every element of an array from node `first` (there is one) to `stop` satisfies
  /// schema node `schema`, as ``check(_:_:_:)`` would answer for each.
  ///
  /// A node of one instruction (the usual `items: {$ref: ...}`) is looked up once for the
  /// whole array rather than once per element.
  func runItems(_ schema: Int, from first: Int, to stop: Int, _ depth: Int) -> Bool {
    let start = Int(nodeStart[schema])
    var e = first
    if Int(nodeStart[schema &+ 1]) &- start != 1 {
      while e < stop {
        if !eval(schema, e, depth) { return false }
        e = next(e)
      }
      return true
    }
    if depth >= SchemaEvaluator.maxDepth { return false }
    let inner = depth &+ 1
    while e < stop {
      if !step(start, e, inner) { return false }
      e = next(e)
    }
    return true
  }

  /// `if` node `condition`, `then` node `then` and `else` node `otherwise` (-1: absent) on node `i`.
  @inline(__always)
  func runConditional(_ condition: Int, _ then: Int, _ otherwise: Int, _ i: Int, _ depth: Int)
    -> Bool
  {
    if !spend(2) { return false }
    if check(condition, i, depth) {
      return then < 0 || check(then, i, depth)
    }
    return otherwise < 0 || check(otherwise, i, depth)
  }

  /// Runs an `if`/`then`/`else` chain on node `i`, looking the property up once.
  ///
  /// Each further case runs one level deeper, as the nested `else` nodes would; objects with
  /// repeated keys (every occurrence must match) and recursion near the limit take the plain
  /// conditional instead.
  func runSwitch(_ index: Int, _ i: Int, _ depth: Int) -> Bool {
    let table = switches[index]
    let node = nodes[i]
    if !canSwitch(table, depth) {
      return runConditional(
        Int(table.condition), Int(table.then), Int(table.otherwise), i, depth)
    }
    var member = -1
    if node.kind == .object {
      var k = i &+ 1
      let stop = Int(node.end)
      while k < stop {
        if find(k, Int(table.name), 1) == 0 {
          member = k &+ 1
          break
        }
        k = next(k &+ 1)
      }
    }
    return runCases(index, i, depth, member: member)
  }

  /// Whether a switch may decide alone: every key of the document is unique (one member to
  /// read) and the nested `else` levels stay within the depth limit.
  @inline(__always)
  func canSwitch(_ table: FlatSwitch, _ depth: Int) -> Bool {
    uniqueKeys && depth &+ Int(table.count) < SchemaEvaluator.maxDepth
  }

  /// The cases of switch `index` on node `i`, whose property has the value node `member` (-1 when
  /// `i` has no such member or is no object); only where ``canSwitch(_:_:)`` holds.
  func runCases(_ index: Int, _ i: Int, _ depth: Int, member: Int) -> Bool {
    let table = switches[index]
    let count = Int(table.count)
    // The first case whose condition holds: with no such member every one does; with a member
    // that is not a string none does.
    var matched = 0
    if member >= 0 {
      matched = nodes[member].kind == .string ? find(member, Int(table.firstValue), count) : -1
      if matched < 0 { matched = count }
    }
    if !spend(matched &+ 1) { return false }
    var level = depth
    var j = 0
    let first = Int(table.firstCase)
    while j < matched {
      let otherwise = Int(cases[first &+ j].otherwise)
      if j == count &- 1 { return otherwise < 0 || check(otherwise, i, level) }
      if otherwise >= 0 && !check(otherwise, i, level) { return false }
      level &+= 1
      j &+= 1
    }
    let then = Int(cases[first &+ matched].then)
    return then < 0 || check(then, i, level)
  }

  /// Runs check `index` of the side table with ``SchemaEvaluator`` (kept out of line: rare).
  @inline(never)
  func runLegacyCheck(_ index: Int, _ i: Int, _ depth: Int) -> Bool {
    var annotations = Annotations()
    var legacy = legacy(depth: depth)
    legacy.remaining = budget.pointee
    let valid = legacy.run(program.legacyChecks[index], i, &annotations, false)
    budget.pointee = legacy.remaining
    return valid
  }

  /// Evaluates a schema that needs annotations with ``SchemaEvaluator``.
  @inline(never)
  func runLegacyNode(_ index: Int, _ i: Int, _ depth: Int) -> Bool {
    var annotations = Annotations()
    var legacy = legacy(depth: depth)
    legacy.remaining = budget.pointee
    let valid = legacy.eval(program.legacyNodes[index], i, &annotations, false)
    budget.pointee = legacy.remaining
    return valid
  }

  /// Runs leaf instruction `pc` (one that evaluates no other node) on node `i`.
  @inline(__always)
  func runLeaf(_ pc: Int, _ i: Int) -> Bool {
    let op = ops[pc]
    let node = nodes[i]
    switch op.code {
    case .fail:
      return false

    case .type:
      // Bit `kind` of `a`: the kind is accepted; bit 8: integers are (a number needs a test).
      if op.a &>> Int(node.kind.rawValue) & 1 != 0 { return true }
      return node.kind == .number && op.a & FlatBuilder.integerBit != 0
        && (node.flags & 1 == 0 || isIntegral(i))

    case .enumStrings:
      return node.kind == .string && find(i, op.a, Int(op.b)) >= 0

    case .constString:
      return node.kind == .string && find(i, op.a, 1) >= 0

    case .minLength:
      guard node.kind == .string else { return !op.strict }
      // A code point takes at most 4 bytes, or 12 as an escaped surrogate pair. Two divisions
      // by a constant (a shift, a multiply) rather than one by a choice of the two, which would
      // be a hardware divide on every string.
      let atLeast = node.flags & 1 == 0 ? Int(node.length) &>> 2 : Int(node.length) / 12
      if op.a <= atLeast { return true }
      return codePoints(i) >= op.a

    case .maxLength:
      guard node.kind == .string else { return !op.strict }
      if Int(node.length) <= op.a { return true }
      return codePoints(i) <= op.a

    case .minItems:
      guard node.kind == .array else { return !op.strict }
      return Int(node.length) >= op.a
    case .maxItems:
      guard node.kind == .array else { return !op.strict }
      return Int(node.length) <= op.a
    case .minProperties:
      guard node.kind == .object else { return !op.strict }
      return Int(node.length) >= op.a
    case .maxProperties:
      guard node.kind == .object else { return !op.strict }
      return Int(node.length) <= op.a

    default:
      return true
    }
  }

  /// Whether every member `op.a` of object `i` (if any) is the string `op.b`.
  @inline(__always)
  func runMemberConst(_ op: FlatOp, _ node: JSONNode, _ i: Int) -> Bool {
    guard node.kind == .object else { return !op.strict }
    var k = i &+ 1
    let stop = Int(node.end)
    while k < stop {
      if find(k, op.a, 1) == 0 {
        let v = k &+ 1
        if nodes[v].kind != .string || find(v, Int(op.b), 1) != 0 { return false }
        if uniqueKeys { return true }
      }
      k = next(k &+ 1)
    }
    return true
  }

  /// Whether number node `i`, written with a fraction or exponent, is an integer (rare: out of line).
  @inline(never)
  func isIntegral(_ i: Int) -> Bool { legacy().decimal(i).isInteger }

  /// The length of string node `i` in code points (out of line: most strings pass on byte length).
  @inline(never)
  func codePoints(_ i: Int) -> Int { legacy().codePointCount(i) }

  /// `required` with more than 64 keys: one member lookup per key.
  func requiredSlow(_ i: Int, _ first: Int, _ count: Int) -> Bool {
    var j = 0
    while j < count {
      var found = false
      var k = i &+ 1
      let stop = next(i)
      while k < stop && !found {
        if find(k, first &+ j, 1) == 0 { found = true }
        k = next(k &+ 1)
      }
      if !found { return false }
      j &+= 1
    }
    return true
  }

  /// One scan over the members of object `i`: each value against its property's schema (or
  /// `additionalProperties`), while noting which required names were seen.
  @inline(__always)
  func runProperties(_ index: Int, _ i: Int, _ stop: Int, _ depth: Int) -> Bool {
    scanProperties(index, i, stop, depth, watching: -1) != Self.scanFailed
  }

  /// What ``scanProperties(_:_:_:_:watching:)`` answers when the object fails the table.
  static let scanFailed = -2

  /// ``runProperties(_:_:_:_:)`` that also notes the value of the member named by the table's
  /// name `watched`: that node, -1 when the object has no such member (or `watched` is -1), or
  /// ``scanFailed``.
  func scanProperties(_ index: Int, _ i: Int, _ stop: Int, _ depth: Int, watching watched: Int)
    -> Int
  {
    let table = properties[index]
    var missing = table.requiredMask
    let first = Int(table.firstName)
    let count = Int(table.count)
    var member = -1
    var k = i &+ 1
    while k < stop {
      let v = k &+ 1
      let j = find(k, first, count)
      if j >= 0 {
        missing &= ~(1 &<< UInt64(j))
        if j == watched { member = v }
        if !check(Int(lists[Int(table.firstSchema) &+ j]), v, depth) { return Self.scanFailed }
      } else if table.additional >= 0 {
        if table.additionalFalse || !check(Int(table.additional), v, depth) {
          return Self.scanFailed
        }
      }
      k = next(v)
    }
    return missing == 0 ? member : Self.scanFailed
  }

  /// Runs ``FlatCode/propertiesSwitch`` `pc` on node `i`: the properties scan, then the switch
  /// on the member the scan saw, without a second lookup.
  ///
  /// Where the switch cannot decide alone (repeated keys, recursion near the limit), or `i` is
  /// no object, both run as they would apart.
  func runPropertiesSwitch(_ pc: Int, _ i: Int, _ depth: Int) -> Bool {
    let op = ops[pc]
    let node = nodes[i]
    let index = Int(op.b)
    guard node.kind == .object else { return !op.strict && runSwitch(index, i, depth) }
    if !canSwitch(switches[index], depth) {
      return runProperties(op.a, i, Int(node.end), depth) && runSwitch(index, i, depth)
    }
    let member = scanProperties(op.a, i, Int(node.end), depth, watching: Int(op.c))
    return member != Self.scanFailed && runCases(index, i, depth, member: member)
  }
}

extension FlatProgram {
  /// Whether node `node` of the tape satisfies the schema.
  /// - Parameters:
  ///   - nodes: the document's tape.
  ///   - bytes: the document's bytes.
  ///   - node: the value to check.
  ///   - schemaProgram: the node graph, for checks that run through ``SchemaEvaluator``.
  ///   - uniqueKeys: no object of the document repeats a key.
  ///   - budget: the subschema evaluations allowed, less those spent on return; below zero,
  ///     the budget ran out and the answer means nothing.
  /// - Returns: whether the value is valid.
  /// - Complexity: O(instance size × schema applicators), at most the budget's evaluations;
  ///   allocates only for strings with escapes that must be compared, and in the checks
  ///   handed to ``SchemaEvaluator``.
  func isValid(
    nodes: UnsafeBufferPointer<JSONNode>, bytes: UnsafeBufferPointer<UInt8>, node: Int,
    schemaProgram: SchemaProgram,
    uniqueKeys: Bool, budget: inout Int
  ) -> Bool {
    withUnsafeMutablePointer(to: &budget) { budget in
      let evaluator = FlatEvaluator(
        program: self, nodes: nodes, bytes: bytes, schemaProgram: schemaProgram, origin: node,
        uniqueKeys: uniqueKeys, budget: budget)
      return withExtendedLifetime(self) { evaluator.eval(root, node, 0) }
    }
  }
}
