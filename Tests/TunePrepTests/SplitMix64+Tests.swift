@testable import TunePrep

extension SplitMix64 {
  /// A value in `0..<n` (0 when `n` is 1 or less) by modulo: enough for seeded test data.
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}
