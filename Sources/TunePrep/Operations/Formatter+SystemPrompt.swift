extension Formatter {
  /// Reads the system prompt of `--system-file`.
  ///
  /// A UTF-8 byte order mark at the start is dropped (editors on Windows write one; it is no
  /// part of the prompt), and so is one line end at the end ("\n" or "\r\n"), which editors add;
  /// the prompt's own line ends and any other trailing text are kept as they are.
  /// - Parameter path: the file.
  /// - Returns: the prompt.
  /// - Throws: ``TunePrepError/badConfig(path:line:reason:)`` when the file is not valid UTF-8
  ///   (naming the line, column and byte offset of the first bad byte) or holds no text;
  ///   the errors of ``readSmallFile(_:)``.
  public static func systemPrompt(fromFile path: String) throws(TunePrepError) -> String {
    try systemPrompt(readSmallFile(path), path: path)
  }

  /// The system prompt held by the bytes of a `--system-file`: see ``systemPrompt(fromFile:)``.
  static func systemPrompt(_ bytes: [UInt8], path: String) throws(TunePrepError) -> String {
    var start = 0
    var end = bytes.count
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
    if end > start && bytes[end - 1] == 0x0A {
      end -= 1
      if end > start && bytes[end - 1] == 0x0D { end -= 1 }
    }
    if let bad = firstInvalidUTF8Byte(bytes) {
      let lineStart = bytes[..<bad].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
      let line = bytes[..<bad].count(where: { $0 == 0x0A }) + 1
      let hex = String(bytes[bad], radix: 16, uppercase: true)
      throw .badConfig(
        path: path, line: line,
        reason:
          "the system prompt file is not valid UTF-8: byte 0x\(hex.count == 1 ? "0" : "")\(hex) "
          + "at column \(bad - lineStart + 1) (byte offset \(bad)) is not part of a UTF-8 "
          + "character: save the file as UTF-8 (for example iconv -f latin1 -t utf-8 \(path) > "
          + "prompt.txt) and run again")
    }
    let text = String(decoding: bytes[start..<end], as: UTF8.self)
    if isBlankText(text) {
      throw .badConfig(
        path: path, line: nil,
        reason:
          "the system prompt file is empty: write the prompt in it, or use --strip-system to remove it"
      )
    }
    return text
  }
}

/// The offset of the first byte of `bytes` that is not part of a valid UTF-8 sequence.
///
/// - Parameter bytes: the bytes to check.
/// - Returns: the offset, or nil when all of them are valid UTF-8.
public func firstInvalidUTF8Byte(_ bytes: [UInt8]) -> Int? {
  bytes.withUnsafeBufferPointer { p -> Int? in
    var i = 0
    while i < p.count {
      if p[i] < 0x80 {
        i += 1
        continue
      }
      let length = utf8SequenceLength(p, i, p.count)
      if length == 0 { return i }
      i += length
    }
    return nil
  }
}
