import Foundation
import Testing

/// OpenAI's `developer` role is the newer name of `system`: accepted, treated as system by the
/// conversation rules, conversion, dedupe and token counts, and kept by OpenAI output.
@Suite struct DeveloperRoleCLITests {
  static let developer =
    #"{"messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#
  static let system = developer.replacingOccurrences(of: "developer", with: "system")
  static let preference =
    #"{"input":{"messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"q"}]},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#

  static func stdout(_ result: CLIRunner.Result) -> String {
    String(decoding: result.stdout, as: UTF8.self)
  }

  @Test(arguments: [developer, preference])
  func validateAcceptsDeveloper(record: String) throws {
    let result = try CLIRunner.run(["validate", "-"], stdin: Data((record + "\n").utf8))
    #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
  }

  @Test(arguments: [developer, preference])
  func openAIOutputKeepsDeveloperByteForByte(record: String) throws {
    let to = record == Self.preference ? "openai-preference" : "openai-chat"
    let result = try CLIRunner.run(["format", "-", "--to", to], stdin: Data((record + "\n").utf8))
    #expect(result.status == 0)
    #expect(Self.stdout(result) == record + "\n")
  }

  /// The role name travels with the rest of the system message (its name here); `--system`
  /// replaces the whole message, so the new one is a plain system message.
  @Test func theRoleNameTravelsWithTheSystemMessage() throws {
    let named =
      #"{"messages":[{"role":"developer","name":"d","content":"Be brief."},{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#
    let kept = try CLIRunner.run(
      ["format", "-", "--to", "openai-chat"], stdin: Data((named + "\n").utf8))
    #expect(Self.stdout(kept) == named + "\n")
    let replaced = try CLIRunner.run(
      ["format", "-", "--to", "openai-chat", "--system", "New"], stdin: Data((named + "\n").utf8))
    #expect(
      Self.stdout(replaced)
        == #"{"messages":[{"role":"system","content":"New"},{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#
        + "\n")
  }

  @Test func otherFormatsGetASystemPrompt() throws {
    let result = try CLIRunner.run(
      ["format", "-", "--to", "sharegpt"], stdin: Data((Self.developer + "\n").utf8))
    #expect(result.status == 0)
    #expect(
      Self.stdout(result)
        == #"{"conversations":[{"from":"system","value":"Be brief."},{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}"#
        + "\n")
  }

  @Test func aDeveloperMessageMidConversationBreaksTheSameRuleAsSystem() throws {
    let record =
      #"{"messages":[{"role":"user","content":"q"},{"role":"developer","content":"d"},{"role":"assistant","content":"a"}]}"#
    let result = try CLIRunner.run(["validate", "-"], stdin: Data((record + "\n").utf8))
    #expect(result.status == 1)
    #expect(String(decoding: result.stderr, as: UTF8.self).contains("[format.system-position]"))
  }

  @Test func dedupeTreatsDeveloperAsSystem() throws {
    let result = try CLIRunner.run(
      ["dedupe", "-"], stdin: Data((Self.developer + "\n" + Self.system + "\n").utf8))
    #expect(Self.stdout(result) == Self.developer + "\n")
    #expect(String(decoding: result.stderr, as: UTF8.self).contains("1 kept, 1 dup.exact"))
  }

  @Test func tokensCountDeveloperAsSystem() throws {
    let developer = try CLIRunner.run(
      ["tokens", "-", "--report", "json"], stdin: Data((Self.developer + "\n").utf8))
    let system = try CLIRunner.run(
      ["tokens", "-", "--report", "json"], stdin: Data((Self.system + "\n").utf8))
    #expect(developer.status == 0)
    #expect(!developer.stderr.isEmpty)
    #expect(developer.stderr == system.stderr)
    #expect(developer.stdout == system.stdout)
  }

  /// The unknown-role message lists every role name validate accepts, developer included, and
  /// suggests it for a misspelling.
  @Test(arguments: [
    ("robot", ""),
    ("develper", #" (did you mean "developer"?)"#),
  ])
  func theUnknownRoleMessageListsDeveloper(role: String, hint: String) throws {
    let record =
      #"{"messages":[{"role":"user","content":"q"},{"role":"\#(role)","content":"a"}]}"#
    let result = try CLIRunner.run(["validate", "-"], stdin: Data((record + "\n").utf8))
    #expect(result.status == 1)
    let stderr = String(decoding: result.stderr, as: UTF8.self)
    #expect(
      stderr.contains(
        #"<stdin>:1: error: /messages/1/role: role "\#(role)" is not one of "system", "developer", "user", "assistant", "tool"\#(hint) [schema.enum]"#
      ), "\(stderr)")
  }
}
