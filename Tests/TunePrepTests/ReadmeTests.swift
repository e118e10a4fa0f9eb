import Foundation
import Testing

@testable import TunePrep

/// The README is the user's reference: it must list every finding code with its severity.
@Suite struct ReadmeTests {
  @Test func readmeListsEveryFindingCode() throws {
    let readme = try String(
      contentsOf: ConformanceDirectory.packageRoot.appendingPathComponent("README.md"),
      encoding: .utf8)
    for code in FindingCode.all {
      #expect(
        readme.contains("| `\(code.name)` | \(code.defaultSeverity) |"),
        "README.md has no row for \(code.name) (\(code.defaultSeverity)); regenerate the table from `tuneprep validate --list-codes`"
      )
    }
  }
}
