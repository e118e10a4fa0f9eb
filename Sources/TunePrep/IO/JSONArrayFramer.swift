/// Finds the elements of a top-level JSON array in a byte stream, so that a `.json` file
/// holding `[{...}, {...}]` is read as records without loading it whole.
///
/// It tracks only what framing needs (nesting depth, strings and escapes, line and column);
/// each element is then parsed strictly on its own. Bytes between elements must be
/// whitespace, commas and the closing bracket. A trailing comma before the closing bracket is a
/// ``Failure`` that loses nothing, so framing goes on. Anything else stops framing: the bytes
/// from there to the end of the file become one last element marked with
/// ``RecordSpan/unreadRest``, which every command rejects, so the records after the error are
/// counted as a rejected unit instead of vanishing.
struct JSONArrayFramer {
  /// A syntax error between elements that lost no bytes (reported as a file finding).
  struct Failure: Sendable, Equatable {
    var line: Int
    /// Byte column from 1.
    var column: Int
    /// The same column in Unicode code points.
    var characterColumn: Int
    var message: String
  }

  private enum State {
    case beforeArray, firstElement, nextElement, inElement, afterElement, afterArray
    /// Framing stopped: every byte goes to the unread rest.
    case rest
  }

  private var state = State.beforeArray
  private var line = 1
  private var column = 1
  /// The column in Unicode code points, counted as the bytes that are not UTF-8 continuation
  /// bytes: exact for valid UTF-8 (invalid UTF-8 before a record on its line is rare enough
  /// for an approximate column).
  private var characterColumn = 1
  private var depth = 0
  private var inString = false
  private var escaped = false
  private var scalar = false
  private var pending: [UInt8] = []
  private var pendingLine = 1
  private var pendingColumn = 1
  private var pendingCharacterColumn = 1
  private(set) var finished = false
  /// Errors that lost nothing, in input order.
  private(set) var failures: [Failure] = []
  /// Why framing stopped, as the message of the rejected rest of the file.
  private var restMessage: String?

  init(startOffset: Int) {}

  /// Feeds bytes; complete elements are appended to `block` with a span each.
  mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, into block: ByteBlock) {
    var i = 0
    let n = bytes.count
    while i < n && !finished {
      let b = bytes[i]
      switch state {
      case .rest:
        pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i...]))
        return
      case .inElement:
        var endsHere = false
        var consumed = true
        if inString {
          if escaped {
            escaped = false
          } else if b == UInt8(ascii: "\\") {
            escaped = true
          } else if b == UInt8(ascii: "\"") {
            inString = false
            if scalar && depth == 0 { endsHere = true }
          }
        } else if scalar {
          if b == UInt8(ascii: "\"") {
            // A string element (or a quote inside a broken scalar): frame to its closing quote,
            // so spaces, commas and brackets inside it do not end the element.
            inString = true
          } else if b == UInt8(ascii: ",") || b == UInt8(ascii: "]") || isJSONWhitespace(b) {
            endsHere = true
            consumed = false
          }
        } else {
          switch b {
          case UInt8(ascii: "\""): inString = true
          case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
          case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth == 0 { endsHere = true }
          default: break
          }
        }
        if consumed {
          pending.append(b)
          advance(b)
          i += 1
        }
        if endsHere {
          emit(into: block)
          state = .afterElement
        }
        continue
      default:
        break
      }
      if isJSONWhitespace(b) {
        advance(b)
        i += 1
        continue
      }
      switch state {
      case .beforeArray:
        if b == UInt8(ascii: "[") {
          state = .firstElement
        } else {
          fail("expected '[' to open the array of records, found \(describeByte(in: bytes, at: i))")
        }
      case .firstElement where b == UInt8(ascii: "]"):
        state = .afterArray
      case .firstElement, .nextElement:
        if b == UInt8(ascii: "]") {
          // Nothing is lost: the array ends here.
          failures.append(
            Failure(
              line: line, column: column, characterColumn: characterColumn,
              message: "trailing comma before ']': remove the comma after the last record"))
          state = .afterArray
          break
        }
        if b == UInt8(ascii: ",") {
          stopReading(in: bytes, at: i, "expected a record, found ','", fix: "remove the extra ','")
          return
        }
        startElement(b)
        continue  // the element state consumes this byte
      case .afterElement:
        if b == UInt8(ascii: ",") {
          state = .nextElement
        } else if b == UInt8(ascii: "]") {
          state = .afterArray
        } else {
          stopReading(
            in: bytes, at: i,
            "expected ',' or ']' after a record of the array, found \(describeByte(in: bytes, at: i))",
            fix: "add the missing ',' between the records")
          return
        }
      case .afterArray:
        stopReading(
          in: bytes, at: i,
          "unexpected \(describeByte(in: bytes, at: i)) after the closing ']' of the array",
          fix: "put every record inside the one top-level array")
        return
      case .inElement, .rest:
        break
      }
      if finished { break }
      advance(b)
      i += 1
    }
  }

  /// Ends the input: an unclosed array is a failure, and a partial element becomes the
  /// rejected rest of the file.
  mutating func finish(into block: ByteBlock) {
    guard !finished else { return }
    switch state {
    case .afterArray:
      break
    case .rest:
      emitRest(into: block)
    case .inElement where scalar && !inString:
      emit(into: block)
      fail("unterminated array: the file ends before the closing ']'")
    case .inElement:
      // The file ends inside a record: keep its bytes as a rejected unit.
      restMessage =
        "unterminated array: the file ends inside this record, before its closing "
        + "\(inString ? "'\"'" : "bracket") and the array's ']': complete the record and close the array"
      emitRest(into: block)
    default:
      fail(
        state == .beforeArray
          ? "expected '[' to open the array of records, found end of input"
          : "unterminated array: the file ends before the closing ']'")
    }
    finished = true
  }

  /// Stops framing at byte `i`: it and every byte after it form the rest of the file, which is
  /// rejected as one unit with a message that says so and what to fix.
  private mutating func stopReading(
    in bytes: UnsafeBufferPointer<UInt8>, at i: Int, _ message: String, fix: String
  ) {
    restMessage =
      "invalid JSON array at column \(column): \(message); the rest of the file from line \(line) "
      + "column \(column) was not read as records and is rejected as one unit: \(fix) at line "
      + "\(line) column \(column) and run again"
    state = .rest
    pending.removeAll(keepingCapacity: true)
    pendingLine = line
    pendingColumn = column
    pendingCharacterColumn = characterColumn
    pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i...]))
  }

  private mutating func emitRest(into block: ByteBlock) {
    while let last = pending.last, isJSONWhitespace(last) { pending.removeLast() }
    emit(into: block)
    block.spans[block.spans.count - 1].unreadRest = restMessage
  }

  private mutating func startElement(_ b: UInt8) {
    state = .inElement
    pending.removeAll(keepingCapacity: true)
    pendingLine = line
    pendingColumn = column
    pendingCharacterColumn = characterColumn
    depth = 0
    inString = false
    escaped = false
    scalar = b != UInt8(ascii: "{") && b != UInt8(ascii: "[")
  }

  private mutating func emit(into block: ByteBlock) {
    let start = block.count
    pending.withUnsafeBytes { block.append($0) }
    block.spans.append(
      RecordSpan(
        start: start, end: block.count, line: pendingLine, column: pendingColumn,
        characterColumn: pendingCharacterColumn))
    pending.removeAll(keepingCapacity: true)
  }

  private mutating func advance(_ b: UInt8) {
    if b == 0x0A {
      line += 1
      column = 1
      characterColumn = 1
    } else {
      column += 1
      if b & 0xC0 != 0x80 { characterColumn += 1 }
    }
  }

  private mutating func fail(_ message: String) {
    failures.append(
      Failure(line: line, column: column, characterColumn: characterColumn, message: message))
    finished = true
  }
}
