/// Why a regular expression could not be compiled.
struct RegexSyntaxError: Error, Sendable, CustomStringConvertible {
  /// What is wrong, in words.
  var message: String
  /// The scalar offset in the pattern.
  var offset: Int
  var description: String { "\(message) at character \(offset + 1)" }
}

/// The outcome of a search that may run out of its step budget.
enum RegexResult: Sendable, Equatable {
  case match, noMatch
  /// The pattern backtracked more than the budget allows on this input (a pathological pattern).
  case budgetExceeded
}

/// A regular expression with ECMA-262 semantics (in Unicode mode), matched by backtracking
/// over Unicode scalars.
///
/// Supports character classes, `.`, anchors `^ $ \b \B`, greedy and lazy quantifiers, groups
/// (capturing, non-capturing, named), alternation, backreferences, lookahead and lookbehind,
/// `\d \w \s` (ASCII digits and word characters, Unicode white space, as ECMA-262 defines them)
/// and property escapes such as `\p{L}`, `\p{Letter}`, `\p{Lu}` and `\P{Nd}`.
///
/// The pattern is compiled to a small program that ``RegexMachine`` runs with its backtracking
/// state on the heap, so a long subject never deepens the native stack (worker threads have
/// small stacks); only lookarounds recurse, and they nest at most ``maxNesting`` deep, like
/// every group. Every search has a step budget, so a catastrophic pattern yields
/// ``RegexResult/budgetExceeded`` instead of hanging.
struct ECMARegex: Sendable {
  /// The deepest nesting of groups (of any kind, lookarounds included) a pattern may have; the
  /// parser and compiler recurse once per level.
  static let maxNesting = 256

  /// The source text.
  let pattern: String
  let program: RegexProgram
  let captureCount: Int
  let anchoredAtStart: Bool
  /// The most steps one search may take beyond one pass of the program over the input (which
  /// ``search(scalars:)`` adds, so that a long subject alone never exhausts the budget).
  var stepBudget: Int = 1_000_000
  /// The most entries the backtrack stack may hold (16 bytes each, so 64 MiB per search).
  ///
  /// A greedy loop saves a choice for every pass, so without a cap `^(?:a|b)*c$` on a 30 MB
  /// value held 1.3 GB. A search that needs more gives ``RegexResult/budgetExceeded`` like
  /// one that needs too many steps; patterns with a simple repeated atom (`a*`, `[^<]*`)
  /// keep one entry per loop whatever the length.
  var backtrackLimit: Int = 1 << 22

  /// Compiles `pattern`.
  /// - Throws: ``RegexSyntaxError`` when the pattern is not a valid ECMA-262 Unicode-mode pattern,
  ///   or nests groups more than ``maxNesting`` deep.
  init(_ pattern: String) throws(RegexSyntaxError) {
    self.pattern = pattern
    var parser = RegexParser(Array(pattern.unicodeScalars))
    let parsed = try parser.parseDisjunction()
    if parser.pos < parser.chars.count {
      throw RegexSyntaxError(message: "unmatched ')'", offset: parser.pos)
    }
    let root = try parser.resolveReferences(parsed)
    self.captureCount = parser.captureCount
    var compiler = RegexCompiler(captureCount: parser.captureCount)
    compiler.emit(root)
    compiler.ops.append(.accept)
    self.program = compiler.program
    if case .seq(let items) = root, case .start = items.first {
      anchoredAtStart = true
    } else if case .start = root {
      anchoredAtStart = true
    } else {
      anchoredAtStart = false
    }
  }

  /// Searches `text` for a match anywhere (patterns are not implicitly anchored).
  func search(_ text: String) -> RegexResult {
    search(scalars: Array(text.unicodeScalars.lazy.map(\.value)))
  }

  /// Searches a scalar array for a match anywhere.
  func search(scalars: [UInt32]) -> RegexResult {
    // One linear pass costs about one step per instruction per scalar; the budget is for
    // backtracking on top of that.
    let (pass, overflow) = program.ops.count.multipliedReportingOverflow(by: scalars.count + 1)
    let budget = overflow || pass > Int.max - stepBudget ? Int.max : stepBudget + pass
    var machine = RegexMachine(
      program: program, input: scalars, budget: budget, backtrackLimit: backtrackLimit)
    let lastStart = anchoredAtStart ? 0 : scalars.count
    for start in 0...lastStart {
      if machine.run(from: 0, at: start, mustEndAt: -1) != nil { return .match }
      if machine.exceeded { return .budgetExceeded }
    }
    return .noMatch
  }
}

/// One node of a parsed pattern.
indirect enum RegexNode: Sendable {
  case empty
  case char(UInt32)
  /// `.`: any scalar but a line terminator.
  case dot
  case set(RegexCharSet)
  case seq([RegexNode])
  case alt([RegexNode])
  /// A group; `capture` is its 0-based capture slot, nil for `(?:...)`.
  case group(RegexNode, capture: Int?)
  /// A quantified atom; `captures` are the capture slots inside it, reset on each iteration.
  case repetition(RegexNode, min: Int, max: Int, greedy: Bool, captures: Range<Int>)
  case start, end
  case wordBoundary(negated: Bool)
  case backreference(Int)
  case namedReference(String)
  case look(RegexNode, ahead: Bool, negated: Bool)

  /// Whether the node matches exactly one scalar with no captures (eligible for fast repetition).
  var isSingleScalar: Bool {
    switch self {
    case .char, .dot, .set: true
    default: false
    }
  }

  /// Whether the node can match without consuming input (then a loop over it needs the
  /// empty-iteration check).
  var canMatchEmpty: Bool {
    switch self {
    case .char, .dot, .set: false
    case .empty, .start, .end, .wordBoundary, .backreference, .namedReference, .look: true
    case .seq(let items): items.allSatisfy(\.canMatchEmpty)
    case .alt(let options): options.contains(where: \.canMatchEmpty)
    case .group(let inner, _): inner.canMatchEmpty
    case .repetition(let inner, let min, _, _, _): min == 0 || inner.canMatchEmpty
    }
  }

  /// The number of scalars every match of the node consumes, or nil if it varies (then a
  /// lookbehind over it tries every start).
  var fixedLength: Int? {
    switch self {
    case .char, .dot, .set: return 1
    case .empty, .start, .end, .wordBoundary, .look: return 0
    case .backreference, .namedReference: return nil
    case .seq(let items):
      var total = 0
      for item in items {
        guard let length = item.fixedLength else { return nil }
        total += length
      }
      return total
    case .alt(let options):
      guard let first = options.first?.fixedLength else { return nil }
      return options.allSatisfy { $0.fixedLength == first } ? first : nil
    case .group(let inner, _):
      return inner.fixedLength
    case .repetition(let inner, let min, let max, _, _):
      guard min == max, let length = inner.fixedLength else { return nil }
      let (total, overflow) = length.multipliedReportingOverflow(by: min)
      return overflow ? nil : total
    }
  }
}

/// A character class: ranges and class escapes, possibly negated.
struct RegexCharSet: Sendable {
  enum Item: Sendable {
    case range(UInt32, UInt32)
    case digit(negated: Bool)
    case word(negated: Bool)
    case space(negated: Bool)
    case property(UnicodePropertyTest, negated: Bool)
  }
  var items: [Item]
  var negated: Bool

  func contains(_ c: UInt32) -> Bool {
    var found = false
    for item in items {
      switch item {
      case .range(let lo, let hi): found = c >= lo && c <= hi
      case .digit(let n): found = isECMADigit(c) != n
      case .word(let n): found = isECMAWord(c) != n
      case .space(let n): found = isECMASpace(c) != n
      case .property(let test, let n): found = test.matches(c) != n
      }
      if found { break }
    }
    return found != negated
  }
}

@inline(__always) func isECMADigit(_ c: UInt32) -> Bool { c >= 0x30 && c <= 0x39 }

@inline(__always) func isECMAWord(_ c: UInt32) -> Bool {
  (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
}

/// ECMA-262 WhiteSpace and LineTerminator code points.
func isECMASpace(_ c: UInt32) -> Bool {
  switch c {
  case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F,
    0x205F, 0x3000, 0xFEFF:
    return true
  default:
    return false
  }
}

@inline(__always) func isLineTerminator(_ c: UInt32) -> Bool {
  c == 0x0A || c == 0x0D || c == 0x2028 || c == 0x2029
}

/// A Unicode property test for `\p{...}`: a set of general categories or a binary property.
struct UnicodePropertyTest: Sendable {
  enum Kind: Sendable {
    /// A bit set over ``UnicodePropertyTest/categoryIndex(_:)``.
    case categories(UInt32)
    case alphabetic, whiteSpace, uppercase, lowercase, ascii, any, assigned, emoji, hexDigit
  }
  var kind: Kind

  func matches(_ c: UInt32) -> Bool {
    if case .ascii = kind { return c < 0x80 }
    if case .any = kind { return true }
    guard let scalar = Unicode.Scalar(c) else {
      // Surrogate code points cannot be Unicode.Scalar; only Cs matches them.
      if case .categories(let mask) = kind { return mask & (1 << 26) != 0 }
      return false
    }
    let p = scalar.properties
    switch kind {
    case .categories(let mask): return mask & (1 << Self.categoryIndex(p.generalCategory)) != 0
    case .alphabetic: return p.isAlphabetic
    case .whiteSpace: return p.isWhitespace
    case .uppercase: return p.isUppercase
    case .lowercase: return p.isLowercase
    case .assigned: return p.generalCategory != .unassigned
    case .emoji: return p.isEmoji
    case .hexDigit: return p.isHexDigit
    case .ascii, .any: return true
    }
  }

  /// Bit positions for general categories, in the order of ``categoryCodes``.
  static func categoryIndex(_ c: Unicode.GeneralCategory) -> UInt32 {
    switch c {
    case .uppercaseLetter: 0
    case .lowercaseLetter: 1
    case .titlecaseLetter: 2
    case .modifierLetter: 3
    case .otherLetter: 4
    case .nonspacingMark: 5
    case .spacingMark: 6
    case .enclosingMark: 7
    case .decimalNumber: 8
    case .letterNumber: 9
    case .otherNumber: 10
    case .connectorPunctuation: 11
    case .dashPunctuation: 12
    case .openPunctuation: 13
    case .closePunctuation: 14
    case .initialPunctuation: 15
    case .finalPunctuation: 16
    case .otherPunctuation: 17
    case .mathSymbol: 18
    case .currencySymbol: 19
    case .modifierSymbol: 20
    case .otherSymbol: 21
    case .spaceSeparator: 22
    case .lineSeparator: 23
    case .paragraphSeparator: 24
    case .control: 25
    case .surrogate: 26
    case .format: 27
    case .privateUse: 28
    case .unassigned: 29
    @unknown default: 29
    }
  }

  static let categoryCodes = [
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi",
    "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cs", "Cf", "Co", "Cn",
  ]

  /// Long names and aliases of general categories (UAX #44), loosely matched.
  static let categoryAliases: [String: String] = [
    "letter": "L", "casedletter": "LC", "uppercaseletter": "Lu", "lowercaseletter": "Ll",
    "titlecaseletter": "Lt", "modifierletter": "Lm", "otherletter": "Lo", "mark": "M",
    "combiningmark": "M", "nonspacingmark": "Mn", "spacingmark": "Mc", "enclosingmark": "Me",
    "number": "N", "decimalnumber": "Nd", "digit": "Nd", "letternumber": "Nl",
    "othernumber": "No", "punctuation": "P", "punct": "P", "connectorpunctuation": "Pc",
    "dashpunctuation": "Pd", "openpunctuation": "Ps", "closepunctuation": "Pe",
    "initialpunctuation": "Pi", "finalpunctuation": "Pf", "otherpunctuation": "Po",
    "symbol": "S", "mathsymbol": "Sm", "currencysymbol": "Sc", "modifiersymbol": "Sk",
    "othersymbol": "So", "separator": "Z", "spaceseparator": "Zs", "lineseparator": "Zl",
    "paragraphseparator": "Zp", "other": "C", "control": "Cc", "cntrl": "Cc", "format": "Cf",
    "surrogate": "Cs", "privateuse": "Co", "unassigned": "Cn",
  ]

  /// Parses the text between the braces of `\p{...}`.
  init?(name raw: String) {
    var name = raw
    if let eq = raw.firstIndex(of: "=") {
      let key = Self.loose(String(raw[..<eq]))
      guard key == "gc" || key == "generalcategory" else { return nil }
      name = String(raw[raw.index(after: eq)...])
    }
    let loose = Self.loose(name)
    switch loose {
    case "alphabetic", "alpha": kind = .alphabetic; return
    case "whitespace", "space", "wspace": kind = .whiteSpace; return
    case "uppercase", "upper": kind = .uppercase; return
    case "lowercase", "lower": kind = .lowercase; return
    case "ascii": kind = .ascii; return
    case "any": kind = .any; return
    case "assigned": kind = .assigned; return
    case "emoji": kind = .emoji; return
    case "hexdigit", "hex", "asciihexdigit": kind = .hexDigit; return
    default: break
    }
    var code = Self.categoryAliases[loose] ?? name
    if code.count == 1 || code == "LC" || code.count == 2 {
      code =
        code.count == 2 && code != "LC"
        ? code.prefix(1).uppercased() + code.suffix(1).lowercased() : code.uppercased()
    }
    var mask: UInt32 = 0
    for (i, c) in Self.categoryCodes.enumerated() {
      let matches: Bool
      if code == "LC" {
        matches = c == "Lu" || c == "Ll" || c == "Lt"
      } else if code.count == 1 {
        matches = c.hasPrefix(code)
      } else {
        matches = c == code
      }
      if matches { mask |= 1 << UInt32(i) }
    }
    guard mask != 0 else { return nil }
    kind = .categories(mask)
  }

  private static func loose(_ s: String) -> String {
    String(s.lowercased().filter { $0 != "_" && $0 != "-" && $0 != " " })
  }
}

/// A one-scalar matcher.
enum RegexAtom: Sendable {
  case char(UInt32)
  /// `.`: any scalar but a line terminator.
  case dot
  /// An index into ``RegexProgram/sets``.
  case set(Int)
}

/// One instruction of a compiled pattern.
///
/// Positions (`pc`) are indexes into
/// ``RegexProgram/ops``; cells are the machine's registers: the capture slots first (start and
/// end of each group), then loop counters and iteration starts.
enum RegexOp: Sendable {
  case scalar(RegexAtom)
  /// A quantified one-scalar atom, matched by a loop without an entry per scalar.
  case repeatScalar(RegexAtom, min: Int, max: Int, greedy: Bool)
  /// Continues at the first target; on failure, at the second.
  case split(Int, Int)
  case jump(Int)
  /// Stores the position in a cell.
  case save(Int)
  case start, end
  case wordBoundary(negated: Bool)
  /// Matches the text of capture group n (0-based) again; an unset group matches empty.
  case backreference(Int)
  /// A lookaround: an index into ``RegexProgram/looks``.
  case look(Int)
  /// Loop instructions, each with an index into ``RegexProgram/loops``: enter (resets the
  /// counter), test (decides whether to iterate), iteration (the start of the body) and end.
  case loopEnter(Int), loopTest(Int), loopIteration(Int), loopEnd(Int)
  /// A match (of the whole pattern or of a lookaround's body).
  case accept
  /// Never matches (a reference that did not resolve).
  case fail
}

/// A quantifier over anything but one scalar (ECMA-262 RepeatMatcher).
struct RegexLoop: Sendable {
  var min = 0
  var max = 0
  var greedy = true
  /// The cell counting iterations, or -1 when the bounds are 0 and infinity (then the count never
  /// matters).
  var counter = -1
  /// The cell holding where the current iteration started, or -1 when the body cannot match
  /// empty (then no iteration can be empty).
  var start = -1
  /// The capture groups inside the body, reset at the start of each iteration.
  var captures: Range<Int> = 0..<0
  var test = 0
  var exit = 0
}

/// A lookahead or lookbehind: its body runs from `body` to an ``RegexOp/accept``.
struct RegexLook: Sendable {
  var body: Int
  var next = 0
  var ahead: Bool
  var negated: Bool
  /// For a lookbehind whose body always has this length, the one start to try.
  var length: Int?
}

/// A compiled pattern.
struct RegexProgram: Sendable {
  var ops: [RegexOp]
  var sets: [RegexCharSet]
  var loops: [RegexLoop]
  var looks: [RegexLook]
  var cellCount: Int
}

/// Compiles a parsed pattern (its nesting is bounded by the parser, so recursion is too).
struct RegexCompiler {
  var ops: [RegexOp] = []
  var sets: [RegexCharSet] = []
  var loops: [RegexLoop] = []
  var looks: [RegexLook] = []
  var cellCount: Int

  init(captureCount: Int) { cellCount = captureCount * 2 }

  var program: RegexProgram {
    RegexProgram(ops: ops, sets: sets, loops: loops, looks: looks, cellCount: cellCount)
  }

  mutating func atom(_ node: RegexNode) -> RegexAtom {
    switch node {
    case .char(let c): return .char(c)
    case .set(let set):
      sets.append(set)
      return .set(sets.count - 1)
    default: return .dot
    }
  }

  mutating func emit(_ node: RegexNode) {
    switch node {
    case .empty:
      break
    case .char, .dot, .set:
      ops.append(.scalar(atom(node)))
    case .seq(let items):
      for item in items { emit(item) }
    case .alt(let options):
      var exits: [Int] = []
      for option in options.dropLast() {
        let split = ops.count
        ops.append(.fail)
        emit(option)
        exits.append(ops.count)
        ops.append(.fail)
        ops[split] = .split(split + 1, ops.count)
      }
      if let last = options.last { emit(last) }
      for exit in exits { ops[exit] = .jump(ops.count) }
    case .group(let inner, let capture):
      if let capture { ops.append(.save(capture * 2)) }
      emit(inner)
      if let capture { ops.append(.save(capture * 2 + 1)) }
    case .repetition(let inner, let min, let max, let greedy, let captures):
      if max == 0 { return }
      if inner.isSingleScalar {
        ops.append(.repeatScalar(atom(inner), min: min, max: max, greedy: greedy))
        return
      }
      var loop = RegexLoop(min: min, max: max, greedy: greedy, captures: captures)
      if min > 0 || max != Int.max {
        loop.counter = cellCount
        cellCount += 1
      }
      if inner.canMatchEmpty {
        loop.start = cellCount
        cellCount += 1
      }
      let index = loops.count
      loops.append(loop)
      ops.append(.loopEnter(index))
      loops[index].test = ops.count
      ops.append(.loopTest(index))
      ops.append(.loopIteration(index))
      emit(inner)
      ops.append(.loopEnd(index))
      loops[index].exit = ops.count
    case .start:
      ops.append(.start)
    case .end:
      ops.append(.end)
    case .wordBoundary(let negated):
      ops.append(.wordBoundary(negated: negated))
    case .backreference(let n):
      ops.append(.backreference(n))
    case .namedReference:
      ops.append(.fail)
    case .look(let inner, let ahead, let negated):
      let index = looks.count
      looks.append(
        RegexLook(
          body: ops.count + 1, ahead: ahead, negated: negated,
          length: ahead ? nil : inner.fixedLength))
      ops.append(.look(index))
      emit(inner)
      ops.append(.accept)
      looks[index].next = ops.count
    }
  }
}

/// One entry of the backtrack stack.
struct RegexBacktrack {
  enum Kind: UInt8 {
    /// A choice: resume at `target` with position `value`.
    case choice
    /// Restore cell `target` to `value`.
    case undo
    /// A greedy ``RegexOp/repeatScalar`` at `target` that matched up to `value`: give one back.
    /// The entry below it is a ``bound`` with the lowest end allowed.
    case greedy
    /// A lazy ``RegexOp/repeatScalar`` at `target` that matched up to `value`: take one more.
    /// The entry below it is a ``bound`` with the highest end allowed.
    case lazy
    case bound
  }
  var kind: Kind
  var target: Int32
  var value: Int
}

/// One search: the cells and the backtrack stack, both on the heap.
///
/// Changes to cells are logged on the stack so that backtracking restores them. A cell is logged
/// once per choice point: `logged[cell] == epoch` means its value as of the newest choice is
/// already on the stack above that choice. Every push of a choice, every resumption and every
/// lookaround starts a new epoch.
struct RegexMachine {
  let program: RegexProgram
  let input: [UInt32]
  var cells: [Int]
  var logged: [UInt64]
  var epoch: UInt64 = 1
  var stack: [RegexBacktrack] = []
  var steps = 0
  let budget: Int
  /// The most entries ``stack`` may hold before the search gives up (``exceeded``).
  let backtrackLimit: Int
  var exceeded = false

  init(program: RegexProgram, input: [UInt32], budget: Int, backtrackLimit: Int) {
    self.program = program
    self.input = input
    self.budget = budget
    self.backtrackLimit = backtrackLimit
    cells = Array(repeating: -1, count: program.cellCount)
    logged = Array(repeating: 0, count: program.cellCount)
  }

  @inline(__always) func matches(_ atom: RegexAtom, _ c: UInt32) -> Bool {
    switch atom {
    case .char(let x): c == x
    case .dot: !isLineTerminator(c)
    case .set(let index): program.sets[index].contains(c)
    }
  }

  @inline(__always) mutating func set(_ cell: Int, _ value: Int) {
    if logged[cell] != epoch {
      logged[cell] = epoch
      stack.append(RegexBacktrack(kind: .undo, target: Int32(cell), value: cells[cell]))
    }
    cells[cell] = value
  }

  @inline(__always) mutating func push(_ kind: RegexBacktrack.Kind, _ target: Int, _ value: Int) {
    stack.append(RegexBacktrack(kind: kind, target: Int32(target), value: value))
    epoch &+= 1
  }

  /// Runs the program from `startPc` at `startPos` until an ``RegexOp/accept`` (at `mustEndAt`,
  /// unless that is negative).
  /// - Returns: the end of the match, with what the run pushed still on the stack; or nil, with
  ///   the stack and the cells as they were (check ``exceeded``).
  mutating func run(from startPc: Int, at startPos: Int, mustEndAt: Int) -> Int? {
    let base = stack.count
    epoch &+= 1
    let ops = program.ops
    let count = input.count
    var pc = startPc
    var pos = startPos
    while true {
      steps &+= 1
      if steps > budget || stack.count > backtrackLimit {
        exceeded = true
        unwind(to: base)
        return nil
      }
      var ok = true
      switch ops[pc] {
      case .scalar(let atom):
        if pos < count && matches(atom, input[pos]) {
          pos += 1
          pc += 1
        } else {
          ok = false
        }
      case .repeatScalar(let atom, let min, let max, let greedy):
        let limit = Swift.min(max, count - pos)
        var n = 0
        if greedy {
          while n < limit && matches(atom, input[pos + n]) { n += 1 }
          if n < min {
            ok = false
          } else {
            if n > min {
              push(.bound, 0, pos + min)
              push(.greedy, pc, pos + n)
            }
            pos += n
            pc += 1
          }
        } else {
          while n < min && n < limit && matches(atom, input[pos + n]) { n += 1 }
          if n < min {
            ok = false
          } else {
            if n < limit {
              push(.bound, 0, pos + limit)
              push(.lazy, pc, pos + n)
            }
            pos += n
            pc += 1
          }
        }
      case .split(let first, let second):
        push(.choice, second, pos)
        pc = first
      case .jump(let target):
        pc = target
      case .save(let cell):
        set(cell, pos)
        pc += 1
      case .start:
        ok = pos == 0
        pc += 1
      case .end:
        ok = pos == count
        pc += 1
      case .wordBoundary(let negated):
        let before = pos > 0 && isECMAWord(input[pos - 1])
        let after = pos < count && isECMAWord(input[pos])
        ok = (before != after) != negated
        pc += 1
      case .backreference(let n):
        let s = cells[n * 2]
        let e = cells[n * 2 + 1]
        if s >= 0 && e >= 0 {
          let length = e - s
          if pos + length > count {
            ok = false
          } else {
            for d in 0..<length where input[s + d] != input[pos + d] {
              ok = false
              break
            }
            pos += length
          }
        }
        pc += 1
      case .look(let index):
        let look = program.looks[index]
        ok = lookaround(look, at: pos)
        if exceeded {
          unwind(to: base)
          return nil
        }
        pc = look.next
      case .loopEnter(let index):
        let loop = program.loops[index]
        if loop.counter >= 0 { set(loop.counter, 0) }
        pc += 1
      case .loopTest(let index):
        let loop = program.loops[index]
        let n = loop.counter >= 0 ? cells[loop.counter] : 0
        if n < loop.min {
          pc += 1
        } else if n >= loop.max {
          pc = loop.exit
        } else if loop.greedy {
          push(.choice, loop.exit, pos)
          pc += 1
        } else {
          push(.choice, pc + 1, pos)
          pc = loop.exit
        }
      case .loopIteration(let index):
        let loop = program.loops[index]
        if loop.start >= 0 { set(loop.start, pos) }
        for cell in (loop.captures.lowerBound * 2)..<(loop.captures.upperBound * 2)
        where cells[cell] != -1 {
          set(cell, -1)
        }
        pc += 1
      case .loopEnd(let index):
        let loop = program.loops[index]
        let n = loop.counter >= 0 ? cells[loop.counter] : 0
        if loop.start >= 0 && n >= loop.min && pos == cells[loop.start] {
          // ECMA-262: once the minimum is met, an iteration that matched empty fails.
          ok = false
        } else {
          if loop.counter >= 0 { set(loop.counter, n + 1) }
          pc = loop.test
        }
      case .accept:
        if mustEndAt < 0 || pos == mustEndAt { return pos }
        ok = false
      case .fail:
        ok = false
      }
      if !ok {
        guard let (resumePc, resumePos) = backtrack(to: base) else { return nil }
        pc = resumePc
        pos = resumePos
      }
    }
  }

  /// Runs a lookaround at `pos`: whether the match continues.
  ///
  /// A successful positive lookaround
  /// keeps its captures (undoable by the outer match) but none of its choices: it is atomic.
  mutating func lookaround(_ look: RegexLook, at pos: Int) -> Bool {
    let base = stack.count
    var found = false
    if look.ahead {
      found = run(from: look.body, at: pos, mustEndAt: -1) != nil
    } else if let length = look.length {
      found = pos >= length && run(from: look.body, at: pos - length, mustEndAt: pos) != nil
    } else {
      var start = pos
      while start >= 0 && !found && !exceeded {
        found = run(from: look.body, at: start, mustEndAt: pos) != nil
        start -= 1
      }
    }
    defer { epoch &+= 1 }
    if exceeded { return false }
    if !found { return look.negated }
    if look.negated {
      unwind(to: base)
      return false
    }
    // Keep the oldest undo entry of each cell the body changed; drop the rest.
    epoch &+= 1
    var kept = base
    for index in base..<stack.count {
      let entry = stack[index]
      let cell = Int(entry.target)
      if entry.kind == .undo && logged[cell] != epoch {
        logged[cell] = epoch
        stack[kept] = entry
        kept += 1
      }
    }
    stack.removeLast(stack.count - kept)
    return true
  }

  /// Pops entries down to `base`, restoring cells.
  mutating func unwind(to base: Int) {
    while stack.count > base {
      let entry = stack.removeLast()
      if entry.kind == .undo { cells[Int(entry.target)] = entry.value }
    }
  }

  /// Pops entries down to the newest alternative above `base`, restoring cells.
  /// - Returns: where to resume, or nil if there is no alternative left.
  mutating func backtrack(to base: Int) -> (Int, Int)? {
    while stack.count > base {
      let entry = stack.removeLast()
      let target = Int(entry.target)
      switch entry.kind {
      case .undo:
        cells[target] = entry.value
      case .choice:
        epoch &+= 1
        return (target, entry.value)
      case .greedy:
        let end = entry.value - 1
        if end > stack[stack.count - 1].value {
          stack.append(RegexBacktrack(kind: .greedy, target: entry.target, value: end))
        } else {
          stack.removeLast()
        }
        epoch &+= 1
        return (target + 1, end)
      case .lazy:
        let end = entry.value
        let limit = stack[stack.count - 1].value
        guard case .repeatScalar(let atom, _, _, _) = program.ops[target],
          matches(atom, input[end])
        else {
          stack.removeLast()
          continue
        }
        if end + 1 < limit {
          stack.append(RegexBacktrack(kind: .lazy, target: entry.target, value: end + 1))
        } else {
          stack.removeLast()
        }
        epoch &+= 1
        return (target + 1, end + 1)
      case .bound:
        break
      }
    }
    return nil
  }
}

/// Parses ECMA-262 pattern syntax (Unicode mode, with the common Annex B leniencies for lone
/// `{`, `}` and `]`).
struct RegexParser {
  let chars: [Unicode.Scalar]
  var pos = 0
  var captureCount = 0
  var names: [String: Int] = [:]
  /// How many groups enclose the current position.
  var depth = 0

  init(_ chars: [Unicode.Scalar]) { self.chars = chars }

  var atEnd: Bool { pos >= chars.count }
  func peek(_ offset: Int = 0) -> Unicode.Scalar? {
    pos + offset < chars.count ? chars[pos + offset] : nil
  }

  func fail(_ message: String) -> RegexSyntaxError {
    RegexSyntaxError(message: message, offset: pos)
  }

  mutating func parseDisjunction() throws(RegexSyntaxError) -> RegexNode {
    var options = [try parseAlternative()]
    while peek() == "|" {
      pos += 1
      options.append(try parseAlternative())
    }
    return options.count == 1 ? options[0] : .alt(options)
  }

  mutating func parseAlternative() throws(RegexSyntaxError) -> RegexNode {
    var items: [RegexNode] = []
    while let c = peek(), c != "|", c != ")" {
      let capturesBefore = captureCount
      var atom: RegexNode
      var quantifiable = true
      switch c {
      case "^": pos += 1; atom = .start; quantifiable = false
      case "$": pos += 1; atom = .end; quantifiable = false
      case ".": pos += 1; atom = .dot
      case "(":
        (atom, quantifiable) = try parseGroup()
      case "[":
        atom = .set(try parseClass())
      case "\\":
        (atom, quantifiable) = try parseAtomEscape()
      case "*", "+", "?":
        throw fail("nothing to repeat before '\(c)'")
      case "{":
        if quantifierAhead() { throw fail("nothing to repeat before '{'") }
        pos += 1
        atom = .char(c.value)
      default:
        pos += 1
        atom = .char(c.value)
      }
      if let (min, max) = try parseQuantifier() {
        guard quantifiable else { throw fail("this assertion cannot be repeated") }
        var greedy = true
        if peek() == "?" {
          greedy = false
          pos += 1
        }
        atom = .repetition(
          atom, min: min, max: max, greedy: greedy, captures: capturesBefore..<captureCount)
      }
      items.append(atom)
    }
    if items.isEmpty { return .empty }
    return items.count == 1 ? items[0] : .seq(items)
  }

  func quantifierAhead() -> Bool {
    var probe = self
    return (try? probe.parseBraces()) != nil
  }

  mutating func parseQuantifier() throws(RegexSyntaxError) -> (Int, Int)? {
    guard let c = peek() else { return nil }
    switch c {
    case "*": pos += 1; return (0, Int.max)
    case "+": pos += 1; return (1, Int.max)
    case "?": pos += 1; return (0, 1)
    case "{":
      var probe = self
      guard let bounds = try? probe.parseBraces() else { return nil }
      self = probe
      guard bounds.0 <= bounds.1 else { throw fail("numbers out of order in {} quantifier") }
      return bounds
    default: return nil
    }
  }

  /// Parses `{n}`, `{n,}` or `{n,m}`; throws if the braces are not a quantifier.
  mutating func parseBraces() throws(RegexSyntaxError) -> (Int, Int) {
    pos += 1
    guard let min = parseNumber() else { throw fail("not a quantifier") }
    var max = min
    if peek() == "," {
      pos += 1
      max = parseNumber() ?? Int.max
    }
    guard peek() == "}" else { throw fail("not a quantifier") }
    pos += 1
    return (min, max)
  }

  mutating func parseNumber() -> Int? {
    var value: Int?
    while let c = peek(), c.value >= 0x30, c.value <= 0x39 {
      value = Swift.min((value ?? 0) * 10 + Int(c.value - 0x30), 1_000_000_000)
      pos += 1
    }
    return value
  }

  mutating func parseGroup() throws(RegexSyntaxError) -> (RegexNode, Bool) {
    guard depth < ECMARegex.maxNesting else {
      throw fail(
        "groups are nested more than \(ECMARegex.maxNesting) deep (the limit); use fewer levels of parentheses"
      )
    }
    depth += 1
    defer { depth -= 1 }
    pos += 1
    var capture: Int?
    if peek() == "?" {
      switch peek(1) {
      case ":":
        pos += 2
      case "=", "!":
        let negated = peek(1) == "!"
        pos += 2
        let inner = try parseDisjunction()
        try expectClose()
        return (.look(inner, ahead: true, negated: negated), false)
      case "<" where peek(2) == "=" || peek(2) == "!":
        let negated = peek(2) == "!"
        pos += 3
        let inner = try parseDisjunction()
        try expectClose()
        return (.look(inner, ahead: false, negated: negated), false)
      case "<":
        pos += 2
        var name = ""
        while let c = peek(), c != ">" {
          name.unicodeScalars.append(c)
          pos += 1
        }
        guard peek() == ">", !name.isEmpty else { throw fail("invalid capture group name") }
        pos += 1
        guard names[name] == nil else { throw fail("duplicate capture group name '\(name)'") }
        capture = captureCount
        names[name] = captureCount
        captureCount += 1
      default:
        throw fail("invalid group")
      }
    } else {
      capture = captureCount
      captureCount += 1
    }
    let inner = try parseDisjunction()
    try expectClose()
    return (.group(inner, capture: capture), true)
  }

  mutating func expectClose() throws(RegexSyntaxError) {
    guard peek() == ")" else { throw fail("missing ')'") }
    pos += 1
  }

  mutating func parseAtomEscape() throws(RegexSyntaxError) -> (RegexNode, Bool) {
    pos += 1
    guard let c = peek() else { throw fail("'\\' at end of pattern") }
    switch c {
    case "b": pos += 1; return (.wordBoundary(negated: false), false)
    case "B": pos += 1; return (.wordBoundary(negated: true), false)
    case "1"..."9":
      let n = parseNumber() ?? 0
      return (.backreference(n - 1), true)
    case "k":
      pos += 1
      guard peek() == "<" else { throw fail("invalid named reference") }
      pos += 1
      var name = ""
      while let c = peek(), c != ">" {
        name.unicodeScalars.append(c)
        pos += 1
      }
      guard peek() == ">" else { throw fail("invalid named reference") }
      pos += 1
      return (.namedReference(name), true)
    default:
      let item = try parseCharacterEscape(inClass: false)
      switch item {
      case .range(let lo, let hi) where lo == hi: return (.char(lo), true)
      default: return (.set(RegexCharSet(items: [item], negated: false)), true)
      }
    }
  }

  /// Parses an escape after `\` (the backslash already consumed) as a class item.
  mutating func parseCharacterEscape(inClass: Bool) throws(RegexSyntaxError) -> RegexCharSet.Item {
    guard let c = peek() else { throw fail("'\\' at end of pattern") }
    pos += 1
    func single(_ v: UInt32) -> RegexCharSet.Item { .range(v, v) }
    switch c {
    case "d": return .digit(negated: false)
    case "D": return .digit(negated: true)
    case "w": return .word(negated: false)
    case "W": return .word(negated: true)
    case "s": return .space(negated: false)
    case "S": return .space(negated: true)
    case "t": return single(0x09)
    case "n": return single(0x0A)
    case "v": return single(0x0B)
    case "f": return single(0x0C)
    case "r": return single(0x0D)
    case "b" where inClass: return single(0x08)
    case "-" where inClass: return single(0x2D)
    case "0":
      if let next = peek(), next.value >= 0x30, next.value <= 0x39 {
        throw fail("octal escapes are not allowed")
      }
      return single(0)
    case "c":
      guard let letter = peek(),
        (0x41...0x5A).contains(letter.value) || (0x61...0x7A).contains(letter.value)
      else {
        throw fail("invalid control escape")
      }
      pos += 1
      return single(letter.value % 32)
    case "x":
      guard let value = parseHex(count: 2) else { throw fail("invalid \\x escape") }
      return single(value)
    case "u":
      if peek() == "{" {
        pos += 1
        var value: UInt32 = 0
        var digits = 0
        while let d = peek(), d != "}" {
          guard d.isASCII, let v = hexDigitValue(UInt8(d.value)) else {
            throw fail("invalid \\u{} escape")
          }
          value = value * 16 + UInt32(v)
          digits += 1
          guard value <= 0x10FFFF else { throw fail("\\u{} escape out of range") }
          pos += 1
        }
        guard peek() == "}", digits > 0 else { throw fail("invalid \\u{} escape") }
        pos += 1
        return single(value)
      }
      guard var value = parseHex(count: 4) else { throw fail("invalid \\u escape") }
      if (0xD800...0xDBFF).contains(value), peek() == "\\", peek(1) == "u" {
        let save = pos
        pos += 2
        if let low = parseHex(count: 4), (0xDC00...0xDFFF).contains(low) {
          value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        } else {
          pos = save
        }
      }
      return single(value)
    case "p", "P":
      guard peek() == "{" else { throw fail("invalid property escape: expected '{'") }
      pos += 1
      var name = ""
      while let ch = peek(), ch != "}" {
        name.unicodeScalars.append(ch)
        pos += 1
      }
      guard peek() == "}" else { throw fail("unterminated property escape") }
      pos += 1
      guard let test = UnicodePropertyTest(name: name) else {
        throw fail("unknown or unsupported Unicode property '\(name)'")
      }
      return .property(test, negated: c == "P")
    default:
      if "^$\\.*+?()[]{}|/".unicodeScalars.contains(c) {
        return single(c.value)
      }
      throw fail("invalid escape '\\\(c)'")
    }
  }

  mutating func parseHex(count: Int) -> UInt32? {
    var value: UInt32 = 0
    for offset in 0..<count {
      guard let d = peek(offset), d.isASCII, let v = hexDigitValue(UInt8(d.value)) else {
        return nil
      }
      value = value * 16 + UInt32(v)
    }
    pos += count
    return value
  }

  mutating func parseClass() throws(RegexSyntaxError) -> RegexCharSet {
    pos += 1
    var negated = false
    if peek() == "^" {
      negated = true
      pos += 1
    }
    var items: [RegexCharSet.Item] = []
    while true {
      guard let c = peek() else { throw fail("missing ']'") }
      if c == "]" {
        pos += 1
        break
      }
      let first = try parseClassAtom()
      if peek() == "-", let after = peek(1), after != "]" {
        pos += 1
        let second = try parseClassAtom()
        guard case .range(let lo, _) = first, case .range(let hi, _) = second else {
          throw fail("a class escape cannot be a range bound")
        }
        guard lo <= hi else { throw fail("range out of order in character class") }
        items.append(.range(lo, hi))
      } else {
        items.append(first)
      }
    }
    return RegexCharSet(items: items, negated: negated)
  }

  mutating func parseClassAtom() throws(RegexSyntaxError) -> RegexCharSet.Item {
    guard let c = peek() else { throw fail("missing ']'") }
    if c == "\\" {
      pos += 1
      return try parseCharacterEscape(inClass: true)
    }
    pos += 1
    return .range(c.value, c.value)
  }

  /// Replaces named references by capture numbers, checking every backreference exists.
  func resolveReferences(_ node: RegexNode) throws(RegexSyntaxError) -> RegexNode {
    switch node {
    case .namedReference(let name):
      guard let n = names[name] else {
        throw RegexSyntaxError(message: "unknown group name '\(name)'", offset: 0)
      }
      return .backreference(n)
    case .backreference(let n):
      if n >= captureCount {
        throw RegexSyntaxError(message: "backreference \\\(n + 1) to a missing group", offset: 0)
      }
      return node
    case .seq(let items):
      var out: [RegexNode] = []
      for item in items { out.append(try resolveReferences(item)) }
      return .seq(out)
    case .alt(let items):
      var out: [RegexNode] = []
      for item in items { out.append(try resolveReferences(item)) }
      return .alt(out)
    case .group(let inner, let capture):
      return .group(try resolveReferences(inner), capture: capture)
    case .repetition(let inner, let min, let max, let greedy, let captures):
      return .repetition(
        try resolveReferences(inner), min: min, max: max, greedy: greedy, captures: captures)
    case .look(let inner, let ahead, let negated):
      return .look(try resolveReferences(inner), ahead: ahead, negated: negated)
    default:
      return node
    }
  }
}
