import Foundation
import Testing

/// `format --system-file` and `--system` take the prompt's text exactly: one final line end
/// and a UTF-8 BOM are dropped, and bytes that are not UTF-8 are refused, never replaced.
@Suite struct SystemPromptCLITests {
  static let record =
    #"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}"# + "\n"

  /// Runs format with a system prompt file holding `bytes`.
  static func format(systemFile bytes: [UInt8]) throws -> (CLIRunner.Result, String) {
    let path = Binary.temporaryPath("system.txt")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try CLIRunner.run(
      ["format", "--to", "openai-chat", "--system-file", path], stdin: Data(Self.record.utf8))
    return (result, path)
  }

  /// The system message the output record holds.
  static func systemPrompt(_ result: CLIRunner.Result) throws -> String? {
    let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
    let messages = object?["messages"] as? [[String: Any]]
    return messages?.first { $0["role"] as? String == "system" }?["content"] as? String
  }

  @Test(arguments: [
    (Array("Be brief.\r\n".utf8), "Be brief."),
    (Array("Be brief.\n".utf8), "Be brief."),
    (Array("Be brief.".utf8), "Be brief."),
    // Only one line end goes: a blank last line the author wrote stays.
    (Array("Be brief.\n\n".utf8), "Be brief.\n"),
    (Array("Line one\r\nline two\r\n".utf8), "Line one\r\nline two"),
    ([0xEF, 0xBB, 0xBF] + Array("Hi\n".utf8), "Hi"),
  ])
  func systemFileLosesOnlyItsLastLineEndAndBOM(bytes: [UInt8], expected: String) throws {
    let (result, _) = try Self.format(systemFile: bytes)
    #expect(result.status == 0)
    #expect(try Self.systemPrompt(result) == expected)
  }

  @Test func systemFileThatIsNotUTF8IsRefused() throws {
    let (result, path) = try Self.format(systemFile: Array("Hello\ncaf".utf8) + [0xE9, 0x0A])
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty)
    let stderr = String(decoding: result.stderr, as: UTF8.self)
    #expect(
      stderr.contains(
        "\(path):2: the system prompt file is not valid UTF-8: byte 0xE9 at column 4 (byte offset 9) "
          + "is not part of a UTF-8 character: save the file as UTF-8"))
  }

  @Test func systemTextThatIsNotUTF8IsAUsageError() throws {
    let output = try BadInputCLITests.shell(
      "printf '%s' '\(Self.record.dropLast())' | '\(CLIRunner.binary.path)' format --to openai-chat "
        + "--system \"$(printf 'bad\\377x')\"; echo \"status=$?\"")
    #expect(output.output.contains("status=64"))
    #expect(
      output.output.contains(
        "--system is not valid UTF-8: byte 0xFF at byte 4 of the text is not part of a UTF-8 character"
      ))
    #expect(!output.output.contains("\u{FFFD}"))
    let equals = try BadInputCLITests.shell(
      "'\(CLIRunner.binary.path)' format --to openai-chat --system=\"$(printf 'x\\351')\" "
        + "</dev/null; echo \"status=$?\"")
    #expect(equals.output.contains("status=64"))
    #expect(equals.output.contains("byte 0xE9 at byte 2"))
  }

  /// A real U+FFFD typed by the user is text like any other.
  @Test func replacementCharacterTypedByTheUserIsKept() throws {
    let result = try CLIRunner.run(
      ["format", "--to", "openai-chat", "--system", "odd \u{FFFD} sign"],
      stdin: Data(Self.record.utf8))
    #expect(result.status == 0)
    #expect(try Self.systemPrompt(result) == "odd \u{FFFD} sign")
  }
}
