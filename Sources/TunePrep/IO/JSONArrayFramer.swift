/// Finds the elements of a top-level JSON array in a byte stream, so that a `.json` file
/// holding `[{...}, {...}]` is read as records without loading it whole.
///
/// It tracks only what framing needs (nesting depth, strings and escapes, line and column);
/// each element is then parsed strictly on its own. Bytes between elements must be
/// whitespace, commas and the closing bracket; anything else stops framing with a
/// ``Failure`` that names its line and column.
struct JSONArrayFramer {
  /// Why framing stopped early.
  struct Failure: Sendable, Equatable {
    var line: Int
    var column: Int
    var message: String
  }

  private enum State {
    case beforeArray, firstElement, nextElement, inElement, afterElement, afterArray
  }

  private var state = State.beforeArray
  private var line = 1
  private var column = 1
  private var depth = 0
  private var inString = false
  private var escaped = false
  private var scalar = false
  private var pending: [UInt8] = []
  private var pendingLine = 1
  private var pendingColumn = 1
  private(set) var finished = false
  private(set) var failure: Failure?

  init(startOffset: Int) {}

  /// Feeds bytes; complete elements are appended to `block` with a span each.
  mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, into block: ByteBlock) {
    var i = 0
    let n = bytes.count
    while i < n && !finished {
      let b = bytes[i]
      switch state {
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
          if b == UInt8(ascii: ",") || b == UInt8(ascii: "]") || isJSONWhitespace(b) {
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
          fail("trailing comma before ']': remove the comma after the last record")
          break
        }
        if b == UInt8(ascii: ",") {
          fail("expected a record, found ','")
          break
        }
        startElement(b)
        continue  // the element state consumes this byte
      case .afterElement:
        if b == UInt8(ascii: ",") {
          state = .nextElement
        } else if b == UInt8(ascii: "]") {
          state = .afterArray
        } else {
          fail(
            "expected ',' or ']' after a record of the array, found \(describeByte(in: bytes, at: i))"
          )
        }
      case .afterArray:
        fail("unexpected \(describeByte(in: bytes, at: i)) after the closing ']' of the array")
      case .inElement:
        break
      }
      if finished { break }
      advance(b)
      i += 1
    }
  }

  /// Ends the input: a partial element or an unclosed array is a failure.
  mutating func finish(into block: ByteBlock) {
    guard !finished else { return }
    switch state {
    case .afterArray:
      finished = true
    case .inElement where scalar && !inString:
      emit(into: block)
      fail("unterminated array: the file ends before the closing ']'")
    default:
      fail(
        state == .beforeArray
          ? "expected '[' to open the array of records, found end of input"
          : "unterminated array: the file ends before the closing ']'")
    }
  }

  private mutating func startElement(_ b: UInt8) {
    state = .inElement
    pending.removeAll(keepingCapacity: true)
    pendingLine = line
    pendingColumn = column
    depth = 0
    inString = false
    escaped = false
    scalar = b != UInt8(ascii: "{") && b != UInt8(ascii: "[")
  }

  private mutating func emit(into block: ByteBlock) {
    let start = block.count
    pending.withUnsafeBytes { block.append($0) }
    block.spans.append(
      RecordSpan(start: start, end: block.count, line: pendingLine, column: pendingColumn))
    pending.removeAll(keepingCapacity: true)
  }

  private mutating func advance(_ b: UInt8) {
    if b == 0x0A {
      line += 1
      column = 1
    } else {
      column += 1
    }
  }

  private mutating func fail(_ message: String) {
    failure = Failure(line: line, column: column, message: message)
    finished = true
  }
}
