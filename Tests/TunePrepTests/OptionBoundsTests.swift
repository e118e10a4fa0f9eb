import Foundation
import Testing

@testable import TunePrep

/// The library's arithmetic at the extremes of what its public options can hold.
///
/// Split sizes, token totals and costs, thread counts: none of them may trap.
@Suite struct OptionBoundsTests {
  // MARK: Split sizes

  @Test(arguments: [
    // A weight of 1e12 millionths: total × weight passed Int.max before.
    (13, [1_000_000_000_000_000_000, 1_000_000, 1_000_000], [13, 0, 0]),
    (Int.max, [1, 1], [Int.max / 2 + 1, Int.max / 2]),
    (Int.max, [Int.max, 0], [Int.max, 0]),
    // Weights whose sum passes UInt64.max are halved together.
    (10, [Int.max, Int.max, Int.max], [4, 3, 3]),
    (10, [-5, 1, 1], [0, 5, 5]),
    (-3, [1, 1], [0, 0]),
  ])
  func largestRemainderCannotOverflow(_ total: Int, _ weights: [Int], _ expected: [Int]) {
    let parts = largestRemainder(total, weights: weights)
    #expect(parts == expected)
    #expect(parts.reduce(0, +) == max(0, total))
  }

  @Test(arguments: [1e12, 1e18, 1e308, Double.infinity, -1, Double.nan])
  func ratiosOutOfRangeAreAProblemAndWeighWithoutATrap(_ ratio: Double) {
    let sizes = Splitter.Sizes.ratios([ratio, 1, 1])
    #expect(sizes.problem?.hasPrefix("--ratios must be non-negative numbers up to 1000000") == true)
    let weights = sizes.weights
    #expect(weights.count == 3)
    #expect(weights.allSatisfy { (0...1_000_000_000_000).contains($0) })
  }

  @Test func sizesAtTheBoundsAreAccepted() {
    #expect(Splitter.Sizes.ratios([1_000_000, 0, 0.000001]).problem == nil)
    #expect(Splitter.Sizes.ratios([1_000_000, 0, 0.000001]).weights == [1_000_000_000_000, 0, 1])
    #expect(Splitter.Sizes.counts([Splitter.Sizes.maximumCount, 0, 1]).problem == nil)
  }

  @Test func sizesPastTheBoundsAreAProblem() {
    #expect(Splitter.Sizes.counts([Int.max, 1, 1]).problem != nil)
    #expect(Splitter.Sizes.counts([Splitter.Sizes.maximumCount + 1, 1]).problem != nil)
    #expect(Splitter.Sizes.counts([-1, 2]).problem != nil)
    #expect(Splitter.Sizes.counts([0, 0]).problem?.contains("add up to more than 0") == true)
    #expect(Splitter.Sizes.ratios([1e-9, 1e-9]).problem != nil)
  }

  /// A library caller that bypasses the CLI gets an error, not a crash.
  @Test(arguments: [
    Splitter.Sizes.ratios([1e18, 1, 1]), .counts([Int.max, 1, 1]), .counts([Int.max, Int.max]),
  ])
  func splitterRefusesSizesOutOfRange(_ sizes: Splitter.Sizes) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-bounds-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in.jsonl")
    try "{\"prompt\":\"a\",\"completion\":\"b\"}\n".write(
      to: input, atomically: true, encoding: .utf8)
    var options = Splitter.Options()
    options.sizes = sizes
    options.names = Array(["train", "validation", "test"].prefix(sizes.count))
    var quiet = FindingReporter.Options()
    quiet.maxFindings = 0
    let reporter = FindingReporter(command: "split", options: quiet, output: .standardError())
    let out = dir.appendingPathComponent("out")
    #expect(throws: TunePrepError.failed(try #require(sizes.problem))) {
      _ = try Splitter(options: options).run(
        InputName(input.path), into: .init(directory: out.path), reporter: reporter)
    }
    #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("train.jsonl").path))
  }

  // MARK: Token totals and cost

  static func report(billed: Int, epochs: Int, price: Double?) -> TokenReport {
    var tally = TokenTally()
    var options = TokenStats.Options()
    options.epochs = epochs
    options.pricePerMillion = price
    var total = TokenFileStats(name: "t.jsonl", tally: &tally)
    total.billed = billed
    return TokenReport(encoding: "o200k_base", options: options, files: [total], total: total)
  }

  @Test func trainingTokensSaturateInsteadOfTrapping() {
    #expect(
      Self.report(billed: 1173, epochs: 10_000_000_000_000_000, price: nil).trainingTokens
        == Int.max)
    #expect(
      Self.report(billed: 1173, epochs: -10_000_000_000_000_000, price: nil).trainingTokens
        == Int.min)
    #expect(Self.report(billed: 1173, epochs: 1000, price: nil).trainingTokens == 1_173_000)
  }

  @Test(arguments: [
    (Int.max, 10_000_000_000_000_000, 1e20),
    (1173, 1, 1e308),
    (1173, 1, Double.infinity),
    (1173, 1, Double.nan),
    (Int.max, 1, 1_000_000),
  ])
  func anyTotalAndPriceRender(_ billed: Int, _ epochs: Int, _ price: Double) throws {
    let report = Self.report(billed: billed, epochs: epochs, price: price)
    let table = report.textTable()
    #expect(table.contains("cost: "))
    let json = report.jsonObject()
    #expect(try JSONSerialization.jsonObject(with: Data(json.utf8)) is [String: Any])
  }

  @Test(arguments: [
    (0.5, "0.5000"), (2.5, "2.50"), (1234.5, "1234.50"), (-2.5, "-2.50"), (0, "0.0000"),
    (1e20, "1e+20"), (Double.infinity, "inf"), (-Double.infinity, "-inf"), (Double.nan, "nan"),
    (9e13, "90000000000000.00"), (9.3e13, "93000000000000"),
  ])
  func moneyFormatsEveryValue(_ value: Double, _ expected: String) {
    #expect(TokenReport.money(value) == expected)
  }

  // MARK: Threads

  @Test func threadCountsAreClamped() {
    #expect(ThreadCount.resolve(1) == 1)
    #expect(ThreadCount.resolve(0) == 1)
    #expect(ThreadCount.resolve(-7) == 1)
    #expect(ThreadCount.resolve(ThreadCount.maximum) == ThreadCount.maximum)
    #expect(ThreadCount.resolve(40_000) == ThreadCount.maximum)
    #expect(ThreadCount.resolve(Int.max) == ThreadCount.maximum)
    #expect(RecordPipeline(threads: Int.max).threads == ThreadCount.maximum)
  }
}
