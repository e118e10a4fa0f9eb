import Foundation
import Testing

@testable import TunePrep

/// Accuracy of `dedupe` against the planted duplicates of a seeded corpus from
/// `shared/tools/gen_corpus.py` (made at test time; python3 must be installed, the test fails
/// otherwise).
@Suite(.serialized) struct DedupeAccuracyTests {
  /// Makes the 20 000-record chat corpus (seed 7) in a folder of its own (other test runs
  /// may be making theirs at the same time), runs `body`, and removes the folder.
  static func withCorpus<R>(_ body: (Corpus) throws -> R) throws -> R {
    let corpus = try makeCorpus().get()
    defer { try? FileManager.default.removeItem(at: corpus.data.deletingLastPathComponent()) }
    return try body(corpus)
  }

  /// The corpus file and the planted line numbers from its sidecar.
  struct Corpus: Sendable {
    var data: URL
    var exact: Set<Int>
    /// The source line of each planted exact duplicate.
    var exactSources: [Int: Int]
    var near: Set<Int>
    /// Conflicts (same prompt, new answer) whose Jaccard the generator measured at 0.8 or
    /// more: near duplicates by definition, so finding them is right.
    var similarConflicts: Set<Int>
  }

  struct CorpusError: Error, CustomStringConvertible {
    var description: String
  }

  static func makeCorpus() -> Result<Corpus, CorpusError> {
    let env = ProcessInfo.processInfo.environment
    let script =
      env["TUNEPREP_GEN_CORPUS"].map { URL(fileURLWithPath: $0) }
      ?? ConformanceDirectory.packageRoot.deletingLastPathComponent()
      .appendingPathComponent("shared/tools/gen_corpus.py")
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("tuneprep-dedupe-accuracy-\(getpid())-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let data = dir.appendingPathComponent("c.jsonl")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", script.path, "--n", "20000", "--seed", "7", "--format", "chat", "--out", data.path,
    ]
    process.standardOutput = FileHandle.nullDevice
    do {
      try process.run()
      process.waitUntilExit()
    } catch {
      return .failure(CorpusError(description: "cannot run python3 \(script.path): \(error)"))
    }
    guard process.terminationStatus == 0 else {
      return .failure(
        CorpusError(
          description: "python3 \(script.path) failed with status \(process.terminationStatus)"))
    }
    let truthURL = dir.appendingPathComponent("c.truth.json")
    guard let truthData = try? Data(contentsOf: truthURL),
      let truth = try? JSONSerialization.jsonObject(with: truthData) as? [String: Any]
    else {
      return .failure(CorpusError(description: "no ground truth at \(truthURL.path)"))
    }
    func lines(_ kind: String, minimumJaccard: Double = 0) -> Set<Int> {
      let entries = truth[kind] as? [[String: Any]] ?? []
      return Set(
        entries.filter { ($0["jaccard"] as? Double ?? 1) >= minimumJaccard }
          .compactMap { $0["line"] as? Int })
    }
    var sources: [Int: Int] = [:]
    for entry in truth["exact_duplicates"] as? [[String: Any]] ?? [] {
      if let line = entry["line"] as? Int, let source = entry["source"] as? Int {
        sources[line] = source
      }
    }
    return .success(
      Corpus(
        data: data, exact: lines("exact_duplicates"), exactSources: sources,
        near: lines("near_duplicates"),
        similarConflicts: lines("conflicts", minimumJaccard: 0.8)))
  }

  /// Runs dedupe on the corpus and returns the dropped lines by reason.
  static func dropped(_ corpus: Corpus, near: Bool, threads: Int? = nil) throws -> [String: [Int:
    Double]]
  {
    let data = corpus.data
    var options = Deduplicator.Options()
    options.near = near
    options.threads = threads
    let rejectsURL = data.deletingLastPathComponent()
      .appendingPathComponent("rejects-\(near)-\(threads ?? 0).jsonl")
    let rejects = try OutputStream.file(rejectsURL.path)
    var quiet = FindingReporter.Options()
    quiet.maxFindings = 0
    let reporter = FindingReporter(command: "dedupe", options: quiet, output: .standardError())
    _ = try Deduplicator(options: options).run(
      InputName(data.path), outputs: .init(kept: nil, rejects: rejects), reporter: reporter)
    try rejects.commit()
    var result: [String: [Int: Double]] = [:]
    let text = try String(contentsOf: rejectsURL, encoding: .utf8)
    for line in text.split(separator: "\n") {
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let reason = try #require(object["reason"] as? String)
      let lineNumber = try #require(object["line"] as? Int)
      result[reason, default: [:]][lineNumber] = object["similarity"] as? Double ?? 0
    }
    return result
  }

  /// Lines rejected because they fail validation (every reason that is not a `dup.*`).
  static func invalidLines(_ dropped: [String: [Int: Double]]) -> Set<Int> {
    var lines: Set<Int> = []
    for (reason, entries) in dropped where !reason.hasPrefix("dup.") {
      lines.formUnion(entries.keys)
    }
    return lines
  }

  @Test func everyPlantedExactDuplicateAndNoOther() throws {
    try Self.withCorpus { corpus in try checkExact(corpus) }
  }

  func checkExact(_ corpus: Corpus) throws {
    let dropped = try Self.dropped(corpus, near: false)
    let invalid = Self.invalidLines(dropped)
    // A copy of a record that fails validation fails it too, and is rejected for that reason
    // before duplicates are looked for; so is its source.
    let copiesOfInvalid = corpus.exact.filter { line in
      invalid.contains(line) && corpus.exactSources[line].map(invalid.contains) == true
    }
    let planted = corpus.exact.subtracting(copiesOfInvalid)
    let found = Set((dropped["dup.exact"] ?? [:]).keys)
    let missed = planted.subtracting(found).sorted()
    let extra = found.subtracting(planted).sorted()
    print(
      "dedupe exact: planted \(corpus.exact.count) (\(copiesOfInvalid.count) copies of invalid "
        + "records, rejected as invalid), found \(found.count), missed \(missed.count), "
        + "false \(extra.count)")
    #expect(planted.count > 500)
    #expect(missed.isEmpty, "missed exact duplicates at lines \(missed.prefix(20))")
    #expect(extra.isEmpty, "false exact duplicates at lines \(extra.prefix(20))")
  }

  @Test func nearDuplicatesAtTheDefaultThreshold() throws {
    try Self.withCorpus { corpus in try checkNear(corpus) }
  }

  func checkNear(_ corpus: Corpus) throws {
    let dropped = try Self.dropped(corpus, near: true)
    let near = corpus.near
    let exact = corpus.exact
    let similarConflicts = corpus.similarConflicts
    let foundNear = Set((dropped["dup.near"] ?? [:]).keys)
    let anyDup = foundNear.union((dropped["dup.exact"] ?? [:]).keys)
    let recall = Double(near.intersection(anyDup).count) / Double(near.count)
    let truePositives = foundNear.intersection(near.union(similarConflicts).union(exact)).count
    let precision = foundNear.isEmpty ? 1 : Double(truePositives) / Double(foundNear.count)
    let wrong = foundNear.subtracting(near.union(similarConflicts).union(exact)).sorted()
    print(
      "dedupe near@0.8: planted \(near.count), dropped as near \(foundNear.count), "
        + "recall \(String(format: "%.4f", recall)), precision \(String(format: "%.4f", precision))"
    )
    #expect(near.count > 500)
    #expect(recall >= 0.95)
    #expect(precision >= 0.99, "unexpected near duplicates at lines \(wrong.prefix(20))")
    // Exact duplicates stay exact when near detection is on.
    let notExact = corpus.exact.subtracting((dropped["dup.exact"] ?? [:]).keys)
      .subtracting(Self.invalidLines(dropped))
    #expect(
      notExact.isEmpty, "exact duplicates not dropped as such: \(notExact.sorted().prefix(20))")
  }

  /// The normalized keys of every record of the corpus, for every key and normalization, are
  /// the same whether texts are normalized straight from the record's bytes or decoded first.
  @Test func fastKeysEqualDecodedKeys() throws {
    try Self.withCorpus { corpus in
      let text = try String(contentsOf: corpus.data, encoding: .utf8)
      var checker = RecordChecker(fileFormat: .openaiChat, detected: false, formatLocation: nil)
      var findings: [Finding] = []
      var builders: [(fast: KeyBuilder, reference: KeyBuilder)] = []
      for key in DedupeKey.allCases {
        for mode in TextNormalization.allCases {
          builders.append(
            (
              KeyBuilder(key: key, normalization: mode),
              KeyBuilder(key: key, normalization: mode, decodesFirst: true)
            ))
        }
      }
      var compared = 0
      // The first 6000 records (a debug build is slow; they hold every kind of text).
      for (n, line) in text.split(separator: "\n").prefix(6000).enumerated() {
        let bytes = Array(line.utf8)
        findings.removeAll()
        let position = RecordPosition(file: "c", line: n + 1, column: 1, byteOffset: 0)
        let example = bytes.withUnsafeBufferPointer {
          checker.check($0, at: position, findings: &findings).example
        }
        guard let example else { continue }
        for k in builders.indices {
          var fast: [UInt8] = []
          var reference: [UInt8] = []
          let fastSize = builders[k].fast.build(example, in: checker.document, into: &fast)
          let referenceSize = builders[k].reference.build(
            example, in: checker.document, into: &reference)
          #expect(fast == reference, "line \(n + 1), key \(builders[k].fast.key)")
          #expect(fastSize == referenceSize)
          compared += 1
        }
      }
      #expect(compared > 40_000)
    }
  }

  @Test func resultsDoNotDependOnThreads() throws {
    try Self.withCorpus { corpus in
      let one = try Self.dropped(corpus, near: true, threads: 1)
      let three = try Self.dropped(corpus, near: true, threads: 3)
      #expect(one == three)
    }
  }
}
