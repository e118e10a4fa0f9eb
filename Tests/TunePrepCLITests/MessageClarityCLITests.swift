import Foundation
import Testing

/// Messages a person can act on: invisible characters named rather than quoted raw, limits
/// stated with what to do, and the same finding for the same problem in every input kind.
@Suite struct MessageClarityCLITests {
  static func stderr(_ result: CLIRunner.Result) -> String {
    String(decoding: result.stderr, as: UTF8.self)
  }

  /// The first BOM is skipped as `encoding.bom`; the second is data, and the message names it.
  @Test func aSecondByteOrderMarkIsNamedNotPrintedRaw() throws {
    let record = #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#
    let input = Data([0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + Array((record + "\n").utf8))
    let result = try CLIRunner.run(["validate", "-"], stdin: input)
    #expect(result.status == 1)
    #expect(
      Self.stderr(result).contains(
        "<stdin>:1: error: invalid JSON at column 1: expected a JSON value, found U+FEFF (byte order mark) [json.syntax]"
      ), "\(Self.stderr(result))")
    #expect(!Self.stderr(result).contains("\u{FEFF}"))
  }
}
