#if canImport(Foundation)
  // Only for `precomposedStringWithCanonicalMapping` (Unicode NFC), which neither the standard
  // library nor FoundationEssentials offers publicly; used on the rare non-ASCII text that is
  // not already NFC by a cheap check.
  internal import Foundation
#endif

/// How text is normalized before it is compared: `--normalize`.
public enum TextNormalization: String, Sendable, CaseIterable {
  /// Compare the decoded text exactly.
  case none
  /// Collapse runs of whitespace (Unicode White_Space, see ``isWhiteSpace(_:)``) to one space
  /// and trim both ends.
  case whitespace
  /// Unicode NFC, case folding, whitespace collapsed and trimmed as with ``whitespace``.
  case text
}

/// Appends the normalized UTF-8 bytes of decoded text to a buffer.
///
/// ASCII text (the common case) is handled byte by byte; other text goes through Unicode
/// scalars: with `text`, NFC, then full case folding; with both `whitespace` and `text`,
/// whitespace collapsing on Unicode White_Space (``isWhiteSpace(_:)``, one definition for both
/// modes).
struct TextNormalizer {
  let mode: TextNormalization

  /// Appends `text` normalized to `out`.
  ///
  /// With `whitespace` and `text`, every control character that is not whitespace is kept, as
  /// ESC (0x1B) then its byte + 0x40 (as ``escapeControlBytes(_:from:)`` writes it for `none`),
  /// so the result holds no other control byte and two texts that differ in a control
  /// character stay different.
  /// - Parameters:
  ///   - text: decoded UTF-8 bytes (valid UTF-8: the parser checked it).
  ///   - out: the buffer to append to.
  func append(_ text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    switch mode {
    case .none:
      out.append(contentsOf: text)
    case .whitespace, .text:
      let start = out.count
      if isASCII(text) {
        appendASCII(text, fold: mode == .text, to: &out)
      } else if mode == .whitespace {
        appendCollapsed(text, fold: false, to: &out)
      } else {
        appendUnicode(text, to: &out)
      }
      expandControlMarkers(&out, from: start, controlsOf: text)
    }
  }

  /// Collapses ASCII whitespace and, with `fold`, lowercases A–Z (the bytes of non-ASCII
  /// text pass unchanged).
  private func appendASCII(_ text: UnsafeBufferPointer<UInt8>, fold: Bool, to out: inout [UInt8]) {
    var state = CollapseState()
    appendASCII(text, fold: fold, state: &state, to: &out)
  }

  /// Whitespace collapsing across calls: a space is written only between two non-space
  /// characters, so runs collapse and both ends are trimmed.
  struct CollapseState {
    var wrote = false
    var pendingSpace = false
  }

  private func appendASCII(
    _ text: UnsafeBufferPointer<UInt8>, fold: Bool, state: inout CollapseState,
    to out: inout [UInt8]
  ) {
    let start = out.count
    out.append(contentsOf: repeatElement(0, count: text.count + 1))
    var written = 0
    var wrote = state.wrote
    var pendingSpace = state.pendingSpace
    let table = fold ? asciiFoldTable : asciiSpaceTable
    table.withUnsafeBufferPointer { map in
      out.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress, let source = text.baseAddress,
          let map = map.baseAddress
        else { return }
        let p = base + start
        var w = 0
        var pending = pendingSpace ? 1 : 0
        var any = wrote ? 1 : 0
        let raw = UnsafeRawPointer(source)
        let target = UnsafeMutableRawPointer(p)
        var k = 0
        let n = text.count
        while k < n {
          // Eight bytes at once when they need nothing but case folding (see `plainWord`).
          if k + 8 <= n {
            let word = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)
            if let folded = plainWord(word, fold: fold, spaceAllowedFirst: pending == 0 && any != 0)
            {
              p[w] = 0x20
              w &+= pending
              target.storeBytes(of: folded, toByteOffset: w, as: UInt64.self)
              w &+= 8
              pending = 0
              any = 1
              k += 8
              continue
            }
          }
          // Otherwise one byte, branch-free.
          writeMapped(map[Int(source[k])], to: p, at: &w, pending: &pending, wrote: &any)
          k += 1
        }
        wrote = any != 0
        pendingSpace = pending != 0
        written = w
      }
    }
    out.removeLast(text.count + 1 - written)
    state.wrote = wrote
    state.pendingSpace = pendingSpace
  }

  private func appendUnicode(_ text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    var stable = true
    forEachScalar(text) { scalar in
      if scalar.value >= 0x80 && !isStableNFC(scalar) { stable = false }
    }
    if stable {
      appendCollapsed(text, fold: true, to: &out)
      return
    }
    // Rare: combining marks, singletons and the like need real composition first.
    let composed = Array(canonicalComposition(String(decoding: text, as: UTF8.self)).utf8)
    composed.withUnsafeBufferPointer { appendCollapsed($0, fold: true, to: &out) }
  }

  /// Collapses Unicode whitespace and, with `fold`, case-folds NFC text: runs of ASCII take
  /// the table path, only other scalars are decoded.
  private func appendCollapsed(
    _ text: UnsafeBufferPointer<UInt8>, fold: Bool, to out: inout [UInt8]
  ) {
    let start = out.count
    var state = CollapseState()
    var needsComposition = false
    var i = 0
    var scalar: Unicode.Scalar = " "
    while i < text.count {
      let j = nextNonASCII(text, from: i)
      if j > i {
        appendASCII(UnsafeBufferPointer(rebasing: text[i..<j]), fold: fold, state: &state, to: &out)
        i = j
        if i == text.count { break }
      }
      i += decodeScalar(text, at: i, into: &scalar)
      if isWhiteSpace(scalar.value) {
        state.pendingSpace = state.wrote
        continue
      }
      if state.pendingSpace {
        out.append(0x20)
        state.pendingSpace = false
      }
      state.wrote = true
      if fold && scalar.properties.changesWhenCaseFolded {
        // Full case folding is lowercase(uppercase(c)) for all but a few scripts, and it maps
        // every case variant of a letter to the same scalars, which is what matching needs.
        for m in String(scalar).uppercased().lowercased().unicodeScalars {
          if m.value >= 0x80 && !isStableNFC(m) { needsComposition = true }
          UTF8.encode(m) { out.append($0) }
        }
      } else {
        UTF8.encode(scalar) { out.append($0) }
      }
    }
    if needsComposition {
      let folded = String(decoding: out[start...], as: UTF8.self)
      out.removeSubrange(start...)
      out.append(contentsOf: canonicalComposition(folded).utf8)
    }
  }
}

/// Whether a scalar is whitespace for `--normalize whitespace` and `text`: the Unicode
/// White_Space property, that is U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680,
/// U+2000–U+200A, U+2028, U+2029, U+202F, U+205F and U+3000.
///
/// The one definition both modes use (the table of ``normalizedScalarClass(_:)`` is built from
/// it too); `TextNormalizerTests` checks it against `Unicode.Scalar.Properties.isWhitespace`
/// for every scalar. Control characters that are not White_Space (U+0000–U+0008,
/// U+000E–U+001F, U+007F–U+009F but U+0085) are not whitespace: they are kept.
@inline(__always)
func isWhiteSpace(_ v: UInt32) -> Bool {
  if v < 0x80 { return v == 0x20 || v &- 0x09 < 5 }
  switch v {
  case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
  default: return false
  }
}

/// ``isWhiteSpace(_:)`` for an ASCII byte.
@inline(__always)
func isASCIISpace(_ b: UInt8) -> Bool {
  b == 0x20 || (b >= 0x09 && b <= 0x0D)
}

/// The byte-to-byte map of ASCII normalization with case folding.
///
/// ASCII whitespace maps to 0, A–Z to a–z, other control bytes to ESC (0x1B), every other byte to
/// itself. 0 marks whitespace. ESC marks a control character, which
/// ``expandControlMarkers(_:from:controlsOf:)`` then writes as ESC and its byte + 0x40, so that
/// the normalized text holds none of the bytes ``KeyBuilder`` uses as tags and `\u0001` and
/// `\u0002` stay different.
let asciiFoldTable: [UInt8] = makeTable(fold: true)

/// As ``asciiFoldTable`` without case folding.
let asciiSpaceTable: [UInt8] = makeTable(fold: false)

private func makeTable(fold: Bool) -> [UInt8] {
  var table = [UInt8](repeating: 0, count: 256)
  for i in 0..<256 {
    let b = UInt8(i)
    if isASCIISpace(b) {
      table[i] = 0
    } else if b < 0x20 {
      table[i] = 0x1B
    } else if fold && b >= 0x41 && b <= 0x5A {
      table[i] = b | 0x20
    } else {
      table[i] = b
    }
  }
  return table
}

/// Replaces each ESC that the byte map left in `out[start...]` for a control character (see
/// ``asciiFoldTable``) with ESC and that character's byte + 0x40, taking the control bytes
/// in order from the text that was normalized.
///
/// Normalization keeps control characters and their order (NFC and case folding leave them
/// alone), and ESC in UTF-8 is only U+001B, itself a control character: the k-th ESC of the
/// output is the k-th control byte of `text`. Text without one (nearly all) costs one scan.
func expandControlMarkers(
  _ out: inout [UInt8], from start: Int, controlsOf text: UnsafeBufferPointer<UInt8>
) {
  let marked = out.withUnsafeBufferPointer { $0[start...].contains(0x1B) }
  guard marked else { return }
  var controls = text.lazy.filter { $0 < 0x20 && !isASCIISpace($0) }.makeIterator()
  let normalized = Array(out[start...])
  out.removeSubrange(start...)
  for b in normalized {
    out.append(b)
    if b == 0x1B, let control = controls.next() { out.append(control &+ 0x40) }
  }
}

/// Eight ASCII bytes case-folded, or nil unless they normalize to themselves apart from case.
///
/// Such bytes hold no control byte or whitespace but single spaces inside the word (not first
/// unless a space may follow the output so far, never last, never two in a row).
@inline(__always)
func plainWord(_ x: UInt64, fold: Bool, spaceAllowedFirst: Bool) -> UInt64? {
  let ones: UInt64 = 0x0101_0101_0101_0101
  let high: UInt64 = 0x8080_8080_8080_8080
  // Bytes below 0x20 (no byte is 0x80 or more: the text is ASCII, so nothing carries).
  if (x &+ ones &* (0x80 - 0x20)) & high != high { return nil }
  // Bytes equal to 0x20, exactly.
  let y = x ^ (ones &* 0x20)
  let spaces = ~(((y & ~high) &+ ~high) | y) & high
  if spaces != 0 {
    if spaces & (spaces << 8) != 0 { return nil }
    if spaces & 0x80 != 0 && !spaceAllowedFirst { return nil }
    if spaces & 0x8000_0000_0000_0000 != 0 { return nil }
  }
  guard fold else { return x }
  // A–Z: at least 0x41 and below 0x5B; setting bit 5 lowercases them.
  let atLeastA = x &+ ones &* (0x80 - 0x41)
  let pastZ = x &+ ones &* (0x80 - 0x5B)
  return x | ((atLeastA & ~pastZ & high) >> 2)
}

/// The index of the first byte at or after `start` that is 0x80 or more (or the count),
/// skipping eight ASCII bytes at a time.
@inline(__always)
func nextNonASCII(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
  var i = start
  if let base = bytes.baseAddress {
    let raw = UnsafeRawPointer(base)
    while i + 8 <= bytes.count
      && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
    {
      i += 8
    }
  }
  while i < bytes.count && bytes[i] < 0x80 { i += 1 }
  return i
}

/// Whether every byte is below 0x80, checked eight bytes at a time.
func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
  guard let base = bytes.baseAddress else { return true }
  let raw = UnsafeRawPointer(base)
  var i = 0
  var any: UInt64 = 0
  while i + 8 <= bytes.count {
    any |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
    i += 8
  }
  while i < bytes.count {
    any |= UInt64(bytes[i])
    i += 1
  }
  return any & 0x8080_8080_8080_8080 == 0
}

/// Decodes the scalar of valid UTF-8 at `i`.
/// - Returns: its length in bytes.
@inline(__always)
func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, into scalar: inout Unicode.Scalar)
  -> Int
{
  let b0 = UInt32(bytes[i])
  var value: UInt32
  var length: Int
  if b0 < 0x80 {
    value = b0
    length = 1
  } else if b0 < 0xE0 {
    value = b0 & 0x1F
    length = 2
  } else if b0 < 0xF0 {
    value = b0 & 0x0F
    length = 3
  } else {
    value = b0 & 0x07
    length = 4
  }
  var k = 1
  while k < length && i + k < bytes.count {
    value = value << 6 | UInt32(bytes[i + k] & 0x3F)
    k += 1
  }
  scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
  return length
}

/// Calls `body` with each non-ASCII scalar of valid UTF-8 bytes.
@inline(__always)
func forEachScalar(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Unicode.Scalar) -> Void) {
  var i = 0
  var scalar: Unicode.Scalar = " "
  while i < bytes.count {
    i = nextNonASCII(bytes, from: i)
    if i == bytes.count { break }
    i += decodeScalar(bytes, at: i, into: &scalar)
    body(scalar)
  }
}

/// Whether a scalar can appear in NFC text unchanged whatever its neighbours.
///
/// The test is a conservative list of ranges without combining marks, singletons or composition
/// exclusions (Latin-1, Latin Extended A/B, Greek, Cyrillic, Hebrew and Arabic letters, CJK, kana,
/// Hangul syllables, punctuation, symbols, emoji and zero-width joiners). Anything else goes
/// through full NFC.
@inline(__always)
func isStableNFC(_ scalar: Unicode.Scalar) -> Bool {
  let v = scalar.value
  switch v {
  case 0..<0x300, 0x386, 0x388...0x3CE, 0x400...0x45F, 0x5D0...0x5EA, 0x621...0x64A,
    0x200B...0x200F, 0x2010...0x2027, 0x2030...0x205E, 0x20A0...0x20BF, 0x2122,
    0x2190...0x2328, 0x232B...0x23FF, 0x2500...0x27BF, 0x3000...0x3098, 0x30A0...0x30FF,
    0x4E00...0x9FFF, 0xAC00...0xD7A3, 0xFE0F, 0xFF01...0xFF5E, 0x1F000...0x1FAFF:
    return true
  default:
    return false
  }
}

/// Unicode NFC of `string`.
func canonicalComposition(_ string: String) -> String {
  #if canImport(Foundation)
    return string.precomposedStringWithCanonicalMapping
  #else
    // Without Foundation the text is compared as it is: canonically equivalent but differently
    // composed texts then count as different (documented approximation).
    return string
  #endif
}

/// Writes one byte that went through the normalization map at `p[w]`, branch-free.
///
/// A space is written before a character only when one is pending, and a byte the map turns into
/// whitespace (0) writes nothing but leaves a space pending once something has been written.
/// `pending` and `wrote` are 0 or 1.
@inline(__always)
func writeMapped(
  _ mapped: UInt8, to p: UnsafeMutablePointer<UInt8>, at w: inout Int, pending: inout Int,
  wrote: inout Int
) {
  let character = mapped != 0 ? 1 : 0
  p[w] = 0x20
  w &+= character & pending
  p[w] = mapped
  w &+= character
  wrote |= character
  pending = (1 &- character) & (pending | wrote)
}
