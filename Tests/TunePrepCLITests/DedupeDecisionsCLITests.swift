import Foundation
import Testing

/// How `tuneprep dedupe` turns verified pairs into decisions, and how its findings, rejects and
/// clusters name the record that is kept.
@Suite struct DedupeDecisionsCLITests {
  typealias Folder = DedupeCLITests.Folder

  /// An example whose answer is `words`, joined by spaces.
  static func answer(_ words: [String]) -> String {
    #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"\#(words.joined(separator: " "))"}]}"#
  }

  /// Twelve records, each one word of 60 away from the one before (Jaccard about 0.92 with
  /// its neighbours, under 0.8 two apart): line 12 shares no shingle with line 1.
  static let chain: [String] = {
    var words = (0..<60).map { "w\($0)" }
    var lines = [answer(words)]
    for k in 1..<12 {
      words[((k - 1) * 5) % 60] = "x\(k)"
      lines.append(answer(words))
    }
    return lines
  }()

  /// The JSON objects of a JSONL text.
  static func objects(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  /// A chain of near duplicates is not one cluster: a record is dropped only as a near
  /// duplicate of a kept record, with their own Jaccard (the old code dropped lines 2 to 12
  /// for line 1, line 12 with "Jaccard 0").
  @Test(arguments: ["first", "last"])
  func chainDropsOnlyNearDuplicatesOfKeptRecords(keep: String) throws {
    let folder = try Folder()
    try folder.write("chain.jsonl", Self.chain)
    let run = try folder.run([
      "dedupe", "--near", "chain.jsonl", "--keep", keep, "--rejects", "rejects.jsonl",
      "--clusters", "clusters.jsonl",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    // Taken in --keep's order, every other record is kept: from line 1 on, or from line 12
    // back.
    let kept = keep == "first" ? [1, 3, 5, 7, 9, 11] : [2, 4, 6, 8, 10, 12]
    #expect(run.stdout == kept.map { Self.chain[$0 - 1] + "\n" }.joined())
    let rejects = try Self.objects(try folder.read("rejects.jsonl"))
    #expect(rejects.count == 6)
    for reject in rejects {
      let line = try #require(reject["line"] as? Int)
      let keptLine = try #require((reject["kept"] as? [String: Any])?["line"] as? Int)
      let similarity = try #require(reject["similarity"] as? Double)
      #expect(reject["reason"] as? String == "dup.near")
      #expect(kept.contains(keptLine), "line \(line) dropped for line \(keptLine), not kept")
      #expect(abs(keptLine - line) == 1, "line \(line) dropped for line \(keptLine)")
      #expect(similarity >= 0.8, "line \(line): Jaccard \(similarity) with line \(keptLine)")
      let message = try #require(reject["message"] as? String)
      #expect(message.hasSuffix(": dropped, line \(keptLine) kept"))
      #expect(run.stderr.contains("chain.jsonl:\(line): warning: \(message) [dup.near]"))
    }
    // Each cluster is a kept record and the records dropped for it, at or above the threshold.
    let clusters = try Self.objects(try folder.read("clusters.jsonl"))
    #expect(!clusters.isEmpty)
    for cluster in clusters {
      #expect(kept.contains(try #require(cluster["kept"] as? Int)))
      for member in try #require(cluster["members"] as? [[String: Any]]) {
        #expect(member["via"] == nil)
        #expect(try #require(member["similarity"] as? Double) >= 0.8)
      }
    }
    #expect(
      run.stderr.hasSuffix(
        "12 records in 1 file, 6 kept, 0 dup.exact, 6 dup.near, 0 invalid; 0 errors, 6 warnings, 0 info (dup.near 6)\n"
      ))
  }

  /// With `--keep longest`, the longest record is taken first and keeps its near duplicates
  /// out, while a record like a dropped one only is kept.
  @Test func chainWithKeepLongest() throws {
    let folder = try Folder()
    // Line 2 has one more word than lines 1 and 3: it is kept, and both others are dropped
    // for it; line 4 is like line 3 alone, so it stays.
    var words = (0..<60).map { "w\($0)" }
    let middle = Self.answer(words + ["extra"])
    words[40] = "y"
    let third = Self.answer(words + ["extra"])
    words[20] = "z"
    let fourth = Self.answer(words + ["extra"])
    words = (0..<60).map { "w\($0)" }
    words[1] = "v"
    let first = Self.answer(words)
    try folder.write("data.jsonl", [first, middle, third, fourth])
    let run = try folder.run(["dedupe", "--near", "data.jsonl", "--keep", "longest"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == middle + "\n" + fourth + "\n")
    #expect(run.stderr.contains("data.jsonl:1: warning: near-duplicate of line 2 (Jaccard 0."))
    #expect(run.stderr.contains("data.jsonl:3: warning: near-duplicate of line 2 (Jaccard 0."))
    #expect(run.stderr.contains("4 records in 1 file, 2 kept, 0 dup.exact, 2 dup.near"))
  }

  /// An exact duplicate of a record dropped as a near duplicate names the record that is kept
  /// and the record it was linked through, in its finding, its rejects entry and its cluster
  /// (the old code said "dropped, line 2 kept" of a dropped line 2).
  @Test func exactDuplicateOfANearDuplicateNamesTheKeptRecord() throws {
    let folder = try Folder()
    var words = (0..<60).map { "w\($0)" }
    let a = Self.answer(words)
    words[30] = "X"
    let b = Self.answer(words)
    try folder.write("data.jsonl", [a, b, b])
    let run = try folder.run([
      "dedupe", "--near", "data.jsonl", "--rejects", "rejects.jsonl", "--clusters",
      "clusters.jsonl",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == a + "\n")
    let rejects = try Self.objects(try folder.read("rejects.jsonl"))
    try #require(rejects.count == 2)
    let near = rejects[0]
    let exact = rejects[1]
    #expect(near["reason"] as? String == "dup.near")
    let similarity = try #require(near["similarity"] as? Double)
    #expect(similarity >= 0.8 && similarity < 1)
    #expect(exact["line"] as? Int == 3)
    #expect(exact["reason"] as? String == "dup.exact")
    #expect((exact["kept"] as? [String: Any])?["line"] as? Int == 1)
    #expect((exact["via"] as? [String: Any])?["line"] as? Int == 2)
    #expect((exact["via"] as? [String: Any])?["file"] as? String == "data.jsonl")
    #expect(exact["similarity"] as? Double == similarity)
    let message = try #require(exact["message"] as? String)
    #expect(
      message
        == "exact duplicate of line 2 (same conversation after --normalize text), a near-duplicate of line 1 (Jaccard \(near["similarity"] ?? "")): dropped, line 1 kept"
    )
    #expect(run.stderr.contains("data.jsonl:3: warning: \(message) [dup.exact]\n"))
    let clusters = try Self.objects(try folder.read("clusters.jsonl"))
    try #require(clusters.count == 1)
    #expect(clusters[0]["kept"] as? Int == 1)
    let members = try #require(clusters[0]["members"] as? [[String: Any]])
    try #require(members.count == 2)
    #expect(members[1]["line"] as? Int == 3)
    #expect(members[1]["via"] as? Int == 2)
    #expect(members[1]["similarity"] as? Double == similarity)
    // Without --near, line 3 is an exact duplicate of line 2, which is kept.
    let exactOnly = try folder.run(["dedupe", "data.jsonl", "--rejects", "exact.jsonl"])
    let exactRejects = try Self.objects(try folder.read("exact.jsonl"))
    #expect(exactOnly.stdout == a + "\n" + b + "\n")
    #expect((exactRejects.first?["kept"] as? [String: Any])?["line"] as? Int == 2)
    #expect(exactRejects.first?["via"] == nil)
  }

  static func weighted(_ weights: [Int?]) -> String {
    let answers = ["Hello", "Paris", "Rome"]
    let questions = ["Hi", "Capital of France?", "And Italy?"]
    var messages: [String] = []
    for k in 0..<3 {
      messages.append(#"{"role":"user","content":"\#(questions[k])"}"#)
      let weight = weights[k].map { #","weight":\#($0)"# } ?? ""
      messages.append(#"{"role":"assistant","content":"\#(answers[k])"\#(weight)}"#)
    }
    return #"{"messages":[\#(messages.joined(separator: ","))]}"#
  }

  /// An answer with weight 0 is context, not a target.
  ///
  /// An example that has one is not an exact duplicate of the same example that trains it
  /// (the old code kept the first and dropped the one that trains "Hello" and "Paris").
  /// Weight 1 and no weight both train.
  @Test func weightZeroAnswersAreNotTrainedAnswers() throws {
    let folder = try Folder()
    let context = Self.weighted([0, 0, nil])
    let trained = Self.weighted([nil, nil, nil])
    let explicit = Self.weighted([1, 1, 1])
    let lines = [context, trained, context, explicit]
    try folder.write("data.jsonl", lines)
    for key in ["conversation", "input"] {
      let run = try folder.run([
        "dedupe", "data.jsonl", "--key", key, "--rejects", "rejects-\(key).jsonl",
      ])
      #expect(run.status == 0, "\(run.stderr)")
      #expect(run.stdout == context + "\n" + trained + "\n", "--key \(key)")
      let rejects = try Self.objects(try folder.read("rejects-\(key).jsonl"))
      #expect(rejects.map { $0["line"] as? Int } == [3, 4], "--key \(key)")
      #expect(rejects.map { ($0["kept"] as? [String: Any])?["line"] as? Int } == [1, 2])
    }
    // The final answer has weight 1 in every record: --key output finds one answer.
    let output = try folder.run(["dedupe", "data.jsonl", "--key", "output"])
    #expect(output.stdout == context + "\n")
    // A final answer with weight 0 differs from the same answer trained.
    let lastUntrained = Self.weighted([nil, nil, 0])
    try folder.write("final.jsonl", [lastUntrained, trained])
    let final = try folder.run(["dedupe", "final.jsonl", "--key", "output"])
    #expect(final.stdout == lastUntrained + "\n" + trained + "\n")
  }

  /// With `--near` as without it: the words of an answer with weight 0 are not the same
  /// shingles as the same words trained, so an example is no near duplicate of the same example
  /// with its answers at weight 0 because their texts are equal (the old code dropped line 2
  /// as a near-duplicate of line 1 at Jaccard 1, and line 4 through it).
  @Test(arguments: ["words:5", "chars:5"])
  func weightZeroAnswersAreNotNearDuplicatesOfTrainedAnswers(shingle: String) throws {
    let folder = try Folder()
    let context = Self.weighted([0, 0, nil])
    let trained = Self.weighted([nil, nil, nil])
    let explicit = Self.weighted([1, 1, 1])
    try folder.write("data.jsonl", [context, trained, context, explicit])
    for key in ["conversation", "input"] {
      let run = try folder.run([
        "dedupe", "--near", "data.jsonl", "--key", key, "--shingle", shingle, "--rejects",
        "rejects-\(key).jsonl",
      ])
      #expect(run.status == 0, "\(run.stderr)")
      #expect(run.stdout == context + "\n" + trained + "\n", "--key \(key): \(run.stderr)")
      let rejects = try Self.objects(try folder.read("rejects-\(key).jsonl"))
      #expect(rejects.map { $0["reason"] as? String } == ["dup.exact", "dup.exact"])
      #expect(rejects.map { ($0["kept"] as? [String: Any])?["line"] as? Int } == [1, 2])
    }
    // The same holds for leaks: a trained copy of an evaluation example whose answers are
    // context is not its near duplicate.
    try folder.write("train.jsonl", [trained])
    try folder.write("test.jsonl", [context])
    let leak = try folder.run([
      "dedupe", "--near", "train.jsonl", "--against", "test.jsonl", "--shingle", shingle,
    ])
    #expect(leak.status == 0)
    #expect(leak.stdout == trained + "\n", "\(leak.stderr)")
  }

  /// The words of a weight-0 answer count as changed words, no more: an example is a near
  /// duplicate of the same example with one short answer at weight 0 when the rest of what they
  /// share reaches the threshold, with the Jaccard of their shingles (here 172 of 182).
  @Test func aShortWeightZeroAnswerInALongExampleIsANearDuplicate() throws {
    let folder = try Folder()
    let words = (1...60).map { "w\($0)" }.joined(separator: " ")
    let more = (1...60).map { "m\($0)" }.joined(separator: " ")
    let answer = (1...60).map { "a\($0)" }.joined(separator: " ")
    func example(_ weight: String) -> String {
      #"{"messages":[{"role":"user","content":"\#(words)"},{"role":"assistant","content":"ok"\#(weight)},{"role":"user","content":"\#(more)"},{"role":"assistant","content":"\#(answer)"}]}"#
    }
    try folder.write("data.jsonl", [example(#","weight":0"#), example("")])
    let run = try folder.run(["dedupe", "--near", "data.jsonl"])
    #expect(run.status == 0)
    #expect(run.stdout == example(#","weight":0"#) + "\n")
    #expect(
      run.stderr.contains(
        "data.jsonl:2: warning: near-duplicate of line 1 (Jaccard 0.9451): dropped, line 1 kept"),
      "\(run.stderr)")
  }

  /// Split keeps an example and the same example with weight-0 answers in one split: the
  /// model sees the same text in both.
  @Test func splitKeepsWeightVariantsTogether() throws {
    let folder = try Folder()
    var lines: [String] = []
    for k in 0..<40 {
      let context =
        #"{"messages":[{"role":"user","content":"Question \#(k)"},{"role":"assistant","content":"Answer \#(k)","weight":0},{"role":"user","content":"More \#(k)"},{"role":"assistant","content":"End \#(k)"}]}"#
      lines.append(context)
      lines.append(context.replacingOccurrences(of: #","weight":0"#, with: ""))
    }
    try folder.write("data.jsonl", lines)
    let run = try folder.run([
      "split", "data.jsonl", "--out-dir", "out", "--ratios", "50,50", "--names", "a,b",
      "--seed", "3", "--no-near-leak-check",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let first = try folder.read("out/a.jsonl")
    var together = 0
    for k in 0..<40 {
      let copies = first.components(separatedBy: #""Question \#(k)""#).count - 1
      #expect(copies == 0 || copies == 2, "the two records of pair \(k) are in two splits")
      together += copies / 2
    }
    #expect(together > 0 && together < 40)
  }
}
