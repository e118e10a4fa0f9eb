import Foundation
import Testing

/// End-to-end golden tests, one per folder of `Fixtures/`.
///
/// Each folder holds `args` (one argument per line), optional `stdin`, and the expected
/// `expected.stdout`, `expected.stderr` and `expected.exit`. The real binary runs from the package
/// root; `{case}` in args is the case folder.
///
/// `TUNEPREP_RECORD=1 swift test --filter TunePrepCLITests` rewrites the expected files.
@Suite struct GoldenTests {
  static let fixtures = CLIRunner.packageRoot.appendingPathComponent(
    "Tests/TunePrepCLITests/Fixtures")

  static func cases() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
    return names.filter { !$0.hasPrefix(".") }.sorted()
  }

  @Test func fixturesArePresent() {
    #expect(Self.cases().count >= 20)
  }

  @Test(arguments: cases())
  func golden(_ name: String) throws {
    let folder = Self.fixtures.appendingPathComponent(name)
    let relative = "Tests/TunePrepCLITests/Fixtures/\(name)"
    let argsText = try String(contentsOf: folder.appendingPathComponent("args"), encoding: .utf8)
    let args = argsText.split(separator: "\n", omittingEmptySubsequences: true).map {
      $0.replacingOccurrences(of: "{case}", with: relative)
    }
    let stdinURL = folder.appendingPathComponent("stdin")
    let stdin =
      FileManager.default.fileExists(atPath: stdinURL.path) ? try Data(contentsOf: stdinURL) : nil
    let result = try CLIRunner.run(args, stdin: stdin)
    let record = ProcessInfo.processInfo.environment["TUNEPREP_RECORD"] == "1"
    let expectations: [(String, Data)] = [
      ("expected.stdout", result.stdout),
      ("expected.stderr", result.stderr),
      ("expected.exit", Data("\(result.status)\n".utf8)),
    ]
    for (file, actual) in expectations {
      let url = folder.appendingPathComponent(file)
      if record {
        try actual.write(to: url)
        continue
      }
      let expected = try Data(contentsOf: url)
      #expect(
        actual == expected,
        "\(name)/\(file) differs:\n--- expected\n\(String(decoding: expected, as: UTF8.self))\n--- actual\n\(String(decoding: actual, as: UTF8.self))"
      )
    }
  }
}

/// Runs the built `tuneprep` binary as a child process.
enum CLIRunner {
  static var packageRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
  }

  /// The binary: `TUNEPREP_BIN`, else next to the test bundle (the same build folder).
  static var binary: URL {
    if let path = ProcessInfo.processInfo.environment["TUNEPREP_BIN"], !path.isEmpty {
      return URL(fileURLWithPath: path)
    }
    let bundle = Bundle.main.bundleURL
    let candidates = [
      bundle.appendingPathComponent("tuneprep"),
      bundle.deletingLastPathComponent().appendingPathComponent("tuneprep"),
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
      ?? packageRoot.appendingPathComponent(".build/debug/tuneprep")
  }

  struct Result {
    var stdout: Data
    var stderr: Data
    var status: Int32
  }

  /// Runs tuneprep with `arguments` from the package root.
  ///
  /// Output goes to temporary files, not pipes, so a child that writes more than a pipe buffer
  /// cannot deadlock.
  static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:])
    throws -> Result
  {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let outURL = dir.appendingPathComponent("stdout")
    let errURL = dir.appendingPathComponent("stderr")
    let inURL = dir.appendingPathComponent("stdin")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    FileManager.default.createFile(atPath: inURL.path, contents: stdin ?? Data())
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    let input = try FileHandle(forReadingFrom: inURL)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    try input.close()
    return Result(
      stdout: try Data(contentsOf: outURL), stderr: try Data(contentsOf: errURL),
      status: process.terminationStatus)
  }
}
