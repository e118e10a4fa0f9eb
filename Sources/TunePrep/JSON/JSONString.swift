/// Decodes the raw bytes of a JSON string (between its quotes) into a `String`.
///
/// The bytes must have passed ``JSONParser``: escapes are well formed and the rest is UTF-8.
/// A lone surrogate escape becomes U+FFFD, as most tokenizers read it.
/// - Parameter raw: the string's bytes without the quotes.
/// - Returns: the decoded string.
func decodeJSONString(_ raw: UnsafeBufferPointer<UInt8>) -> String {
  var out: [UInt8] = []
  out.reserveCapacity(raw.count)
  appendDecodedJSONString(raw, to: &out)
  return String(decoding: out, as: UTF8.self)
}

/// Appends the decoded UTF-8 bytes of a raw JSON string to `out`.
/// - Parameters:
///   - raw: the string's bytes without the quotes, already validated by ``JSONParser``.
///   - keepingLoneSurrogates: write an unpaired surrogate escape in its generalized UTF-8 form
///     (`ED A0 80` for `\ud800`), which ``appendJSONStringKeepingSurrogates(_:to:)`` turns back
///     into the escape, instead of U+FFFD (import keeps such values as they were).
///   - out: the buffer to append to.
func appendDecodedJSONString(
  _ raw: UnsafeBufferPointer<UInt8>, keepingLoneSurrogates: Bool = false, to out: inout [UInt8]
) {
  var i = 0
  let n = raw.count
  while i < n {
    // Copy the run up to the next backslash in one append.
    var end = i
    while end < n && raw[end] != UInt8(ascii: "\\") { end += 1 }
    if end > i {
      out.append(contentsOf: UnsafeBufferPointer(rebasing: raw[i..<end]))
      i = end
      if i == n { return }
    }
    i += 1
    guard i < n else { return }
    let e = raw[i]
    i += 1
    switch e {
    case UInt8(ascii: "b"): out.append(0x08)
    case UInt8(ascii: "f"): out.append(0x0C)
    case UInt8(ascii: "n"): out.append(0x0A)
    case UInt8(ascii: "r"): out.append(0x0D)
    case UInt8(ascii: "t"): out.append(0x09)
    case UInt8(ascii: "u"):
      var unit = hexValue(raw, i)
      i += 4
      if (0xD800...0xDBFF).contains(unit), i + 5 < n + 0, raw[i] == UInt8(ascii: "\\"),
        raw[i + 1] == UInt8(ascii: "u")
      {
        let low = hexValue(raw, i + 2)
        if (0xDC00...0xDFFF).contains(low) {
          unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
          i += 6
        }
      }
      if let scalar = UnicodeScalar(unit) {
        appendUTF8(scalar, to: &out)
      } else if keepingLoneSurrogates {
        out.append(0xE0 | UInt8(truncatingIfNeeded: unit >> 12))
        out.append(0x80 | UInt8(truncatingIfNeeded: (unit >> 6) & 0x3F))
        out.append(0x80 | UInt8(truncatingIfNeeded: unit & 0x3F))
      } else {
        appendUTF8("\u{FFFD}", to: &out)
      }
    default: out.append(e)
    }
  }
}

/// Whether UTF-8 text is empty or only whitespace: the one definition of a blank answer, field
/// or cell that `validate`, `import` and the other commands share.
///
/// Whitespace is Unicode White_Space (``isWhiteSpace(_:)``, as `--normalize whitespace` has
/// it), judged on the decoded text: with `jsonEscaped`, the bytes are a raw JSON string (between
/// its quotes, already validated by ``JSONParser``) and `\u0020`, `\f` or `\u3000` count as
/// the characters they stand for, so JSON escapes never change the verdict.
/// - Parameters:
///   - text: the UTF-8 bytes (raw JSON string bytes with `jsonEscaped`).
///   - jsonEscaped: whether backslash escapes are to be decoded.
/// - Returns: true when no character is outside White_Space.
/// - Complexity: O(length), no allocation; stops at the first character that is not blank.
func isBlankText(_ text: UnsafeBufferPointer<UInt8>, jsonEscaped: Bool) -> Bool {
  var i = 0
  let n = text.count
  while i < n {
    let b = text[i]
    if b < 0x80 {
      if b == UInt8(ascii: "\\") && jsonEscaped && i + 1 < n {
        switch text[i + 1] {
        case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "f"):
          i += 2
        case UInt8(ascii: "u") where i + 5 < n:
          var unit: UInt32 = 0
          for k in (i + 2)...(i + 5) { unit = unit << 4 | UInt32(hexDigitValue(text[k]) ?? 0) }
          // A surrogate (paired or not) is never whitespace, nor is a malformed escape.
          guard unit < 0x1_0000, isWhiteSpace(unit) else { return false }
          i += 6
        default:
          return false
        }
        continue
      }
      guard isASCIISpace(b) else { return false }
      i += 1
      continue
    }
    // White_Space beyond ASCII is U+0085 to U+3000: two- or three-byte sequences.
    let scalar: UInt32
    if b & 0xE0 == 0xC0, i + 1 < n {
      scalar = UInt32(b & 0x1F) << 6 | UInt32(text[i + 1] & 0x3F)
      i += 2
    } else if b & 0xF0 == 0xE0, i + 2 < n {
      scalar =
        UInt32(b & 0x0F) << 12 | UInt32(text[i + 1] & 0x3F) << 6 | UInt32(text[i + 2] & 0x3F)
      i += 3
    } else {
      return false
    }
    guard isWhiteSpace(scalar) else { return false }
  }
  return true
}

/// Whether a string is empty or only Unicode White_Space (``isBlankText(_:jsonEscaped:)``),
/// for text that is not in a record: a `--system` prompt, a system prompt file.
public func isBlankText(_ text: String) -> Bool {
  text.unicodeScalars.allSatisfy { isWhiteSpace($0.value) }
}

/// The value of hex digit `b` (0-9, a-f, A-F), or nil: the one hex digit decoder, for `\u`
/// escapes (parser, string decoder, dedupe's normalizer), percent-encoding and regex escapes.
@inline(__always)
func hexDigitValue(_ b: UInt8) -> UInt8? {
  switch b {
  case UInt8(ascii: "0")...UInt8(ascii: "9"): b &- UInt8(ascii: "0")
  case UInt8(ascii: "a")...UInt8(ascii: "f"): b &- UInt8(ascii: "a") &+ 10
  case UInt8(ascii: "A")...UInt8(ascii: "F"): b &- UInt8(ascii: "A") &+ 10
  default: nil
  }
}

/// The four hex digits at `at` of an escape the parser has already validated.
@inline(__always)
private func hexValue(_ raw: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
  var value: UInt32 = 0
  var i = at
  while i < at + 4 && i < raw.count {
    value = value << 4 | UInt32(hexDigitValue(raw[i]) ?? 0)
    i += 1
  }
  return value
}

/// Appends the UTF-8 encoding of `scalar`.
@inline(__always)
func appendUTF8(_ scalar: UnicodeScalar, to out: inout [UInt8]) {
  let v = scalar.value
  switch v {
  case 0..<0x80:
    out.append(UInt8(v))
  case 0x80..<0x800:
    out.append(UInt8(0xC0 | (v >> 6)))
    out.append(UInt8(0x80 | (v & 0x3F)))
  case 0x800..<0x10000:
    out.append(UInt8(0xE0 | (v >> 12)))
    out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
    out.append(UInt8(0x80 | (v & 0x3F)))
  default:
    out.append(UInt8(0xF0 | (v >> 18)))
    out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
    out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
    out.append(UInt8(0x80 | (v & 0x3F)))
  }
}

/// Appends `bytes` (UTF-8) as a JSON string literal with quotes, escaping what JSON requires.
/// - Parameters:
///   - bytes: valid UTF-8.
///   - out: the buffer to append to.
func appendJSONStringLiteral(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
  out.append(UInt8(ascii: "\""))
  for b in bytes {
    switch b {
    case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
    case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
    case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
    case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
    case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
    case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
    case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
    case 0..<0x20:
      out.append(contentsOf: Array("\\u00".utf8))
      out.append(contentsOf: Array(hex2(b).lowercased().utf8))
    default: out.append(b)
    }
  }
  out.append(UInt8(ascii: "\""))
}

extension String {
  /// This string as a JSON string literal, quotes included.
  ///
  /// Beyond what JSON requires (`"`, `\\` and C0 controls), it also escapes DEL, the C1
  /// controls and U+2028/U+2029 (see ``controlEscape(_:)``), so quoting record data in a finding
  /// message can never put a raw control character into a report or onto a terminal.
  var jsonQuoted: String {
    var out = "\""
    out.reserveCapacity(utf8.count + 2)
    for scalar in unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      default:
        if let escape = controlEscape(scalar) {
          out += escape
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out += "\""
    return out
  }
}
