/// Why a JSON text was rejected, with the byte offset where the parser stopped.
public struct JSONSyntaxError: Error, Sendable, Equatable {
  /// The family of the error, which decides the finding code.
  public enum Kind: Sendable, Equatable {
    /// Not JSON per RFC 8259 (`json.syntax`).
    case syntax
    /// Nested deeper than the parser's limit (`json.depth`).
    case depth
    /// Bytes that are not UTF-8 (`encoding.invalid-utf8`).
    case invalidUTF8
  }
  /// The family of the error.
  public var kind: Kind
  /// Byte offset (from 0) in the parsed bytes.
  public var offset: Int
  /// What went wrong, in words, lowercase, without a final period.
  public var message: String
  /// For bytes that hold a complete JSON value followed by other text: that text's first byte,
  /// described (such as `'x'`), so a caller parsing something other than a JSONL record (an
  /// answer under `--output-schema`) can word the error for what it parsed.
  public var trailingText: String? = nil
}

/// Something JSON allows but a trainer may read differently, found while parsing.
public struct JSONWarning: Sendable, Equatable {
  /// The family of the warning, which decides the finding code.
  public enum Kind: Sendable, Equatable {
    /// The same key twice in one object (`json.duplicate-key`).
    case duplicateKey
    /// A `\uD800`–`\uDFFF` escape without its partner (`json.lone-surrogate`).
    case loneSurrogate
    /// A number no 64-bit float can hold (`json.number-range`).
    case numberRange
  }
  /// The family of the warning.
  public var kind: Kind
  /// Byte offset (from 0) in the parsed bytes.
  public var offset: Int
  /// What was found, in words.
  public var message: String
  /// For a duplicate key, the JSON pointer of the object holding it is computed by the caller;
  /// this is the node index of the second occurrence's key.
  public var node: Int

  /// The most warnings one record lists; past it they are only counted (see
  /// ``JSONDocument/unlistedWarnings``), so a record of a million duplicate keys does not
  /// build a million messages.
  public static let listedLimit = 100
}

/// How many warnings of each kind a record had past ``JSONWarning/listedLimit``.
public struct UnlistedWarnings: Sendable, Equatable {
  /// Unlisted `json.duplicate-key` warnings.
  public var duplicateKey = 0
  /// Unlisted `json.lone-surrogate` warnings.
  public var loneSurrogate = 0
  /// Unlisted `json.number-range` warnings.
  public var numberRange = 0

  /// Whether any warning went unlisted.
  public var isEmpty: Bool { duplicateKey == 0 && loneSurrogate == 0 && numberRange == 0 }
}

/// A strict RFC 8259 parser over UTF-8 bytes that fills a reusable ``JSONDocument`` tape.
///
/// It never recurses (nesting uses an explicit stack, bounded by ``maxDepth``), validates UTF-8
/// inside strings, rejects everything RFC 8259 rejects (comments, trailing commas, NaN, leading
/// zeros, unescaped control characters), and reports duplicate keys, lone surrogate escapes and
/// out-of-range numbers as warnings rather than errors.
public struct JSONParser: Sendable {
  /// The deepest nesting accepted; deeper input is a ``JSONSyntaxError/Kind/depth`` error.
  public var maxDepth: Int

  private var scratch = NodeScratch()

  /// Creates a parser.
  /// - Parameter maxDepth: the deepest nesting of arrays and objects accepted (default 512).
  public init(maxDepth: Int = 512) {
    self.maxDepth = maxDepth
  }

  /// Parses one JSON text, copying `input` into `document` and rebuilding its tape.
  ///
  /// - Parameters:
  ///   - input: the bytes of exactly one JSON text (surrounding whitespace allowed).
  ///   - document: the document to fill; its storage is reused across calls.
  /// - Throws: ``JSONSyntaxError`` at the first byte that makes the text invalid.
  /// - Complexity: O(n) in the input length; allocates only when the tape must grow.
  public mutating func parse(
    _ input: UnsafeRawBufferPointer, into document: inout JSONDocument
  ) throws(JSONSyntaxError) {
    document.bytes.removeAll(keepingCapacity: true)
    document.bytes.append(contentsOf: input)
    try reparse(&document)
  }

  /// Parses `bytes` into `document`.
  /// - Parameters:
  ///   - bytes: the bytes of one JSON text.
  ///   - document: the document to fill.
  /// - Throws: ``JSONSyntaxError`` at the first invalid byte.
  public mutating func parse(
    _ bytes: some Collection<UInt8>, into document: inout JSONDocument
  ) throws(JSONSyntaxError) {
    document.bytes.removeAll(keepingCapacity: true)
    document.bytes.append(contentsOf: bytes)
    try reparse(&document)
  }

  /// Parses the bytes already held by `document`.
  mutating func reparse(_ document: inout JSONDocument) throws(JSONSyntaxError) {
    var warnings = document.warnings
    document.warnings = []
    warnings.removeAll(keepingCapacity: true)
    // A copied parser shares its scratch tape; give this copy its own before writing to it.
    if !isKnownUniquelyReferenced(&scratch) {
      scratch = NodeScratch()
    }
    let scratch = self.scratch
    let bytes = document.bytes
    var failure: JSONSyntaxError?
    var count = 0
    var unlisted = UnlistedWarnings()
    bytes.withUnsafeBufferPointer { buffer in
      var scanner = Scanner(
        buffer: buffer, maxDepth: maxDepth, tape: scratch.tape, capacity: scratch.capacity,
        warnings: warnings)
      warnings = []
      do throws(JSONSyntaxError) {
        try scanner.run()
      } catch {
        failure = error
      }
      scratch.tape = scanner.tape
      scratch.capacity = scanner.capacity
      count = scanner.count
      warnings = scanner.warnings
      unlisted = scanner.unlisted
    }
    // Duplicate keys are found when their object closes, after the values inside it: put the
    // warnings back in text order, so a record's findings read left to right.
    if warnings.count > 1 {
      warnings = warnings.enumerated().sorted {
        ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset)
      }.map(\.element)
    }
    document.warnings = warnings
    document.unlistedWarnings = unlisted
    if let failure {
      document.nodes.removeAll(keepingCapacity: true)
      throw failure
    }
    // One replace (a copy into the kept capacity) rather than a removeAll and an append.
    document.nodes.replaceSubrange(
      document.nodes.indices, with: UnsafeBufferPointer(start: scratch.tape, count: count))
  }
}

/// The node tape a ``JSONParser`` writes while parsing, kept across parses so it grows rarely.
///
/// The scanner writes nodes straight into this memory, with no per-node uniqueness check or
/// capacity bookkeeping of `Array`, and the finished tape is copied into the document once.
/// It is `@unchecked Sendable` because only a parser that holds the sole reference writes to it
/// (``JSONParser/reparse(_:)`` replaces a shared one first).
private final class NodeScratch: @unchecked Sendable {
  var tape: UnsafeMutablePointer<JSONNode>
  var capacity: Int

  init() {
    capacity = 64
    tape = .allocate(capacity: capacity)
  }

  deinit {
    tape.deallocate()
  }
}

private let quoteByte = UInt8(ascii: "\"")
private let backslashByte = UInt8(ascii: "\\")

/// The parsing loop, over a buffer that lives for the duration of one parse.
///
/// Open containers form a stack threaded through the tape: while a container is open, its
/// node's `end` holds the index of the container around it and its `length` counts the
/// elements seen so far; closing it stores the real `end`.
private struct Scanner {
  let p: UnsafeBufferPointer<UInt8>
  let n: Int
  let maxDepth: Int
  var pos = 0
  var tape: UnsafeMutablePointer<JSONNode>
  var capacity: Int
  var count = 0
  var warnings: [JSONWarning]
  /// The warnings past ``JSONWarning/listedLimit``, counted.
  var unlisted = UnlistedWarnings()
  /// Whether another warning may still be listed.
  var listsWarnings: Bool { warnings.count < JSONWarning.listedLimit }
  /// The innermost open container's node index (meaningful while `depth > 0`).
  var top = 0
  /// Whether the innermost open container is an object.
  var topIsObject = false
  /// The number of open containers.
  var depth = 0

  init(
    buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int, tape: UnsafeMutablePointer<JSONNode>,
    capacity: Int, warnings: [JSONWarning]
  ) {
    self.p = buffer
    self.n = buffer.count
    self.maxDepth = maxDepth
    self.tape = tape
    self.capacity = capacity
    self.warnings = warnings
  }

  /// Appends a node to the tape.
  @inline(__always) mutating func push(_ node: JSONNode) {
    if count == capacity { grow() }
    (tape + count).initialize(to: node)
    count &+= 1
  }

  @inline(never) mutating func grow() {
    let bigger = UnsafeMutablePointer<JSONNode>.allocate(capacity: capacity * 2)
    bigger.moveInitialize(from: tape, count: count)
    tape.deallocate()
    tape = bigger
    capacity *= 2
  }

  mutating func run() throws(JSONSyntaxError) {
    // The bytes, their count and the position are locals, which stay in registers: as fields
    // they would be reloaded after every node, since a store to the tape might alias `self`.
    // `pos` is brought up to date before anything that reads it runs (the out-of-line paths
    // and every error).
    let p = self.p
    let n = self.n
    var at = pos
    skipWhitespace(p, n, &at)
    if at >= n {
      pos = at
      throw error(.syntax, "expected a JSON value, found end of input")
    }
    // Each turn parses one value at `pos`: a scalar completely, a container only its opening
    // (then the next turn parses its first value), so nesting never recurses.
    value: while true {
      guard at < n else {
        pos = at
        throw error(.syntax, "expected a JSON value, found end of input")
      }
      switch p[at] {
      case quoteByte:
        try parseString(p, n, &at)
      case UInt8(ascii: "{"):
        try open(.object, at)
        at &+= 1
        skipWhitespace(p, n, &at)
        if at < n && p[at] == UInt8(ascii: "}") {
          at &+= 1
          close()
        } else {
          try parseMemberKey(p, n, &at)
          tape[top].length = 1
          continue value
        }
      case UInt8(ascii: "["):
        try open(.array, at)
        at &+= 1
        skipWhitespace(p, n, &at)
        if at < n && p[at] == UInt8(ascii: "]") {
          at &+= 1
          close()
        } else {
          tape[top].length = 1
          continue value
        }
      default:
        pos = at
        try parseScalar()
        at = pos
      }
      // After a value inside a container: a separator or the container's end.
      while depth > 0 {
        skipWhitespace(p, n, &at)
        let isObject = topIsObject
        guard at < n else {
          pos = at
          throw error(
            .syntax,
            isObject
              ? "unterminated object: expected ',' or '}' after object member, found end of input"
              : "unterminated array: expected ',' or ']' after array element, found end of input")
        }
        let b = p[at]
        if b == UInt8(ascii: ",") {
          at &+= 1
          skipWhitespace(p, n, &at)
          if isObject {
            try parseMemberKey(p, n, &at)
          } else if at < n && p[at] == UInt8(ascii: "]") {
            pos = at
            throw error(
              .syntax, "trailing comma before ']': remove the comma after the last element")
          }
          tape[top].length &+= 1
          continue value
        } else if isObject && b == UInt8(ascii: "}") {
          at &+= 1
          close()
        } else if !isObject && b == UInt8(ascii: "]") {
          at &+= 1
          close()
        } else {
          pos = at
          throw error(
            .syntax,
            isObject
              ? "expected ',' or '}' after object member, found \(describe(pos))"
              : "expected ',' or ']' after array element, found \(describe(pos))")
        }
      }
      break
    }
    let valueEnd = at
    skipWhitespace(p, n, &at)
    pos = at
    if at < n {
      var message = "unexpected \(describe(pos)) after the JSON value: one record per line"
      if UnsafeBufferPointer(rebasing: p[valueEnd..<at]).contains(0x0D) {
        // Lines that end in a lone '\r' (classic Mac OS) reach the parser as one long line.
        message +=
          "; a carriage return ('\\r') comes before it: the file seems to use CR-only (old Mac) "
          + "line ends, so its records run together on one line; convert them with "
          + "tr '\\r' '\\n' < in.jsonl > out.jsonl and run again"
      }
      var failure = error(.syntax, message)
      failure.trailingText = describe(pos)
      throw failure
    }
  }

  /// Parses the key and colon of an object member, leaving `at` at its value.
  ///
  /// `@inline(always)` (not the `__always` hint, which the optimizer declines here) keeps this
  /// and ``parseString(_:_:_:)`` inside the loop of ``run()``, without a call per key or value.
  @inline(always) mutating func parseMemberKey(
    _ p: UnsafeBufferPointer<UInt8>, _ n: Int, _ at: inout Int
  ) throws(JSONSyntaxError) {
    guard at < n, p[at] == quoteByte else {
      pos = at
      throw keyError()
    }
    try parseString(p, n, &at)
    skipWhitespace(p, n, &at)
    guard at < n, p[at] == UInt8(ascii: ":") else {
      pos = at
      throw error(.syntax, "expected ':' after object key, found \(describe(pos))")
    }
    at &+= 1
    skipWhitespace(p, n, &at)
  }

  @inline(never) func keyError() -> JSONSyntaxError {
    if pos < n && p[pos] == UInt8(ascii: "}") {
      return error(.syntax, "trailing comma before '}': remove the comma after the last member")
    }
    return error(.syntax, "expected a string key in double quotes, found \(describe(pos))")
  }

  /// Parses a number or literal at `pos`, or reports what stands there instead of a value.
  @inline(never) mutating func parseScalar() throws(JSONSyntaxError) {
    switch p[pos] {
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      try parseNumber()
    case UInt8(ascii: "t"):
      try literal("true", .true)
    case UInt8(ascii: "f"):
      try literal("false", .false)
    case UInt8(ascii: "n"):
      try literal("null", .null)
    default:
      throw error(.syntax, "expected a JSON value, found \(describeWord(pos))")
    }
  }

  /// Opens the container whose bracket is at `at`.
  @inline(__always) mutating func open(_ kind: JSONKind, _ at: Int) throws(JSONSyntaxError) {
    if depth >= maxDepth {
      pos = at
      // No option raises the limit: JSON this deep is almost never training data.
      throw error(
        .depth,
        "nesting deeper than \(maxDepth) levels, tuneprep's fixed limit: flatten the record; nesting this deep is usually a bug in the program that wrote it"
      )
    }
    push(
      JSONNode(
        kind: kind, flags: 0, start: UInt32(at), length: 0, end: UInt32(truncatingIfNeeded: top)))
    top = count &- 1
    topIsObject = kind == .object
    depth &+= 1
  }

  @inline(__always) mutating func close() {
    let index = top
    let parent = Int(tape[index].end)
    tape[index].end = UInt32(count)
    let members = tape[index].length
    // Two keys without escapes and of different lengths (most two-member objects, such as
    // {"role", "content"}) cannot be equal: no call for those.
    if topIsObject && members > 1
      && (members > 2 || mayBeEqualKeys(index &+ 1, Int(tape[index &+ 2].end)))
    {
      checkDuplicateKeys(object: index, count: Int(members))
    }
    depth &-= 1
    top = parent
    topIsObject = depth > 0 && tape[parent].kind == .object
  }

  mutating func literal(_ word: StaticString, _ kind: JSONKind) throws(JSONSyntaxError) {
    let start = pos
    let length = word.utf8CodeUnitCount
    let w = word.utf8Start
    var i = 0
    while i < length {
      guard pos + i < n, p[pos + i] == w[i] else {
        pos = start
        throw error(.syntax, "expected a JSON value, found \(describeWord(start))")
      }
      i += 1
    }
    pos += length
    push(
      JSONNode(
        kind: kind, flags: 0, start: UInt32(start), length: UInt32(length), end: UInt32(count + 1)))
  }

  mutating func parseNumber() throws(JSONSyntaxError) {
    let start = pos
    var fractional = false
    if p[pos] == UInt8(ascii: "-") {
      pos += 1
    }
    guard pos < n, isDigit(p[pos]) else {
      throw error(.syntax, "expected a digit after '-', found \(describe(pos))")
    }
    if p[pos] == UInt8(ascii: "0") {
      pos += 1
      if pos < n && isDigit(p[pos]) {
        throw error(.syntax, "numbers cannot have leading zeros")
      }
    } else {
      while pos < n && isDigit(p[pos]) { pos += 1 }
    }
    let integerDigits = pos - start
    if pos < n && p[pos] == UInt8(ascii: ".") {
      fractional = true
      pos += 1
      guard pos < n, isDigit(p[pos]) else {
        throw error(.syntax, "expected a digit after the decimal point, found \(describe(pos))")
      }
      while pos < n && isDigit(p[pos]) { pos += 1 }
    }
    var hasExponent = false
    if pos < n && (p[pos] == UInt8(ascii: "e") || p[pos] == UInt8(ascii: "E")) {
      fractional = true
      hasExponent = true
      pos += 1
      if pos < n && (p[pos] == UInt8(ascii: "+") || p[pos] == UInt8(ascii: "-")) {
        pos += 1
      }
      guard pos < n, isDigit(p[pos]) else {
        throw error(.syntax, "expected a digit in the exponent, found \(describe(pos))")
      }
      while pos < n && isDigit(p[pos]) { pos += 1 }
    }
    push(
      JSONNode(
        kind: .number, flags: fractional ? 1 : 0, start: UInt32(start),
        length: UInt32(pos - start), end: UInt32(count + 1)))
    if hasExponent || integerDigits > 300 {
      let text = String(decoding: UnsafeBufferPointer(rebasing: p[start..<pos]), as: UTF8.self)
      if let value = Double(text), !value.isFinite, !listsWarnings {
        unlisted.numberRange += 1
      } else if let value = Double(text), !value.isFinite {
        warnings.append(
          JSONWarning(
            kind: .numberRange, offset: start,
            message:
              "\(describeLongNumber(text)) is too large for a 64-bit float and reads as infinity",
            node: count - 1))
      }
    }
  }

  /// Parses the string whose opening quote is at `at`, leaving `at` after its closing quote.
  @inline(always) mutating func parseString(
    _ p: UnsafeBufferPointer<UInt8>, _ n: Int, _ at: inout Int
  ) throws(JSONSyntaxError) {
    let start = at &+ 1
    var escaped = false
    // A string is only reached through a quote at `pos < n`, so the buffer is not empty.
    let base = UnsafeRawPointer(p.baseAddress.unsafelyUnwrapped)
    var i = start
    while true {
      i = nextSpecialByte(base, from: i, end: n)
      guard i < n else {
        pos = i
        throw error(.syntax, "unterminated string: a closing '\"' is missing", at: start - 1)
      }
      let b = p[i]
      if b == quoteByte {
        break
      }
      if b == backslashByte {
        escaped = true
        // The usual escapes (\n, \", \\ ...) are two bytes; only \u needs the full check.
        if i &+ 1 < n && isShortEscape(p[i &+ 1]) {
          i &+= 2
          continue
        }
      }
      pos = i
      if b == backslashByte {
        try parseEscape()
      } else if b >= 0x80 {
        try skipUTF8Sequence()
      } else {
        throw controlCharacterError(b)
      }
      i = pos
    }
    let length = i &- start
    // One test instead of three conversions that trap: the node's index is below `start`, as
    // every node before it begins at a byte of its own.
    guard UInt(bitPattern: start | length) <= UInt(UInt32.max) else {
      fatalError("a JSON string beyond 4 GiB does not fit the tape")
    }
    push(
      JSONNode(
        kind: .string, flags: escaped ? 1 : 0, start: UInt32(truncatingIfNeeded: start),
        length: UInt32(truncatingIfNeeded: length), end: UInt32(truncatingIfNeeded: count &+ 1)))
    at = i &+ 1  // after the closing quote
  }

  @inline(never) func controlCharacterError(_ b: UInt8) -> JSONSyntaxError {
    error(
      .syntax,
      "control character \(hexByte(b)) inside a string: write it as an escape such as \\n or \\u00\(hex2(b))"
    )
  }

  mutating func parseEscape() throws(JSONSyntaxError) {
    let escapeStart = pos
    pos += 1
    guard pos < n else {
      throw error(.syntax, "unterminated escape at end of input", at: escapeStart)
    }
    switch p[pos] {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
      UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
      pos += 1
    case UInt8(ascii: "u"):
      pos += 1
      let unit = try hex4()
      if (0xD800...0xDBFF).contains(unit) {
        // A high surrogate must be followed by an escaped low surrogate.
        if pos + 1 < n && p[pos] == backslashByte && p[pos + 1] == UInt8(ascii: "u") {
          let save = pos
          pos += 2
          let low = try hex4()
          if !(0xDC00...0xDFFF).contains(low) {
            pos = save
            loneSurrogate(unit, at: escapeStart)
          }
        } else {
          loneSurrogate(unit, at: escapeStart)
        }
      } else if (0xDC00...0xDFFF).contains(unit) {
        loneSurrogate(unit, at: escapeStart)
      }
    default:
      throw error(
        .syntax,
        "invalid escape '\\\(describeRaw(pos))': JSON allows only \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
        at: escapeStart)
    }
  }

  mutating func loneSurrogate(_ unit: UInt32, at offset: Int) {
    guard listsWarnings else {
      unlisted.loneSurrogate += 1
      return
    }
    warnings.append(
      JSONWarning(
        kind: .loneSurrogate, offset: offset,
        message:
          "lone surrogate escape \\u\(String(unit, radix: 16, uppercase: true)) is not a character; most tokenizers replace it with U+FFFD",
        node: count))
  }

  mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard pos < n else {
        throw error(.syntax, "\\u escape needs four hex digits, found end of input")
      }
      guard let digit = hexDigitValue(p[pos]) else {
        throw error(.syntax, "\\u escape needs four hex digits, found \(describe(pos))")
      }
      value = value << 4 | UInt32(digit)
      pos += 1
    }
    return value
  }

  /// Validates one UTF-8 sequence starting at `pos` (a byte >= 0x80) and steps over it.
  mutating func skipUTF8Sequence() throws(JSONSyntaxError) {
    let length = utf8SequenceLength(p, pos, n)
    if length == 0 {
      throw error(
        .invalidUTF8,
        "invalid UTF-8 byte \(hexByte(p[pos])): re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
      )
    }
    pos += length
  }

  mutating func checkDuplicateKeys(object: Int, count: Int) {
    // Small objects (the common case) compare keys pairwise on the tape, allocating nothing;
    // large ones sort key hashes.
    let end = Int(tape[object].end)
    if count <= 16 {
      var keyA = object + 1
      keyA = Int(tape[keyA + 1].end)
      while keyA < end {
        var keyB = object + 1
        while keyB < keyA {
          if keysEqual(keyA, keyB) {
            duplicateKey(keyA)
            break
          }
          keyB = Int(tape[keyB + 1].end)
        }
        keyA = Int(tape[keyA + 1].end)
      }
      return
    }
    var keys: [Int] = []
    keys.reserveCapacity(count)
    var i = object + 1
    while i < end {
      keys.append(i)
      i = Int(tape[i + 1].end)
    }
    var hashed = keys.map { (hash: keyHash($0), index: $0) }
    hashed.sort { $0.hash != $1.hash ? $0.hash < $1.hash : $0.index < $1.index }
    var reported: [Int] = []
    var start = 0
    while start < hashed.count {
      var stop = start + 1
      while stop < hashed.count && hashed[stop].hash == hashed[start].hash { stop += 1 }
      if stop - start > 1 {
        for a in (start + 1)..<stop {
          for b in start..<a where keysEqual(hashed[a].index, hashed[b].index) {
            reported.append(hashed[a].index)
            break
          }
        }
      }
      start = stop
    }
    reported.sort()
    for key in reported { duplicateKey(key) }
  }

  mutating func duplicateKey(_ key: Int) {
    guard listsWarnings else {
      unlisted.duplicateKey += 1
      return
    }
    let name = String(decoding: UnsafeBufferPointer(rebasing: p[rawRange(key)]), as: UTF8.self)
    warnings.append(
      JSONWarning(
        kind: .duplicateKey, offset: Int(tape[key].start) - 1,
        message: "duplicate key \"\(name.prefix(60))\": parsers disagree on which value wins",
        node: key))
  }

  func rawRange(_ i: Int) -> Range<Int> {
    Int(tape[i].start)..<Int(tape[i].start + tape[i].length)
  }

  /// False only when keys `a` and `b` surely differ: both without escapes, of unequal length.
  @inline(__always) func mayBeEqualKeys(_ a: Int, _ b: Int) -> Bool {
    tape[a].flags | tape[b].flags != 0 || tape[a].length == tape[b].length
  }

  @inline(__always) func keysEqual(_ a: Int, _ b: Int) -> Bool {
    let keyA = tape[a]
    let keyB = tape[b]
    if keyA.flags | keyB.flags == 0 {
      guard keyA.length == keyB.length else { return false }
      return memoryEqual(p, Int(keyA.start), Int(keyB.start), Int(keyA.length))
    }
    return decodedKeysEqual(a, b)
  }

  /// Compares two keys of which at least one has escapes, by their decoded text.
  @inline(never) func decodedKeysEqual(_ a: Int, _ b: Int) -> Bool {
    decodeJSONString(UnsafeBufferPointer(rebasing: p[rawRange(a)]))
      == decodeJSONString(UnsafeBufferPointer(rebasing: p[rawRange(b)]))
  }

  func keyHash(_ i: Int) -> UInt64 {
    let r = rawRange(i)
    if tape[i].flags != 0 {
      let decoded = decodeJSONString(UnsafeBufferPointer(rebasing: p[r]))
      var copy = decoded
      return copy.withUTF8 { StableHash.fnv1a64($0) }
    }
    return StableHash.fnv1a64(UnsafeBufferPointer(rebasing: p[r]))
  }

  func error(_ kind: JSONSyntaxError.Kind, _ message: String, at offset: Int? = nil)
    -> JSONSyntaxError
  {
    JSONSyntaxError(kind: kind, offset: offset ?? pos, message: message)
  }

  func describe(_ at: Int) -> String {
    describeByte(in: p, at: at)
  }

  func describeRaw(_ at: Int) -> String {
    guard at < n else { return "" }
    let b = p[at]
    return (0x21..<0x7F).contains(b) ? String(UnicodeScalar(b)) : hexByte(b)
  }

  /// Describes a bare word (such as `True` or `NaN`) starting at `at`.
  func describeWord(_ at: Int) -> String {
    var end = at
    while end < n && end - at < 20 {
      let b = p[end]
      guard (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b | 0x20) else { break }
      end += 1
    }
    if end > at + 1 {
      let word = String(decoding: UnsafeBufferPointer(rebasing: p[at..<end]), as: UTF8.self)
      return "'\(word)' (JSON literals are true, false and null, in lowercase)"
    }
    return describe(at)
  }
}

/// Whether any lane of `mask` is set.
///
/// `any(_:)` lowers to a long max-reduction on baseline x86-64; OR-ing the two 64-bit halves of the
/// lanes is a few instructions.
@inline(__always) func anyLane(_ mask: SIMDMask<SIMD16<Int8>>) -> Bool {
  let lanes = SIMD16<UInt8>(repeating: 0).replacing(with: 1, where: mask)
  let halves = unsafeBitCast(lanes, to: SIMD2<UInt64>.self)
  return halves[0] | halves[1] != 0
}

@inline(__always) private func isDigit(_ b: UInt8) -> Bool {
  b &- UInt8(ascii: "0") < 10
}

func hexByte(_ b: UInt8) -> String {
  "0x" + hex2(b)
}

func hex2(_ b: UInt8) -> String {
  let digits = Array("0123456789ABCDEF")
  return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
}

/// Describes the byte at `at` for an error message: a quoted character, or its hex value.
func describeByte(in p: UnsafeBufferPointer<UInt8>, at: Int) -> String {
  guard at < p.count else { return "end of input" }
  let b = p[at]
  switch b {
  case 0x0A: return "end of line"
  case 0x09: return "a tab"
  case 0x0D: return "a carriage return"
  case 0x00: return "a NUL byte (0x00)"
  case 0x21..<0x7F: return "'\(Character(UnicodeScalar(b)))'"
  case 0x20: return "a space"
  case 0x80...:
    let length = utf8SequenceLength(p, at, p.count)
    if length > 0 {
      let s = String(decoding: UnsafeBufferPointer(rebasing: p[at..<(at + length)]), as: UTF8.self)
      return s.unicodeScalars.first.map(quoteCharacter) ?? "'\(s)'"
    }
    return "byte \(hexByte(b)) (not UTF-8)"
  default: return "control byte \(hexByte(b))"
  }
}

/// Quotes one character for an error message: `'x'` when it shows, else `U+XXXX (name)`.
///
/// Quoted raw, a byte order mark, a zero-width or other format character, a space other than
/// U+0020 or a control character prints as nothing or as a plain space, and the reader cannot
/// tell what the message found. Those are written as their code point and Unicode name instead,
/// such as `U+FEFF (byte order mark)` or `U+00A0 (no-break space)`.
/// - Parameter scalar: the character found.
/// - Returns: the text to put after "found".
func quoteCharacter(_ scalar: Unicode.Scalar) -> String {
  let properties = scalar.properties
  switch properties.generalCategory {
  case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator, .privateUse,
    .surrogate, .unassigned:
    break
  default:
    guard properties.isDefaultIgnorableCodePoint else { return "'\(scalar)'" }
  }
  let hex = String(scalar.value, radix: 16, uppercase: true)
  let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
  let name: String
  switch scalar.value {
  // Its Unicode name, ZERO WIDTH NO-BREAK SPACE, hides why it is in a file.
  case 0xFEFF: name = "byte order mark"
  // The one C1 control that text uses as a line break; the others have no Unicode name.
  case 0x85: name = "next line"
  default:
    name =
      (properties.name ?? properties.nameAlias)?.lowercased()
      ?? (properties.generalCategory == .control ? "control character" : "invisible character")
  }
  return "\(code) (\(name))"
}

/// A number for a message: "number 1e400" when short; when long, its digit count and its
/// beginning with an ellipsis, so a cut-off number is not shown as if it were the value:
/// "a number of 401 digits (10000000000000000000…)", with " and exponent e+5" when it has one.
/// - Parameter text: the number's JSON text.
/// - Returns: the description.
func describeLongNumber(_ text: String) -> String {
  guard text.utf8.count > 40 else { return "number \(text)" }
  let mantissa = text.prefix { $0 != "e" && $0 != "E" }
  let digits = mantissa.count(where: \.isASCIIDigit)
  let exponent = mantissa.count < text.count ? " and exponent \(text[mantissa.endIndex...])" : ""
  return "a number of \(digits) digits\(exponent) (\(text.prefix(20))\u{2026})"
}

extension Character {
  /// Whether this is one of the ASCII digits 0-9.
  fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// The length of the valid UTF-8 sequence at `i` (a byte >= 0x80), or 0 if it is invalid.
@inline(__always)
func utf8SequenceLength(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ n: Int) -> Int {
  let b0 = p[i]
  @inline(__always) func cont(_ j: Int) -> Bool { j < n && p[j] & 0xC0 == 0x80 }
  switch b0 {
  case 0xC2...0xDF:
    return cont(i + 1) ? 2 : 0
  case 0xE0...0xEF:
    guard i + 1 < n else { return 0 }
    let b1 = p[i + 1]
    let ok: Bool
    switch b0 {
    case 0xE0: ok = (0xA0...0xBF).contains(b1)
    case 0xED: ok = (0x80...0x9F).contains(b1)
    default: ok = b1 & 0xC0 == 0x80
    }
    return ok && cont(i + 2) ? 3 : 0
  case 0xF0...0xF4:
    guard i + 1 < n else { return 0 }
    let b1 = p[i + 1]
    let ok: Bool
    switch b0 {
    case 0xF0: ok = (0x90...0xBF).contains(b1)
    case 0xF4: ok = (0x80...0x8F).contains(b1)
    default: ok = b1 & 0xC0 == 0x80
    }
    return ok && cont(i + 2) && cont(i + 3) ? 4 : 0
  default:
    return 0
  }
}

@inline(__always)
func memoryEqual(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int, _ count: Int) -> Bool {
  var i = 0
  while i < count {
    if p[a + i] != p[b + i] { return false }
    i += 1
  }
  return true
}

/// Steps `at` over JSON whitespace.
@inline(__always)
private func skipWhitespace(_ p: UnsafeBufferPointer<UInt8>, _ n: Int, _ at: inout Int) {
  while at < n {
    let b = p[at]
    // Every whitespace byte is at most a space, so most bytes leave after one compare.
    if b > 0x20 { return }
    switch b {
    case 0x20, 0x0A, 0x0D, 0x09: at &+= 1
    default: return
    }
  }
}

/// The offset of the first byte at or after `start` that ends a run of plain string text (a
/// quote, a backslash, a control character or a non-ASCII byte), or `end` if there is none.
///
/// Sixteen bytes are tested first, so a short key or value ends after one probe; long runs go 64
/// bytes per step, and the lane bits of the comparison that fired give the offset directly. The
/// last partial block is one load ending at `end`, with the lanes already seen masked off.
@inline(__always)
private func nextSpecialByte(_ base: UnsafeRawPointer, from start: Int, end: Int) -> Int {
  var i = start
  guard i &+ 16 <= end else {
    while i < end {
      let b = base.load(fromByteOffset: i, as: UInt8.self)
      if b == quoteByte || b == backslashByte || b < 0x20 || b >= 0x80 { break }
      i &+= 1
    }
    return i
  }
  repeat {
    let lanes = specialLanes(base, i)
    if lanes[0] | lanes[1] != 0 { return i &+ firstLane(lanes) }
    i &+= 16
    while i &+ 64 <= end {
      let a = specialLanes(base, i)
      let b = specialLanes(base, i &+ 16)
      let c = specialLanes(base, i &+ 32)
      let d = specialLanes(base, i &+ 48)
      let all = a | b | c | d
      if all[0] | all[1] != 0 {
        if a[0] | a[1] != 0 { return i &+ firstLane(a) }
        if b[0] | b[1] != 0 { return i &+ 16 &+ firstLane(b) }
        if c[0] | c[1] != 0 { return i &+ 32 &+ firstLane(c) }
        return i &+ 48 &+ firstLane(d)
      }
      i &+= 64
    }
  } while i &+ 16 <= end
  if i == end { return end }
  let from = end &- 16
  var lanes = specialLanes(base, from)
  let seen = i &- from  // 1...15 lanes before `i`
  if seen >= 8 {
    lanes[0] = 0
    lanes[1] &= ~0 &<< UInt64((seen &- 8) &* 8)
  } else {
    lanes[0] &= ~0 &<< UInt64(seen &* 8)
  }
  return lanes[0] | lanes[1] != 0 ? from &+ firstLane(lanes) : end
}

/// The index of the first set lane of a mask from ``specialLanes(_:_:)``, which is not zero.
@inline(__always) private func firstLane(_ lanes: SIMD2<UInt64>) -> Int {
  lanes[0] != 0
    ? lanes[0].trailingZeroBitCount &>> 3 : 8 &+ lanes[1].trailingZeroBitCount &>> 3
}

/// Marks each byte of the 16 at `offset` that ends a run of plain string text.
///
/// Such a byte is a quote, a backslash, a control character or a non-ASCII byte. A lane is all ones
/// or all zeros.
@inline(__always)
private func specialLanes(_ base: UnsafeRawPointer, _ offset: Int) -> SIMD2<UInt64> {
  let v = base.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self)
  // Flipping bit 1 turns a quote (0x22) into 0x20 and keeps controls below 0x20 and non-ASCII
  // bytes at 0x80 and up, while every other byte stays at 0x21 or above: one signed compare
  // (non-ASCII is negative as Int8) finds all three, and only the backslash needs its own.
  let flipped = unsafeBitCast(v ^ SIMD16<UInt8>(repeating: 0x02), to: SIMD16<Int8>.self)
  let special =
    (flipped .< SIMD16<Int8>(repeating: 0x21)) .| (v .== SIMD16<UInt8>(repeating: backslashByte))
  return unsafeBitCast(special, to: SIMD2<UInt64>.self)
}

/// Whether `b`, after a backslash, completes a two-byte escape (all but `\u`).
@inline(__always) private func isShortEscape(_ b: UInt8) -> Bool {
  switch b {
  case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
    return true
  default:
    return false
  }
}
