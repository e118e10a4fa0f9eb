/// The JSON-style escape for a scalar that must never reach a report raw, or nil for any other
/// scalar.
///
/// The set is every C0 control (U+0000 to U+001F), DEL (U+007F), every C1 control (U+0080 to
/// U+009F) and the line and paragraph separators U+2028 and U+2029. Raw, these end a report line
/// early (and so let record data forge findings or GitHub workflow commands), or let data drive
/// the terminal (ESC, and C1 CSI on some terminals). The bidirectional formatting characters
/// are escaped too (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069): raw, an
/// override such as U+202E makes a quoted record display in another order than it is stored,
/// so a message could show a reviewer text the data does not hold. The escapes are valid JSON (`\n`, `\r`,
/// `\t`, `\b`, `\f`, else `\u` and four lowercase hex digits), so one table serves JSON string
/// literals and the text a person reads.
///
/// The check works on Unicode scalars, never `Character`s: Swift joins "\r\n" into one grapheme
/// cluster, so a `Character` comparison with "\n" misses a CRLF pair.
/// - Parameter scalar: one scalar of the text.
/// - Returns: the escape, or nil if the scalar may appear as is.
func controlEscape(_ scalar: Unicode.Scalar) -> String? {
  switch scalar.value {
  case 0x0A: return "\\n"
  case 0x0D: return "\\r"
  case 0x09: return "\\t"
  case 0x08: return "\\b"
  case 0x0C: return "\\f"
  case 0x00..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x061C, 0x200E, 0x200F, 0x202A...0x202E,
    0x2066...0x2069:
    let hex = String(scalar.value, radix: 16)
    return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
  default: return nil
  }
}

extension String {
  /// This text with every control character written as its JSON-style escape (see
  /// ``controlEscape(_:)``); printable text, non-ASCII letters and emoji included, stays as is.
  ///
  /// Every text field of a finding passes through this before any report writer sees it, so no
  /// report format can carry a raw line break, ESC or other control character taken from the data.
  /// Backslashes are left alone: data quoted in a message with ``jsonQuoted`` is already escaped.
  /// - Complexity: O(n) in the UTF-8 length; returns `self` without copying when nothing needs
  ///   escaping.
  public var escapingControlCharacters: String {
    guard unicodeScalars.contains(where: { controlEscape($0) != nil }) else { return self }
    var out = ""
    out.reserveCapacity(utf8.count + 8)
    for scalar in unicodeScalars {
      if let escape = controlEscape(scalar) {
        out += escape
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}
