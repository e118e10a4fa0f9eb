import Testing

@testable import TunePrep

/// ``LongPieceMerger`` against a direct quadratic merge on made-up vocabularies: every
/// substring of a small alphabet gets a random rank (or none), so ties, lower ranks appearing
/// after a merge and long runs of one letter all occur.
struct LongPieceMergerTests {
  /// The reference: merge the lowest-ranked adjacent pair, leftmost on ties, until none joins.
  private func quadratic(_ bytes: [UInt8], _ rank: ([UInt8]) -> UInt32?) -> [[UInt8]] {
    var tokens = bytes.map { [$0] }
    while true {
      var best: (rank: UInt32, at: Int)?
      for k in 0..<max(tokens.count - 1, 0) {
        if let r = rank(tokens[k] + tokens[k + 1]), best.map({ r < $0.rank }) ?? true {
          best = (r, k)
        }
      }
      guard let (_, at) = best else { return tokens }
      tokens[at] += tokens[at + 1]
      tokens.remove(at: at + 1)
    }
  }

  private func heapMerge(_ bytes: [UInt8], _ rank: ([UInt8]) -> UInt32?) -> [[UInt8]] {
    var merger = LongPieceMerger(length: bytes.count)
    var out: [[UInt8]] = []
    merger.run(
      rankOf: { start, _, end in rank(Array(bytes[start..<end])) },
      merged: { _, _, _ in },
      emit: { start, end in out.append(Array(bytes[start..<end])) })
    return out
  }

  /// Ranks drawn below `rankCeiling`: a small ceiling takes the counting-sort start, a huge
  /// one the comparison sort.
  @Test(arguments: [UInt32(40), UInt32(3_000_000_000)])
  func matchesTheQuadraticMerge(rankCeiling: UInt32) {
    var generator = SplitMix64(state: UInt64(rankCeiling))
    for round in 0..<300 {
      let alphabet = UInt8(2 + round % 3)
      var table: [[UInt8]: UInt32] = [:]
      func rank(_ s: [UInt8]) -> UInt32? {
        guard s.count <= 6 else { return nil }
        if let r = table[s] { return r == .max ? nil : r }
        // About one substring in four has no token.
        let draw = generator.next()
        let r = draw % 4 == 0 ? UInt32.max : UInt32((draw >> 8) % UInt64(rankCeiling))
        table[s] = r
        return r == .max ? nil : r
      }
      let length = 1 + Int(generator.next() % 120)
      let bytes = (0..<length).map { _ in
        UInt8(ascii: "a") + UInt8(generator.next() % UInt64(alphabet))
      }
      let want = quadratic(bytes, rank)
      let got = heapMerge(bytes, rank)
      #expect(got == want, "round \(round): \(String(decoding: bytes, as: UTF8.self))")
      if got != want { return }
    }
  }

  @Test func emptyAndSingleBytePieces() {
    #expect(heapMerge([], { _ in 1 }).isEmpty)
    #expect(heapMerge([7], { _ in 1 }) == [[7]])
    #expect(heapMerge([7, 7], { _ in nil }) == [[7], [7]])
  }
}
