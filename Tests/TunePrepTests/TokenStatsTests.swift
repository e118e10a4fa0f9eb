import Foundation
import Testing

@testable import TunePrep

/// Runs ``TokenStats`` on bytes written to a temporary file and collects what it writes.
enum TokenStatsRun {
  struct Output {
    var report: TokenReport
    /// The `--per-record` objects, in order.
    var records: [[String: Any]]
    /// The findings report (text style).
    var findings: String
  }

  static func run(
    _ input: String, encoding: TokenEncoding = .o200kBase,
    options: TokenStats.Options = TokenStats.Options()
  ) throws -> Output {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tokstats-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let inputURL = dir.appendingPathComponent("input.jsonl")
    try Data(input.utf8).write(to: inputURL)
    return try run(files: [inputURL.path], encoding: encoding, options: options, in: dir)
  }

  static func run(
    files: [String], encoding: TokenEncoding, options: TokenStats.Options, in dir: URL
  ) throws
    -> Output
  {
    let findingsURL = dir.appendingPathComponent("findings.txt")
    let recordsURL = dir.appendingPathComponent("records.jsonl")
    let findings = try OutputStream.file(findingsURL.path)
    let records = try OutputStream.file(recordsURL.path)
    let reporter = FindingReporter(
      command: "tokens", options: FindingReporter.Options(), output: findings)
    let stats = TokenStats(tokenizer: try TokenFixtures.tokenizer(encoding), options: options)
    let report = try stats.run(files.map(InputName.init), reporter: reporter, perRecord: records)
    try records.commit()
    try findings.commit()
    let lines = try Data(contentsOf: recordsURL).split(separator: 0x0A)
    let objects = try lines.map {
      try #require(JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])
    }
    return Output(
      report: report, records: objects,
      findings: String(decoding: try Data(contentsOf: findingsURL), as: UTF8.self))
  }
}

@Suite struct TokenStatsTests {
  @Test func distributionIsNearestRank() {
    var values: [UInt32] = (1...20).reversed().map { UInt32($0) }
    let d = TokenDistribution(sorting: &values)
    #expect(
      d
        == {
          var e = TokenDistribution()
          e.count = 20
          e.sum = 210
          e.min = 1
          e.median = 10
          e.p95 = 19
          e.max = 20
          return e
        }())
    var one: [UInt32] = [7]
    let single = TokenDistribution(sorting: &one)
    #expect([single.min, single.median, single.p95, single.max] == [Int](repeating: 7, count: 4))
    var none: [UInt32] = []
    #expect(TokenDistribution(sorting: &none) == TokenDistribution())
  }

  /// OpenAI's default epochs: 3, clamped so examples × epochs stays within 100...25,000.
  @Test(arguments: [
    (1, 25), (3, 25), (4, 25), (5, 20), (10, 10), (20, 5), (33, 3), (34, 3), (100, 3),
    (8_333, 3), (8_334, 2), (12_500, 2), (12_501, 1), (1_000_000, 1), (0, 3),
  ])
  func openAIDefaultEpochs(_ examples: Int, _ epochs: Int) {
    #expect(EpochRule.openai.defaultEpochs(examples: examples) == epochs)
  }

  @Test func countsFollowTheCookbookRule() throws {
    let tokenizer = try TokenFixtures.tokenizer(.o200kBase)
    let system = "You are terse."
    let user = "Hi, I'm Ana."
    let answer = "Hello Ana!"
    let input = """
      {"messages":[{"role":"system","content":"\(system)"},{"role":"user","content":"\(user)","name":"ana"},\
      {"role":"assistant","content":"\(answer)"}]}

      """
    let out = try TokenStatsRun.run(input)
    let expected =
      3
      + 3 + tokenizer.count("system") + tokenizer.count(system)
      + 3 + tokenizer.count("user") + tokenizer.count(user) + tokenizer.count("ana") + 1
      + 3 + tokenizer.count("assistant") + tokenizer.count(answer)
    let record = try #require(out.records.first)
    #expect(record["tokens"] as? Int == expected)
    #expect(record["line"] as? Int == 1)
    #expect(record["assistant"] as? Int == tokenizer.count(answer))
    #expect(record["system"] as? Int == tokenizer.count(system))
    #expect(record["messages"] as? Int == 3)
    #expect(out.report.total.tokens == expected)
    #expect(out.report.total.counted == 1)
  }

  @Test func weightZeroAnswersAreReportedApart() throws {
    let tokenizer = try TokenFixtures.tokenizer(.o200kBase)
    let input = """
      {"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"first answer","weight":0},\
      {"role":"user","content":"b"},{"role":"assistant","content":"second","weight":1}]}

      """
    let out = try TokenStatsRun.run(input)
    let zero = 3 + tokenizer.count("assistant") + tokenizer.count("first answer")
    #expect(out.records.first?["weight0"] as? Int == zero)
    #expect(out.report.total.weightZero == zero)
    #expect(
      out.report.total.roles[Int(Role.assistant.rawValue)].sum
        == tokenizer.count("first answer") + tokenizer.count("second"))
  }

  @Test func toolDefinitionsCountAsCompactJSON() throws {
    let tokenizer = try TokenFixtures.tokenizer(.o200kBase)
    let input = """
      {"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}], \
      "tools": [ {"type": "function", "function": {"name": "f", "description": "tab\\there", "parameters": {"type": "object"}}} ]}

      """
    let out = try TokenStatsRun.run(input)
    let compact =
      #"[{"type":"function","function":{"name":"f","description":"tab\there","parameters":{"type":"object"}}}]"#
    let record = try #require(out.records.first)
    #expect(record["tools"] as? Int == tokenizer.count(compact))
    let chat =
      3 + (3 + tokenizer.count("user") + tokenizer.count("hi"))
      + (3 + tokenizer.count("assistant") + tokenizer.count("hello"))
    #expect(record["tokens"] as? Int == chat + tokenizer.count(compact))
  }

  @Test func overContextIsAFindingAndCapsBilledTokens() throws {
    var options = TokenStats.Options()
    options.contextWindow = 20
    options.epochRule = .openai
    options.pricePerMillion = 10
    let input = """
      {"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]}
      {"messages":[{"role":"user","content":"a rather longer question with many words in it"},{"role":"assistant","content":"and a long answer too"}]}

      """
    let out = try TokenStatsRun.run(input, options: options)
    #expect(out.report.total.overContext == 1)
    #expect(out.findings.contains(":2: error: the example has"))
    #expect(out.findings.contains("[tokens.over-context]"))
    let first = try #require(out.records.first?["tokens"] as? Int)
    #expect(out.report.total.billed == first + 20)
    #expect(out.records.last?["over_context"] as? Bool == true)
    #expect(out.report.epochs == 25)
    #expect(out.report.epochSource == .rule(.openai))
    #expect(out.report.trainingTokens == (first + 20) * 25)
    #expect(out.report.cost == Double((first + 20) * 25) * 10 / 1_000_000)
  }

  @Test func recordsWithErrorsAreSkippedNotCounted() throws {
    let input = """
      {"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]}
      {"messages":[{"role":"user","content":"hi"},
      {"messages":[{"role":"user","content":"no answer"}]}

      """
    let out = try TokenStatsRun.run(input)
    #expect(out.report.total.records == 3)
    #expect(out.report.total.counted == 1)
    #expect(out.report.total.skipped == 2)
    #expect(out.records.map { $0["line"] as? Int } == [1])
  }

  @Test func otherFormatsCountThroughTheCanonicalModel() throws {
    let tokenizer = try TokenFixtures.tokenizer(.cl100kBase)
    let out = try TokenStatsRun.run(
      #"{"prompt":"Say hi","completion":"hi"}"# + "\n", encoding: .cl100kBase)
    let expected =
      3 + (3 + tokenizer.count("user") + tokenizer.count("Say hi"))
      + (3 + tokenizer.count("assistant") + tokenizer.count("hi"))
    #expect(out.records.first?["tokens"] as? Int == expected)
  }

  @Test func specialTokenTextIsPlainUnlessAllowed() throws {
    let input =
      #"{"messages":[{"role":"user","content":"<|endoftext|>"},{"role":"assistant","content":"x"}]}"#
      + "\n"
    let plain = try TokenStatsRun.run(input)
    var options = TokenStats.Options()
    options.allowSpecial = true
    let allowed = try TokenStatsRun.run(input, options: options)
    #expect(allowed.records.first?["user"] as? Int == 1)
    #expect((plain.records.first?["user"] as? Int ?? 0) > 1)
  }

  @Test func countsDoNotDependOnThreadsOrBlockSize() throws {
    var lines = ""
    for k in 0..<400 {
      lines +=
        #"{"messages":[{"role":"user","content":"question \#(k) \#(String(repeating: "word ", count: k % 37))"},"#
      lines += #"{"role":"assistant","content":"answer \#(k * 7919)"}]}"# + "\n"
    }
    var one = TokenStats.Options()
    one.threads = 1
    var many = TokenStats.Options()
    many.threads = 2
    many.sizes = ReadSizes(readSize: 7, blockSize: 333)
    let a = try TokenStatsRun.run(lines, options: one)
    let b = try TokenStatsRun.run(lines, options: many)
    // The two runs read two temporary files with different names.
    func unnamed(_ report: TokenReport) -> TokenReport {
      var r = report
      r.files[0].name = ""
      r.total.name = ""
      return r
    }
    let ra = unnamed(a.report)
    let rb = unnamed(b.report)
    #expect(ra == rb)
    #expect(a.records.map { $0["tokens"] as? Int } == b.records.map { $0["tokens"] as? Int })
    #expect(b.records.map { $0["line"] as? Int } == (1...400).map { $0 })
  }
}
