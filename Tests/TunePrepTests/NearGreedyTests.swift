import Testing

@testable import TunePrep

/// The greedy near-duplicate decisions of dedupe, on hand-made pairs.
@Suite struct NearGreedyTests {
  static func decide(
    _ pairs: [(UInt32, UInt32, Float)], count: Int, prefers: (UInt32, UInt32) -> Bool = { $0 < $1 }
  ) -> [UInt32?] {
    var greedy = NearGreedy()
    greedy.decide(
      pairs.map { NearPair(a: $0.0, b: $0.1, similarity: $0.2) }, inputCount: count,
      prefers: prefers)
    return (0..<count).map { greedy.droppedFor[$0] == UInt32.max ? nil : greedy.droppedFor[$0] }
  }

  /// A chain 0–1–2–3–4: every other record is kept, from the preferred end.
  @Test func chainKeepsEveryOtherRecord() {
    let chain: [(UInt32, UInt32, Float)] = [(0, 1, 0.9), (1, 2, 0.9), (2, 3, 0.9), (3, 4, 0.9)]
    #expect(Self.decide(chain, count: 6) == [nil, 0, nil, 2, nil, nil])
    #expect(Self.decide(chain, count: 6, prefers: { $0 > $1 }) == [nil, 2, nil, 4, nil, nil])
    let four = Array(chain.prefix(3))
    #expect(Self.decide(four, count: 4, prefers: { $0 > $1 }) == [1, nil, 3, nil])
  }

  /// A record like two kept records is dropped for the more similar one; on equal similarity,
  /// for the preferred one.
  @Test func mostSimilarKeptRecordIsNamed() {
    #expect(Self.decide([(0, 2, 0.85), (1, 2, 0.95)], count: 3) == [nil, nil, 1])
    #expect(Self.decide([(0, 2, 0.9), (1, 2, 0.9)], count: 3) == [nil, nil, 0])
    // A dropped neighbour does not count: 2 is like 1 only, which is dropped for 0.
    #expect(Self.decide([(0, 1, 0.9), (1, 2, 0.95)], count: 3) == [nil, 0, nil])
  }
}
