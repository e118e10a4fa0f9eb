#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// One line of a block, as the line walker sees it.
struct BlockLine {
  /// The line's bytes without its `\n` and without a `\r` before it.
  var bytes: UnsafeBufferPointer<UInt8>
  /// Where the line starts.
  var position: RecordPosition
  /// Empty or only spaces, tabs and carriage returns.
  var isBlank: Bool
  /// The line ended in `\r\n`.
  var hadCRLF: Bool
}

extension ByteBlock {
  /// Walks the block's lines (the one place lines are cut: `\n`, a `\r` before it dropped, a
  /// last line without newline kept), until `body` returns false.
  @inline(__always)
  func forEachLine(file: String, _ body: (BlockLine) -> Bool) {
    let all = bytes
    guard let base = all.baseAddress else { return }
    let n = all.count
    var start = 0
    var line = firstLine
    while start < n {
      var end = n
      if let hit = memchr(base + start, 0x0A, n - start) {
        end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      }
      var contentEnd = end
      let hadCRLF = contentEnd > start && all[contentEnd - 1] == 0x0D && end < n
      if contentEnd > start && all[contentEnd - 1] == 0x0D { contentEnd -= 1 }
      let record = UnsafeBufferPointer(rebasing: all[start..<contentEnd])
      let position = RecordPosition(
        file: file, line: line, column: 1, byteOffset: byteOffset + start)
      let entry = BlockLine(
        bytes: record, position: position, isBlank: isBlankLine(record), hadCRLF: hadCRLF)
      if !body(entry) { return }
      start = end + 1
      line += 1
    }
  }

  /// Calls `body` with each record of the block (lines, or array-element spans) and its
  /// position, skipping blank lines, until `body` returns false.
  func forEachRecord(
    file: String, _ body: (UnsafeBufferPointer<UInt8>, RecordPosition) -> Bool
  ) {
    let all = bytes
    if !spans.isEmpty {
      for span in spans where span.unreadRest == nil {
        let position = RecordPosition(
          file: file, line: span.line, column: span.column,
          characterColumn: span.characterColumn, byteOffset: span.start)
        if !body(UnsafeBufferPointer(rebasing: all[span.start..<span.end]), position) { return }
      }
      return
    }
    forEachLine(file: file) { line in
      line.isBlank ? true : body(line.bytes, line.position)
    }
  }
}

/// Whether a line is empty or only spaces, tabs and carriage returns.
@inline(__always)
private func isBlankLine(_ record: UnsafeBufferPointer<UInt8>) -> Bool {
  for b in record where b != 0x20 && b != 0x09 && b != 0x0D {
    return false
  }
  return true
}
