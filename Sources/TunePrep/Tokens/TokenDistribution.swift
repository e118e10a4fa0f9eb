/// Minimum, median, 95th percentile, maximum and sum of a list of token counts.
///
/// Percentiles are nearest-rank: the value at position ⌈p·n⌉ (from 1) of the sorted list, so
/// every figure is a count some example really has, and the median of an even list is the
/// lower of the two middle values.
public struct TokenDistribution: Sendable, Equatable {
  /// How many values.
  public var count = 0
  /// Their sum.
  public var sum = 0
  /// The smallest value (0 when empty).
  public var min = 0
  /// The 50th percentile.
  public var median = 0
  /// The 95th percentile.
  public var p95 = 0
  /// The largest value.
  public var max = 0

  /// The distribution of no values (all zero).
  public init() {}

  /// The distribution of `values`.
  /// - Parameter values: token counts in any order (sorted in place).
  public init(sorting values: inout [UInt32]) {
    values.sort()
    count = values.count
    guard let first = values.first, let last = values.last else { return }
    sum = values.reduce(0) { $0 + Int($1) }
    min = Int(first)
    max = Int(last)
    median = Self.nearestRank(50, values)
    p95 = Self.nearestRank(95, values)
  }

  /// The nearest-rank `percent` percentile of sorted, non-empty `values`.
  static func nearestRank(_ percent: Int, _ values: [UInt32]) -> Int {
    let rank = (percent * values.count + 99) / 100
    return Int(values[Swift.max(rank, 1) - 1])
  }
}
