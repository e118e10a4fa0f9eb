/// A verified near-duplicate pair of input records: `a < b`, exact Jaccard at or above the
/// threshold.
struct NearPair {
  var a: UInt32
  var b: UInt32
  var similarity: Float
}

extension Deduplicator {
  /// How many times the decisions are made again with pairs that LSH missed (see
  /// ``decideNearDuplicates(_:inputCount:pairs:verified:verifier:threads:_:)``).
  static let nearRounds = 8

  /// Decides which input records joined by verified near-duplicate pairs are dropped.
  ///
  /// The records are taken in `--keep`'s order of preference (input order for `first`, the
  /// reverse for `last`, the most text first for `longest`, ties to the earliest). A record
  /// that has a pair with a record already kept is dropped as `dup.near` of the most similar
  /// of those (the preferred one on ties), with their Jaccard; any other record is kept. So a
  /// dropped record is always a near duplicate of the kept record its finding names, and a
  /// chain of pairs (A like B, B like C) never drops a record unlike every kept one: C is kept
  /// when B is dropped for A and C is not like A.
  ///
  /// LSH can miss a pair. When a kept record has a pair with a dropped one, its pair with the
  /// record that one was dropped for is verified too (A and C above, when the candidates held
  /// only A–B and B–C), and the decisions are made again with the pairs found, until no such
  /// pair is left to verify (at most ``nearRounds`` times).
  /// - Parameters:
  ///   - pairs: the verified pairs of input records still in.
  ///   - verified: every candidate pair already verified (`a << 32 | b`), sorted.
  func decideNearDuplicates(
    _ table: RecordTable, inputCount: Int, pairs: [NearPair], verified: [UInt64],
    verifier: Verifier, threads: Int, _ d: inout Decisions
  ) throws(TunePrepError) {
    guard !pairs.isEmpty else { return }
    var pairs = pairs
    var checked: Set<UInt64> = []
    var greedy = NearGreedy()
    for round in 0..<Self.nearRounds {
      greedy.decide(pairs, inputCount: inputCount) { prefers($0, over: $1, table) }
      guard round + 1 < Self.nearRounds else { break }
      // Kept records next to a dropped one: their pair with the record it was dropped for.
      var missing: [UInt64] = []
      for m in greedy.order where greedy.droppedFor[Int(m)] == UInt32.max {
        for k in greedy.neighbours(of: m) {
          let kept = greedy.droppedFor[Int(greedy.neighbour[k])]
          guard kept != UInt32.max && kept != m else { continue }
          let key = pairKey(m, kept)
          if !checked.contains(key) && !contains(verified, key) { missing.append(key) }
        }
      }
      if missing.isEmpty { break }
      missing.sort()
      var unique: [UInt64] = []
      for key in missing where unique.last != key { unique.append(key) }
      let similarities = try verifier.jaccard(unique, table: table, threads: threads)
      for (k, key) in unique.enumerated() {
        checked.insert(key)
        guard similarities[k] >= options.threshold else { continue }
        pairs.append(
          NearPair(
            a: UInt32(key >> 32), b: UInt32(key & 0xFFFF_FFFF), similarity: Float(similarities[k])))
      }
    }
    for m in greedy.order {
      let kept = greedy.droppedFor[Int(m)]
      guard kept != UInt32.max else { continue }
      d.set(Int(m), .dupNear, related: kept, similarity: greedy.similarity[Int(m)])
    }
  }
}

/// Whether a sorted array holds `key`.
private func contains(_ sorted: [UInt64], _ key: UInt64) -> Bool {
  var low = 0
  var high = sorted.count
  while low < high {
    let mid = (low + high) / 2
    if sorted[mid] < key { low = mid + 1 } else { high = mid }
  }
  return low < sorted.count && sorted[low] == key
}

/// The greedy near-duplicate decisions over a set of verified pairs (see
/// ``Deduplicator/decideNearDuplicates(_:inputCount:pairs:verified:verifier:threads:_:)``).
///
/// Per input record 13 bytes (where its pairs start, the record it is dropped for, the
/// similarity, its state), plus 8 bytes per pair end.
struct NearGreedy {
  /// The records that have a pair, in order of preference.
  private(set) var order: [UInt32] = []
  /// The record each input record is dropped for (`UInt32.max`: kept).
  private(set) var droppedFor: [UInt32] = []
  /// The Jaccard of each dropped record with the record it is dropped for.
  private(set) var similarity: [Float] = []
  /// Where each record's neighbours start in ``neighbour`` (input count + 1 entries).
  private var start: [UInt32] = []
  /// The other record of each pair end, grouped by record.
  private(set) var neighbour: [UInt32] = []
  private var pairSimilarity: [Float] = []

  /// The positions in ``neighbour`` of the records paired with `m`.
  func neighbours(of m: UInt32) -> Range<Int> { Int(start[Int(m)])..<Int(start[Int(m) + 1]) }

  /// Decides every record of `pairs`.
  /// - Parameter prefers: whether the first record survives rather than the second
  ///   (`--keep`); a strict order.
  mutating func decide(
    _ pairs: [NearPair], inputCount: Int, prefers: (UInt32, UInt32) -> Bool
  ) {
    start = [UInt32](repeating: 0, count: inputCount + 1)
    for p in pairs {
      start[Int(p.a) + 1] += 1
      start[Int(p.b) + 1] += 1
    }
    order.removeAll(keepingCapacity: true)
    for i in 0..<inputCount {
      if start[i + 1] > 0 { order.append(UInt32(i)) }
      start[i + 1] += start[i]
    }
    neighbour = [UInt32](repeating: 0, count: pairs.count * 2)
    pairSimilarity = [Float](repeating: 0, count: pairs.count * 2)
    var fill = start
    for p in pairs {
      var k = Int(fill[Int(p.a)])
      neighbour[k] = p.b
      pairSimilarity[k] = p.similarity
      fill[Int(p.a)] += 1
      k = Int(fill[Int(p.b)])
      neighbour[k] = p.a
      pairSimilarity[k] = p.similarity
      fill[Int(p.b)] += 1
    }
    order.sort(by: prefers)
    droppedFor = [UInt32](repeating: UInt32.max, count: inputCount)
    similarity = [Float](repeating: 0, count: inputCount)
    // 0: not decided yet, 1: kept, 2: dropped.
    var state = [UInt8](repeating: 0, count: inputCount)
    for m in order {
      var best = UInt32.max
      var bestSimilarity: Float = 0
      for k in neighbours(of: m) where state[Int(neighbour[k])] == 1 {
        let n = neighbour[k]
        let s = pairSimilarity[k]
        if best == UInt32.max || s > bestSimilarity || (s == bestSimilarity && prefers(n, best)) {
          best = n
          bestSimilarity = s
        }
      }
      if best == UInt32.max {
        state[Int(m)] = 1
      } else {
        state[Int(m)] = 2
        droppedFor[Int(m)] = best
        similarity[Int(m)] = bestSimilarity
      }
    }
  }
}
