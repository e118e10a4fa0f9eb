import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// How `tuneprep split` publishes its out-dir: all files at once, replacing an earlier split
/// whole, and nothing under a final name after a failure, a signal or `kill -9`.
@Suite struct SplitPublishCLITests {
  // MARK: Helpers

  /// Every entry of a folder (dot files included) with its bytes (nil for a folder or link),
  /// or nil when the folder does not exist.
  static func snapshot(_ url: URL) -> [String: Data?]? {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else {
      return nil
    }
    var entries: [String: Data?] = [:]
    for name in names {
      let path = url.appendingPathComponent(name).path
      var info = stat()
      let regular = lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
      entries[name] = regular ? FileManager.default.contents(atPath: path) : nil
    }
    return entries
  }

  /// The names in `folder` that a run on `out` left beside it (`.out.tuneprep-XXXXXX`).
  static func stagingLeftovers(of out: URL) -> [String] {
    let names =
      (try? FileManager.default.contentsOfDirectory(
        atPath: out.deletingLastPathComponent().path)) ?? []
    return names.filter { $0.hasPrefix(".\(out.lastPathComponent).tuneprep-") }
  }

  /// The folder's mode bits.
  static func mode(_ url: URL) -> mode_t {
    var info = stat()
    _ = stat(url.path, &info)
    return info.st_mode & 0o7777
  }

  /// `count` distinct short chat records (about 120 bytes each).
  static func shortChatLines(_ count: Int) -> [String] {
    var words = SplitCLITests.Words(state: 7)
    return (0..<count).map { i in
      SplitCLITests.chat("q\(i) " + words.sentence(5), words.sentence(9))
    }
  }

  /// Starts tuneprep without waiting, stderr discarded.
  static func start(_ arguments: [String], in directory: URL? = nil) throws -> Process {
    let process = Process()
    process.executableURL = CLIRunner.binary
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
  }

  /// Runs tuneprep (or `executable`) in `directory` and returns its exit status and stderr.
  static func run(
    _ arguments: [String], in directory: URL, executable: URL = CLIRunner.binary
  ) throws -> (Int32, String) {
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-stderr-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errURL) }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let err = try FileHandle(forWritingTo: errURL)
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try err.close()
    return (process.terminationStatus, try String(contentsOf: errURL, encoding: .utf8))
  }

  /// Polls (every 0.1 ms) until `condition` holds or the process ends; true if it held.
  static func wait(for process: Process, until condition: () -> Bool) -> Bool {
    while process.isRunning {
      if condition() { return true }
      usleep(100)
    }
    return false
  }

  /// The names of the files a manifest lists, with their record counts.
  static func listedSplits(_ out: URL) throws -> [(file: String, count: Int)] {
    let manifest = try SplitCLITests.manifest(out)
    let splits = try #require(manifest["splits"] as? [[String: Any]])
    return try splits.map { split in
      (try #require(split["file"] as? String), try #require(split["count"] as? Int))
    }
  }

  // MARK: --force replaces the whole folder

  /// A two-way split over a three-way one leaves no `test.jsonl` of the old run (QA3 #6).
  @Test func forceOverAThreeWaySplitLeavesNoStaleSplitFile() throws {
    let dir = try SplitCLITests.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in.jsonl")
    try SplitCLITests.write(SplitCLITests.chatLines(300), to: input)
    let out = dir.appendingPathComponent("out")
    #expect(try SplitCLITests.run(["split", input.path, "--out-dir", out.path]).status == 0)
    let again = try SplitCLITests.run([
      "split", input.path, "--out-dir", out.path, "--ratios", "90,10", "--seed", "5", "--force",
    ])
    #expect(again.status == 0, "\(String(decoding: again.stderr, as: UTF8.self))")
    let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
    #expect(names == ["manifest.json", "train.jsonl", "validation.jsonl"])
    for (file, count) in try Self.listedSplits(out) {
      #expect(try SplitCLITests.lines(out.appendingPathComponent(file)).count == count)
    }
    #expect(Self.stagingLeftovers(of: out).isEmpty)
  }

  /// `--force` replaces the folder as a whole, so a file split does not write (or a folder)
  /// is refused before anything is written, and the folder stays as it was.
  @Test(arguments: ["notes.txt", "sub/", "data.jsonl"])
  func forceRefusesAFolderHoldingOtherFiles(_ foreign: String) throws {
    let dir = try SplitCLITests.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in.jsonl")
    try SplitCLITests.write(SplitCLITests.chatLines(200), to: input)
    let out = dir.appendingPathComponent("out")
    #expect(try SplitCLITests.run(["split", input.path, "--out-dir", out.path]).status == 0)
    let name = String(foreign.prefix { $0 != "/" })
    if foreign.hasSuffix("/") {
      try FileManager.default.createDirectory(
        at: out.appendingPathComponent(name), withIntermediateDirectories: false)
    } else {
      try Data("keep me\n".utf8).write(to: out.appendingPathComponent(name))
    }
    let before = Self.snapshot(out)
    let result = try SplitCLITests.run([
      "split", input.path, "--out-dir", out.path, "--ratios", "90,10", "--force",
    ])
    let stderr = String(decoding: result.stderr, as: UTF8.self)
    #expect(result.status == 2)
    #expect(
      stderr.contains(
        "holds \(name), which split does not write, and --force replaces the whole folder: move \(name) out of it, or choose another --out-dir"
      ), "\(stderr)")
    #expect(Self.snapshot(out) == before)
    #expect(Self.stagingLeftovers(of: out).isEmpty)
  }

  /// An input among an earlier split's files that this run would not write is refused too:
  /// replacing the folder would remove it.
  @Test func forceRefusesToRemoveAnInput() throws {
    let dir = try SplitCLITests.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in.jsonl")
    try SplitCLITests.write(SplitCLITests.chatLines(300), to: input)
    let out = dir.appendingPathComponent("out")
    #expect(try SplitCLITests.run(["split", input.path, "--out-dir", out.path]).status == 0)
    let test = out.appendingPathComponent("test.jsonl")
    let before = Self.snapshot(out)
    let result = try SplitCLITests.run([
      "split", test.path, "--out-dir", out.path, "--ratios", "90,10", "--force",
    ])
    #expect(result.status == 2)
    #expect(
      String(decoding: result.stderr, as: UTF8.self).contains(
        "is an input, and --force would remove"))
    #expect(Self.snapshot(out) == before)
  }

  /// The out-dir keeps its mode when replaced, and a new one gets what `mkdir` gives.
  @Test func outDirModeIsKept() throws {
    let dir = try SplitCLITests.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in.jsonl")
    try SplitCLITests.write(SplitCLITests.chatLines(100), to: input)
    let out = dir.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
    #expect(chmod(out.path, 0o750) == 0)
    #expect(try SplitCLITests.run(["split", input.path, "--out-dir", out.path]).status == 0)
    #expect(Self.mode(out) == 0o750)
    #expect(chmod(out.path, 0o705) == 0)
    #expect(
      try SplitCLITests.run(["split", input.path, "--out-dir", out.path, "--force"]).status == 0)
    #expect(Self.mode(out) == 0o705)
    let made = dir.appendingPathComponent("made-by-mkdir")
    try FileManager.default.createDirectory(at: made, withIntermediateDirectories: false)
    let fresh = dir.appendingPathComponent("fresh")
    #expect(try SplitCLITests.run(["split", input.path, "--out-dir", fresh.path]).status == 0)
    #expect(Self.mode(fresh) == Self.mode(made))
  }

  /// A `--rejects` file in the out-dir is published with the split files, and a report file
  /// in it (opened before split replaces the folder) still lands.
  @Test func rejectsAndReportInsideTheOutDir() throws {
    let dir = try SplitCLITests.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in.jsonl")
    try SplitCLITests.write(SplitCLITests.chatLines(100) + ["not json"], to: input)
    let out = dir.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
    let rejects = out.appendingPathComponent("rejected.jsonl")
    let report = out.appendingPathComponent("report.json")
    let first = try SplitCLITests.run([
      "split", input.path, "--out-dir", out.path, "--rejects", rejects.path, "--report", "json",
      "--report-file", report.path,
    ])
    #expect(first.status == 1, "\(String(decoding: first.stderr, as: UTF8.self))")
    #expect(try SplitCLITests.lines(rejects).count == 1)
    #expect(try String(contentsOf: report, encoding: .utf8).contains("\"summary\""))
    try FileManager.default.removeItem(at: report)
    let again = try SplitCLITests.run([
      "split", input.path, "--out-dir", out.path, "--rejects", rejects.path, "--force",
      "--ratios", "50,50",
    ])
    #expect(again.status == 1, "\(String(decoding: again.stderr, as: UTF8.self))")
    let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
    #expect(names == ["manifest.json", "rejected.jsonl", "train.jsonl", "validation.jsonl"])
  }

  /// `--out-dir .` cannot be replaced as a whole (it is the current folder): the files are
  /// replaced one by one, and `--force` still removes the earlier split's other files.
  @Test func currentFolderAsOutDir() throws {
    let dir = try SplitCLITests.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in.jsonl")
    try SplitCLITests.write(SplitCLITests.chatLines(300), to: input)
    let here = dir.appendingPathComponent("here")
    try FileManager.default.createDirectory(at: here, withIntermediateDirectories: false)
    let (status, stderr) = try Self.run(["split", input.path, "--out-dir", "."], in: here)
    #expect(status == 0, "\(stderr)")
    var info = stat()
    #expect(stat(here.path, &info) == 0)
    let inode = info.st_ino
    try Data("mine\n".utf8).write(to: here.appendingPathComponent("notes.txt"))
    let (again, stderr2) = try Self.run(
      ["split", input.path, "--out-dir", ".", "--ratios", "90,10", "--force"], in: here)
    #expect(again == 0, "\(stderr2)")
    let names = try FileManager.default.contentsOfDirectory(atPath: here.path).sorted()
    #expect(names == ["manifest.json", "notes.txt", "train.jsonl", "validation.jsonl"])
    #expect(stat(here.path, &info) == 0 && info.st_ino == inode)
  }

  // MARK: Failures, signals and kill -9

  /// A manifest that cannot be written (here: larger than the file size limit, `ulimit -f`,
  /// with SIGXFSZ ignored so the write fails with EFBIG) leaves no split file under a final
  /// name: a new out-dir is not created, an existing one is left as it was (QA3 #4).
  ///
  /// One label per record makes the manifest's strata list about three times the size of
  /// either split file, so the limit falls between them.
  @Test func failingManifestWriteLeavesNothingUnderAFinalName() throws {
    let dir = try SplitCLITests.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("labels.jsonl")
    let rows = (0..<2000).map { "{\"input\":\"q\($0)\",\"output\":\"a\",\"l\":\"\($0)\"}" }
    try SplitCLITests.write(rows, to: input)
    let arguments = [
      "split", input.path, "--stratify", "/l", "--ratios", "50,50", "--no-near-leak-check",
      "--max-findings", "0",
    ]
    let reference = dir.appendingPathComponent("reference")
    #expect(try SplitCLITests.run(arguments + ["--out-dir", reference.path]).status == 0)
    let sizes = try FileManager.default.contentsOfDirectory(atPath: reference.path).map {
      (
        name: $0,
        size: try #require(
          try FileManager.default.attributesOfItem(
            atPath: reference.appendingPathComponent($0).path)[.size] as? Int)
      )
    }
    let manifestSize = try #require(sizes.first { $0.name == "manifest.json" }?.size)
    let largestSplit = sizes.filter { $0.name != "manifest.json" }.map(\.size).max() ?? 0
    // `ulimit -f` counts 512-byte blocks.
    let blocks = (largestSplit + manifestSize) / 2 / 512
    try #require(largestSplit < blocks * 512 && blocks * 512 < manifestSize)

    func limited(_ extra: [String]) throws -> (Int32, String) {
      let script = "ulimit -f \(blocks); trap '' XFSZ; exec \"$0\" \"$@\""
      return try Self.run(
        ["-c", script, CLIRunner.binary.path] + arguments + extra, in: dir,
        executable: URL(fileURLWithPath: "/bin/sh"))
    }
    let fresh = dir.appendingPathComponent("fresh")
    let (status, stderr) = try limited(["--out-dir", fresh.path])
    #expect(status == 2)
    #expect(stderr.contains("manifest.json: file too large"), "\(stderr)")
    #expect(!FileManager.default.fileExists(atPath: fresh.path))
    #expect(Self.stagingLeftovers(of: fresh).isEmpty)

    let existing = dir.appendingPathComponent("existing")
    #expect(
      try SplitCLITests.run(["split", input.path, "--out-dir", existing.path, "--ratios", "90,10"])
        .status == 0)
    let before = Self.snapshot(existing)
    let (forced, _) = try limited(["--out-dir", existing.path, "--force"])
    #expect(forced == 2)
    #expect(Self.snapshot(existing) == before)
    #expect(Self.stagingLeftovers(of: existing).isEmpty)
  }

  /// Polls (every 0.1 ms) until `condition` holds or the process `pid` ends; true if it held.
  static func wait(for pid: pid_t, until condition: () -> Bool) -> Bool {
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
      if condition() { return true }
      usleep(100)
    }
    return false
  }

  /// Sends `signal` to `pid`, waits for it, and returns the signal that ended it (0 if it
  /// exited).
  static func signalAndWait(_ pid: pid_t, _ signal: Int32) -> Int32 {
    kill(pid, signal)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    let number = status & 0x7f
    return number == 0 || number == 0x7f ? 0 : number
  }

  /// SIGINT or SIGTERM during a run removes what it wrote: the staging folder, or (for
  /// `--out-dir .`) the temporary files, and the signal still ends the process.
  @Test func signalRemovesWhatTheRunWrote() throws {
    let dir = try SplitCLITests.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("big.jsonl")
    try SplitCLITests.write(Self.shortChatLines(50_000), to: input)
    for signal in [SIGINT, SIGTERM] {
      let out = dir.appendingPathComponent("out-\(signal)")
      let pid = try CLIRunner.spawnWithSignals(
        ["split", input.path, "--out-dir", out.path, "--no-near-leak-check"], in: dir)
      // Once a file is open in the staging folder (or, for a one-by-one run, the out-dir),
      // which is before the input is read.
      let started = Self.wait(for: pid) {
        let staging = Self.stagingLeftovers(of: out).first.map { dir.appendingPathComponent($0) }
        return [staging, out].contains { folder in
          guard let folder else { return false }
          return !((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .isEmpty
        }
      }
      #expect(started)
      #expect(Self.signalAndWait(pid, signal) == signal)
      #expect(!FileManager.default.fileExists(atPath: out.path), "signal \(signal)")
      #expect(Self.stagingLeftovers(of: out).isEmpty, "signal \(signal)")
    }
    // In place (`--out-dir .`): the temporary files go, the folder stays.
    let here = dir.appendingPathComponent("here")
    try FileManager.default.createDirectory(at: here, withIntermediateDirectories: false)
    let pid = try CLIRunner.spawnWithSignals(
      ["split", input.path, "--out-dir", ".", "--no-near-leak-check"], in: here)
    let started = Self.wait(for: pid) {
      ((try? FileManager.default.contentsOfDirectory(atPath: here.path)) ?? []).contains {
        $0.hasPrefix(".manifest.json.tuneprep-")
      }
    }
    #expect(started)
    // The manifest's file is opened last; give the run a moment to register it.
    usleep(50_000)
    #expect(Self.signalAndWait(pid, SIGTERM) == SIGTERM)
    #expect(try FileManager.default.contentsOfDirectory(atPath: here.path).isEmpty)
  }

  /// Whether a folder holds exactly a complete split: the manifest and the files it lists,
  /// each with as many records as it says, and nothing else (no temporary file).
  static func isCompleteSet(_ out: URL) -> Bool {
    guard let splits = try? listedSplits(out),
      let names = try? FileManager.default.contentsOfDirectory(atPath: out.path),
      Set(names) == Set(splits.map(\.file) + ["manifest.json"])
    else { return false }
    return splits.allSatisfy { split in
      guard
        let data = FileManager.default.contents(atPath: out.appendingPathComponent(split.file).path)
      else { return false }
      return data.count(where: { $0 == 0x0A }) == split.count && (data.last ?? 0x0A) == 0x0A
    }
  }

  /// `kill -9` at many moments of a run, including right when the first final name appears:
  /// a new out-dir holds nothing under a final name or the complete set with its manifest,
  /// and an existing one (`--force`) the old set or the complete new one, never a mix
  /// (QA3 #5).
  @Test func killedRunLeavesTheOldSetOrTheCompleteNewOne() throws {
    let dir = try SplitCLITests.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("big.jsonl")
    try SplitCLITests.write(Self.shortChatLines(50_000), to: input)
    let small = dir.appendingPathComponent("small.jsonl")
    try SplitCLITests.write(SplitCLITests.chatLines(300), to: small)
    let options = ["--no-near-leak-check", "--max-findings", "0", "--ratios", "90,10"]
    // The old set: a three-way split of another file.
    let old = dir.appendingPathComponent("old")
    #expect(try SplitCLITests.run(["split", small.path, "--out-dir", old.path]).status == 0)
    let oldSet = Self.snapshot(old)
    try #require(oldSet != nil && Self.isCompleteSet(old))

    /// The identity (inode) of a folder and of each entry in it, in name order.
    func identities(_ out: URL) -> [UInt64] {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
      return ([""] + names.sorted()).map { name in
        var info = stat()
        return stat(out.appendingPathComponent(name).path, &info) == 0 ? UInt64(info.st_ino) : 0
      }
    }

    var run = 0
    /// Runs split on a new out-dir or a copy of the old set (`existing`, with `--force`),
    /// kills it after `delay` or, without one, as soon as the folder changes (a final name
    /// appears, or the folder or a file in it is another one), checks what the folder holds,
    /// and returns how long the run lasted.
    @discardableResult
    func killed(existing: Bool, delay: Double?) throws -> Double {
      run += 1
      let out = dir.appendingPathComponent("out-\(run)")
      if existing { try FileManager.default.copyItem(at: old, to: out) }
      let before = identities(out)
      let started = Date()
      let process = try Self.start(
        ["split", input.path, "--out-dir", out.path] + options + (existing ? ["--force"] : []))
      if let delay {
        usleep(useconds_t(delay * 1_000_000))
      } else if existing {
        _ = Self.wait(for: process) { identities(out) != before }
      } else {
        _ = Self.wait(for: process) {
          ((try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []).contains {
            !$0.hasPrefix(".")
          }
        }
      }
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      let lasted = Date().timeIntervalSince(started)
      let after = Self.snapshot(out)
      let names = after.map { $0.keys.sorted() } ?? []
      let when = delay.map { "after \($0) s" } ?? "at the first change"
      if existing {
        #expect(
          after == oldSet
            || Self.isCompleteSet(out) && after?["manifest.json"] != oldSet?["manifest.json"],
          "a mix in \(out.lastPathComponent) \(when): \(names)")
      } else {
        let nothingFinal = names.allSatisfy { $0.hasPrefix(".") }
        #expect(
          nothingFinal || Self.isCompleteSet(out),
          "partial set in \(out.lastPathComponent) \(when): \(names)")
      }
      return lasted
    }

    // Killed the moment the new files show: about the length of a whole run.
    let duration = try killed(existing: false, delay: nil)
    try killed(existing: true, delay: nil)
    for fraction in [0.15, 0.5, 0.85, 1.0] {
      try killed(existing: false, delay: duration * fraction)
      try killed(existing: true, delay: duration * fraction)
    }
  }
}
