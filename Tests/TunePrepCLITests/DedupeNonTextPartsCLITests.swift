import Foundation
import Testing

/// Exact dedupe keys a part that is not text (an image, a file) by its JSON, so two records
/// with the same text and different images are both kept, and the same image is a duplicate.
@Suite struct DedupeNonTextPartsCLITests {
  static func record(image: String) -> String {
    #"{"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://example.com/"#
      + image + #".png"}}]},{"role":"assistant","content":"A cat."}]}"#
  }

  static func kept(_ records: [String]) throws -> [String] {
    let input = records.joined(separator: "\n") + "\n"
    let result = try CLIRunner.run(["dedupe", "-"], stdin: Data(input.utf8))
    #expect(result.status == 0 || result.status == 1)
    return String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
  }

  @Test func differentImagesAreNotDuplicates() throws {
    let records = [Self.record(image: "a"), Self.record(image: "b")]
    #expect(try Self.kept(records) == records)
  }

  @Test func theSameImageIsADuplicate() throws {
    let a = Self.record(image: "a")
    // The same JSON value written with other spacing is the same image.
    let spaced = a.replacingOccurrences(of: #""url":"#, with: #""url" : "#)
    #expect(try Self.kept([a, spaced]) == [a])
  }
}
