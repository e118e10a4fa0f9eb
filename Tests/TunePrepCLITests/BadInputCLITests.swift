import Foundation
import Testing

/// Bad input and hostile environments that golden files cannot express: a closed stdout,
/// an unreadable file, a 64 MiB line, a file larger than the reader's blocks.
@Suite struct BadInputCLITests {
  static func temporaryFolder() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-bad-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  static func shell(_ script: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script]
    process.currentDirectoryURL = CLIRunner.packageRoot
    let dir = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    let handle = try FileHandle(forWritingTo: out)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    try handle.close()
    return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8))
  }

  @Test func closedStdoutIsAnOperationalErrorWithAMessage() throws {
    let dir = try Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    var text = ""
    for i in 0..<20_000 {
      text +=
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\(i)\"},{\"role\":\"robot\",\"content\":\"a\"}]}\n"
    }
    let input = dir.appendingPathComponent("many.jsonl")
    try text.write(to: input, atomically: true, encoding: .utf8)
    let bin = CLIRunner.binary.path
    let result = try Self.shell(
      "'\(bin)' validate --report json --report-file - '\(input.path)' 2>'\(dir.path)/err' | head -1 >/dev/null; echo \"status ${PIPESTATUS[0]}\"; cat '\(dir.path)/err'"
    )
    #expect(result.output.hasPrefix("status 2\n"), "\(result.output)")
    #expect(
      result.output.contains(
        "tuneprep: error: cannot write <stdout>: the reading end of the pipe was closed"))
  }

  @Test func unreadableFileIsAClearError() throws {
    let dir = try Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("secret.jsonl")
    try "{}\n".write(to: input, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: input.path)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
    // CI runs as root, which may read anything; drop to an unprivileged user when root.
    let bin = CLIRunner.binary.path
    let command =
      getuid() == 0
      ? "setpriv --reuid=65534 --regid=65534 --clear-groups '\(bin)' validate '\(input.path)'"
      : "'\(bin)' validate '\(input.path)'"
    let result = try Self.shell(command + "; echo \"status $?\"")
    #expect(
      result.output.contains("tuneprep: error: cannot open \(input.path): permission denied"),
      "\(result.output)")
    #expect(result.output.hasSuffix("status 2\n"))
  }

  @Test func aSixtyFourMebibyteLineIsOneRecord() throws {
    let dir = try Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("big.jsonl")
    var line = Data("{\"messages\":[{\"role\":\"user\",\"content\":\"".utf8)
    line.append(Data(repeating: UInt8(ascii: "a"), count: 64 << 20))
    line.append(Data("\"},{\"role\":\"assistant\",\"content\":\"ok\"}]}\n{\"messages\":[]}\n".utf8))
    try line.write(to: input)
    let result = try CLIRunner.run(["validate", input.path])
    let stderr = String(decoding: result.stderr, as: UTF8.self)
    #expect(result.status == 1)
    #expect(stderr.contains("big.jsonl:2: error: /messages: \"messages\" is empty"))
    #expect(stderr.contains("2 records in 1 file, 1 valid, 1 invalid"))
  }

  @Test func manyBlocksGiveTheSameReportOnOneAndTwoThreads() throws {
    let dir = try Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    var text = ""
    for i in 0..<60_000 {
      let role = i % 997 == 0 ? "robot" : "assistant"
      text +=
        "{\"messages\":[{\"role\":\"user\",\"content\":\"question \(i) \(String(repeating: "x", count: i % 300))\"},{\"role\":\"\(role)\",\"content\":\"answer\"}]}\n"
      if i % 4999 == 0 { text += "\n" }
    }
    let input = dir.appendingPathComponent("large.jsonl")
    try text.write(to: input, atomically: true, encoding: .utf8)
    let one = try CLIRunner.run(
      ["validate", "--report", "json", input.path], environment: ["TUNEPREP_THREADS": "1"])
    let two = try CLIRunner.run(["validate", "--report", "json", "--threads", "2", input.path])
    #expect(one.stderr == two.stderr)
    #expect(one.status == 1)
    let lines = String(decoding: one.stderr, as: UTF8.self).split(separator: "\n")
    #expect(lines.filter { $0.hasPrefix("{\"code\":\"schema.enum\"") }.count == 61)
    #expect(lines.filter { $0.hasPrefix("{\"code\":\"json.blank-line\"") }.count == 13)
  }

  /// Atomic outputs rename a temporary file over the target; for a device such as /dev/null
  /// that would replace the device node (as root), so devices are written in place.
  @Test func writingToDevNullLeavesTheDeviceAlone() throws {
    let result = try CLIRunner.run([
      "format", "samples/chat.jsonl", "--to", "alpaca", "--lossy", "-o", "/dev/null",
      "--report-file", "/dev/null",
    ])
    #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
    let type =
      try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType
    #expect(type == .typeCharacterSpecial)
  }
  /// Paths that name a descriptor are written through it, never replaced.
  ///
  /// With stdout redirected to a file, `-o /dev/stdout` resolves to that regular file, and a
  /// temporary file plus a rename used to replace the `/dev/stdout` link (as root). The
  /// descriptor is written instead, so `>` gets the output and `>>` appends to it; `/dev/fd/N`
  /// and `--report-file /dev/stderr` work the same way.
  @Test func descriptorPathsWriteToTheDescriptor() throws {
    let dir = try Self.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let bin = CLIRunner.binary.path
    let root = CLIRunner.packageRoot.path
    let format = "'\(bin)' format '\(root)/samples/chat.jsonl' --to alpaca --lossy"
    let result = try Self.shell(
      """
      cd '\(dir.path)'
      \(format) > expected 2>/dev/null
      \(format) -o /dev/stdout > truncated 2>/dev/null; echo "status $?"
      printf 'before\\n' > appended
      \(format) -o /dev/stdout >> appended 2>/dev/null; echo "status $?"
      \(format) -o /dev/fd/3 3> three 2>/dev/null; echo "status $?"
      \(format) -o /dev/null --report json --report-file /dev/stderr 2> report; echo "status $?"
      ls -A
      """)
    #expect(
      result.output
        == "status 0\nstatus 0\nstatus 0\nstatus 0\nappended\nexpected\nreport\nthree\ntruncated\n",
      "\(result.output)")
    let expected = try Data(contentsOf: dir.appendingPathComponent("expected"))
    #expect(expected.count > 1000)
    #expect(try Data(contentsOf: dir.appendingPathComponent("truncated")) == expected)
    #expect(try Data(contentsOf: dir.appendingPathComponent("three")) == expected)
    #expect(
      try Data(contentsOf: dir.appendingPathComponent("appended")) == Data("before\n".utf8)
        + expected)
    let report = try String(contentsOf: dir.appendingPathComponent("report"), encoding: .utf8)
    #expect(report.hasPrefix("{\"summary\":{\"command\":\"format\""), "\(report)")
    let links = try ["/dev/stdout", "/dev/stderr"].map {
      try FileManager.default.destinationOfSymbolicLink(atPath: $0)
    }
    #expect(links[0].hasSuffix("fd/1") && links[1].hasSuffix("fd/2"), "\(links)")
  }
}
