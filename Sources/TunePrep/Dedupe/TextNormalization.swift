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
  /// Collapse runs of whitespace to one space and trim both ends.
  case whitespace
  /// Unicode NFC, case folding, whitespace collapsed and trimmed.
  case text
}

/// Appends the normalized UTF-8 bytes of decoded text to a buffer.
///
/// ASCII text (the common case) is handled byte by byte; other text goes through Unicode
/// scalars: NFC, then full case folding, then whitespace collapsing on Unicode whitespace.
struct TextNormalizer {
  let mode: TextNormalization

  /// Appends `text` normalized to `out`.
  /// - Parameters:
  ///   - text: decoded UTF-8 bytes (valid UTF-8: the parser checked it).
  ///   - out: the buffer to append to.
  func append(_ text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    switch mode {
    case .none:
      out.append(contentsOf: text)
    case .whitespace, .text:
      var ascii = true
      for b in text where b >= 0x80 {
        ascii = false
        break
      }
      if ascii || mode == .whitespace {
        appendASCII(text, fold: mode == .text, to: &out)
      } else {
        appendUnicode(text, to: &out)
      }
    }
  }

  /// Collapses ASCII whitespace and, with `fold`, lowercases A–Z.
  private func appendASCII(_ text: UnsafeBufferPointer<UInt8>, fold: Bool, to out: inout [UInt8]) {
    var pendingSpace = false
    var wrote = false
    for b in text {
      if b == 0x20 || (b >= 0x09 && b <= 0x0D) {
        pendingSpace = wrote
        continue
      }
      if pendingSpace {
        out.append(0x20)
        pendingSpace = false
      }
      out.append(fold && b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
      wrote = true
    }
  }

  private func appendUnicode(_ text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    var string = String(decoding: text, as: UTF8.self)
    if !string.unicodeScalars.allSatisfy(isStableNFC) { string = canonicalComposition(string) }
    var folded = String.UnicodeScalarView()
    var needsComposition = false
    for scalar in string.unicodeScalars {
      if scalar.properties.changesWhenCaseFolded {
        // Full case folding is lowercase(uppercase(c)) for all but a few scripts, and it maps
        // every case variant of a letter to the same scalars, which is what matching needs.
        let mapped = String(scalar).uppercased().lowercased()
        for m in mapped.unicodeScalars {
          if !isStableNFC(m) { needsComposition = true }
          folded.append(m)
        }
      } else {
        folded.append(scalar)
      }
    }
    string = String(folded)
    if needsComposition { string = canonicalComposition(string) }
    var pendingSpace = false
    var wrote = false
    for scalar in string.unicodeScalars {
      if scalar.properties.isWhitespace {
        pendingSpace = wrote
        continue
      }
      if pendingSpace {
        out.append(0x20)
        pendingSpace = false
      }
      UTF8.encode(scalar) { out.append($0) }
      wrote = true
    }
  }
}

/// Whether a scalar can appear in NFC text unchanged whatever its neighbours: a conservative
/// list of ranges without combining marks, singletons or composition exclusions (Latin-1,
/// Latin Extended A/B, basic Greek and Cyrillic letters, CJK, kana, Hangul syllables,
/// punctuation, symbols and emoji). Anything else goes through full NFC.
@inline(__always)
func isStableNFC(_ scalar: Unicode.Scalar) -> Bool {
  let v = scalar.value
  switch v {
  case 0..<0x300, 0x391...0x3A9, 0x3B1...0x3C9, 0x400...0x45F, 0x2010...0x2027, 0x2030...0x205E,
    0x20A0...0x20BF, 0x2190...0x2328, 0x232B...0x23FF, 0x2500...0x27BF, 0x3000...0x3098, 0x30A0...0x30FF,
    0x4E00...0x9FFF, 0xAC00...0xD7A3, 0xFE0F, 0xFF01...0xFF5E, 0x1F300...0x1FAFF:
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
