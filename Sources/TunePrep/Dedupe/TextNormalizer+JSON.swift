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
  ///   - out: the buffer to append to.
  /// - Returns: false, with `out` unchanged, when the fast path does not apply (mode `none`;
  ///   with mode `text`, decoded text that is not all ASCII): the caller then decodes the
  ///   string and calls ``append(_:to:)``.
  func appendJSONString(_ raw: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) -> Bool {
    guard mode != .none else { return false }
    guard let source = raw.baseAddress, raw.count > 0 else { return true }
    let fold = mode == .text
    // The output is never longer than the input; the 16 extra bytes let a whole vector be
    // stored at the last output position.
    let room = raw.count + 16
    if out.capacity - out.count < room {
      out.reserveCapacity(max(out.count + room, 2 * out.capacity))
    }
    var applied = true
    (fold ? asciiFoldTable : asciiSpaceTable).withUnsafeBufferPointer { table in
      guard let map = table.baseAddress else { return }
      out.append(addingCapacity: room) { span in
        span.withUnsafeMutableBufferPointer { buffer, initialized in
          guard let target = buffer.baseAddress else { return }
          let written = normalizeJSONString(
            source, count: raw.count, fold: fold, map: map, into: target)
          if written < 0 {
            applied = false
          } else {
            initialized = written
          }
        }
      }
    }
    return applied
  }
}

/// The loop of ``TextNormalizer/appendJSONString(_:to:)``.
///
/// Sixteen bytes at a time, the run of bytes before the first one that needs decoding or
/// mapping (a backslash, a control byte and, when folding, a non-ASCII byte) is case-folded and
/// stored at once, provided its spaces are single and (when it starts with one) a space may be
/// written there; a trailing space becomes the pending space. Everything else goes one byte at
/// a time through the same branch-free step as ``TextNormalizer``'s byte path.
/// - Returns: the bytes written to `target`, or -1 when the text needs the Unicode path
///   (folding, and a non-ASCII byte or escape).
/// - warning: `target` must have room for `count + 16` bytes.
@inline(__always)
private func normalizeJSONString(
  _ source: UnsafePointer<UInt8>, count n: Int, fold: Bool, map: UnsafePointer<UInt8>,
  into p: UnsafeMutablePointer<UInt8>
) -> Int {
  let raw = UnsafeRawPointer(source)
  let target = UnsafeMutableRawPointer(p)
  let controlOrSpace = SIMD16<UInt8>(repeating: 0x20)
  let backslash = SIMD16<UInt8>(repeating: 0x5C)
  let space = SIMD16<UInt8>(repeating: 0x20)
  // With folding, bytes above 0x7F leave the fast path (0xFF: none do).
  let highest = SIMD16<UInt8>(repeating: fold ? 0x7F : 0xFF)
  let upperA = SIMD16<UInt8>(repeating: 0x41)
  let upperZ = SIMD16<UInt8>(repeating: 0x5A)
  let zero = SIMD16<UInt8>(repeating: 0)
  let one = SIMD16<UInt8>(repeating: 1)
  let caseBit = SIMD16<UInt8>(repeating: fold ? 0x20 : 0)
  var w = 0
  var pending = 0
  var any = 0
  var k = 0
  while k < n {
    if k &+ 16 <= n {
      let v = raw.loadUnaligned(fromByteOffset: k, as: SIMD16<UInt8>.self)
      let hard = (v .< controlOrSpace) .| (v .== backslash) .| (v .> highest)
      let hardLanes = unsafeBitCast(zero.replacing(with: one, where: hard), to: SIMD2<UInt64>.self)
      // Lanes before the first hard byte.
      let plain =
        hardLanes[0] != 0
        ? hardLanes[0].trailingZeroBitCount >> 3
        : (hardLanes[1] != 0 ? 8 &+ hardLanes[1].trailingZeroBitCount >> 3 : 16)
      if plain > 0 {
        let spaceLanes = unsafeBitCast(
          zero.replacing(with: one, where: v .== space), to: SIMD2<UInt64>.self)
        var s0 = spaceLanes[0]
        var s1 = spaceLanes[1]
        if plain < 8 {
          s0 &= (1 &<< UInt64(plain &* 8)) &- 1
          s1 = 0
        } else if plain < 16 {
          s1 &= (1 &<< UInt64((plain &- 8) &* 8)) &- 1
        }
        let doubled = (s0 & (s0 &>> 8)) | (s1 & (s1 &>> 8)) | ((s0 &>> 56) & s1)
        let leadingSpaceOK = s0 & 1 == 0 || (pending == 0 && any != 0)
        if doubled == 0 && leadingSpaceOK {
          let upper = (v .>= upperA) .& (v .<= upperZ)
          let folded = v | zero.replacing(with: caseBit, where: upper)
          p[w] = 0x20
          w &+= pending
          target.storeBytes(of: folded, toByteOffset: w, as: SIMD16<UInt8>.self)
          let last = plain &- 1
          let lastLane = last < 8 ? s0 &>> UInt64(last &* 8) : s1 &>> UInt64((last &- 8) &* 8)
          let trailing = Int(truncatingIfNeeded: lastLane & 1)
          w &+= plain &- trailing
          pending = trailing
          any = 1
          k &+= plain
          continue
        }
      }
    }
    // One byte, one escape or one non-ASCII character.
    let b = source[k]
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
    } else if fold && b >= 0x80 {
      step = decodeUTF8(source, at: k, count: n, into: &scalar)
    }
    if scalar == 0 {
      // A byte through the table.
      let mapped = map[Int(decoded)]
      let character = mapped != 0 ? 1 : 0
      p[w] = 0x20
      w &+= character & pending
      p[w] = mapped
      w &+= character
      any |= character
      pending = (1 &- character) & (pending | any)
    } else {
      // A non-ASCII scalar: whitespace collapses, one that NFC and case folding leave alone
      // is written as it is, anything else needs the Unicode path.
      switch fold ? normalizedScalarClass(scalar) : .plain {
      case .unicode: return -1
      case .whitespace: pending = any
      case .plain:
        p[w] = 0x20
        w &+= pending
        w &+= encodeUTF8(scalar, to: p + w)
        pending = 0
        any = 1
      }
    }
    k &+= step
  }
  return w
}

/// The value of the four hex digits at `digits`, or nil if one is not a hex digit.
@inline(__always)
private func hex4(_ digits: UnsafePointer<UInt8>) -> UInt32? {
  var value: UInt32 = 0
  for i in 0..<4 {
    let b = digits[i]
    let d: UInt32
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b &- 48)
    case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b &- 87)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b &- 55)
    default: return nil
    }
    value = value << 4 | d
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
  /// Unicode whitespace (NFC-stable, no case): collapses like a space.
  case whitespace
  /// Anything else: needs composition or case folding.
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
/// use (about 70 000 property lookups, a few milliseconds).
private let normalizedScalarClasses: [UInt8] = {
  var table = [UInt8](repeating: NormalizedScalar.unicode.rawValue, count: 0x10000 + 0xB00)
  for index in table.indices {
    let v = index < 0x10000 ? UInt32(index) : UInt32(index - 0x10000) + 0x1F000
    guard let scalar = Unicode.Scalar(v), isStableNFC(scalar),
      !scalar.properties.changesWhenCaseFolded
    else { continue }
    table[index] =
      scalar.properties.isWhitespace
      ? NormalizedScalar.whitespace.rawValue : NormalizedScalar.plain.rawValue
  }
  return table
}()
