import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// How the process meets its surroundings: file names that are not UTF-8, closed standard
/// streams, empty path options, signals, and `import` without INPUT.
@Suite struct ProcessIOCLITests {
  /// One chat record.
  static let record =
    #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#

  /// How a spawned tuneprep ended.
  struct Outcome {
    /// The exit status, or 128 + the signal that ended it.
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Runs tuneprep in `directory` with arguments given as raw bytes (so they may be invalid
  /// UTF-8), through `posix_spawn`, which `Process` cannot do.
  /// - Parameters:
  ///   - arguments: the arguments' bytes.
  ///   - closing: standard descriptors the child starts without.
  ///   - stdinPath: a file for standard input (else /dev/null, unless closed).
  ///   - environment: `NAME=value` settings (raw bytes) added to the environment.
  static func spawn(
    _ arguments: [[UInt8]], in directory: URL, closing: Set<Int32> = [],
    stdinPath: String? = nil, environment: [[UInt8]] = []
  ) throws -> Outcome {
    let out = directory.appendingPathComponent(".stdout-\(UUID().uuidString)")
    let err = directory.appendingPathComponent(".stderr-\(UUID().uuidString)")
    defer {
      try? FileManager.default.removeItem(at: out)
      try? FileManager.default.removeItem(at: err)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    let files: [(Int32, String, Int32)] = [
      (0, stdinPath ?? "/dev/null", O_RDONLY), (1, out.path, O_WRONLY | O_CREAT | O_TRUNC),
      (2, err.path, O_WRONLY | O_CREAT | O_TRUNC),
    ]
    for (fd, path, flags) in files {
      if closing.contains(fd) {
        posix_spawn_file_actions_addclose(&actions, fd)
      } else {
        posix_spawn_file_actions_addopen(&actions, fd, path, flags, 0o644)
      }
    }
    // `cd` first: the shell does not touch the other arguments.
    let prefix = ["/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory.path]
      .map { Array($0.utf8) }
    let settings = environment + CLIRunner.vocabularySetting.map { Array($0.utf8) }
    let env = settings.isEmpty ? [] : [Array("/usr/bin/env".utf8)] + settings
    let argv = prefix + env + [Array(CLIRunner.binary.path.utf8)] + arguments
    let cArguments = argv.map { bytes -> UnsafeMutablePointer<CChar>? in
      let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
      for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
      p[bytes.count] = 0
      return p
    }
    defer { cArguments.forEach { $0?.deallocate() } }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    var pid = pid_t()
    let code = posix_spawn(&pid, "/bin/sh", &actions, &attributes, cArguments + [nil], environ)
    try #require(code == 0, "posix_spawn: \(code)")
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    let signal = status & 0x7f
    return Outcome(
      status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
  }

  /// A new empty folder.
  static func folder() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-io-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  /// The names in `directory`, sorted, the harness's own files aside.
  static func names(in directory: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter {
      !$0.hasPrefix(".stdout-") && !$0.hasPrefix(".stderr-")
    }.sorted()
  }

  static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

  // MARK: File names that are not UTF-8

  /// A path whose bytes are not UTF-8 is refused before any work (exit 64), shown escaped;
  /// no other file is read or replaced.
  @Test func nonUTF8PathsAreRefused() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data((Self.record + "\n").utf8).write(to: dir.appendingPathComponent("ok.jsonl"))
    // The file the repaired name would replace: out + U+FFFD.
    let precious = dir.appendingPathComponent("out\u{FFFD}.jsonl")
    try Data("precious\n".utf8).write(to: precious)
    let cafe: [UInt8] = Self.bytes("caf") + [0xE9] + Self.bytes(".jsonl")
    let outFF: [UInt8] = Self.bytes("out") + [0xFF] + Self.bytes(".jsonl")

    let input = try Self.spawn([Self.bytes("validate"), cafe], in: dir)
    #expect(input.status == 64, "\(input)")
    #expect(input.stderr.contains("INPUT is not valid UTF-8: caf\\xE9.jsonl"), "\(input.stderr)")
    #expect(input.stderr.contains("standard input"), "\(input.stderr)")

    let cases: [[[UInt8]]] = [
      ["format", "ok.jsonl", "--to", "alpaca", "-o"].map(Self.bytes) + [outFF],
      ["format", "ok.jsonl", "--to", "alpaca"].map(Self.bytes) + [Self.bytes("--output=") + outFF],
      ["dedupe", "ok.jsonl", "--clusters"].map(Self.bytes) + [outFF],
      ["validate", "ok.jsonl", "--report-file"].map(Self.bytes) + [outFF],
      ["split", "ok.jsonl", "--out-dir"].map(Self.bytes) + [outFF],
      ["tokens", "ok.jsonl", "--report-file"].map(Self.bytes) + [outFF],
      ["import", "--from", "json", "-o"].map(Self.bytes) + [outFF],
    ]
    for arguments in cases {
      let outcome = try Self.spawn(arguments, in: dir)
      #expect(outcome.status == 64, "\(arguments): \(outcome)")
      #expect(outcome.stderr.contains("out\\xFF.jsonl"), "\(arguments): \(outcome.stderr)")
      #expect(outcome.stderr.contains("not valid UTF-8"), "\(arguments): \(outcome.stderr)")
      #expect(try String(contentsOf: precious, encoding: .utf8) == "precious\n")
      #expect(Self.names(in: dir) == ["ok.jsonl", "out\u{FFFD}.jsonl"], "\(arguments)")
    }

    // A typed U+FFFD is valid UTF-8: that file is read.
    try Data((Self.record + "\n").utf8).write(to: dir.appendingPathComponent("in\u{FFFD}.jsonl"))
    let typed = try Self.spawn(["validate", "in\u{FFFD}.jsonl"].map(Self.bytes), in: dir)
    #expect(typed.status == 0, "\(typed)")
  }

  /// `TMPDIR` that is not UTF-8 would put spool files in another folder: refused (exit 64).
  @Test func nonUTF8TemporaryFolderIsRefused() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data((Self.record + "\n").utf8).write(to: dir.appendingPathComponent("ok.jsonl"))
    let tmp: [UInt8] = Self.bytes(dir.path + "/t") + [0xE9]
    let outcome = try Self.spawn(
      ["split", "--out-dir", "s"].map(Self.bytes), in: dir,
      stdinPath: dir.appendingPathComponent("ok.jsonl").path,
      environment: [Self.bytes("TMPDIR=") + tmp])
    #expect(outcome.status == 64, "\(outcome)")
    #expect(outcome.stderr.contains("TMPDIR is not valid UTF-8"), "\(outcome.stderr)")
    #expect(outcome.stderr.contains("/t\\xE9"), "\(outcome.stderr)")
    #expect(Self.names(in: dir) == ["ok.jsonl"])
  }

  // MARK: Empty paths

  /// An empty path option or INPUT is a usage error that names it, before any work.
  @Test func emptyPathsAreUsageErrors() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data((Self.record + "\n").utf8).write(to: dir.appendingPathComponent("ok.jsonl"))
    let cases: [([String], String)] = [
      (["split", "ok.jsonl", "--out-dir", ""], "--out-dir is empty: give a folder"),
      (["split", "ok.jsonl", "--out-dir", "", "--force"], "--out-dir is empty"),
      (["format", "ok.jsonl", "--to", "alpaca", "-o", ""], "--output is empty"),
      (["validate", "ok.jsonl", "--report-file", ""], "--report-file is empty"),
      (["dedupe", "ok.jsonl", "--clusters", ""], "--clusters is empty"),
      (["dedupe", "ok.jsonl", "--rejects", ""], "--rejects is empty"),
      (["validate", ""], "INPUT is empty"),
      (["tokens", "ok.jsonl", "--tokenizer", ""], "--tokenizer is empty"),
      (["import", "", "--from", "json"], "INPUT is empty"),
    ]
    for (arguments, message) in cases {
      let outcome = try Self.spawn(arguments.map(Self.bytes), in: dir)
      #expect(outcome.status == 64, "\(arguments): \(outcome)")
      #expect(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
      #expect(Self.names(in: dir) == ["ok.jsonl"], "\(arguments)")
    }
  }

  // MARK: Closed standard streams

  /// With standard input closed, reading it is a read error (exit 2), as for `validate`, and
  /// no spool file stands in for it; split publishes nothing.
  @Test func closedStandardInputIsAReadError() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cases: [[String]] = [
      ["validate"], ["dedupe"], ["split", "--out-dir", "sc"], ["format", "--to", "alpaca"],
      ["tokens"], ["import", "--from", "csv"],
    ]
    for arguments in cases {
      let outcome = try Self.spawn(arguments.map(Self.bytes), in: dir, closing: [0])
      #expect(outcome.status == 2, "\(arguments): \(outcome)")
      #expect(outcome.stderr.contains("<stdin>"), "\(arguments): \(outcome.stderr)")
      #expect(outcome.stderr.contains("bad file descriptor"), "\(arguments): \(outcome.stderr)")
      #expect(Self.names(in: dir).isEmpty, "\(arguments)")
    }
  }

  /// With standard output closed, records meant for it never land in another output (here the
  /// rejects file, which would get descriptor 1): writing them fails (exit 2).
  @Test func closedStandardOutputIsAWriteError() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data((Self.record + "\n{\"bad\":1}\n").utf8).write(
      to: dir.appendingPathComponent("in.jsonl"))
    let outcome = try Self.spawn(
      ["format", "in.jsonl", "--to", "alpaca", "--rejects", "rej.jsonl"].map(Self.bytes), in: dir,
      closing: [1])
    #expect(outcome.status == 2, "\(outcome)")
    #expect(outcome.stderr.contains("<stdout>"), "\(outcome.stderr)")
    let rejects =
      (try? String(contentsOf: dir.appendingPathComponent("rej.jsonl"), encoding: .utf8))
    #expect(rejects?.contains("\"instruction\"") != true, "\(rejects ?? "")")
  }

  // MARK: Signals

  /// SIGTERM while a command waits for its input removes every temporary file it made (the
  /// output's, the report's, the stdin spool in TMPDIR), and the signal still ends it.
  @Test func signalRemovesTemporaryFiles() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let tmp = dir.appendingPathComponent("tmp")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: false)
    let cases: [[String]] = [
      ["format", "--to", "alpaca", "-o", "out.jsonl", "--report-file", "rep.txt"],
      ["tokens", "--report-file", "rep.txt"],
      ["dedupe", "-o", "out.jsonl", "--rejects", "rej.jsonl", "--clusters", "cl.jsonl"],
      [
        "import", "--from", "csv", "--input", "q", "--output", "a", "-o", "out.jsonl",
        "--rejects", "rej.jsonl",
      ],
      ["split", "--out-dir", "sp", "--report-file", "rep.txt"],
    ]
    for arguments in cases {
      // Standard input: a pipe kept open and empty, so the command waits with its files open.
      var pipeEnds: [Int32] = [0, 0]
      try #require(pipe(&pipeEnds) == 0)
      defer { close(pipeEnds[1]) }
      let pid = try CLIRunner.spawnWithSignals(
        arguments, in: dir, stdin: pipeEnds[0], environment: ["TMPDIR=\(tmp.path)"])
      close(pipeEnds[0])
      let expected = arguments.filter { $0.contains(".") }.count
      let started = Self.wait(for: pid) {
        let temporaries = Self.names(in: dir).filter { $0.contains(".tuneprep-") }
        let spooled = arguments[0] != "split" || !Self.names(in: tmp).isEmpty
        return temporaries.count >= expected && spooled
      }
      #expect(started, "\(arguments): \(Self.names(in: dir))")
      #expect(SplitPublishCLITests.signalAndWait(pid, SIGTERM) == SIGTERM, "\(arguments)")
      #expect(Self.names(in: dir) == ["tmp"], "\(arguments)")
      #expect(Self.names(in: tmp).isEmpty, "\(arguments)")
    }
  }

  /// Polls (every 0.1 ms) until `condition` holds (true), the process `pid` ends or 30 seconds
  /// pass (false).
  static func wait(for pid: pid_t, until condition: () -> Bool) -> Bool {
    var status: Int32 = 0
    let deadline = Date().addingTimeInterval(30)
    while waitpid(pid, &status, WNOHANG) == 0 && Date() < deadline {
      if condition() { return true }
      usleep(100)
    }
    return false
  }

  // MARK: import without INPUT

  /// `import` without INPUT reads standard input, as DESIGN says; without --from it asks for it.
  @Test func importWithoutInputReadsStandardInput() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let csv = dir.appendingPathComponent("t.csv")
    try Data("question,answer\nhow?,like this\n".utf8).write(to: csv)
    let outcome = try Self.spawn(
      ["import", "--from", "csv", "--input-column", "question", "--output-column", "answer"].map(
        Self.bytes), in: dir, stdinPath: csv.path)
    #expect(outcome.status == 0, "\(outcome)")
    #expect(outcome.stdout.contains("like this"), "\(outcome.stdout)")
    let noKind = try Self.spawn(["import"].map(Self.bytes), in: dir, stdinPath: csv.path)
    #expect(noKind.status == 64, "\(noKind)")
    #expect(noKind.stderr.contains("pass --from csv|tsv|xml|json"), "\(noKind.stderr)")
  }
}
