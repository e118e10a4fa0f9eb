import Foundation
import Testing

@testable import TunePrep

/// Runs every file of JSONTestSuite's `test_parsing/` through the parser.
///
/// The suite lives outside the repository; a missing folder fails the test loudly.
@Suite struct JSONTestSuiteTests {
  static func files() throws -> [URL] {
    let dir = ConformanceDirectory.url.appendingPathComponent("json-test-suite/test_parsing")
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    return names.filter { $0.hasSuffix(".json") }.sorted().map { dir.appendingPathComponent($0) }
  }

  @Test func suiteIsPresent() throws {
    let files = try Self.files()
    #expect(files.filter { $0.lastPathComponent.hasPrefix("y_") }.count == 95)
    #expect(files.filter { $0.lastPathComponent.hasPrefix("n_") }.count == 188)
    #expect(files.filter { $0.lastPathComponent.hasPrefix("i_") }.count == 35)
  }

  @Test func acceptsEveryYAndRejectsEveryN() throws {
    var parser = JSONParser()
    var document = JSONDocument()
    var wrong: [String] = []
    for url in try Self.files() {
      let name = url.lastPathComponent
      let data = try Data(contentsOf: url)
      var accepted = true
      do throws(JSONSyntaxError) {
        try parser.parse(data, into: &document)
      } catch {
        accepted = false
        #expect(!error.message.isEmpty)
      }
      if name.hasPrefix("y_") && !accepted { wrong.append("\(name): rejected") }
      if name.hasPrefix("n_") && accepted { wrong.append("\(name): accepted") }
    }
    #expect(wrong.isEmpty, "\(wrong.joined(separator: "\n"))")
  }
}
