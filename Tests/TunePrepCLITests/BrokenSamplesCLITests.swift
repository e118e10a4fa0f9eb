import Foundation
import Testing

/// The README says which finding codes `samples/broken/` shows and where the others come from:
/// that has to match what `validate` reports on the samples.
@Suite struct BrokenSamplesCLITests {
  @Test func readmeNamesTheCodesTheBrokenSamplesShow() throws {
    let files = try FileManager.default.contentsOfDirectory(
      atPath: CLIRunner.packageRoot.appendingPathComponent("samples/broken").path
    ).filter { $0.hasSuffix(".jsonl") }.sorted().map { "samples/broken/" + $0 }
    let run = try CLIRunner.run(["validate", "--report", "json"] + files)
    let last = try #require(String(decoding: run.stderr, as: UTF8.self).split(separator: "\n").last)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    let shown = Set(
      try #require((object["summary"] as? [String: Any])?["codes"] as? [String: Int]).keys)

    let readme = try String(
      contentsOf: CLIRunner.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let start = try #require(readme.range(of: "`samples/broken/` shows the "))
    let end = try #require(readme.range(of: "\n\n", range: start.upperBound..<readme.endIndex))
    let paragraph = Substring(
      readme[start.lowerBound..<end.lowerBound].replacingOccurrences(of: "\n", with: " "))
    let split = try #require(paragraph.range(of: "The others come from"))
    let shownPart = paragraph[..<split.lowerBound]
    let othersPart = paragraph[split.upperBound...]
    #expect(shownPart.contains("shows the \(shown.count) codes"))

    let table = readme.split(separator: "\n").compactMap { line -> String? in
      guard line.hasPrefix("| `"), let close = line.dropFirst(3).firstIndex(of: "`") else {
        return nil
      }
      let code = String(line[line.index(line.startIndex, offsetBy: 3)..<close])
      return code.contains(".") && !code.contains(" ") ? code : nil
    }
    #expect(table.count > shown.count)
    func mentions(_ part: Substring, _ code: String) -> Bool {
      let family = code.split(separator: ".").first.map { "`\($0).*`" } ?? ""
      return part.contains("`\(code)`") || part.contains(family)
    }
    for code in table {
      if shown.contains(code) {
        #expect(mentions(shownPart, code), "\(code) is shown but the README does not say so")
      } else {
        #expect(mentions(othersPart, code), "\(code) is not shown: the README must say where it is")
        #expect(
          !shownPart.contains("`\(code)`") || shownPart.contains("but `\(code)`")
            || shownPart.contains("and `\(code)`"), "\(code)")
      }
    }
  }
}
