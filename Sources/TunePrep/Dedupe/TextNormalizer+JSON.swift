/// Normalizing straight from a record's raw JSON string bytes: escapes are decoded on the fly,
/// so the common text (ASCII, `whitespace` or `text` mode) is read once and written once,
/// with no decoded copy in between.
extension TextNormalizer {
  /// Appends the normalized text of a raw JSON string to `out`, decoding its escapes on the fly.
  ///
  /// The bytes appended are exactly those of decoding the string and passing the result to
  /// ``append(_:to:)`` (`TextNormalizerTests` checks this on tricky inputs); this is only the
  /// fast path for it. Complexity O(n); allocates only when `out` must grow.
  /// - Parameters:
  ///   - raw: the string's bytes between its quotes, already validated by ``JSONParser``.
  ///   - readable: how many bytes from `raw`'s start may be read (at least `raw.count`; more
  ///     when the string sits inside a larger buffer, which lets the 64-byte steps run up to
  ///     the string's end without copying its last bytes). Bytes past `raw` are read but never
  ///     used.
  ///   - out: the buffer to append to.
  /// - Returns: false, with `out` unchanged, when the fast path does not apply: mode `none`;
  ///   with mode `text`, a non-ASCII scalar that composition could change or whose case
  ///   folding is not one NFC-stable scalar (see ``NormalizedScalar``); a lone surrogate
  ///   escape. The caller then decodes the string and calls ``append(_:to:)``.
  ///   Whitespace is Unicode White_Space in both modes (``isWhiteSpace(_:)``), and control
  ///   characters are written as ``append(_:to:)`` writes them (ESC, then the byte + 0x40).
  func appendJSONString(
    _ raw: UnsafeBufferPointer<UInt8>, readable: Int? = nil, to out: inout [UInt8]
  ) -> Bool {
    appendJSONString(raw, readable: readable, tag: nil, terminator: nil, to: &out) != nil
  }

  /// As ``appendJSONString(_:readable:to:)``, with a `tag` byte written before the text and a
  /// `terminator` byte after it in the same write (a key part of ``KeyBuilder``: one capacity
  /// check instead of three appends).
  /// - Returns: the number of normalized text bytes (tag and terminator not counted), or nil,
  ///   with `out` unchanged, when the fast path does not apply.
  func appendJSONString(
    _ raw: UnsafeBufferPointer<UInt8>, readable: Int?, tag: UInt8?, terminator: UInt8?,
    to out: inout [UInt8]
  ) -> Int? {
    guard mode != .none else { return nil }
    let fold = mode == .text
    // The output is never longer than the input, but for a raw control byte (which JSON does
    // not allow in a string, so only a caller that skipped the parser passes one), written as
    // two; the extra bytes let a whole step be stored at the last output position, after the
    // tag, with the terminator.
    let room = 2 * raw.count + plainStep + 2
    if out.capacity - out.count < room {
      out.reserveCapacity(max(out.count + room, 2 * out.capacity))
    }
    var size: Int? = 0
    out.append(addingCapacity: room) { span in
      span.withUnsafeMutableBufferPointer { buffer, initialized in
        guard var target = buffer.baseAddress else { return }
        if let tag { target[0] = tag }
        let start = tag == nil ? 0 : 1
        target += start
        var written = 0
        if let source = raw.baseAddress, raw.count > 0 {
          let readable = max(readable ?? 0, raw.count)
          written = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: tailCapacity) { tail in
            guard let tail = tail.baseAddress else { return -1 }
            // Two copies of the loop, one per mode.
            if fold {
              return normalizeJSONString(
                source, count: raw.count, readable: readable, mode: Folding.self, tail: tail,
                into: target)
            }
            return normalizeJSONString(
              source, count: raw.count, readable: readable, mode: Spacing.self, tail: tail,
              into: target)
          }
        }
        if written < 0 {
          size = nil
          return
        }
        if let terminator { target[written] = terminator }
        initialized = start &+ written &+ (terminator == nil ? 0 : 1)
        size = written
      }
    }
    return size
  }
}

/// The constant of one copy of ``normalizeJSONString(_:count:readable:mode:tail:into:)``: as a
/// type, so that each copy is a specialization of its own (with a Boolean argument, the
/// `whitespace` copy was not inlined and tested it at run time).
private protocol JSONStringMode {
  /// Case-fold (`text` mode) and send every byte of 0x80 or more to the byte path, or else
  /// send only the lead bytes of non-ASCII whitespace there (`whitespace` mode; see
  /// `isWhiteSpaceLead`).
  static var fold: Bool { get }
}

/// `text` mode.
private enum Folding: JSONStringMode {
  static var fold: Bool { true }
}

/// `whitespace` mode.
private enum Spacing: JSONStringMode {
  static var fold: Bool { false }
}

/// Bytes per plain step of ``normalizeJSONString(_:count:readable:mode:tail:into:)``.
private let plainStep = 64

/// Bytes of the buffer that takes a string's last bytes when a whole step cannot be read in
/// place: a step at its last position (at most `plainStep` - 1) reads `plainStep` + 1 bytes.
private let tailCapacity = 2 * plainStep

/// The loop of ``TextNormalizer/appendJSONString(_:readable:to:)``.
///
/// Each turn starts at a byte. A plain one (ASCII that is neither a control byte nor a
/// backslash, and not a space that would not be written) starts a plain run: one step loads 64
/// bytes and finds the first lane the byte path must see (a hard byte, or a space followed by
/// another one), and stores all 64 lanes case-folded but keeps only the plain ones; a trailing
/// space becomes the pending space. Plain steps never wait for the previous step's masks, only
/// for its length. Anything else (an escape, a non-ASCII scalar when folding, the first byte
/// of a scalar that may be whitespace when not, a control byte or a space run) takes one turn
/// of the branch-free byte path of ``TextNormalizer``. When a step would
/// read past `readable`, the rest of the string (under 65 bytes) is copied to `tail` first,
/// zero-padded, and the loop goes on there.
/// - Parameter mode: folding, and which non-ASCII bytes the byte path sees (see
///   ``JSONStringMode``).
/// - Returns: the bytes written to `target`, or -1 when the text needs the decoding path (see
///   ``TextNormalizer/appendJSONString(_:readable:to:)``).
/// - warning: `source` must be readable for `readable` bytes, `tail` writable for
///   `tailCapacity` bytes, and `target` must have room for `2 * count + plainStep` bytes.
@inline(__always)
private func normalizeJSONString<Mode: JSONStringMode>(
  _ source: UnsafePointer<UInt8>, count: Int, readable: Int, mode: Mode.Type,
  tail: UnsafeMutablePointer<UInt8>, into p: UnsafeMutablePointer<UInt8>
) -> Int {
  let fold = Mode.fold
  var source = source
  var n = count
  var readable = readable
  let target = UnsafeMutableRawPointer(p)
  var w = 0
  var pending = 0
  var wrote = 0
  var k = 0
  while k < n {
    var b = source[k]
    if !isHardByte(b, fold) && (b != 0x20 || (pending == 0 && wrote != 0)) {
      // Plain steps back to back while each takes all 64 bytes: then the next byte needs no
      // check of its own (a space after a trailing space, or a hard byte, is an unplain lane
      // at the next step's start, which then takes nothing).
      var plain = 0
      repeat {
        if k &+ plainStep &+ 1 > readable {
          // Near the end of what may be read: go on in `tail`, once.
          let rest = n &- k
          tail.initialize(repeating: 0, count: tailCapacity)
          tail.update(from: source + k, count: rest)
          source = UnsafePointer(tail)
          n = rest
          readable = tailCapacity
          k = 0
        }
        let raw = UnsafeRawPointer(source + k)
        let v0 = raw.loadUnaligned(as: SIMD16<UInt8>.self)
        let v1 = raw.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self)
        let v2 = raw.loadUnaligned(fromByteOffset: 32, as: SIMD16<UInt8>.self)
        let v3 = raw.loadUnaligned(fromByteOffset: 48, as: SIMD16<UInt8>.self)
        let u0 = unplainLanes(
          v0, raw.loadUnaligned(fromByteOffset: 1, as: SIMD16<UInt8>.self), fold)
        let u1 = unplainLanes(
          v1, raw.loadUnaligned(fromByteOffset: 17, as: SIMD16<UInt8>.self), fold)
        let u2 = unplainLanes(
          v2, raw.loadUnaligned(fromByteOffset: 33, as: SIMD16<UInt8>.self), fold)
        let u3 = unplainLanes(
          v3, raw.loadUnaligned(fromByteOffset: 49, as: SIMD16<UInt8>.self), fold)
        let hard = anyLane(u0 .| u1 .| u2 .| u3)
        plain = plainStep
        if hard {
          // The first unplain lane: its 16-byte quarter, then its byte, written out here (as
          // a function it was not inlined, and the call spilled the four vectors).
          var quarter = u3
          plain = 48
          if anyLane(u2) { (quarter, plain) = (u2, 32) }
          if anyLane(u1) { (quarter, plain) = (u1, 16) }
          if anyLane(u0) { (quarter, plain) = (u0, 0) }
          plain &+= firstLane(quarter)
        }
        plain = min(plain, n &- k)
        // Zero only for a space before another one, or a hard byte: the byte path takes it.
        if plain == 0 { break }
        p[w] = 0x20
        w &+= pending
        target.storeBytes(of: folded(v0, fold), toByteOffset: w, as: SIMD16<UInt8>.self)
        target.storeBytes(of: folded(v1, fold), toByteOffset: w &+ 16, as: SIMD16<UInt8>.self)
        target.storeBytes(of: folded(v2, fold), toByteOffset: w &+ 32, as: SIMD16<UInt8>.self)
        target.storeBytes(of: folded(v3, fold), toByteOffset: w &+ 48, as: SIMD16<UInt8>.self)
        let trailing = source[k &+ plain &- 1] == 0x20 ? 1 : 0
        w &+= plain &- trailing
        pending = trailing
        wrote = 1
        k &+= plain
        if hard {
          // Whitespace escapes (`\n`, `\t`, `\r`, `\f`) and spaces right after a run that
          // stopped at a hard lane only leave the space pending, as the byte path would (text
          // has been written): skip them here rather than one loop turn each.
          while k &+ 1 < n {
            let c = source[k]
            if c == 0x20 {
              pending = 1
              k &+= 1
            } else if c == 0x5C && isWhitespaceEscape(source[k &+ 1]) {
              pending = 1
              k &+= 2
            } else {
              break
            }
          }
          break
        }
      } while k < n
      if plain > 0 { continue }
      b = source[k]
    }
    // One byte, one escape or one non-ASCII character.
    var decoded = b
    var step = 1
    var scalar: UInt32 = 0
    if b == 0x5C {
      guard k &+ 1 < n else { return -1 }
      step = 2
      switch source[k &+ 1] {
      case UInt8(ascii: "n"): decoded = 0x0A
      case UInt8(ascii: "t"): decoded = 0x09
      case UInt8(ascii: "r"): decoded = 0x0D
      case UInt8(ascii: "f"): decoded = 0x0C
      case UInt8(ascii: "b"): decoded = 0x08
      case UInt8(ascii: "u"):
        guard k &+ 6 <= n, let unit = hex4(source + (k &+ 2)) else { return -1 }
        step = 6
        if unit < 0x80 {
          decoded = UInt8(unit)
        } else if unit & 0xF800 != 0xD800 {
          scalar = unit
        } else {
          // Only a high surrogate followed by an escaped low one makes a scalar.
          guard unit < 0xDC00, k &+ 12 <= n, source[k &+ 6] == 0x5C,
            source[k &+ 7] == UInt8(ascii: "u"), let low = hex4(source + (k &+ 8)),
            low & 0xFC00 == 0xDC00
          else { return -1 }
          scalar = 0x10000 &+ ((unit &- 0xD800) &<< 10) &+ (low &- 0xDC00)
          step = 12
        }
      case let escaped: decoded = escaped
      }
    } else if b >= 0x80 {
      step = decodeUTF8(source, at: k, count: n, into: &scalar)
    }
    if scalar == 0 {
      // A byte through the table, computed (reading the global table costs a lazy-init check
      // and a retain per string).
      let mapped = mappedASCII(decoded, fold)
      writeMapped(mapped, to: p, at: &w, pending: &pending, wrote: &wrote)
      if mapped == 0x1B {
        // A control character: ESC, then its byte + 0x40 (see `expandControlMarkers`).
        p[w] = decoded &+ 0x40
        w &+= 1
      }
    } else {
      // A non-ASCII scalar: whitespace collapses, one that NFC and case folding leave alone
      // is written as it is, a simple case folding is written folded, anything else needs the
      // Unicode path. Without folding, only whitespace is not written as it is.
      switch fold ? normalizedScalarClass(scalar) : isWhiteSpace(scalar) ? .whitespace : .plain {
      case .unicode: return -1
      case .whitespace: pending = wrote
      case .caseFolded:
        guard let folded = simpleCaseFold(scalar) else { return -1 }
        p[w] = 0x20
        w &+= pending
        w &+= encodeUTF8(folded, to: p + w)
        pending = 0
        wrote = 1
      case .plain:
        p[w] = 0x20
        w &+= pending
        w &+= encodeUTF8(scalar, to: p + w)
        pending = 0
        wrote = 1
      }
    }
    k &+= step
  }
  return w
}

/// The entry of ``asciiFoldTable`` (with `fold`) or ``asciiSpaceTable`` for `b`, without
/// reading the table: 0 for ASCII whitespace, 0x1B (the mark of a control character) for
/// other control bytes, A–Z lowercased when folding, any other byte itself
/// (`TextNormalizerTests` checks all 256).
@inline(__always)
func mappedASCII(_ b: UInt8, _ fold: Bool) -> UInt8 {
  let upper = fold && b &- 0x41 < 26
  let controlOrSpace = b <= 0x20
  let space = b == 0x20 || b &- 0x09 < 5
  let other = upper ? b | 0x20 : b
  return controlOrSpace ? (space ? 0 : 0x1B) : other
}

/// Whether `\` then `c` is an escape that decodes to ASCII whitespace (`n`, `t`, `r`, `f`).
@inline(__always)
private func isWhitespaceEscape(_ c: UInt8) -> Bool {
  // n 0x6E, t 0x74, r 0x72, f 0x66: bit i of the mask is set for c == 0x66 + i.
  let i = c &- 0x66
  return i < 15 && (0x5101 as UInt16) &>> UInt16(i) & 1 != 0
}

/// Whether the byte path must see `b`: a control byte, a backslash and, when folding, a byte
/// of 0x80 or more, else a lead byte of a non-ASCII whitespace scalar (one lane of
/// ``hardLanes(_:_:)``).
@inline(__always)
private func isHardByte(_ b: UInt8, _ fold: Bool) -> Bool {
  (fold ? Int8(bitPattern: b) < 0x20 : b < 0x20 || isWhiteSpaceLead(b)) || b == 0x5C
}

/// Whether `b` is the first byte of the UTF-8 of a non-ASCII White_Space scalar: 0xC2
/// (U+0085, U+00A0), 0xE1 (U+1680), 0xE2 (U+2000–U+205F) or 0xE3 (U+3000).
@inline(__always)
private func isWhiteSpaceLead(_ b: UInt8) -> Bool {
  b == 0xC2 || b &- 0xE1 < 3
}

/// The index of the first set lane of a mask that has one.
@inline(__always)
private func firstLane(_ mask: SIMDMask<SIMD16<Int8>>) -> Int {
  let halves = unsafeBitCast(
    SIMD16<UInt8>(repeating: 0).replacing(with: 0xFF, where: mask), to: SIMD2<UInt64>.self)
  // Little-endian: lane i is byte i of the vector, bits 8i to 8i+7 of its half.
  return halves[0] != 0
    ? halves[0].trailingZeroBitCount &>> 3 : 8 &+ halves[1].trailingZeroBitCount &>> 3
}

/// The lanes of `v` the byte path must see: control bytes, backslashes and, when folding,
/// bytes of 0x80 or more, else lead bytes of non-ASCII whitespace (see `isWhiteSpaceLead`).
@inline(__always)
private func hardLanes(_ v: SIMD16<UInt8>, _ fold: Bool) -> SIMDMask<SIMD16<Int8>> {
  let backslash = v .== SIMD16<UInt8>(repeating: 0x5C)
  guard fold else {
    let lead =
      (v .== SIMD16<UInt8>(repeating: 0xC2))
      .| ((v &- SIMD16<UInt8>(repeating: 0xE1)) .< SIMD16<UInt8>(repeating: 3))
    return (v .< SIMD16<UInt8>(repeating: 0x20)) .| backslash .| lead
  }
  // As signed bytes, 0x80 and above are negative: one comparison finds them and controls.
  return (SIMD16<Int8>(truncatingIfNeeded: v) .< SIMD16<Int8>(repeating: 0x20)) .| backslash
}

/// The lanes of `v` that keep it off the plain path: hard lanes, and spaces followed by
/// another space (`next` is `v` one byte on).
///
/// `v | next` is 0x20 only when both bytes are spaces or one of them is a zero byte; a zero
/// byte is a hard lane itself, or the padding after a string's end, where an extra lane only
/// sends a trailing space to the byte path. Either way the output is the same.
@inline(__always)
private func unplainLanes(
  _ v: SIMD16<UInt8>, _ next: SIMD16<UInt8>, _ fold: Bool
) -> SIMDMask<SIMD16<Int8>> {
  hardLanes(v, fold) .| ((v | next) .== SIMD16<UInt8>(repeating: 0x20))
}

/// `v` with A–Z lowercased when folding (plain lanes are ASCII).
@inline(__always)
private func folded(_ v: SIMD16<UInt8>, _ fold: Bool) -> SIMD16<UInt8> {
  guard fold else { return v }
  // Adding 0x3F takes A–Z (0x41–0x5A) to -128...-103 as signed bytes, below all others.
  let shifted = SIMD16<Int8>(truncatingIfNeeded: v &+ SIMD16<UInt8>(repeating: 0x3F))
  let upper = shifted .< SIMD16<Int8>(repeating: -102)
  return v | SIMD16<UInt8>(repeating: 0).replacing(with: 0x20, where: upper)
}

/// The value of the four hex digits at `digits`, or nil if one is not a hex digit.
@inline(__always)
private func hex4(_ digits: UnsafePointer<UInt8>) -> UInt32? {
  var value: UInt32 = 0
  for i in 0..<4 {
    guard let d = hexDigitValue(digits[i]) else { return nil }
    value = value << 4 | UInt32(d)
  }
  return value
}

/// Decodes the scalar of valid UTF-8 at `i` (its lead byte is 0x80 or more).
/// - Returns: its length in bytes.
@inline(__always)
private func decodeUTF8(
  _ bytes: UnsafePointer<UInt8>, at i: Int, count n: Int, into scalar: inout UInt32
) -> Int {
  let b0 = UInt32(bytes[i])
  let length = b0 < 0xE0 ? 2 : (b0 < 0xF0 ? 3 : 4)
  var value = b0 & (0x7F &>> UInt32(length))
  var k = 1
  while k < length && i &+ k < n {
    value = value &<< 6 | UInt32(bytes[i &+ k] & 0x3F)
    k &+= 1
  }
  // Invalid UTF-8 cannot get here (the parser rejects it); if it did, U+FFFD is not plain,
  // so the Unicode path would see the bytes.
  scalar = value >= 0x80 ? value : 0xFFFD
  return length
}

/// Writes the UTF-8 encoding of a scalar of 0x80 or more.
/// - Returns: the number of bytes written.
@inline(__always)
private func encodeUTF8(_ v: UInt32, to p: UnsafeMutablePointer<UInt8>) -> Int {
  if v < 0x800 {
    p[0] = UInt8(truncatingIfNeeded: 0xC0 | v &>> 6)
    p[1] = UInt8(truncatingIfNeeded: 0x80 | v & 0x3F)
    return 2
  }
  if v < 0x10000 {
    p[0] = UInt8(truncatingIfNeeded: 0xE0 | v &>> 12)
    p[1] = UInt8(truncatingIfNeeded: 0x80 | (v &>> 6) & 0x3F)
    p[2] = UInt8(truncatingIfNeeded: 0x80 | v & 0x3F)
    return 3
  }
  p[0] = UInt8(truncatingIfNeeded: 0xF0 | v &>> 18)
  p[1] = UInt8(truncatingIfNeeded: 0x80 | (v &>> 12) & 0x3F)
  p[2] = UInt8(truncatingIfNeeded: 0x80 | (v &>> 6) & 0x3F)
  p[3] = UInt8(truncatingIfNeeded: 0x80 | v & 0x3F)
  return 4
}

/// What `text` normalization does to one non-ASCII scalar, as the Unicode path would.
enum NormalizedScalar: UInt8 {
  /// Stays as it is: NFC-stable (``isStableNFC(_:)``), unchanged by case folding, not
  /// whitespace.
  case plain
  /// Unicode White_Space (``isWhiteSpace(_:)``; NFC-stable, no case): collapses like a
  /// space.
  case whitespace
  /// NFC-stable but changed by case folding: becomes ``simpleCaseFold(_:)`` when that is one
  /// NFC-stable scalar (Å, Δ, Ü), else needs the Unicode path.
  case caseFolded
  /// Anything else: needs composition.
  case unicode
}

/// The class of a scalar of 0x80 or more (a table lookup for the Basic Multilingual Plane and
/// the emoji blocks, `.unicode` for the rest).
@inline(__always)
func normalizedScalarClass(_ v: UInt32) -> NormalizedScalar {
  let index: Int
  if v < 0x10000 {
    index = Int(v)
  } else if v &- 0x1F000 < 0xB00 {
    index = Int(v &- 0x1F000) &+ 0x10000
  } else {
    return .unicode
  }
  return normalizedScalarClasses.withUnsafeBufferPointer {
    NormalizedScalar(rawValue: $0[index]) ?? .unicode
  }
}

/// ``NormalizedScalar`` raw values for U+0000–U+FFFF, then U+1F000–U+1FAFF; built once, on first
/// use (about 40 000 property lookups, a few milliseconds).
private let normalizedScalarClasses: [UInt8] = {
  var table = [UInt8](repeating: NormalizedScalar.unicode.rawValue, count: 0x10000 + 0xB00)
  for index in table.indices {
    let v = index < 0x10000 ? UInt32(index) : UInt32(index - 0x10000) + 0x1F000
    // CJK ideographs and Hangul syllables are NFC-stable, caseless and not whitespace, which
    // saves 32 000 lookups (`TextNormalizerTests` checks the table against the properties).
    if (0x4E00...0x9FFF).contains(v) || (0xAC00...0xD7A3).contains(v) {
      table[index] = NormalizedScalar.plain.rawValue
      continue
    }
    guard let scalar = Unicode.Scalar(v), isStableNFC(scalar) else { continue }
    let properties = scalar.properties
    table[index] =
      properties.changesWhenCaseFolded
      ? NormalizedScalar.caseFolded.rawValue
      : isWhiteSpace(v)
        ? NormalizedScalar.whitespace.rawValue : NormalizedScalar.plain.rawValue
  }
  return table
}()

/// What ``TextNormalizer``'s Unicode path writes for a ``NormalizedScalar/caseFolded`` scalar
/// when that is one NFC-stable scalar of 0x80 or more (so no composition follows), or nil.
func simpleCaseFold(_ v: UInt32) -> UInt32? {
  simpleCaseFolds[v]
}

/// The case-changing, NFC-stable scalars of a few ranges, with their folding when it is simple.
///
/// The ranges are the Latin, Greek and Cyrillic ones of ``isStableNFC(_:)`` and the fullwidth
/// letters. The table is built on first use, which only text with such letters pays for. A scalar
/// missing here takes the Unicode path, which is always right.
private let simpleCaseFolds: [UInt32: UInt32] = {
  var folds: [UInt32: UInt32] = [:]
  let ranges: [ClosedRange<UInt32>] = [0x80...0x2FF, 0x370...0x45F, 0xFF21...0xFF3A]
  for v in ranges.joined() {
    guard let scalar = Unicode.Scalar(v), isStableNFC(scalar),
      scalar.properties.changesWhenCaseFolded
    else { continue }
    // As `appendFolded` does it.
    let mapped = Array(String(scalar).uppercased().lowercased().unicodeScalars)
    guard mapped.count == 1, mapped[0].value >= 0x80, isStableNFC(mapped[0]) else { continue }
    folds[v] = mapped[0].value
  }
  return folds
}()
