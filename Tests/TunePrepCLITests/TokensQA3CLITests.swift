import Foundation
import Testing

/// `tuneprep tokens` after QA round 3: escaped names, vocabulary checks, the option messages
/// and the marks for what is not counted.
@Suite struct TokensQA3CLITests {
  static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

  static func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("tuneprep-qa3-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  static let chat =
    #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]}"# + "\n"

  @Test func fileNamesCannotForgeAnnotations() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let name = dir.appendingPathComponent("x\n::error title=forged::forged\n\u{1B}[31my.jsonl")
    try Data(Self.chat.utf8).write(to: name)
    for report in ["github", "text"] {
      let r = try CLIRunner.run(["tokens", "--report", report, name.path])
      #expect(r.status == 0, "\(Self.text(r.stderr))")
      let err = Self.text(r.stderr)
      #expect(!err.split(separator: "\n").contains { $0.hasPrefix("::error") }, "\(err)")
      #expect(!err.contains("\u{1B}"))
      #expect(err.contains(#"x\n::error title=forged::forged\n\u001b[31my.jsonl: 1 example"#))
    }
  }

  @Test func tokenizerNameIsEscaped() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let vocab = ProcessInfo.processInfo.environment["TUNEPREP_VOCAB_DIR"] ?? "vocab"
    let source = URL(fileURLWithPath: vocab, relativeTo: CLIRunner.packageRoot)
      .appendingPathComponent("hf_cl100k_base.json")
    let copy = dir.appendingPathComponent("tok\n::error::x.json")
    try FileManager.default.copyItem(at: source, to: copy)
    let r = try CLIRunner.run(
      ["tokens", "--tokenizer", copy.path, "-"], stdin: Data(Self.chat.utf8))
    #expect(r.status == 0, "\(Self.text(r.stderr))")
    #expect(Self.text(r.stderr).contains(#"tokens: tok\n::error::x.json, OpenAI chat convention"#))
  }

  @Test func endlessTokenizerFileIsAnError() throws {
    let r = try CLIRunner.run(
      ["tokens", "--tokenizer", "/dev/zero", "-"], stdin: Data(Self.chat.utf8))
    #expect(r.status == 2)
    #expect(Self.text(r.stderr).contains("/dev/zero: cannot read: larger than 256 MB"))
  }

  @Test func alteredVocabularyIsRefused() throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let vocab = ProcessInfo.processInfo.environment["TUNEPREP_VOCAB_DIR"] ?? "vocab"
    let source = URL(fileURLWithPath: vocab, relativeTo: CLIRunner.packageRoot)
      .appendingPathComponent("cl100k_base.tiktoken")
    var text = try String(contentsOf: source, encoding: .utf8)
    // " the" becomes " thx": a well-formed file with other counts.
    text = text.replacingOccurrences(of: "\nIHRoZQ== ", with: "\nIHRoeA== ")
    try Data(text.utf8).write(to: dir.appendingPathComponent("cl100k_base.tiktoken"))
    let r = try CLIRunner.run(
      ["tokens", "--encoding", "cl100k_base", "--vocab-dir", dir.path, "-"],
      stdin: Data(Self.chat.utf8))
    #expect(r.status == 2)
    let err = Self.text(r.stderr)
    #expect(err.contains("cl100k_base.tiktoken: not the published cl100k_base vocabulary"))
    #expect(
      err.contains("expected 223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"))
    #expect(err.contains("make vocab"))
  }

  @Test func sharegptUserAndAssistantAreCounted() throws {
    let record =
      #"{"conversations":[{"from":"user","value":"hi"},{"from":"assistant","value":"yo"}]}"#
    let r = try CLIRunner.run(["tokens", "--per-record", "-"], stdin: Data((record + "\n").utf8))
    #expect(r.status == 0, "\(Self.text(r.stderr))")
    #expect(Self.text(r.stdout).split(separator: "\n").count == 1)
  }

  @Test(arguments: [
    (["--epochs", "-1"], "--epochs must be 1 to 1000, got -1"),
    (["--context-window", "-5"], "--context-window must be 1 or more, got -5"),
    (["--max-findings", "-1"], "--max-findings must be 0 or more, got -1"),
    (["--price-per-million", "0x10"], "--price-per-million must be a decimal number"),
    (["--price-per-million", "-2"], "--price-per-million must be a decimal number"),
    (["--price-per-million", "inf"], "--price-per-million must be a decimal number"),
  ])
  func badNumbersAreUsageErrors(_ arguments: [String], _ message: String) throws {
    let r = try CLIRunner.run(["tokens"] + arguments + ["-"], stdin: Data(Self.chat.utf8))
    #expect(r.status == 64)
    #expect(Self.text(r.stderr).contains(message), "\(Self.text(r.stderr))")
  }

  @Test func decimalPriceIsAccepted() throws {
    let r = try CLIRunner.run(
      ["tokens", "--price-per-million", "2.5e1", "--epochs", "1", "-"], stdin: Data(Self.chat.utf8))
    #expect(r.status == 0)
    #expect(Self.text(r.stderr).contains("x 25 per million"))
  }

  @Test(arguments: ["0", "abc", "257", "-1"])
  func threadsVariableOutOfRangeIsAUsageError(_ value: String) throws {
    let r = try CLIRunner.run(
      ["tokens", "-"], stdin: Data(Self.chat.utf8), environment: ["TUNEPREP_THREADS": value])
    #expect(r.status == 64)
    #expect(
      Self.text(r.stderr).contains(
        "TUNEPREP_THREADS must be a number from 1 to 256, got '\(value)'"))
    let given = try CLIRunner.run(
      ["tokens", "--threads", "2", "-"], stdin: Data(Self.chat.utf8),
      environment: ["TUNEPREP_THREADS": value])
    #expect(given.status == 0)
  }

  @Test func unknownTemplateListsTheBuiltInNames() throws {
    let r = try CLIRunner.run(["tokens", "--template", "nosuch", "-"], stdin: Data(Self.chat.utf8))
    #expect(r.status != 0)
    #expect(Self.text(r.stderr).contains("(chatml, llama3, mistral, gemma)"))
  }

  @Test func helpDoesNotOfferJSONFormat() throws {
    let r = try CLIRunner.run(["tokens", "--help"])
    let help = Self.text(r.stdout)
    let line = try #require(help.split(separator: "\n").first { $0.contains("--format <format>") })
    let values = help[help.range(of: "--format <format>")!.lowerBound...].prefix(400)
    #expect(values.contains("openai-chat"), "\(line)")
    #expect(!values.contains(", json)") && !values.contains(" json,"))
    let refused = try CLIRunner.run(
      ["tokens", "--format", "json", "-"], stdin: Data(Self.chat.utf8))
    #expect(refused.status == 64)
  }

  @Test func imagePartsMarkTheCountApproximate() throws {
    let record =
      #"{"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]},{"role":"assistant","content":"A cat."}]}"#
    let r = try CLIRunner.run(
      ["tokens", "--per-record", "-"], stdin: Data((record + "\n" + Self.chat).utf8))
    #expect(r.status == 0)
    let lines = Self.text(r.stdout).split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines.first?.hasSuffix(#","weight0":0,"approx":true}"#) == true)
    #expect(lines.last?.contains("approx") == false)
    #expect(
      Self.text(r.stderr).contains(
        "note: 1 example has image, audio or file parts, which are not counted"))
  }

  @Test func gptOssUsesTheHarmonyEncoding() throws {
    // tiktoken: o200k_harmony.encode(text, allowed_special="all") has 7 tokens.
    let record =
      #"{"messages":[{"role":"user","content":"<|start|>assistant<|channel|>final<|message|>hi<|end|>"},{"role":"assistant","content":"ok"}]}"#
    let r = try CLIRunner.run(
      ["tokens", "--model", "gpt-oss-120b", "--allow-special", "--per-record", "-"],
      stdin: Data((record + "\n").utf8))
    #expect(r.status == 0, "\(Self.text(r.stderr))")
    #expect(Self.text(r.stdout).contains(#""user":7,"#))
    #expect(Self.text(r.stderr).contains("tokens: o200k_harmony, OpenAI chat convention"))
  }
}
