import Testing

@testable import TunePrep

/// The radix sort behind LSH banding agrees with the standard library's sort.
///
/// The values come from split's seeded SplitMix64, so a failure can be replayed.
@Suite struct RadixSortTests {
  @Test(arguments: [0, 1000, 5000, 70000])
  func sortsEveryBit(count: Int) {
    var rng = SplitMix64(state: UInt64(count))
    // Few distinct high bits as well, so that equal digits occur in every pass.
    var values = (0..<count).map { i in
      i % 3 == 0 ? rng.next() : rng.next() & 0xFF00_0000_0000_00FF
    }
    let expected = values.sorted()
    radixSort(&values)
    #expect(values == expected)
  }

  /// Band keys over ascending positions, as `sortedKeys` packs them: sorting from the key's
  /// lowest bit gives the full order, and keys that agree keep their positions ascending.
  @Test(arguments: [(24, 5000), (24, 100_000), (32, 100_000), (24, 3000)])
  func sortsKeysAboveAscendingPositions(low: Int, count: Int) {
    var rng = SplitMix64(state: UInt64(low * count))
    let positionMask: UInt64 = (1 << UInt64(low)) - 1
    var values = (0..<count).map { position in
      // Keys drawn from a small set, so most buckets hold several positions.
      let key = rng.next() % 997 &* 0x9E37_79B9_7F4A_7C15
      return key & ~positionMask | UInt64(position)
    }
    let expected = values.sorted()
    radixSort(&values, fromBit: low)
    #expect(values == expected)
  }

  /// Above the small-input cutoff only the bits from `low` up are sorted on, and values that
  /// agree in them keep their order: the bits below are not looked at.
  @Test func isStableOnTheSortedBits() {
    var rng = SplitMix64(state: 7)
    let low = 24
    let original = (0..<10_000).map { _ in rng.next() % 50 << UInt64(low) | rng.next() & 0xFF_FFFF }
    var values = original
    radixSort(&values, fromBit: low)
    let expected = original.enumerated()
      .sorted { ($0.element >> UInt64(low), $0.offset) < ($1.element >> UInt64(low), $1.offset) }
      .map(\.element)
    #expect(values == expected)
  }
}
