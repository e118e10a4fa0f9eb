import Foundation
import Testing

/// Counts in summaries and messages agree with their nouns at 1.
@Suite struct CountWordsCLITests {
  @Test func oneEvaluationRecord() throws {
    let dir = try BadInputCLITests.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let train = dir.appendingPathComponent("train.jsonl").path
    let eval = dir.appendingPathComponent("eval.jsonl").path
    let chat =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}\n"
    #expect(FileManager.default.createFile(atPath: train, contents: Data(chat.utf8)))
    #expect(FileManager.default.createFile(atPath: eval, contents: Data(chat.utf8)))
    let result = try CLIRunner.run(["dedupe", "--dry-run", train, "--against", eval])
    let text = String(decoding: result.stderr, as: UTF8.self)
    #expect(text.contains(", 1 evaluation record, 0 evaluation invalid;"), "\(text)")
  }

  @Test func junitNamesOneRecordInTheSingular() throws {
    let result = try CLIRunner.run(
      ["validate", "--report", "junit", "-"],
      stdin: Data(
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}\n"
          .utf8))
    #expect(result.status == 0)
    #expect(
      String(decoding: result.stderr, as: UTF8.self).contains("name=\"1 record, no findings\""))
  }

  @Test func schemaMessagesAtOne() throws {
    let dir = try BadInputCLITests.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let schema = dir.appendingPathComponent("s.json").path
    let schemaText =
      "{\"properties\":{\"s\":{\"minLength\":2},\"a\":{\"maxItems\":0,\"maxContains\":0,\"contains\":{}},\"o\":{\"maxProperties\":0}}}"
    #expect(FileManager.default.createFile(atPath: schema, contents: Data(schemaText.utf8)))
    let result = try CLIRunner.run(
      ["validate", "--format", "json", "--schema", schema, "-"],
      stdin: Data("{\"s\":\"x\",\"a\":[1],\"o\":{\"k\":1}}\n".utf8))
    let text = String(decoding: result.stderr, as: UTF8.self)
    #expect(text.contains("string is 1 character long; at least 2 required"), "\(text)")
    #expect(text.contains("array has 1 item; at most 0 allowed"), "\(text)")
    #expect(text.contains("1 item matches the \"contains\" schema; at most 0 allowed"), "\(text)")
    #expect(text.contains("object has 1 property; at most 0 allowed"), "\(text)")
  }
}
