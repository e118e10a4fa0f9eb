import Foundation
import Testing

@testable import TunePrep

/// The building blocks of `split` that must be exactly right: SHA-256, the PRNG, the rounding
/// of sizes and JSON pointers.
@Suite struct SplitUnitTests {
  /// FIPS 180-4 / NIST example vectors, plus lengths around the padding boundary.
  @Test(arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    (
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
    ),
  ])
  func sha256Vectors(_ message: String, _ expected: String) {
    #expect(SHA256Stream.hex(Array(message.utf8)) == expected)
  }

  @Test func sha256MillionAs() {
    var hasher = SHA256Stream()
    let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
    for _ in 0..<1000 { chunk.withUnsafeBytes { hasher.update($0) } }
    #expect(
      hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  /// Feeding the same bytes in pieces of any size gives the same digest.
  @Test(arguments: [1, 2, 3, 7, 55, 56, 63, 64, 65, 200])
  func sha256Chunked(_ piece: Int) {
    let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    var hasher = SHA256Stream()
    var k = 0
    while k < message.count {
      let end = min(k + piece, message.count)
      message[k..<end].withUnsafeBytes { hasher.update($0) }
      k = end
    }
    #expect(hasher.finalizeHex() == SHA256Stream.hex(message))
    #expect(SHA256Stream.hex(message) == SHA256Stream.hex(message[...]))
  }

  /// xoshiro256** seeded by SplitMix64 is specified bit for bit: these values pin it, so a
  /// change of algorithm (which would move every split) fails here.
  @Test func prngIsPinned() {
    var mixer = SplitMix64(state: 0)
    // Reference values of SplitMix64 from seed 0 (Vigna's splitmix64.c).
    #expect(mixer.next() == 0xE220_A839_7B1D_CDAF)
    #expect(mixer.next() == 0x6E78_9E6A_A1B9_65F4)
    var random = SplitRandom(seed: 42)
    let first = (0..<3).map { _ in random.next() }
    var again = SplitRandom(seed: 42)
    #expect((0..<3).map { _ in again.next() } == first)
    var other = SplitRandom(seed: 43)
    #expect(other.next() != first[0])
  }

  @Test func boundedDrawsStayInRangeAndCoverIt() {
    var random = SplitRandom(seed: 7)
    var seen = Set<UInt64>()
    for _ in 0..<1000 {
      let v = random.below(10)
      #expect(v < 10)
      seen.insert(v)
    }
    #expect(seen.count == 10)
  }

  @Test func shuffleIsAPermutationAndSeeded() {
    var a = Array(0..<100)
    var b = Array(0..<100)
    var ra = SplitRandom(seed: 1)
    var rb = SplitRandom(seed: 1)
    ra.shuffle(&a)
    rb.shuffle(&b)
    #expect(a == b)
    #expect(a.sorted() == Array(0..<100))
    #expect(a != Array(0..<100))
  }

  @Test(arguments: [
    (10, [80, 10, 10], [8, 1, 1]),
    (7, [80, 10, 10], [5, 1, 1]),
    (1000, [80, 10, 10], [800, 100, 100]),
    (3, [1, 1, 1], [1, 1, 1]),
    (5, [1, 1, 1], [2, 2, 1]),
    (99, [90, 10], [89, 10]),
    (0, [80, 10, 10], [0, 0, 0]),
    (4, [0, 1, 0], [0, 4, 0]),
  ])
  func largestRemainderAddsUp(_ total: Int, _ weights: [Int], _ expected: [Int]) {
    let parts = largestRemainder(total, weights: weights)
    #expect(parts == expected)
    #expect(parts.reduce(0, +) == total)
  }

  @Test func pointersResolve() throws {
    var parser = JSONParser()
    var document = JSONDocument()
    let text = #"{"a":{"b/c":[10,{"~k":"v"}]},"label":"pos","x\u0079":1}"#
    let bytes = Array(text.utf8)
    try bytes.withUnsafeBytes { try parser.parse($0, into: &document) }
    let hit = try #require(JSONPointer("/a/b~1c/1/~0k").flatMap { $0.resolve(in: document) })
    #expect(document.string(hit) == "v")
    let label = try #require(JSONPointer("/label").flatMap { $0.resolve(in: document) })
    #expect(document.string(label) == "pos")
    #expect(JSONPointer("/xy")?.resolve(in: document) != nil)
    #expect(JSONPointer("/a/b~1c/2")?.resolve(in: document) == nil)
    #expect(JSONPointer("/a/b~1c/01")?.resolve(in: document) == nil)
    #expect(JSONPointer("/missing")?.resolve(in: document) == nil)
    #expect(JSONPointer("label") == nil)
    #expect(JSONPointer("/a~2") == nil)
  }
}

/// Stratified quotas: every stratum's row adds up to its size and every split's column to its
/// target, and each cell is within one of its exact proportional share.
@Suite struct SplitQuotaTests {
  @Test(arguments: [
    ([600, 300, 100, 2], [802, 100, 100]),
    ([300, 150, 45, 3], [398, 50, 50]),
    ([1, 1, 1, 1, 1, 1, 1], [5, 1, 1]),
    ([997, 3], [900, 100]),
    ([10, 20, 30, 40, 50], [120, 15, 15]),
  ])
  func quotasAddUpBothWays(_ records: [Int], _ total: [Int]) {
    let quotas = SplitPlan.stratumQuotas(records, total)
    let n = records.reduce(0, +)
    for (s, row) in quotas.enumerated() {
      #expect(row.reduce(0, +) == records[s])
      for (k, cell) in row.enumerated() {
        let exact = Double(records[s] * total[k]) / Double(n)
        #expect(
          abs(Double(cell) - exact) < 1.0 + 1e-9, "stratum \(s) split \(k): \(cell) vs \(exact)")
      }
    }
    for k in total.indices {
      #expect(quotas.reduce(0) { $0 + $1[k] } == total[k])
    }
  }
}

/// The leak checks report what crosses splits (and nothing else).
@Suite struct SplitCheckTests {
  func checks(keys: [UInt64], splits: [UInt8], near: [(UInt32, UInt32, Float)] = []) -> SplitChecks
  {
    var scan = SplitScan.Result()
    scan.entries = keys.enumerated().map { i, key in
      SplitEntry(offset: Int64(i * 10), length: 9, line: UInt32(i + 1), key: key)
    }
    let options = Splitter.Options()
    var plan = SplitPlan(scan: scan, options: options)
    plan.nearPairs = near
    let assignment = SplitAssignment(splitOf: splits, splitCounts: [0, 0, 0], targets: [0, 0, 0])
    return SplitChecks(scan: scan, assignment: assignment, options: options, plan: plan)
  }

  @Test func exactDuplicatesInTwoSplitsAreLeaks() {
    let found = checks(keys: [7, 8, 7, 7], splits: [0, 1, 0, 2]).exactLeaks(file: "f")
    #expect(found.map(\.code) == ["leak.exact"])
    #expect(found.first?.location.line == 4)
    #expect(found.first?.related.first?.line == 1)
    #expect(checks(keys: [7, 8, 7], splits: [1, 0, 1]).exactLeaks(file: "f").isEmpty)
  }

  @Test func nearDuplicatesInTwoSplitsAreLeaks() {
    let c = checks(keys: [1, 2, 3], splits: [0, 2, 0], near: [(0, 1, 0.9), (0, 2, 0.85)])
    let found = c.nearLeaks(file: "f")
    #expect(found.map(\.code) == ["leak.near"])
    #expect(found.first?.location.line == 2)
    #expect(found.first?.message.contains("Jaccard 0.9") == true)
  }
}

/// The bucket sort behind split's grouping and leak checks agrees with a comparison sort.
@Suite struct KeyOrderTests {
  @Test(arguments: [0, 1, 2, 3, 5, 100, 5_000, 70_000])
  func agreesWithAComparisonSort(_ n: Int) {
    var random = SplitRandom(seed: UInt64(n))
    // Hash-like keys, runs of equal keys, and one key shared by many (a "missing" value).
    let keys: [UInt64] = (0..<n).map { i in
      switch i % 7 {
      case 0: 0
      case 1: UInt64(i / 7)
      default: random.next()
      }
    }
    let expected = (0..<n).map { UInt32($0) }.sorted { (a: UInt32, b: UInt32) -> Bool in
      let ka = keys[Int(a)]
      let kb = keys[Int(b)]
      return ka != kb ? ka < kb : a < b
    }
    #expect(KeyOrder.sorted(count: n) { keys[$0] } == expected)
  }
}

/// The leak check's pairs, computed beside the writing pass, reach the checks intact, and so
/// does an error that stops them.
@Suite struct BackgroundPairsTests {
  @Test func deliversThePairsOnceTheThreadEnds() throws {
    let pairs = BackgroundPairs { () throws(TunePrepError) in
      (0..<1000).map { (UInt32($0), UInt32($0 + 1), Float(0.9)) }
    }
    let first = try pairs.wait().get()
    #expect(first.count == 1000)
    #expect(first.last?.0 == 999 && first.last?.1 == 1000)
    // A second wait (the run's `defer`) returns the same result without joining again.
    #expect(try pairs.wait().get().count == 1000)
  }

  @Test func deliversTheErrorThatStoppedThem() {
    let pairs = BackgroundPairs { () throws(TunePrepError) in
      throw .failed("the input changed while it was read back")
    }
    #expect(throws: TunePrepError.failed("the input changed while it was read back")) {
      try pairs.wait().get()
    }
  }
}

/// Placement with units of several records (groups, exact duplicates): the split sizes stay
/// within the documented bound of their targets over the whole input, not per stratum.
@Suite struct SplitPlacementTests {
  /// A plan over records described by stratum and unit: records of one unit share an exact key
  /// (or, with `byGroup`, a group key), strata are numbered in the order given.
  /// - Parameters:
  ///   - strata: per stratum, the sizes of its units.
  ///   - byGroup: join units by `--group` keys instead of exact duplicates.
  static func plan(
    _ strata: [[Int]], options: Splitter.Options, byGroup: Bool = false, seed: UInt64 = 1
  ) -> SplitPlan {
    var records: [(stratum: Int, unit: Int)] = []
    var unit = 0
    for (s, sizes) in strata.enumerated() {
      for size in sizes {
        for _ in 0..<size { records.append((s, unit)) }
        unit += 1
      }
    }
    // Input order mixes strata and units, as real files do.
    var random = SplitRandom(seed: seed)
    random.shuffle(&records)
    var scan = SplitScan.Result()
    for (i, record) in records.enumerated() {
      let unitKey = UInt64(record.unit) &* 0x9E37_79B9_7F4A_7C15 | 1
      scan.entries.append(
        SplitEntry(
          offset: Int64(i * 10), length: 9, line: UInt32(i + 1),
          key: byGroup ? UInt64(i) &* 0xBF58_476D_1CE4_E5B9 : unitKey))
      if byGroup { scan.groupKeys.append(unitKey) }
      scan.strata.append(UInt32(record.stratum))
    }
    // Zero-padded, so that the value order (the manifest's) is the order given.
    scan.stratumValues = strata.indices.map {
      .string("label-" + String(String($0 + 10_000).dropFirst()))
    }
    return SplitPlan(scan: scan, options: options)
  }

  static func stratified(_ sizes: Splitter.Sizes = .ratios([80, 10, 10]), seed: UInt64)
    -> Splitter.Options
  {
    var options = Splitter.Options()
    options.sizes = sizes
    options.names = Array(["train", "validation", "test", "d", "e"].prefix(sizes.count))
    options.stratify = .output
    options.seed = seed
    return options
  }

  /// A reporter that counts findings without printing them.
  static func quiet() -> FindingReporter {
    var options = FindingReporter.Options()
    options.maxFindings = 0
    return FindingReporter(command: "split", options: options, output: .standardError())
  }

  static func expectWithinBound(
    _ assignment: SplitAssignment, largestUnit: Int, _ comment: Comment? = nil
  ) {
    #expect(assignment.splitCounts.reduce(0, +) == assignment.targets.reduce(0, +))
    for (count, target) in zip(assignment.splitCounts, assignment.targets) {
      #expect(
        abs(count - target) < max(largestUnit, 1),
        "\(assignment.splitCounts) against \(assignment.targets) \(comment?.rawValue ?? "")")
    }
  }

  /// QA round 3: 60 labels of 5 to 30 records in groups of at most 3, stratified.
  ///
  /// The sizes used to drift by one group per stratum, always towards train (851/98/38 for
  /// 789/99/99).
  @Test(arguments: [1, 2, 3, 20_240_917] as [UInt64])
  func groupsInManyStrataKeepTheSizes(_ seed: UInt64) {
    var random = SplitRandom(seed: 4)
    let strata = (0..<60).map { _ in
      let n = 5 + Int(random.below(26))
      return Array(repeating: 3, count: n / 3) + (n % 3 > 0 ? [n % 3] : [])
    }
    for byGroup in [false, true] {
      let reporter = Self.quiet()
      let assignment = Self.plan(strata, options: Self.stratified(seed: seed), byGroup: byGroup)
        .assign(reporter: reporter, file: "f")
      Self.expectWithinBound(assignment, largestUnit: 3)
      // Every stratum keeps its share within a few groups.
      for (row, sizes) in zip(assignment.strata, strata) {
        let n = sizes.reduce(0, +)
        #expect(row.counts.reduce(0, +) == n)
        #expect(abs(row.counts[0] - n * 8 / 10) <= 6, "\(row)")
      }
    }
  }

  /// QA round 3: 1,000 one-record labels plus 30 exact duplicates (two-record units), which
  /// gave 854/73/103 against 824/103/103.
  @Test func exactDuplicatesAcrossManyStrataKeepTheSizes() {
    var random = SplitRandom(seed: 2)
    var strata = [[Int]](repeating: [1], count: 1000)
    for _ in 0..<30 { strata[Int(random.below(1000))] = [2] }
    for seed: UInt64 in [1, 7, 20_240_917] {
      let assignment = Self.plan(strata, options: Self.stratified(seed: seed))
        .assign(reporter: Self.quiet(), file: "f")
      Self.expectWithinBound(assignment, largestUnit: 2)
    }
  }

  /// Random shapes: every split's size stays within the largest unit of its target.
  ///
  /// Up to 30 strata, units from 1 to 50 records, 2 to 5 splits with any weights (zeros
  /// included).
  @Test func randomShapesStayWithinTheLargestUnit() {
    var random = SplitRandom(seed: 99)
    for trial in 0..<400 {
      let largest = [1, 2, 3, 5, 10, 50][Int(random.below(6))]
      let strata = (0..<(1 + Int(random.below(30)))).map { _ in
        (0..<(1 + Int(random.below(12)))).map { _ in
          random.below(2) == 0 ? 1 + Int(random.below(UInt64(largest))) : 1
        }
      }
      var weights = (0..<(2 + Int(random.below(4)))).map { _ in Double(random.below(101)) }
      if weights.allSatisfy({ $0 == 0 }) { weights[0] = 1 }
      let assignment = Self.plan(
        strata, options: Self.stratified(.ratios(weights), seed: UInt64(trial)),
        seed: UInt64(trial)
      ).assign(reporter: Self.quiet(), file: "f")
      Self.expectWithinBound(
        assignment, largestUnit: strata.joined().max() ?? 1, "trial \(trial), weights \(weights)")
    }
  }

  /// With one-record units nothing is carried, so stratified quotas are met exactly per
  /// stratum, as before.
  @Test func singleRecordUnitsMeetEveryQuotaExactly() {
    let strata = [600, 300, 100, 2].map { Array(repeating: 1, count: $0) }
    let assignment = Self.plan(strata, options: Self.stratified(seed: 5))
      .assign(reporter: Self.quiet(), file: "f")
    let quotas = SplitPlan.stratumQuotas([600, 300, 100, 2], assignment.targets)
    #expect(assignment.strata.map(\.counts) == quotas)
    #expect(assignment.splitCounts == assignment.targets)
  }

  @Test(arguments: [
    ([8, 1, 1], [0, 0, 0], [8, 1, 1]),
    // Train got 2 too many, validation and test 1 too few each.
    ([8, 1, 1], [-2, 1, 1], [6, 2, 2]),
    // More owed than the row can give back: the rest stays owed.
    ([1, 0, 0], [-3, 2, 1], [0, 1, 0]),
    ([5, 3, 2], [1, -4, 3], [6, 0, 4]),
  ])
  func carriedQuotaGivesBackWhatWasTaken(_ quota: [Int], _ owed: [Int], _ expected: [Int]) {
    let row = SplitPlan.carriedQuota(quota, owed: owed)
    #expect(row == expected)
    #expect(row.reduce(0, +) == quota.reduce(0, +))
  }
}

/// The JSON summary's own members are exactly ``RunSummary/reservedNames``, which `split`
/// refuses as split names, so the list cannot drift from the writer.
@Suite struct RunSummaryKeyTests {
  @Test func reservedNamesAreTheSummaryMembers() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-summary-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("report.json").path
    let output = try OutputStream.file(path)
    var options = FindingReporter.Options()
    options.style = .json
    // A held-back finding makes the summary write every member it can have.
    options.maxFindings = 0
    let reporter = FindingReporter(command: "split", options: options, output: output)
    reporter.report(Finding(.splitEmpty, at: Location(file: "f", line: 0), message: "m"))
    var summary = RunSummary(command: "split")
    summary.counts = [("train", 1)]
    summary.details = [("extra", "{}")]
    reporter.finish(summary, summaryOutput: nil)
    try output.commit()
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let line = try #require(text.split(separator: "\n").last)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    let members = try #require(object["summary"] as? [String: Any])
    #expect(
      Set(members.keys).subtracting(["train", "extra"]) == Set(RunSummary.reservedNames))
    for name in RunSummary.reservedNames + ["rejected"] {
      #expect(Splitter.problem(withNames: [name, "b"]) != nil, "\(name)")
    }
    #expect(Splitter.problem(withNames: ["train", "Read"]) == nil)
  }
}
