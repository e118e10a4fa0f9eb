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
/// and property escapes such as `\p{L}`, `\p{Letter}`, `\p{Lu}` and `\P{Nd}`. Every search has a
/// step budget, so a catastrophic pattern yields ``RegexResult/budgetExceeded`` instead of hanging.
struct ECMARegex: Sendable {
  /// The source text.
  let pattern: String
  let root: RegexNode
  let captureCount: Int
  let anchoredAtStart: Bool
  /// The most backtracking steps one search may take.
  var stepBudget: Int = 1_000_000

  /// Compiles `pattern`.
  /// - Throws: ``RegexSyntaxError`` when the pattern is not a valid ECMA-262 Unicode-mode pattern.
  init(_ pattern: String) throws(RegexSyntaxError) {
    self.pattern = pattern
    var parser = RegexParser(Array(pattern.unicodeScalars))
    let root = try parser.parseDisjunction()
    if parser.pos < parser.chars.count {
      throw RegexSyntaxError(message: "unmatched ')'", offset: parser.pos)
    }
    self.root = try parser.resolveReferences(root)
    self.captureCount = parser.captureCount
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
    let run = RegexRun(input: scalars, captures: captureCount, budget: stepBudget)
    let lastStart = anchoredAtStart ? 0 : scalars.count
    for start in 0...lastStart {
      if run.match(root, start, { _ in true }) { return .match }
      if run.exceeded { return .budgetExceeded }
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

/// The state of one search: captures, step count, budget.
final class RegexRun {
  let input: [UInt32]
  var captures: [Int]
  var steps = 0
  let budget: Int
  var exceeded = false
  var depth = 0

  init(input: [UInt32], captures: Int, budget: Int) {
    self.input = input
    self.captures = Array(repeating: -1, count: captures * 2)
    self.budget = budget
  }

  @inline(__always) func step() -> Bool {
    steps &+= 1
    if steps > budget || depth > 20_000 {
      exceeded = true
      return false
    }
    return true
  }

  /// Matches `node` at `i`, then the continuation `k` with the end position.
  func match(_ node: RegexNode, _ i: Int, _ k: (Int) -> Bool) -> Bool {
    guard !exceeded, step() else { return false }
    depth += 1
    defer { depth -= 1 }
    switch node {
    case .empty:
      return k(i)
    case .char(let c):
      return i < input.count && input[i] == c && k(i + 1)
    case .dot:
      return i < input.count && !isLineTerminator(input[i]) && k(i + 1)
    case .set(let set):
      return i < input.count && set.contains(input[i]) && k(i + 1)
    case .seq(let items):
      return matchSequence(items, 0, i, k)
    case .alt(let options):
      for option in options {
        if match(option, i, k) { return true }
        if exceeded { return false }
      }
      return false
    case .group(let inner, let capture):
      guard let capture else { return match(inner, i, k) }
      return match(inner, i) { j in
        let oldStart = self.captures[capture * 2]
        let oldEnd = self.captures[capture * 2 + 1]
        self.captures[capture * 2] = i
        self.captures[capture * 2 + 1] = j
        if k(j) { return true }
        self.captures[capture * 2] = oldStart
        self.captures[capture * 2 + 1] = oldEnd
        return false
      }
    case .repetition(let inner, let min, let max, let greedy, let caps):
      if inner.isSingleScalar {
        return repeatSingle(inner, min, max, greedy, i, k)
      }
      return repeatGeneral(inner, min, max, greedy, caps, 0, i, k)
    case .start:
      return i == 0 && k(i)
    case .end:
      return i == input.count && k(i)
    case .wordBoundary(let negated):
      let before = i > 0 && isECMAWord(input[i - 1])
      let after = i < input.count && isECMAWord(input[i])
      return ((before != after) != negated) && k(i)
    case .backreference(let n):
      let s = captures[n * 2]
      let e = captures[n * 2 + 1]
      if s < 0 || e < 0 { return k(i) }
      let length = e - s
      guard i + length <= input.count else { return false }
      for d in 0..<length where input[s + d] != input[i + d] { return false }
      return k(i + length)
    case .namedReference:
      return false
    case .look(let inner, let ahead, let negated):
      let saved = captures
      let found: Bool
      if ahead {
        found = match(inner, i) { _ in true }
      } else {
        var matched = false
        var start = i
        while start >= 0 && !matched && !exceeded {
          matched = match(inner, start) { j in j == i }
          start -= 1
        }
        found = matched
      }
      if exceeded { return false }
      if found == negated {
        captures = saved
        return false
      }
      if negated { captures = saved }
      if k(i) { return true }
      captures = saved
      return false
    }
  }

  func matchSequence(_ items: [RegexNode], _ index: Int, _ i: Int, _ k: (Int) -> Bool) -> Bool {
    if index == items.count { return k(i) }
    if index == items.count - 1 { return match(items[index], i, k) }
    return match(items[index], i) { j in self.matchSequence(items, index + 1, j, k) }
  }

  @inline(__always) func matchesSingle(_ node: RegexNode, _ c: UInt32) -> Bool {
    switch node {
    case .char(let x): c == x
    case .dot: !isLineTerminator(c)
    case .set(let set): set.contains(c)
    default: false
    }
  }

  /// Repetition of a one-scalar atom without recursion per iteration.
  func repeatSingle(
    _ inner: RegexNode, _ min: Int, _ max: Int, _ greedy: Bool, _ i: Int, _ k: (Int) -> Bool
  ) -> Bool {
    var count = 0
    let limit = Swift.min(max, input.count - i)
    if greedy {
      while count < limit && matchesSingle(inner, input[i + count]) { count += 1 }
      guard count >= min else { return false }
      var c = count
      while c >= min {
        guard step() else { return false }
        if k(i + c) { return true }
        c -= 1
      }
      return false
    }
    while count < min {
      guard count < limit, matchesSingle(inner, input[i + count]) else { return false }
      count += 1
    }
    while true {
      guard step() else { return false }
      if k(i + count) { return true }
      guard count < limit, matchesSingle(inner, input[i + count]) else { return false }
      count += 1
    }
  }

  /// Repetition of any atom (ECMA-262 RepeatMatcher), resetting inner captures per iteration.
  func repeatGeneral(
    _ inner: RegexNode, _ min: Int, _ max: Int, _ greedy: Bool, _ caps: Range<Int>, _ count: Int,
    _ i: Int, _ k: (Int) -> Bool
  ) -> Bool {
    if count >= max { return k(i) }
    func once() -> Bool {
      var saved: [Int] = []
      if !caps.isEmpty {
        saved = Array(self.captures[(caps.lowerBound * 2)..<(caps.upperBound * 2)])
        for slot in (caps.lowerBound * 2)..<(caps.upperBound * 2) { self.captures[slot] = -1 }
      }
      let matched = self.match(inner, i) { j in
        if count >= min && j == i { return false }
        return self.repeatGeneral(inner, min, max, greedy, caps, count + 1, j, k)
      }
      if !matched && !caps.isEmpty {
        for (offset, value) in saved.enumerated() {
          self.captures[caps.lowerBound * 2 + offset] = value
        }
      }
      return matched
    }
    if count < min { return once() }
    if greedy {
      if once() { return true }
      return !exceeded && k(i)
    }
    if k(i) { return true }
    return !exceeded && once()
  }
}

/// Parses ECMA-262 pattern syntax (Unicode mode, with the common Annex B leniencies for lone
/// `{`, `}` and `]`).
struct RegexParser {
  let chars: [Unicode.Scalar]
  var pos = 0
  var captureCount = 0
  var names: [String: Int] = [:]

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
