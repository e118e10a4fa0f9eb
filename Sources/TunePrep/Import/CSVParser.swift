#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// One field of a CSV row: a byte range in the parser's buffer.
struct CSVField {
  var start: Int
  var end: Int
  /// The field was quoted and holds doubled quotes (`""`) to collapse.
  var hasDoubledQuotes: Bool
}

/// A problem in one row's syntax.
struct CSVRowError {
  var code: FindingCode
  var message: String
}

/// A streaming RFC 4180 parser.
///
/// It handles quoted fields, doubled quotes, newlines inside quotes, and CRLF or LF row ends. It
/// parses the complete rows of a buffer and leaves the partial last row for the next chunk, so
/// memory is bounded by the chunk size plus the longest row.
struct CSVParser {
  let delimiter: UInt8
  /// Fields of the current row.
  private(set) var fields: [CSVField] = []
  /// Line (from 1) of the next row's first byte.
  private(set) var line = 1
  /// The current row's syntax problem, if any.
  private(set) var rowError: CSVRowError?

  init(delimiter: UInt8) {
    self.delimiter = delimiter
    fields.reserveCapacity(32)
  }

  /// Parses every complete row in `buffer`, calling `body(rowBytes, line)` for each.
  ///
  /// The fields are in ``fields``. With `final`, the rest of the buffer is the last row.
  /// - Returns: the offset of the first byte not consumed (the start of a partial row).
  mutating func parse(
    _ buffer: UnsafeBufferPointer<UInt8>, final: Bool,
    _ body: (inout CSVParser, Range<Int>, Int) -> Void
  ) -> Int {
    let n = buffer.count
    var pos = 0
    let quote = UInt8(ascii: "\"")
    let d = delimiter
    rows: while pos < n {
      let rowStart = pos
      fields.removeAll(keepingCapacity: true)
      rowError = nil
      var rowEnd = n
      fieldLoop: while true {
        if pos < n && buffer[pos] == quote {
          // Quoted field: find the closing quote, skipping doubled quotes.
          let start = pos + 1
          var k = start
          var doubled = false
          while true {
            // The closing quote, found with the C library's vectorized `memchr`: quoted fields
            // hold most of the text of a typical export.
            if k < n, let base = buffer.baseAddress,
              let hit = memchr(base + k, Int32(quote), n - k)
            {
              k = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            } else {
              k = n
            }
            if k >= n {
              if !final { return rowStart }
              let openLine = line + countLineEnds(buffer, rowStart, start)
              rowError = CSVRowError(
                code: .importCSVQuote,
                message:
                  "the quoted field opened on line \(openLine) is never closed: add the closing quote (\") or remove the opening one"
              )
              fields.append(CSVField(start: start, end: n, hasDoubledQuotes: doubled))
              pos = n
              rowEnd = n
              break fieldLoop
            }
            if k + 1 < n && buffer[k + 1] == quote {
              doubled = true
              k += 2
              continue
            }
            if k + 1 >= n && !final { return rowStart }
            break
          }
          fields.append(CSVField(start: start, end: k, hasDoubledQuotes: doubled))
          pos = k + 1
          if pos < n && buffer[pos] != d && buffer[pos] != 0x0A && buffer[pos] != 0x0D {
            if rowError == nil {
              rowError = CSVRowError(
                code: .importCSVQuote,
                message:
                  "text after the closing quote of field \(fields.count): a quote inside a quoted field must be doubled (\"\")"
              )
            }
            while pos < n && buffer[pos] != d && buffer[pos] != 0x0A && buffer[pos] != 0x0D {
              pos += 1
            }
          }
        } else {
          let start = pos
          while pos < n {
            let b = buffer[pos]
            if b == d || b == 0x0A || b == 0x0D { break }
            pos += 1
          }
          fields.append(CSVField(start: start, end: pos, hasDoubledQuotes: false))
        }
        // After a field: a delimiter, a row end, or the end of the buffer.
        if pos >= n {
          if !final { return rowStart }
          rowEnd = n
          break fieldLoop
        }
        let b = buffer[pos]
        if b == d {
          pos += 1
          if pos >= n {
            if !final { return rowStart }
            fields.append(CSVField(start: n, end: n, hasDoubledQuotes: false))
            rowEnd = n
            break fieldLoop
          }
          continue fieldLoop
        }
        rowEnd = pos
        if b == 0x0D {
          if pos + 1 >= n && !final { return rowStart }
          pos += pos + 1 < n && buffer[pos + 1] == 0x0A ? 2 : 1
        } else {
          pos += 1
        }
        break fieldLoop
      }
      let rowLine = line
      line += countLineEnds(buffer, rowStart, pos)
      // A blank line is not a row.
      if fields.count == 1 && fields[0].start == fields[0].end && rowError == nil
        && rowEnd == rowStart
      {
        continue rows
      }
      body(&self, rowStart..<rowEnd, rowLine)
    }
    return pos
  }

  /// The value of field `i` with doubled quotes collapsed.
  ///
  /// - Returns: the bytes, or nil when the row has no field `i` (a short row, or a column
  ///   number past its end).
  func value(_ i: Int, in buffer: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    guard fields.indices.contains(i) else { return nil }
    let f = fields[i]
    let slice = UnsafeBufferPointer(rebasing: buffer[f.start..<f.end])
    guard f.hasDoubledQuotes else { return Array(slice) }
    var out: [UInt8] = []
    out.reserveCapacity(slice.count)
    var k = 0
    while k < slice.count {
      out.append(slice[k])
      if slice[k] == UInt8(ascii: "\"") && k + 1 < slice.count && slice[k + 1] == UInt8(ascii: "\"")
      {
        k += 1
      }
      k += 1
    }
    return out
  }

  /// The line ends in `buffer[from..<to]`: each LF, and each CR not followed by an LF (a
  /// CR-only file's line end, inside a quoted field as well as between rows).
  private func countLineEnds(_ buffer: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int {
    guard to > from, let base = buffer.baseAddress else { return 0 }
    var count = countNewlines(UnsafeBufferPointer(rebasing: buffer[from..<to]))
    var k = from
    while k < to, let hit = memchr(base + k, 0x0D, to - k) {
      k = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
      if k >= buffer.count || buffer[k] != 0x0A { count += 1 }
    }
    return count
  }
}
