import Foundation
import Testing

/// Every command refuses, with exit 2 and before it writes anything, an output that names one
/// of its inputs; the inputs stay byte for byte as they were.
@Suite struct OverwriteInputCLITests {
  /// A temporary folder with the inputs: `d.jsonl` (the chat sample twice, so dedupe has work),
  /// `other.jsonl`, `t.csv`, `s.json` (a schema), a hard link `hard.jsonl` and a symbolic link
  /// `link.jsonl` to `d.jsonl`, and `real/x.jsonl` with a link `linked` to the folder `real`.
  final class Folder {
    let url: URL
    let scratch: URL

    init() throws {
      let base = FileManager.default.temporaryDirectory.appendingPathComponent(
        "tuneprep-overwrite-cli-\(UUID())")
      url = base.appendingPathComponent("work")
      scratch = base.appendingPathComponent("scratch")
      let manager = FileManager.default
      try manager.createDirectory(
        at: url.appendingPathComponent("real"), withIntermediateDirectories: true)
      try manager.createDirectory(at: scratch, withIntermediateDirectories: true)
      let samples = CLIRunner.packageRoot.appendingPathComponent("samples")
      let chat = try Data(contentsOf: samples.appendingPathComponent("chat.jsonl"))
      try (chat + chat).write(to: file("d.jsonl"))
      try chat.write(to: file("other.jsonl"))
      try chat.write(to: file("real/x.jsonl"))
      try Data(contentsOf: samples.appendingPathComponent("tickets.csv")).write(to: file("t.csv"))
      try Data("{\"type\":\"object\"}\n".utf8).write(to: file("s.json"))
      try manager.linkItem(at: file("d.jsonl"), to: file("hard.jsonl"))
      try manager.createSymbolicLink(at: file("link.jsonl"), withDestinationURL: file("d.jsonl"))
      try manager.createSymbolicLink(at: file("linked"), withDestinationURL: file("real"))
    }

    deinit { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Every entry under the folder (links not followed) with its bytes, or its link target.
    func snapshot() throws -> [String: Data] {
      let manager = FileManager.default
      var result: [String: Data] = [:]
      var pending = [""]
      while let relative = pending.popLast() {
        let dir = relative.isEmpty ? url : file(relative)
        for name in try manager.contentsOfDirectory(atPath: dir.path) {
          let path = relative.isEmpty ? name : relative + "/" + name
          let attributes = try manager.attributesOfItem(atPath: file(path).path)
          switch attributes[.type] as? FileAttributeType {
          case .typeDirectory?: pending.append(path)
          case .typeSymbolicLink?:
            result[path] = Data(
              try manager.destinationOfSymbolicLink(atPath: file(path).path).utf8)
          default: result[path] = try Data(contentsOf: file(path))
          }
        }
      }
      return result
    }

    /// Runs the binary in the folder, stdin from `stdin` (a file in it) or /dev/null, stdout
    /// and stderr to files outside it.
    func run(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, stderr: String)
    {
      let process = Process()
      process.executableURL = CLIRunner.binary
      process.arguments = arguments
      process.currentDirectoryURL = url
      let outURL = scratch.appendingPathComponent("stdout")
      let errURL = scratch.appendingPathComponent("stderr")
      FileManager.default.createFile(atPath: outURL.path, contents: nil)
      FileManager.default.createFile(atPath: errURL.path, contents: nil)
      let out = try FileHandle(forWritingTo: outURL)
      let err = try FileHandle(forWritingTo: errURL)
      let input = try stdin.map { try FileHandle(forReadingFrom: file($0)) }
      process.standardOutput = out
      process.standardError = err
      process.standardInput = input ?? FileHandle.nullDevice
      var env = ProcessInfo.processInfo.environment
      env["NO_COLOR"] = "1"
      process.environment = env
      try process.run()
      process.waitUntilExit()
      try out.close()
      try err.close()
      try input?.close()
      return (
        process.terminationStatus, String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
      )
    }
  }

  /// A command line, the input the message names and the option that would overwrite it.
  struct Case: CustomTestStringConvertible, Sendable {
    var arguments: [String]
    var input: String
    var option: String
    var stdin: String?

    init(_ arguments: [String], _ input: String, _ option: String, stdin: String? = nil) {
      self.arguments = arguments
      self.input = input
      self.option = option
      self.stdin = stdin
    }

    var testDescription: String { arguments.joined(separator: " ") }
  }

  static let refusals: [Case] = [
    Case(["validate", "d.jsonl", "--report-file", "d.jsonl"], "d.jsonl", "--report-file"),
    Case(
      ["validate", "other.jsonl", "d.jsonl", "--report-file", "./d.jsonl"], "d.jsonl",
      "--report-file"),
    Case(
      ["validate", "--schema", "s.json", "d.jsonl", "--report-file", "s.json"], "s.json",
      "--report-file"),
    Case(
      ["format", "d.jsonl", "--to", "openai-chat", "--rejects", "d.jsonl"], "d.jsonl", "--rejects"),
    Case(["format", "d.jsonl", "--to", "alpaca", "-o", "d.jsonl"], "d.jsonl", "--output"),
    Case(["format", "d.jsonl", "--to", "alpaca", "--output", "hard.jsonl"], "d.jsonl", "--output"),
    Case(
      ["format", "d.jsonl", "--to", "text", "--template", "chatml", "--report-file", "link.jsonl"],
      "d.jsonl", "--report-file"),
    Case(["dedupe", "d.jsonl", "-o", "./d.jsonl"], "d.jsonl", "--output"),
    Case(["dedupe", "d.jsonl", "-o", "d.jsonl"], "d.jsonl", "--output"),
    Case(["dedupe", "d.jsonl", "--rejects", "link.jsonl"], "d.jsonl", "--rejects"),
    Case(["dedupe", "d.jsonl", "--clusters", "hard.jsonl"], "d.jsonl", "--clusters"),
    Case(["dedupe", "d.jsonl", "--report-file", "d.jsonl"], "d.jsonl", "--report-file"),
    Case(
      ["dedupe", "other.jsonl", "--against", "d.jsonl", "-o", "./d.jsonl"], "d.jsonl", "--output"),
    Case(["dedupe", "real/x.jsonl", "-o", "linked/x.jsonl"], "real/x.jsonl", "--output"),
    Case(["dedupe", "-o", "d.jsonl"], "<stdin>", "--output", stdin: "d.jsonl"),
    Case(["import", "t.csv", "-o", "t.csv"], "t.csv", "--output-file"),
    Case(["import", "t.csv", "--rejects", "./t.csv"], "t.csv", "--rejects"),
    Case(["import", "t.csv", "--report-file", "t.csv"], "t.csv", "--report-file"),
    Case(
      ["split", "d.jsonl", "--out-dir", ".", "--names", "d,v", "--ratios", "50,50", "--force"],
      "d.jsonl", "--out-dir"),
    Case(["split", "d.jsonl", "--out-dir", "out", "--rejects", "d.jsonl"], "d.jsonl", "--rejects"),
    Case(
      ["split", "d.jsonl", "--out-dir", "out", "--report-file", "hard.jsonl"], "d.jsonl",
      "--report-file"),
    Case(["tokens", "d.jsonl", "--report-file", "./d.jsonl"], "d.jsonl", "--report-file"),
  ]

  @Test(arguments: refusals)
  func refusesAndLeavesInputsUntouched(_ test: Case) throws {
    let folder = try Folder()
    let before = try folder.snapshot()
    let result = try folder.run(test.arguments, stdin: test.stdin)
    #expect(result.status == 2, "\(result.stderr)")
    #expect(
      result.stderr.hasPrefix(
        "tuneprep: error: \(test.input) is an input and would be overwritten by \(test.option)"),
      "\(result.stderr)")
    #expect(result.stderr.contains("inputs are never modified; write to another path"))
    // Inputs byte for byte as before, and nothing written beside them (no temporary files).
    #expect(try folder.snapshot() == before)
  }

  /// Two outputs on one file: the one written last would replace the other, so the command
  /// refuses before it writes either (the message names both, in the order checked).
  static let collisions: [Case] = [
    Case(
      ["dedupe", "d.jsonl", "-o", "x.jsonl", "--rejects", "x.jsonl"], "--output x.jsonl",
      "--rejects x.jsonl"),
    Case(
      ["dedupe", "d.jsonl", "-o", "real/../x.jsonl", "--clusters", "x.jsonl"],
      "--output real/../x.jsonl", "--clusters x.jsonl"),
    Case(
      ["split", "d.jsonl", "--out-dir", "new/out", "--rejects", "new/./out/../out/train.jsonl"],
      "--out-dir new/out/train.jsonl", "--rejects new/./out/../out/train.jsonl"),
    Case(
      ["dedupe", "d.jsonl", "-o", "other2.jsonl", "--report-file", "./other2.jsonl"],
      "--output other2.jsonl", "--report-file ./other2.jsonl"),
    Case(
      ["format", "d.jsonl", "--to", "alpaca", "-o", "linked/y.jsonl", "--rejects", "real/y.jsonl"],
      "--output linked/y.jsonl", "--rejects real/y.jsonl"),
    Case(
      ["import", "t.csv", "-o", "t.jsonl", "--report-file", "t.jsonl"], "--output-file t.jsonl",
      "--report-file t.jsonl"),
    Case(
      ["split", "d.jsonl", "--out-dir", "out", "--rejects", "out/test.jsonl"],
      "--out-dir out/test.jsonl", "--rejects out/test.jsonl"),
    Case(
      ["split", "d.jsonl", "--out-dir", "out", "--report-file", "out/manifest.json"],
      "--out-dir out/manifest.json", "--report-file out/manifest.json"),
  ]

  @Test(arguments: collisions)
  func refusesTwoOutputsOnOneFile(_ test: Case) throws {
    let folder = try Folder()
    // An existing file is compared by identity: other2.jsonl exists before the run.
    try Data("keep\n".utf8).write(to: folder.file("other2.jsonl"))
    let before = try folder.snapshot()
    let result = try folder.run(test.arguments, stdin: test.stdin)
    #expect(result.status == 2, "\(result.stderr)")
    #expect(
      result.stderr
        == "tuneprep: error: \(test.input) and \(test.option) name the same file, and one would "
        + "replace the other: give each output its own path\n",
      "\(result.stderr)")
    #expect(try folder.snapshot() == before)
  }

  /// An output that is a symbolic link is written through it, as a shell's `>` would, so a link
  /// to a file that does not exist yet names that file: it collides with an output of that
  /// name, and written alone it creates the file and leaves the link a link.
  @Test func outputsAreWrittenThroughSymbolicLinks() throws {
    let folder = try Folder()
    try FileManager.default.createSymbolicLink(
      atPath: folder.file("dangling.jsonl").path, withDestinationPath: "real/target.jsonl")
    let refused = try folder.run(
      [
        "format", "d.jsonl", "--to", "alpaca", "-o", "real/target.jsonl", "--rejects",
        "dangling.jsonl",
      ])
    #expect(refused.status == 2, "\(refused.stderr)")
    #expect(refused.stderr.contains("name the same file"), "\(refused.stderr)")
    #expect(!FileManager.default.fileExists(atPath: folder.file("real/target.jsonl").path))

    let written = try folder.run([
      "format", "d.jsonl", "--to", "alpaca", "--lossy", "-o", "dangling.jsonl",
    ])
    #expect(written.status == 0, "\(written.stderr)")
    let link = try FileManager.default.destinationOfSymbolicLink(
      atPath: folder.file("dangling.jsonl").path)
    #expect(link == "real/target.jsonl")
    let target = try Data(contentsOf: folder.file("real/target.jsonl"))
    #expect(target.count > 100)
  }

  /// The guard is not a blanket refusal: other files, devices and stdout are still written.
  static let allowed: [Case] = [
    Case(["format", "d.jsonl", "--to", "alpaca", "-o", "new.jsonl"], "", ""),
    Case(["format", "d.jsonl", "--to", "alpaca", "-o", "linked/new.jsonl"], "", ""),
    Case(["dedupe", "d.jsonl", "-o", "/dev/null", "--report-file", "/dev/null"], "", ""),
    Case(["dedupe", "-", "-o", "-"], "", "", stdin: "d.jsonl"),
    Case(["validate", "d.jsonl", "--report-file", "-"], "", ""),
    Case(["import", "t.csv", "-o", "t.jsonl"], "", ""),
    Case(["split", "d.jsonl", "--out-dir", "out", "--rejects", "rejects.jsonl"], "", ""),
    Case(["dedupe", "d.jsonl", "-o", "/dev/null", "--rejects", "/dev/null"], "", ""),
    Case(["dedupe", "d.jsonl", "-o", "-", "--report-file", "-"], "", ""),
  ]

  @Test(arguments: allowed)
  func otherOutputsAreWritten(_ test: Case) throws {
    let folder = try Folder()
    let before = try folder.snapshot()
    let result = try folder.run(test.arguments, stdin: test.stdin)
    #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
    let after = try folder.snapshot()
    for (name, bytes) in before { #expect(after[name] == bytes, "\(name) changed") }
  }
}
