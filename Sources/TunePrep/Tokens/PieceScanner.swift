/// The pre-tokenizer regex a ``PieceScanner`` reproduces.
///
/// Each case is a family of `pat_str` regexes that split text the same way; the scanner is a
/// hand-written matcher over Unicode scalars that gives exactly the pieces the regex (leftmost
/// match, alternatives tried in order, backtracking as the regex would) gives.
enum SplitPattern: Sendable, Equatable {
  /// r50k_base, p50k_base and GPT-2:
  /// `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`.
  case gpt2
  /// cl100k_base, Llama 3 and Qwen 2:
  /// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|
  /// ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`.
  ///
  /// `maxDigits` is the bound of the digit group (3 for cl100k and Llama 3, 1 for Qwen 2,
  /// `Int.max` for Oniguruma's reading of `\p{N}{1,3}+`). `trailingSpaceAlternative` is whether
  /// the pattern has tiktoken's `\s++$`, which keeps a whitespace run that ends the text whole
  /// even after a newline; the older form without it (as in HF `tokenizer.json` files) splits it.
  case cl100k(maxDigits: Int, trailingSpaceAlternative: Bool)
  /// o200k_base: letter runs split at case changes with optional contraction suffixes,
  /// `\p{N}{1,3}`, ` ?[^\s\p{L}\p{N}]+[\r\n/]*`, `\s*[\r\n]+`, `\s+(?!\S)`, `\s+`.
  case o200k
}

/// Splits UTF-8 text into pre-tokenizer pieces, exactly as a ``SplitPattern`` regex does.
///
/// The bytes must be valid UTF-8 (a `String`'s bytes, or bytes a validator passed); a truncated
/// final sequence is read as single bytes of the "other" class rather than overrunning.
struct PieceScanner {
  /// The text.
  let bytes: UnsafeBufferPointer<UInt8>
  /// ``ScalarClass/basicPlane``.
  let table: UnsafeBufferPointer<UInt8>

  private static let apostrophe = UInt8(ascii: "'")
  private static let space = UInt8(ascii: " ")

  /// The class of the scalar starting at byte `i` and the index of the next scalar.
  @inline(__always)
  func scalar(at i: Int) -> (cls: UInt8, next: Int) {
    let b0 = bytes[i]
    if b0 < 0x80 { return (table[Int(b0)], i + 1) }
    let n = bytes.count
    if b0 < 0xE0 {
      guard i + 1 < n else { return (0, i + 1) }
      let v = Int(b0 & 0x1F) << 6 | Int(bytes[i + 1] & 0x3F)
      return (table[v], i + 2)
    }
    if b0 < 0xF0 {
      guard i + 2 < n else { return (0, n) }
      let v = Int(b0 & 0x0F) << 12 | Int(bytes[i + 1] & 0x3F) << 6 | Int(bytes[i + 2] & 0x3F)
      return (table[v], i + 3)
    }
    guard i + 3 < n else { return (0, n) }
    let v =
      UInt32(b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6
      | UInt32(bytes[i + 3] & 0x3F)
    guard let s = Unicode.Scalar(v) else { return (0, i + 4) }
    return (ScalarClass.classify(s), i + 4)
  }

  /// The end of the run of scalars whose class intersects `mask`, starting at `i`.
  @inline(__always)
  func run(from i: Int, _ mask: UInt8) -> Int {
    var j = i
    let n = bytes.count
    while j < n {
      let (c, next) = scalar(at: j)
      if c & mask == 0 { break }
      j = next
    }
    return j
  }

  /// The end of the run of "other" scalars (`[^\s\p{L}\p{N}]`) starting at `i`.
  @inline(__always)
  func otherRun(from i: Int) -> Int {
    var j = i
    let n = bytes.count
    while j < n {
      let (c, next) = scalar(at: j)
      if c & ScalarClass.notOther != 0 { break }
      j = next
    }
    return j
  }

  /// The end of at most `limit` consecutive `\p{N}` scalars starting at `i`.
  @inline(__always)
  func digits(from i: Int, limit: Int) -> Int {
    var j = i
    var count = 0
    let n = bytes.count
    while j < n && count < limit {
      let (c, next) = scalar(at: j)
      if c & ScalarClass.number == 0 { break }
      j = next
      count += 1
    }
    return j
  }

  /// A whitespace run starting at `i`: where it ends, where its last scalar starts, how many
  /// scalars it has (capped at 2), and the end of its last `\r`/`\n` (or -1).
  @inline(__always)
  func whitespace(from i: Int) -> (end: Int, lastStart: Int, count: Int, newlineEnd: Int) {
    var j = i
    var last = i
    var count = 0
    var newlineEnd = -1
    let n = bytes.count
    while j < n {
      let (c, next) = scalar(at: j)
      if c & ScalarClass.space == 0 { break }
      if c & ScalarClass.newline != 0 { newlineEnd = next }
      last = j
      j = next
      if count < 2 { count += 1 }
    }
    return (j, last, count, newlineEnd)
  }

  /// The length of a contraction suffix after an apostrophe at `i` (`'s 't 're 've 'm 'll 'd`),
  /// or 0.
  ///
  /// With `ignoreCase`, letters match in either case, and `s` also matches U+017F (ſ), as the
  /// regex's Unicode simple case folding does.
  @inline(__always)
  func contraction(at i: Int, ignoreCase: Bool) -> Int {
    let n = bytes.count
    guard i + 1 < n, bytes[i] == Self.apostrophe else { return 0 }
    var b = bytes[i + 1]
    if ignoreCase {
      if b == 0xC5, i + 2 < n, bytes[i + 2] == 0xBF { return 3 }  // ſ U+017F
      if b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") { b |= 0x20 }
    }
    switch b {
    case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return 2
    case UInt8(ascii: "l"), UInt8(ascii: "v"), UInt8(ascii: "r"):
      guard i + 2 < n else { return 0 }
      var b2 = bytes[i + 2]
      if ignoreCase && b2 >= UInt8(ascii: "A") && b2 <= UInt8(ascii: "Z") { b2 |= 0x20 }
      let want = b == UInt8(ascii: "l") ? UInt8(ascii: "l") : UInt8(ascii: "e")
      return b2 == want ? 3 : 0
    default: return 0
    }
  }

  /// Calls `body(start, end)` for every piece of the text, in order.
  @inline(__always)
  func split(_ pattern: SplitPattern, _ body: (Int, Int) -> Void) {
    switch pattern {
    case .gpt2: splitGPT2(body)
    case .cl100k(let maxDigits, let anchored):
      splitCL100K(maxDigits: maxDigits, anchored: anchored, body)
    case .o200k: splitO200K(body)
    }
  }

  /// The end of the whitespace piece at `i` under `\s+(?!\S)|\s` (all families end this way).
  @inline(__always)
  private func spacePiece(_ i: Int, _ ws: (end: Int, lastStart: Int, count: Int, newlineEnd: Int))
    -> Int
  {
    if ws.end == bytes.count { return ws.end }
    if ws.count >= 2 { return ws.lastStart }
    return ws.end
  }

  func splitGPT2(_ body: (Int, Int) -> Void) {
    let n = bytes.count
    var i = 0
    while i < n {
      let k = contraction(at: i, ignoreCase: false)
      if k != 0 {
        body(i, i + k)
        i += k
        continue
      }
      var (c, next) = scalar(at: i)
      var j = i
      if bytes[i] == Self.space && next < n {
        let (c2, next2) = scalar(at: next)
        if c2 & ScalarClass.space == 0 {
          j = next
          c = c2
          next = next2
        }
      }
      let end: Int
      if c & ScalarClass.letter != 0 {
        end = run(from: next, ScalarClass.letter)
      } else if c & ScalarClass.number != 0 {
        end = run(from: next, ScalarClass.number)
      } else if c & ScalarClass.space == 0 {
        end = otherRun(from: next)
      } else {
        end = spacePiece(i, whitespace(from: j))
      }
      body(i, end)
      i = end
    }
  }

  func splitCL100K(maxDigits: Int, anchored: Bool, _ body: (Int, Int) -> Void) {
    let n = bytes.count
    var i = 0
    while i < n {
      let k = contraction(at: i, ignoreCase: true)
      if k != 0 {
        body(i, i + k)
        i += k
        continue
      }
      let (c, next) = scalar(at: i)
      var end = -1
      if c & ScalarClass.letter != 0 {
        end = run(from: next, ScalarClass.letter)
      } else if c & ScalarClass.notPrefix == 0 && next < n {
        let (c2, next2) = scalar(at: next)
        if c2 & ScalarClass.letter != 0 { end = run(from: next2, ScalarClass.letter) }
      }
      if end < 0 {
        if c & ScalarClass.number != 0 {
          end = digits(from: i, limit: maxDigits)
        } else if c & ScalarClass.notOther == 0 {
          end = run(from: otherRun(from: next), ScalarClass.newline)
        } else if bytes[i] == Self.space && next < n
          && scalar(at: next).cls & ScalarClass.notOther == 0
        {
          end = run(from: otherRun(from: next), ScalarClass.newline)
        } else {
          let ws = whitespace(from: i)
          if anchored && ws.end == n {
            end = n
          } else if ws.newlineEnd >= 0 {
            end = ws.newlineEnd
          } else {
            end = spacePiece(i, ws)
          }
        }
      }
      body(i, end)
      i = end
    }
  }

  /// o200k's letter alternatives from `s`: `U*W+` (first) or `U+W*` (second), where U is
  /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]` and W `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`; returns the end or -1.
  @inline(__always)
  private func o200kLetters(from s: Int, second: Bool) -> Int {
    let n = bytes.count
    var j = s
    var lastLowerishEnd = -1
    var count = 0
    while j < n {
      let (c, next) = scalar(at: j)
      if c & ScalarClass.upperish == 0 { break }
      if c & ScalarClass.lowerish != 0 { lastLowerishEnd = next }
      count += 1
      j = next
    }
    if second {
      guard count > 0 else { return -1 }
      return run(from: j, ScalarClass.lowerish)
    }
    // U* is greedy: with all `count` upper-ish scalars taken, W+ needs a lower-ish scalar next
    // (only Ll can follow, since Lm/Lo/M would have extended the run); otherwise U* gives back
    // scalars until the last one that is also lower-ish, which then forms W+ alone.
    if j < n {
      let (c, _) = scalar(at: j)
      if c & ScalarClass.lowerish != 0 { return run(from: j, ScalarClass.lowerish) }
    }
    return lastLowerishEnd
  }

  func splitO200K(_ body: (Int, Int) -> Void) {
    let n = bytes.count
    var i = 0
    while i < n {
      let (c, next) = scalar(at: i)
      var end = -1
      let prefixable = c & ScalarClass.notPrefix == 0 && next < n
      if c & (ScalarClass.letter | ScalarClass.mark) != 0 || prefixable {
        for second in 0..<2 {
          if prefixable {
            end = o200kLetters(from: next, second: second == 1)
            if end >= 0 { break }
          }
          end = o200kLetters(from: i, second: second == 1)
          if end >= 0 { break }
        }
        if end >= 0 { end += contraction(at: end, ignoreCase: true) }
      }
      if end < 0 {
        if c & ScalarClass.number != 0 {
          end = digits(from: i, limit: 3)
        } else if c & ScalarClass.notOther == 0 {
          end = run(from: otherRun(from: next), ScalarClass.newline | ScalarClass.slash)
        } else if bytes[i] == Self.space && next < n
          && scalar(at: next).cls & ScalarClass.notOther == 0
        {
          end = run(from: otherRun(from: next), ScalarClass.newline | ScalarClass.slash)
        } else {
          let ws = whitespace(from: i)
          if ws.newlineEnd >= 0 {
            end = ws.newlineEnd
          } else {
            end = spacePiece(i, ws)
          }
        }
      }
      body(i, end)
      i = end
    }
  }
}
