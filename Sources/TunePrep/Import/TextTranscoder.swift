/// The encoding of an imported text file, found from its first bytes.
enum TextEncoding: Equatable {
  case utf8, utf8BOM, utf16LE, utf16BE

  /// Detects the encoding from a byte order mark, or from the zero bytes of UTF-16 text
  /// without one.
  static func detect(_ head: UnsafeBufferPointer<UInt8>) -> (TextEncoding, bomLength: Int) {
    if head.count >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF {
      return (.utf8BOM, 3)
    }
    if head.count >= 2 && head[0] == 0xFF && head[1] == 0xFE { return (.utf16LE, 2) }
    if head.count >= 2 && head[0] == 0xFE && head[1] == 0xFF { return (.utf16BE, 2) }
    if head.count >= 4 && head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0 {
      return (.utf16LE, 0)
    }
    if head.count >= 4 && head[0] == 0 && head[1] != 0 && head[2] == 0 && head[3] != 0 {
      return (.utf16BE, 0)
    }
    return (.utf8, 0)
  }
}

/// A place where UTF-16 text could not be converted to UTF-8.
struct TranscodeProblem: Equatable {
  /// What went wrong.
  enum Kind: Equatable {
    /// A high surrogate without a low one after it, or a low one without a high one before.
    case unpairedSurrogate(UInt16)
    /// The file ends with one byte, half a UTF-16 code unit.
    case oddTrailingByte(UInt8)
  }

  /// Offset in the UTF-8 output where the problem is (for the odd byte: the end of the output).
  var offset: Int
  var kind: Kind

  /// The problem in words, for a finding.
  var description: String {
    switch kind {
    case .unpairedSurrogate(let unit):
      let hex = String(unit, radix: 16, uppercase: true)
      return "an unpaired UTF-16 surrogate (\(hex)), which is not a character"
    case .oddTrailingByte(let byte):
      let hex = String(byte, radix: 16, uppercase: true)
      return "a stray last byte (0x\(hex.count == 1 ? "0" : "")\(hex)), half a UTF-16 code unit"
    }
  }
}

/// Converts UTF-16 text to UTF-8 chunk by chunk.
///
/// An odd byte or a high surrogate is carried across chunk boundaries. An unpaired surrogate is
/// written in its generalized UTF-8 form (three bytes from `ED A0 80` to `ED BF BF`), which is
/// not valid UTF-8, so it can never reach an output as a character; each one, and an odd byte at
/// the end, is listed in ``problems`` with its offset, so the reader can reject the row holding
/// it.
struct UTF16Transcoder {
  let bigEndian: Bool
  private var pendingByte: UInt8?
  private var pendingHigh: UInt32?
  /// Problems found so far, by offset in the output.
  var problems: [TranscodeProblem] = []

  init(bigEndian: Bool) {
    self.bigEndian = bigEndian
  }

  /// Appends the UTF-8 form of `bytes` to `out`.
  mutating func transcode(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    var i = 0
    let n = bytes.count
    out.reserveCapacity(out.count + n + n / 2)
    while i < n {
      let a: UInt8
      if let p = pendingByte {
        a = p
        pendingByte = nil
      } else {
        a = bytes[i]
        i += 1
        if i == n {
          pendingByte = a
          return
        }
      }
      let b = bytes[i]
      i += 1
      let unit = bigEndian ? UInt32(a) << 8 | UInt32(b) : UInt32(b) << 8 | UInt32(a)
      emit(unit, &out)
    }
  }

  /// Flushes what is left at the end of the input.
  mutating func finish(to out: inout [UInt8]) {
    if let high = pendingHigh { appendUnpaired(high, &out) }
    if let byte = pendingByte {
      problems.append(TranscodeProblem(offset: out.count, kind: .oddTrailingByte(byte)))
    }
    pendingHigh = nil
    pendingByte = nil
  }

  private mutating func emit(_ unit: UInt32, _ out: inout [UInt8]) {
    if let high = pendingHigh {
      pendingHigh = nil
      if (0xDC00...0xDFFF).contains(unit) {
        let scalar = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)
        appendUTF8(UnicodeScalar(scalar) ?? "\u{FFFD}", to: &out)
        return
      }
      appendUnpaired(high, &out)
    }
    if (0xD800...0xDBFF).contains(unit) {
      pendingHigh = unit
    } else if (0xDC00...0xDFFF).contains(unit) {
      appendUnpaired(unit, &out)
    } else if unit < 0x80 {
      out.append(UInt8(unit))
    } else {
      appendUTF8(UnicodeScalar(unit) ?? "\u{FFFD}", to: &out)
    }
  }

  /// Writes a surrogate's generalized UTF-8 form and records it.
  private mutating func appendUnpaired(_ unit: UInt32, _ out: inout [UInt8]) {
    problems.append(
      TranscodeProblem(
        offset: out.count, kind: .unpairedSurrogate(UInt16(truncatingIfNeeded: unit))))
    out.append(0xE0 | UInt8(truncatingIfNeeded: unit >> 12))
    out.append(0x80 | UInt8(truncatingIfNeeded: (unit >> 6) & 0x3F))
    out.append(0x80 | UInt8(truncatingIfNeeded: unit & 0x3F))
  }
}

/// Reads an import input as UTF-8 in chunks, whatever its encoding (UTF-8 with or without BOM,
/// UTF-16 LE/BE), so the CSV and XML readers see UTF-8 only.
final class TextChunkReader {
  let file: InputFile
  let readSize: Int
  private var started = false
  private var transcoder: UTF16Transcoder?
  private var scratch: [UInt8] = []
  /// The encoding found at the start.
  private(set) var encoding = TextEncoding.utf8
  /// Whether the end of the input was reached.
  private(set) var atEOF = false

  init(file: InputFile, readSize: Int) {
    self.file = file
    self.readSize = max(4, readSize)
  }

  /// Where the UTF-16 text could not be converted, as offsets in the buffer the reader
  /// appends to (see ``consumed(_:)``), in order.
  var problems: [TranscodeProblem] { transcoder?.problems ?? [] }

  /// Tells the reader that the caller handled the first `handled` problems and removed the
  /// first `count` bytes of its buffer: drops those problems (and any other in the removed
  /// bytes) and moves the others back by `count`.
  func consumed(_ count: Int, handledProblems handled: Int) {
    guard var t = transcoder, !t.problems.isEmpty else { return }
    t.problems.removeFirst(min(handled, t.problems.count))
    t.problems.removeAll { $0.offset < count }
    for k in t.problems.indices { t.problems[k].offset -= count }
    transcoder = t
  }

  /// Appends the next chunk of UTF-8 text to `buffer`.
  /// - Returns: false at the end of the input.
  func read(appendingTo buffer: inout [UInt8]) throws(TunePrepError) -> Bool {
    if atEOF { return false }
    scratch.removeAll(keepingCapacity: true)
    var want = readSize
    if !started { want = max(want, 4) }
    let raw = UnsafeMutableRawPointer.allocate(byteCount: want, alignment: 16)
    defer { raw.deallocate() }
    var got = 0
    // Fill at least 4 bytes at the start so the encoding can be detected.
    repeat {
      let n = try file.read(into: raw + got, count: want - got)
      if n == 0 {
        atEOF = true
        break
      }
      got += n
    } while !started && got < 4
    var bytes = UnsafeBufferPointer(start: raw.assumingMemoryBound(to: UInt8.self), count: got)
    if !started {
      started = true
      let (found, bom) = TextEncoding.detect(bytes)
      encoding = found
      bytes = UnsafeBufferPointer(rebasing: bytes[bom...])
      switch found {
      case .utf16LE: transcoder = UTF16Transcoder(bigEndian: false)
      case .utf16BE: transcoder = UTF16Transcoder(bigEndian: true)
      default: break
      }
    }
    if var t = transcoder {
      t.transcode(bytes, to: &buffer)
      if atEOF { t.finish(to: &buffer) }
      transcoder = t
    } else {
      buffer.append(contentsOf: bytes)
    }
    return !atEOF || got > 0
  }
}
