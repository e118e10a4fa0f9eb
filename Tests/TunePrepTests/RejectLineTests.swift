import Foundation
import Testing

@testable import TunePrep

/// The shared lines of `--rejects` files.
@Suite struct RejectLineTests {
  @Test func base64MatchesFoundation() {
    var bytes: [UInt8] = []
    for length in 0..<40 {
      var out: [UInt8] = [0x41]
      bytes.withUnsafeBufferPointer { appendBase64($0, to: &out) }
      #expect(String(decoding: out.dropFirst(), as: UTF8.self) == Data(bytes).base64EncodedString())
      bytes.append(UInt8(truncatingIfNeeded: length &* 97 &+ 0xF3))
    }
  }

  @Test func invalidRecordLineKeepsTheBytesOnlyWhenNotUTF8() throws {
    let finding = Finding(.jsonSyntax, at: Location(file: "f", line: 3), message: "bad")
    let good = Array("caf\u{E9} \u{1}".utf8)
    let line = good.withUnsafeBufferPointer {
      invalidRecordRejectLine(file: "f", line: 3, findings: [finding], record: $0)
    }
    #expect(
      line == #"{"file":"f","line":3,"reason":"json.syntax","message":"bad","text":"café \u0001"}"#
        + "\n")
    let bad: [UInt8] = [0x7B, 0xC3, 0x28, 0xFF]
    let badLine = bad.withUnsafeBufferPointer {
      invalidRecordRejectLine(file: "f", line: 3, findings: [finding], record: $0)
    }
    #expect(badLine.hasSuffix(#","text":"{\#u{FFFD}(\#u{FFFD}","base64":"e8Mo/w=="}"# + "\n"))
    var formatLine: [UInt8] = []
    bad.withUnsafeBufferPointer {
      appendRejectLine(
        to: &formatLine, file: "f", line: 3, code: "encoding.invalid-utf8", reason: "r",
        record: $0, parsed: false)
    }
    #expect(
      String(decoding: formatLine, as: UTF8.self).hasSuffix(
        #","record":"{\#u{FFFD}(\#u{FFFD}","base64":"e8Mo/w=="}"# + "\n"))
  }
}
