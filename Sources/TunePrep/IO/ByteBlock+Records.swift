extension ByteBlock {
  /// Calls `body` with each record of the block (lines, or array-element spans) and its
  /// position, skipping blank lines, until `body` returns false.
  func forEachRecord(
    file: String, _ body: (UnsafeBufferPointer<UInt8>, RecordPosition) -> Bool
  ) {
    let all = bytes
    if !spans.isEmpty {
      for span in spans {
        let position = RecordPosition(file: file, line: span.line, column: span.column, byteOffset: span.start)
        if !body(UnsafeBufferPointer(rebasing: all[span.start..<span.end]), position) { return }
      }
      return
    }
    var start = 0
    var line = firstLine
    while start < all.count {
      var end = start
      while end < all.count && all[end] != 0x0A { end += 1 }
      var contentEnd = end
      if contentEnd > start && all[contentEnd - 1] == 0x0D { contentEnd -= 1 }
      let record = UnsafeBufferPointer(rebasing: all[start..<contentEnd])
      if record.contains(where: { $0 != 0x20 && $0 != 0x09 }) {
        let position = RecordPosition(file: file, line: line, column: 1, byteOffset: byteOffset + start)
        if !body(record, position) { return }
      }
      start = end + 1
      line += 1
    }
  }
}
