import Foundation
import Testing

/// End-to-end tests of `tuneprep dedupe` on the built binary.
@Suite struct DedupeCLITests {
  /// The binary: `TUNEPREP_BIN`, else `tuneprep` next to the test bundle.
  static var binary: URL {
    if let path = ProcessInfo.processInfo.environment["TUNEPREP_BIN"], !path.isEmpty {
      return URL(fileURLWithPath: path)
    }
    var dir = Bundle.main.bundleURL
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("tuneprep")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    for bundle in Bundle.allBundles {
      let candidate = bundle.bundleURL.deletingLastPathComponent().appendingPathComponent(
        "tuneprep")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    return URL(fileURLWithPath: ".build/debug/tuneprep")
  }

  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// A temporary folder with the files of one test.
  final class Folder {
    let url: URL
    init() throws {
      url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "tuneprep-dedupe-cli-\(UUID())")
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ lines: [String]) throws -> String {
      try Data((lines.map { $0 + "\n" }.joined()).utf8).write(to: url.appendingPathComponent(name))
      return path(name)
    }

    func read(_ name: String) throws -> String {
      try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
    }

    /// Runs the binary in this folder with stdout and stderr sent to files (not pipes, which
    /// would block a child that writes more than a pipe buffer).
    func run(_ arguments: [String], stdin: String? = nil) throws -> Run {
      let process = Process()
      process.executableURL = DedupeCLITests.binary
      process.arguments = arguments
      process.currentDirectoryURL = url
      let out = url.appendingPathComponent(".stdout")
      let err = url.appendingPathComponent(".stderr")
      FileManager.default.createFile(atPath: out.path, contents: nil)
      FileManager.default.createFile(atPath: err.path, contents: nil)
      let outHandle = try FileHandle(forWritingTo: out)
      let errHandle = try FileHandle(forWritingTo: err)
      process.standardOutput = outHandle
      process.standardError = errHandle
      if let stdin {
        let input = url.appendingPathComponent(".stdin")
        try Data(stdin.utf8).write(to: input)
        process.standardInput = try FileHandle(forReadingFrom: input)
      } else {
        process.standardInput = FileHandle.nullDevice
      }
      try process.run()
      process.waitUntilExit()
      try outHandle.close()
      try errHandle.close()
      return Run(
        status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
        stderr: try String(contentsOf: err, encoding: .utf8))
    }
  }

  static func chat(_ user: String, _ answer: String) -> String {
    #"{"messages":[{"role":"user","content":"\#(user)"},{"role":"assistant","content":"\#(answer)"}]}"#
  }

  static let long = (1...60).map { "word\($0)" }.joined(separator: " ")
  static let longEdited = long.replacingOccurrences(of: "word30 ", with: "other ")

  static let data = [
    chat("What is 2+2?", "4"),
    chat("what   is 2+2?", "4"),
    chat(long, "An answer that is the same."),
    chat("Unrelated question", "Unrelated answer"),
    chat(longEdited, "An answer that is the same."),
    #"{"messages":[{"role":"user","content":"no answer"}]}"#,
  ]

  @Test func exactDuplicatesFromAFile() throws {
    let folder = try Folder()
    try folder.write("data.jsonl", Self.data)
    let run = try folder.run(["dedupe", "data.jsonl", "--rejects", "dropped.jsonl"])
    #expect(run.status == 1)  // the record without an answer is an error
    #expect(run.stdout == [0, 2, 3, 4].map { Self.data[$0] + "\n" }.joined())
    #expect(run.stderr.contains("data.jsonl:2: warning: exact duplicate of line 1"))
    #expect(
      run.stderr.hasSuffix(
        "tuneprep dedupe: 6 records in 1 file, 4 kept, 1 dup.exact, 1 invalid; 1 error, 1 warning, 0 info (dup.exact 1, format.no-answer 1)\n"
      ))
    let rejects = try folder.read("dropped.jsonl").split(separator: "\n")
    #expect(rejects.count == 2)
    #expect(rejects[0].hasPrefix(#"{"file":"data.jsonl","line":2,"reason":"dup.exact""#))
    #expect(rejects[0].hasSuffix(#","similarity":1,"record":\#(Self.data[1])}"#))
    #expect(rejects[1].hasPrefix(#"{"file":"data.jsonl","line":6,"reason":"format.no-answer""#))
  }

  @Test func nearDuplicatesFromStandardInput() throws {
    let folder = try Folder()
    let input = Self.data.map { $0 + "\n" }.joined()
    let run = try folder.run(
      ["dedupe", "--near", "--clusters", "clusters.jsonl", "--fail-on", "never"], stdin: input)
    #expect(run.status == 0)
    #expect(run.stdout == [0, 2, 3].map { Self.data[$0] + "\n" }.joined())
    #expect(run.stderr.contains("<stdin>:5: warning: near-duplicate of line 3 (Jaccard 0."))
    #expect(run.stderr.contains("6 records in 1 file, 3 kept, 1 dup.exact, 1 dup.near, 1 invalid"))
    let clusters = try folder.read("clusters.jsonl")
    #expect(
      clusters.hasPrefix(
        #"{"file":"<stdin>","kept":1,"members":[{"line":2,"reason":"dup.exact","similarity":1}]}"#))
    #expect(
      clusters.contains(
        #"{"file":"<stdin>","kept":3,"members":[{"line":5,"reason":"dup.near","similarity":0."#))
  }

  @Test func nearDuplicatesFromANamedPipe() throws {
    let folder = try Folder()
    let file = try folder.write("data.jsonl", Self.data)
    let fifo = folder.url.appendingPathComponent("pipe")
    let writer = try SplitCLITests.namedPipe(at: fifo, copying: URL(fileURLWithPath: file))
    // Verifying near duplicates re-reads records at their offsets, which a pipe cannot do:
    // it is spooled like standard input, and the findings still name the pipe.
    let run = try folder.run(["dedupe", "--near", "--fail-on", "never", "pipe"])
    writer.waitUntilExit()
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == [0, 2, 3].map { Self.data[$0] + "\n" }.joined())
    #expect(run.stderr.contains("pipe:5: warning: near-duplicate of line 3 (Jaccard 0."))
    #expect(run.stderr.contains("6 records in 1 file, 3 kept, 1 dup.exact, 1 dup.near, 1 invalid"))
  }

  @Test func keepLastAndLongest() throws {
    let folder = try Folder()
    try folder.write(
      "data.jsonl",
      [Self.chat("Q", "short"), Self.chat("Q", "a longer answer"), Self.chat("Q", "mid one")])
    let last = try folder.run(["dedupe", "data.jsonl", "--key", "input", "--keep", "last"])
    #expect(last.stdout == Self.chat("Q", "mid one") + "\n")
    let longest = try folder.run([
      "dedupe", "data.jsonl", "--key", "input", "--keep", "longest", "-o", "out.jsonl",
    ])
    #expect(longest.status == 0)
    #expect(longest.stdout.isEmpty)
    #expect(try folder.read("out.jsonl") == Self.chat("Q", "a longer answer") + "\n")
  }

  @Test func againstEvaluationFiles() throws {
    let folder = try Folder()
    try folder.write(
      "train.jsonl",
      [
        Self.chat("Keep me", "ok"), Self.chat("TEST question", "x"),
        Self.chat(Self.longEdited, "An answer that is the same."),
      ])
    try folder.write(
      "test.jsonl",
      [Self.chat("test   question", "x"), Self.chat(Self.long, "An answer that is the same.")])
    let exactOnly = try folder.run(["dedupe", "train.jsonl", "--against", "test.jsonl"])
    #expect(exactOnly.status == 0)
    #expect(exactOnly.stdout.split(separator: "\n").count == 2)
    #expect(
      exactOnly.stderr.contains(
        "train.jsonl:2: warning: leaks evaluation data: the same example as test.jsonl:1"))
    let near = try folder.run(["dedupe", "--near", "train.jsonl", "--against", "test.jsonl"])
    #expect(near.stdout == Self.chat("Keep me", "ok") + "\n")
    #expect(
      near.stderr.contains(
        "train.jsonl:3: warning: leaks evaluation data: a near-duplicate of test.jsonl:2 (Jaccard 0."
      ))
    #expect(
      near.stderr.contains(
        "3 records in 1 file, 1 kept, 0 dup.exact, 0 dup.near, 1 leak.exact, 1 leak.near, 0 invalid"
      ))
    let report = try folder.run([
      "dedupe", "--near", "train.jsonl", "--against", "test.jsonl", "--report-only", "--fail-on",
      "warning",
    ])
    #expect(report.status == 1)
    #expect(report.stdout.split(separator: "\n").count == 3)
    #expect(report.stderr.contains("kept (--report-only)"))
  }

  @Test func oneRecordAndEmptyFiles() throws {
    let folder = try Folder()
    try folder.write("one.jsonl", [Self.chat("a", "b")])
    let one = try folder.run(["dedupe", "--near", "one.jsonl"])
    #expect(one.status == 0)
    #expect(one.stdout == Self.chat("a", "b") + "\n")
    #expect(one.stderr.contains("1 record in 1 file, 1 kept, 0 dup.exact, 0 dup.near, 0 invalid"))
    try folder.write("empty.jsonl", [])
    let empty = try folder.run(["dedupe", "--near", "empty.jsonl"])
    #expect(empty.status == 1)
    #expect(empty.stdout.isEmpty)
    #expect(empty.stderr.contains("empty.jsonl: error: the file holds no records"))
  }

  @Test func byteOrderMarkCRLFAndJSONArrays() throws {
    let folder = try Folder()
    let a = Self.chat("A", "b")
    let b = Self.chat("a", "B")
    let c = Self.chat("c", "d")
    try Data(("\u{FEFF}" + a + "\r\n" + b + "\r\n\r\n" + c).utf8).write(
      to: folder.url.appendingPathComponent("crlf.jsonl"))
    let crlf = try folder.run(["dedupe", "crlf.jsonl"])
    #expect(crlf.stdout == a + "\n" + c + "\n")
    #expect(crlf.stderr.contains("3 records in 1 file, 2 kept, 1 dup.exact, 0 invalid"))
    // Array elements become one line each; raw newlines between tokens turn into spaces.
    try Data("[\n\(a.replacingOccurrences(of: "},{", with: "},\n  {")),\n\(b),\n\(c)\n]\n".utf8)
      .write(to: folder.url.appendingPathComponent("data.json"))
    let array = try folder.run(["dedupe", "data.json", "--rejects", "rejects.jsonl"])
    #expect(array.stdout == a.replacingOccurrences(of: "},{", with: "},   {") + "\n" + c + "\n")
    #expect(try folder.read("rejects.jsonl").contains(#""line":4,"reason":"dup.exact""#))
  }

  @Test func dryRunWritesNoRecords() throws {
    let folder = try Folder()
    try folder.write("data.jsonl", Self.data)
    let run = try folder.run(["dedupe", "--dry-run", "--near", "data.jsonl", "--fail-on", "never"])
    #expect(run.status == 0)
    #expect(run.stdout.isEmpty)
    #expect(run.stderr.contains("3 kept, 1 dup.exact, 1 dup.near, 1 invalid"))
  }

  @Test func sameOutputForAnyThreadCount() throws {
    let folder = try Folder()
    var lines: [String] = []
    for i in 0..<300 {
      let text = (0..<40).map { "w\(($0 * 7 + i / 3) % 97)" }.joined(separator: " ")
      lines.append(Self.chat(text, "answer \(i % 50)"))
    }
    try folder.write("data.jsonl", lines)
    let one = try folder.run([
      "dedupe", "--near", "data.jsonl", "--threads", "1", "--rejects", "r1.jsonl",
    ])
    let three = try folder.run([
      "dedupe", "--near", "data.jsonl", "--threads", "3", "--rejects", "r3.jsonl",
    ])
    #expect(one.stdout == three.stdout)
    #expect(one.stderr == three.stderr)
    #expect(try folder.read("r1.jsonl") == folder.read("r3.jsonl"))
  }

  /// QA round 3, defect 3: evaluation records that cannot be read or decoded were dropped
  /// without a word, so a leak could go unnoticed with exit 0.
  @Test func unreadableEvaluationRecordsAreReported() throws {
    let folder = try Folder()
    try folder.write(
      "tr.jsonl",
      [
        Self.chat("What is the capital of France?", "Paris."),
        Self.chat(
          "Name a prime number bigger than ten please", "Eleven is a prime number bigger than ten."),
      ])
    // Three formats: alpaca (the file's, from its first line), prompt-completion, not JSON.
    try folder.write(
      "ev.jsonl",
      [
        #"{"instruction":"What is the capital of France?","output":"Paris."}"#,
        #"{"prompt":"Name a prime number bigger than ten please","completion":"Eleven is a prime number bigger than ten."}"#,
        "not json",
      ])
    let run = try folder.run(["dedupe", "tr.jsonl", "--against", "ev.jsonl"])
    #expect(run.status == 1, "\(run.stderr)")
    #expect(run.stdout.isEmpty)
    // Each evaluation record is read in its own format, so both leaks are found.
    #expect(
      run.stderr.contains(
        "tr.jsonl:1: warning: leaks evaluation data: the same example as ev.jsonl:1"))
    #expect(
      run.stderr.contains(
        "tr.jsonl:2: warning: leaks evaluation data: the same example as ev.jsonl:2"))
    #expect(run.stderr.contains("ev.jsonl:3: error: invalid JSON at column 1"))
    #expect(
      run.stderr.hasSuffix(
        "tuneprep dedupe: 2 records in 1 file, 0 kept, 0 dup.exact, 2 leak.exact, 0 invalid, 3 evaluation records, 1 evaluation invalid; 1 error, 2 warnings, 0 info (json.syntax 1, leak.exact 2)\n"
      ))
    // --format names the input's format; the evaluation file still detects its own.
    let named = try folder.run([
      "dedupe", "tr.jsonl", "--against", "ev.jsonl", "--format", "openai-chat",
    ])
    #expect(named.status == 1)
    #expect(
      named.stderr.contains("2 leak.exact, 0 invalid, 3 evaluation records, 1 evaluation invalid"))
    // --fail-on decides, as for the input's findings.
    let never = try folder.run([
      "dedupe", "tr.jsonl", "--against", "ev.jsonl", "--fail-on", "never", "--report-only",
      "--dry-run",
    ])
    #expect(never.status == 0)
    #expect(never.stderr.contains("ev.jsonl:3: error: invalid JSON"))
    // An empty evaluation file is a finding, as an empty input is.
    try folder.write("empty.jsonl", [])
    let empty = try folder.run(["dedupe", "tr.jsonl", "--against", "empty.jsonl", "ev.jsonl"])
    #expect(empty.status == 1)
    #expect(
      empty.stderr.contains("empty.jsonl: error: the file holds no records"),
      "\(empty.stderr)")
    #expect(empty.stderr.contains("(count.empty-file 1, json.syntax 1, leak.exact 2)"))
  }

  /// An evaluation record of another format than its file's is compared in its own format
  /// for --near as well, both when it is found and when the pair is verified.
  @Test func nearLeaksFromAnotherFormatInTheEvaluationFile() throws {
    let folder = try Folder()
    try folder.write("train.jsonl", [Self.chat(Self.longEdited, "An answer that is the same.")])
    try folder.write(
      "test.jsonl",
      [
        Self.chat("Another question", "Another answer"),
        #"{"prompt":"\#(Self.long)","completion":"An answer that is the same."}"#,
      ])
    let run = try folder.run(["dedupe", "--near", "train.jsonl", "--against", "test.jsonl"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.isEmpty)
    #expect(
      run.stderr.contains(
        "train.jsonl:1: warning: leaks evaluation data: a near-duplicate of test.jsonl:2 (Jaccard 0."
      ), "\(run.stderr)")
  }

  /// QA round 3, defect 9: `--normalize whitespace` took only ASCII whitespace as spacing,
  /// and both modes made every control character the same.
  @Test(arguments: ["whitespace", "text"])
  func unicodeWhitespaceAndControlCharacters(mode: String) throws {
    let folder = try Folder()
    try folder.write(
      "ws.jsonl",
      [
        #"{"instruction":"a\u00a0b","output":"x"}"#, #"{"instruction":"a b","output":"x"}"#,
        #"{"instruction":"a\u3000b\u2028","output":"x"}"#,
        "{\"instruction\":\"\u{2029}a\u{85}\u{1680}b\",\"output\":\"x\"}",
      ])
    let ws = try folder.run(["dedupe", "ws.jsonl", "--normalize", mode, "--dry-run"])
    #expect(ws.status == 0)
    #expect(
      ws.stderr.hasSuffix(
        "4 records in 1 file, 1 kept, 3 dup.exact, 0 invalid; 0 errors, 3 warnings, 0 info (dup.exact 3)\n"
      ), "\(ws.stderr)")
    try folder.write(
      "ctl.jsonl",
      [
        #"{"instruction":"code \u0001 x","output":"x"}"#,
        #"{"instruction":"code \u0002 x","output":"x"}"#,
        #"{"instruction":"code \u001b x","output":"x"}"#,
        #"{"instruction":"code \u0000 x","output":"x"}"#,
        #"{"instruction":"code  x","output":"x"}"#,
        #"{"instruction":"code \u0001  x","output":"x"}"#,
      ])
    let ctl = try folder.run(["dedupe", "ctl.jsonl", "--normalize", mode, "--dry-run"])
    #expect(ctl.status == 0)
    #expect(
      ctl.stderr.hasSuffix(
        "6 records in 1 file, 5 kept, 1 dup.exact, 0 invalid; 0 errors, 1 warning, 0 info (dup.exact 1)\n"
      ),
      "\(ctl.stderr)")
    #expect(ctl.stderr.contains("ctl.jsonl:6: warning: exact duplicate of line 1"))
  }

  static let usageCases: [([String], Int32)] = [
    (["dedupe", "--threshold", "0"], 64),
    (["dedupe", "--threshold", "1.5"], 64),
    (["dedupe", "--shingle", "lines:3"], 64),
    (["dedupe", "--keep", "middle"], 64),
    (["dedupe", "--report-only"], 64),
    (["dedupe", "data.jsonl", "-o", "data.jsonl"], 2),
    (["dedupe", "missing.jsonl"], 2),
    (["dedupe", "data.jsonl", "--against", "missing.jsonl"], 2),
    (["dedupe", "data.jsonl", "-o", "no/such/folder/out.jsonl"], 2),
  ]

  @Test(arguments: usageCases)
  func badUsageAndMissingFiles(arguments: [String], status: Int32) throws {
    let folder = try Folder()
    try folder.write("data.jsonl", [Self.chat("a", "b")])
    let run = try folder.run(arguments)
    #expect(run.status == status, "\(run.stderr)")
    if status == 2 { #expect(run.stderr.hasPrefix("tuneprep: error: ")) }
  }
}
