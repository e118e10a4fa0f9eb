internal import Dispatch

/// Locality-sensitive hashing over MinHash signatures: the signature is cut into `bands` bands
/// of `rows` bins, and two records become a candidate pair when any band is equal.
///
/// The chance that a pair with similarity J becomes a candidate is 1 − (1 − J^rows)^bands.
/// Banding tuned *at* the threshold misses about half of the pairs just above it, so
/// ``LSHBanding/init(threshold:)`` picks the narrowest banding that still catches pairs 0.05
/// *below* the threshold with probability ≥ 0.995; verification then drops the extra
/// candidates.
struct LSHBanding: Sendable, Equatable {
  let rows: Int
  let bands: Int
  /// Buckets larger than this pair each member with the next `maxBucketPairs` members only,
  /// so a pathological bucket (thousands of records sharing a long boilerplate) cannot make
  /// the candidate count quadratic.
  static let maxBucketPairs = 1000

  init(rows: Int, bands: Int) {
    self.rows = rows
    self.bands = bands
  }

  /// The banding for `threshold` over ``MinHash/size`` bins.
  init(threshold: Double) {
    let target = max(0.05, threshold - 0.05)
    var best = LSHBanding(rows: 1, bands: MinHash.size)
    for rows in 1...16 {
      let bands = MinHash.size / rows
      if LSHBanding(rows: rows, bands: bands).probability(target) >= 0.995 {
        best = LSHBanding(rows: rows, bands: bands)
      }
    }
    self = best
  }

  /// The probability that a pair with similarity `j` becomes a candidate.
  func probability(_ j: Double) -> Double {
    var p = 1.0
    for _ in 0..<rows { p *= j }
    var miss = 1.0
    for _ in 0..<bands { miss *= 1 - p }
    return 1 - miss
  }

  /// The candidate pairs among `members` (record indices, ascending), each as
  /// `first << 32 | second` with first < second, sorted and distinct.
  /// - Parameters:
  ///   - members: the records that take part.
  ///   - signatures: every record's signature, ``MinHash/size`` bins per record.
  ///   - keep: whether a pair counts (e.g. not two records of `--against` files).
  ///   - threads: worker threads.
  func candidates(
    members: [UInt32], signatures: [UInt16], threads: Int, keep: @escaping @Sendable (UInt32, UInt32) -> Bool
  ) -> [UInt64] {
    let perBand = ResultSlots<[UInt64]>(count: bands)
    let rows = self.rows
    signatures.withUnsafeBufferPointer { sig in
      let sigBox = UnsafeSendable(sig)
      DispatchQueue.concurrentPerform(iterations: bands) { band in
        let sig = sigBox.value
        var keys: [(UInt64, UInt32)] = []
        keys.reserveCapacity(members.count)
        for m in members {
          let base = Int(m) * MinHash.size + band * rows
          var h: UInt64 = 0x6A09_E667_F3BC_C908 &+ UInt64(band)
          for r in 0..<rows {
            h = StableHash.rotate(h, 16) ^ UInt64(sig[base + r])
            h &*= 0x9E37_79B9_7F4A_7C15
          }
          keys.append((StableHash.avalanche(h), m))
        }
        keys.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var pairs: [UInt64] = []
        var i = 0
        while i < keys.count {
          var j = i + 1
          while j < keys.count && keys[j].0 == keys[i].0 { j += 1 }
          if j - i > 1 {
            for a in i..<(j - 1) {
              let last = min(j, a + 1 + LSHBanding.maxBucketPairs)
              for b in (a + 1)..<last where keep(keys[a].1, keys[b].1) {
                pairs.append(UInt64(keys[a].1) << 32 | UInt64(keys[b].1))
              }
            }
          }
          i = j
        }
        perBand.set(band, pairs)
      }
    }
    var all: [UInt64] = []
    for band in 0..<bands { all.append(contentsOf: perBand.get(band) ?? []) }
    all.sort()
    var w = 0
    for r in 0..<all.count where w == 0 || all[r] != all[w - 1] {
      all[w] = all[r]
      w += 1
    }
    all.removeSubrange(w...)
    return all
  }
}

/// Per-iteration results of `concurrentPerform`; iteration `i` writes slot `i` only.
final class ResultSlots<T>: @unchecked Sendable {
  private let slots: UnsafeMutablePointer<T?>
  private let count: Int

  init(count: Int) {
    self.count = count
    slots = UnsafeMutablePointer<T?>.allocate(capacity: max(count, 1))
    slots.initialize(repeating: nil, count: count)
  }

  deinit {
    slots.deinitialize(count: count)
    slots.deallocate()
  }

  func set(_ i: Int, _ value: T) {
    slots[i] = value
  }

  func get(_ i: Int) -> T? {
    slots[i]
  }
}

/// A value handed to `concurrentPerform` iterations that only read it.
struct UnsafeSendable<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}

/// Disjoint sets over record indices with path halving and union by index: the root of a set
/// is always its smallest index, so the result does not depend on the order of unions.
struct UnionFind {
  private var parent: [UInt32]

  init(count: Int) {
    parent = (0..<count).map { UInt32($0) }
  }

  mutating func find(_ x: UInt32) -> UInt32 {
    var x = x
    while parent[Int(x)] != x {
      parent[Int(x)] = parent[Int(parent[Int(x)])]
      x = parent[Int(x)]
    }
    return x
  }

  mutating func union(_ a: UInt32, _ b: UInt32) {
    let ra = find(a)
    let rb = find(b)
    if ra == rb { return }
    if ra < rb { parent[Int(rb)] = ra } else { parent[Int(ra)] = rb }
  }
}
