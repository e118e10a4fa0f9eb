internal import Crypto

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

extension Tokenizer {
  /// Loads an OpenAI encoding from the folder ``VocabularyLocator`` finds.
  /// - Parameters:
  ///   - encoding: the encoding.
  ///   - locator: where to look for `<name>.tiktoken`.
  /// - Throws: ``TokenizerError/vocabularyMissing(encoding:searched:)`` naming `make vocab`,
  ///   or a read or format error.
  /// - Returns: the tokenizer.
  public static func load(
    _ encoding: TokenEncoding, locator: VocabularyLocator = VocabularyLocator()
  ) throws(TokenizerError) -> Tokenizer {
    let path = try locator.path(for: encoding)
    return try load(encoding, tiktokenFile: path)
  }

  /// Loads an OpenAI encoding from a given `.tiktoken` file.
  ///
  /// The file's sha256 must be the encoding's (``TokenEncoding/sha256``), as tiktoken requires
  /// of every file it loads: an altered file, even a well-formed one, would change the counts.
  /// - Parameters:
  ///   - encoding: which encoding the file holds (gives the pattern and special tokens).
  ///   - path: the rank file.
  /// - Throws: ``TokenizerError`` when the file is unreadable, not the expected file, or
  ///   malformed.
  /// - Returns: the tokenizer.
  public static func load(_ encoding: TokenEncoding, tiktokenFile path: String)
    throws(TokenizerError) -> Tokenizer
  {
    let bytes = try readFile(path)
    let actual = sha256Hex(bytes)
    guard actual == encoding.sha256 else {
      throw .checksumMismatch(
        path: path, encoding: encoding.vocabularyEncoding.rawValue, expected: encoding.sha256,
        actual: actual)
    }
    let table = try parseTiktoken(bytes, path: path)
    guard table.count == encoding.rankCount else {
      throw .malformedVocabulary(
        path: path, line: table.count,
        reason:
          "\(table.count) rank\(table.count == 1 ? "" : "s"), \(encoding.vocabularyEncoding.rawValue) has "
          + "\(encoding.rankCount)")
    }
    let specials = encoding.specialTokens.map {
      SpecialToken(bytes: Array($0.text.utf8), id: UInt32($0.id))
    }
    return Tokenizer(
      name: encoding.rawValue, vocabulary: table, merges: nil, ignoreMerges: true,
      pattern: encoding.pattern, specials: specials, addedTokens: [], byteIDs: [])
  }

  /// The largest vocabulary or `tokenizer.json` file read: 256 MiB.
  ///
  /// The largest real files are far smaller (o200k_base.tiktoken is 3.6 MB, big `tokenizer.json`
  /// files about 35 MB); a larger file, or a device such as `/dev/zero`, is refused before it
  /// can fill memory.
  public static let maximumFileSize = 256 << 20

  /// One more than the largest token id or rank accepted: 2^24 (16,777,216).
  ///
  /// Real vocabularies stay far below (o200k has 200,000 ids, the largest open models about
  /// 260,000); the bound keeps the id → entry index, which has one slot per id up to the largest,
  /// at most 64 MB whatever the file says.
  public static let tokenIDLimit = 1 << 24

  /// Reads a whole file of at most ``maximumFileSize`` bytes through the project's reader, so
  /// a failure reads as the system's reason ("no such file"), not a Foundation error dump.
  static func readFile(_ path: String) throws(TokenizerError) -> [UInt8] {
    do {
      let file = try InputFile(InputName(path))
      var bytes: [UInt8] = []
      let chunk = 1 << 20
      let scratch = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
      defer { scratch.deallocate() }
      while true {
        let n = try file.read(into: scratch, count: chunk)
        if n == 0 { return bytes }
        guard bytes.count + n <= maximumFileSize else {
          throw TokenizerError.tooLarge(path: path, limit: maximumFileSize)
        }
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: scratch, count: n))
      }
    } catch let error as TokenizerError {
      throw error
    } catch let error as TunePrepError {
      switch error {
      case .cannotOpen(_, let reason), .readFailed(_, _, let reason):
        throw .unreadable(path: path, reason: reason)
      case .isDirectory:
        throw .unreadable(path: path, reason: "it is a directory, not a file")
      default:
        throw .unreadable(path: path, reason: error.description)
      }
    } catch {
      throw .unreadable(path: path, reason: "\(error)")
    }
  }

  /// The sha256 of `bytes` as 64 lowercase hex digits.
  static func sha256Hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for byte in bytes.withUnsafeBytes({ Crypto.SHA256.hash(data: $0) }) {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Parses `base64(token) SP rank LF` lines into a table of token bytes → rank.
  static func parseTiktoken(_ bytes: [UInt8], path: String) throws(TokenizerError)
    -> ByteStringTable
  {
    var arena: [UInt8] = []
    arena.reserveCapacity(bytes.count * 3 / 4)
    var starts: [UInt32] = [0]
    var values: [UInt32] = []
    var line = 0
    var i = 0
    let n = bytes.count
    while i < n {
      line += 1
      var end = i
      while end < n && bytes[end] != 0x0A { end += 1 }
      var lineEnd = end
      if lineEnd > i && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
      if lineEnd > i {
        var space = i
        while space < lineEnd && bytes[space] != 0x20 { space += 1 }
        guard space < lineEnd, base64Decode(bytes[i..<space], into: &arena) else {
          throw .malformedVocabulary(path: path, line: line, reason: "expected 'base64 rank'")
        }
        var rank: UInt64 = 0
        var j = space + 1
        guard j < lineEnd else {
          throw .malformedVocabulary(path: path, line: line, reason: "missing rank")
        }
        while j < lineEnd {
          let d = bytes[j] &- UInt8(ascii: "0")
          guard d < 10 else {
            throw .malformedVocabulary(path: path, line: line, reason: "bad rank")
          }
          rank = rank * 10 + UInt64(d)
          guard rank < UInt64(tokenIDLimit) else {
            throw .malformedVocabulary(
              path: path, line: line, reason: "rank over \(tokenIDLimit - 1), the largest accepted")
          }
          j += 1
        }
        guard arena.count < Int(UInt32.max) else {
          throw .malformedVocabulary(path: path, line: line, reason: "file too large")
        }
        starts.append(UInt32(arena.count))
        values.append(UInt32(rank))
      }
      i = end + 1
    }
    var duplicate: Int?
    let table = ByteStringTable(arena: arena, starts: starts, values: values, duplicate: &duplicate)
    if let duplicate {
      throw .malformedVocabulary(path: path, line: duplicate + 1, reason: "duplicate token")
    }
    return table
  }

  /// Appends the bytes of standard base64 text (with `=` padding) to `out`.
  /// - Returns: `false` when the text is not base64.
  static func base64Decode(_ text: ArraySlice<UInt8>, into out: inout [UInt8]) -> Bool {
    var acc: UInt32 = 0
    var bits = 0
    for c in text {
      let v: UInt32
      switch c {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
      case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
      case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
      case UInt8(ascii: "+"): v = 62
      case UInt8(ascii: "/"): v = 63
      case UInt8(ascii: "="): continue
      default: return false
      }
      acc = acc << 6 | v
      bits += 6
      if bits >= 8 {
        bits -= 8
        out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
      }
    }
    return true
  }
}
