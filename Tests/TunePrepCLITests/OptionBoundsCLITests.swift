import Foundation
import Testing

/// Option values that used to crash or hang the real binary (found by QA on a release build):
/// each is now a usage error (exit 64) naming the option and its range.
@Suite struct OptionBoundsCLITests {
  static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

  static let chat = "samples/chat.jsonl"

  /// Runs `arguments` and expects exit 64, nothing on stdout, and `message` on stderr.
  static func expectUsageError(_ arguments: [String], _ message: String) throws {
    let r = try CLIRunner.run(arguments)
    let stderr = text(r.stderr)
    #expect(r.status == 64, "\(arguments): \(stderr)")
    #expect(stderr.hasPrefix("Error: \(message)\n"), "\(arguments): \(stderr)")
    #expect(r.stdout.isEmpty)
  }

  @Test(arguments: ["1e12,1,1", "1e18,1,1", "1e308,1,1", "1e309,1,1", "-1,1"])
  func splitRatiosOutOfRange(_ ratios: String) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-bounds-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.expectUsageError(
      ["split", Self.chat, "--out-dir", dir.path, "--ratios=\(ratios)"],
      "--ratios must be non-negative numbers up to 1000000 (relative sizes such as 80,10,10), got '\(ratios)'"
    )
    #expect(!FileManager.default.fileExists(atPath: dir.path))
  }

  @Test(arguments: ["9223372036854775807,1,1", "4294967296,1", "-1,2"])
  func splitCountsOutOfRange(_ counts: String) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-bounds-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.expectUsageError(
      ["split", Self.chat, "--out-dir", dir.path, "--counts=\(counts)"],
      "--counts must be non-negative numbers up to 4294967295 (record counts such as 4000,500,500), got '\(counts)'"
    )
  }

  /// `--shingle` names N's range when N is outside it (QA round 3: it said only "invalid").
  @Test(arguments: ["words:65", "chars:0", "words:+5", "words:0x10", "lines:3"])
  func shingleOutOfRange(_ value: String) throws {
    try Self.expectUsageError(
      ["dedupe", Self.chat, "--near", "--shingle", value, "--dry-run"],
      "The value '\(value)' is invalid for '--shingle <kind:N>': give words:N or chars:N with N from 1 to 64, such as words:5"
    )
  }

  @Test func shingleAtTheBoundsRuns() throws {
    for value in ["words:64", "chars:1"] {
      let r = try CLIRunner.run(["dedupe", Self.chat, "--near", "--shingle", value, "--dry-run"])
      #expect(r.status == 0, "\(value): \(Self.text(r.stderr))")
    }
  }

  @Test func splitAtTheBoundsRuns() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-bounds-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    for (k, sizes) in ["--ratios=1000000,1,1", "--counts=4294967295,1,1"].enumerated() {
      let out = dir.appendingPathComponent("o\(k)").path
      let r = try CLIRunner.run(["split", Self.chat, "--out-dir", out, sizes, "--fail-on", "never"])
      #expect(r.status == 0, "\(sizes): \(Self.text(r.stderr))")
    }
  }

  @Test(arguments: [
    (["--epochs", "10000000000000000"], "--epochs must be 1 to 1000, got 10000000000000000"),
    (["--epochs", "1001"], "--epochs must be 1 to 1000, got 1001"),
    (
      ["--price-per-million", "1e20"],
      "--price-per-million must be a decimal number from 0 to 1000000 (currency units per million tokens, such as 3 or 0.15), got '1e20'"
    ),
    (
      ["--price-per-million", "nan"],
      "--price-per-million must be a decimal number from 0 to 1000000 (currency units per million tokens, such as 3 or 0.15), got 'nan'"
    ),
  ])
  func tokensOptionsOutOfRange(_ options: [String], _ message: String) throws {
    try Self.expectUsageError(["tokens", Self.chat] + options, message)
  }

  @Test func tokensAtTheBoundsRuns() throws {
    let r = try CLIRunner.run([
      "tokens", Self.chat, "--epochs", "1000", "--price-per-million", "1000000",
    ])
    #expect(r.status == 0, "\(Self.text(r.stderr))")
    #expect(Self.text(r.stderr).contains(" x 1000 epochs = "))
    #expect(Self.text(r.stderr).contains(" x 1000000 per million = "))
  }

  /// Every command that reads records shares one `--threads` check; 40000 used to hang.
  @Test(arguments: [
    ["validate", chat], ["tokens", chat], ["dedupe", chat], ["format", chat, "--to", "alpaca"],
    ["import", "samples/tickets.csv"], ["split", chat, "--out-dir", "unused-out-dir"],
  ])
  func threadsOutOfRange(_ command: [String]) throws {
    for threads in ["40000", "257", "0", "-3"] {
      try Self.expectUsageError(
        command + ["--threads=\(threads)"],
        "--threads must be 1 to 256 (more threads than cores do not help), got \(threads)")
    }
  }

  @Test(.timeLimit(.minutes(1)))
  func mostThreadsRun() throws {
    let r = try CLIRunner.run(["validate", Self.chat, "--threads", "256"])
    #expect(r.status == 0, "\(Self.text(r.stderr))")
  }
}
