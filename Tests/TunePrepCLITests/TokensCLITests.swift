import Foundation
import Testing

/// Runs `tuneprep tokens` end to end.
///
/// Covers exit codes, stdout per-record lines, the JSON summary and the tokenizer flags. The
/// vocabulary comes from `TUNEPREP_VOCAB_DIR` or `./vocab` (`make vocab`); without it these
/// tests fail with the binary's message naming `make vocab`.
@Suite struct TokensCLITests {
  static let chat = "samples/chat.jsonl"

  static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

  @Test func countsTheSampleAndPrintsATable() throws {
    let r = try CLIRunner.run(["tokens", Self.chat])
    #expect(r.status == 0, "\(Self.text(r.stderr))")
    #expect(r.stdout.isEmpty)
    let err = Self.text(r.stderr)
    #expect(err.contains("tokens: o200k_base, OpenAI chat convention\n"))
    #expect(err.contains("samples/chat.jsonl: 13 examples, 1173 tokens"))
    #expect(err.contains("  assistant "))
    #expect(
      err.contains("tuneprep tokens: 13 records in 1 file, 13 counted, 0 skipped, 1173 tokens;"))
  }

  @Test func perRecordWritesOneLinePerExampleInOrder() throws {
    let r = try CLIRunner.run(["tokens", "--per-record", "--context-window", "100", Self.chat])
    #expect(r.status == 1)
    let lines = Self.text(r.stdout).split(separator: "\n")
    #expect(lines.count == 13)
    #expect(
      lines.first
        == #"{"line":1,"tokens":103,"file":"samples/chat.jsonl","messages":3,"system":30,"user":18,"assistant":40,"tool":0,"tools":0,"weight0":0,"over_context":true}"#
    )
    #expect(
      Self.text(r.stderr).contains(
        "samples/chat.jsonl:1: error: the example has 103 tokens (o200k_base), over the 100-token context window by 3"
      ))
  }

  @Test func jsonReportEndsWithASummaryHoldingTheTokenReport() throws {
    let r = try CLIRunner.run([
      "tokens", "--report", "json", "--provider", "openai", "--price-per-million", "25", Self.chat,
    ])
    #expect(r.status == 0)
    let lines = Self.text(r.stderr).split(separator: "\n")
    let summaryLine = try #require(lines.first { $0.hasPrefix("{\"summary\"") })
    let object = try #require(
      JSONSerialization.jsonObject(with: Data(summaryLine.utf8)) as? [String: Any])
    let summary = try #require(object["summary"] as? [String: Any])
    let tokens = try #require(summary["token_report"] as? [String: Any])
    #expect(tokens["encoding"] as? String == "o200k_base")
    #expect(tokens["epochs"] as? Int == 7)  // 13 examples: 100 / 13
    #expect(tokens["epochs_source"] as? String == "openai-default")
    #expect(tokens["training_tokens"] as? Int == 1173 * 7)
    let total = try #require(tokens["total"] as? [String: Any])
    let example = try #require(total["example"] as? [String: Any])
    #expect(example["max"] as? Int == 189)
    // No human table in the machine report.
    #expect(!Self.text(r.stderr).contains("OpenAI chat convention"))
  }

  @Test func threadsDoNotChangeTheOutput() throws {
    let one = try CLIRunner.run([
      "tokens", "--per-record", "--threads", "1", Self.chat, "samples/sharegpt.jsonl",
    ])
    let two = try CLIRunner.run([
      "tokens", "--per-record", "--threads", "2", Self.chat, "samples/sharegpt.jsonl",
    ])
    #expect(one.status == 0)
    #expect(one.stdout == two.stdout)
    #expect(one.stderr == two.stderr)
  }

  @Test func readsStandardInput() throws {
    let data = try Data(contentsOf: CLIRunner.packageRoot.appendingPathComponent(Self.chat))
    let r = try CLIRunner.run(["tokens", "-"], stdin: data)
    #expect(r.status == 0)
    #expect(Self.text(r.stderr).contains("<stdin>: 13 examples, 1173 tokens"))
  }

  @Test func modelChoosesTheEncoding() throws {
    let r = try CLIRunner.run(["tokens", "--model", "gpt-3.5-turbo", Self.chat])
    #expect(r.status == 0)
    #expect(Self.text(r.stderr).contains("tokens: cl100k_base,"))
  }

  /// The exported Hugging Face file of cl100k gives the same counts as the .tiktoken one.
  @Test func huggingFaceTokenizerMatchesItsEncoding() throws {
    let vocab =
      ProcessInfo.processInfo.environment["TUNEPREP_VOCAB_DIR"].flatMap { $0.isEmpty ? nil : $0 }
      ?? CLIRunner.packageRoot.appendingPathComponent("vocab").path
    let hf = URL(fileURLWithPath: vocab).appendingPathComponent("hf_cl100k_base.json").path
    #expect(FileManager.default.fileExists(atPath: hf), "\(hf) is missing: run `make vocab`")
    let a = try CLIRunner.run(["tokens", "--per-record", "--tokenizer", hf, Self.chat])
    let b = try CLIRunner.run(["tokens", "--per-record", "--encoding", "cl100k_base", Self.chat])
    #expect(a.status == 0, "\(Self.text(a.stderr))")
    #expect(a.stdout == b.stdout)
  }

  @Test func missingVocabularyIsAnOperationalErrorNamingMakeVocab() throws {
    let r = try CLIRunner.run(["tokens", "--vocab-dir", "/nonexistent-tuneprep-vocab", Self.chat])
    #expect(r.status == 2)
    #expect(Self.text(r.stderr).contains("run `make vocab`"))
    #expect(r.stdout.isEmpty)
  }

  @Test(arguments: [
    ["--encoding", "nope"],
    ["--model", "no-such-model"],
    ["--encoding", "cl100k_base", "--model", "gpt-4o"],
    ["--context-window", "0"],
    ["--epochs", "0"],
    ["--price-per-million", "-1"],
    ["--provider", "acme"],
    ["--format", "json"],
  ])
  func badOptionsAreUsageErrors(_ options: [String]) throws {
    let r = try CLIRunner.run(["tokens"] + options + [Self.chat])
    #expect(r.status == 64, "\(options): \(Self.text(r.stderr))")
    #expect(Self.text(r.stderr).contains("Error:"))
  }

  @Test func unreadableTokenizerFileIsAnOperationalError() throws {
    let r = try CLIRunner.run(["tokens", "--tokenizer", "no-such-tokenizer.json", Self.chat])
    #expect(r.status == 2)
    let message =
      "no-such-tokenizer.json: cannot read: no such file (check the path and the current directory)"
    #expect(Self.text(r.stderr) == "tuneprep: error: \(message)\n")
  }

  @Test func missingInputIsAnOperationalError() throws {
    let r = try CLIRunner.run(["tokens", "no-such-file.jsonl"])
    #expect(r.status == 2)
    #expect(Self.text(r.stderr).contains("tuneprep: error: cannot open no-such-file.jsonl"))
  }

  @Test func brokenRecordsAreSkippedAndFailTheRun() throws {
    let r = try CLIRunner.run(["tokens", "--per-record", "samples/broken/chat.jsonl"])
    #expect(r.status == 1)
    let err = Self.text(r.stderr)
    #expect(err.contains("skipped for errors"))
    let counted = Self.text(r.stdout).split(separator: "\n").count
    #expect(err.contains(", \(counted) counted,"))
  }
}
