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
  /// Buckets up to this size pair every two members.
  ///
  /// A larger bucket is what thousands of records sharing a long boilerplate (the same system
  /// prompt) make: its key says little, so its members are sorted by the key of each of
  /// ``LSHBanding/otherBands`` other bands in turn (then by record), and in each order each
  /// member is paired with the next ``LSHBanding/window`` members only. That keeps the work
  /// linear, and the similar records inside such a bucket (a template copied a thousand times
  /// with small edits) still end up next to each other in one of the orders and linked into one
  /// cluster.
  static let maxFullBucket = 64
  /// How many following members a member of a large bucket is paired with.
  static let window = 8
  /// How many other bands a large bucket is re-sorted by, each order with its own window.
  ///
  /// One order missed about 6% of the pairs just above the threshold among records sharing a
  /// 600-word system prompt: a pair whose keys differ in that one band lands far apart. With
  /// four orders a pair is missed only if it differs in all four (under 1% in that test); each
  /// order costs one sort and `window` pairs per member of a large bucket, nothing elsewhere.
  static let otherBands = 4

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
  ///   - signatures: every record's signature.
  ///   - threads: worker threads.
  ///   - keep: whether a pair counts (e.g. not two records of `--against` files).
  ///   - accept: a cheap filter run on each band's pairs (e.g. the signature estimate).
  func candidates(
    members: [UInt32], signatures: SignatureStore, threads: Int,
    keep: @escaping @Sendable (UInt32, UInt32) -> Bool,
    accept: @escaping @Sendable (UInt64) -> Bool
  ) -> [UInt64] {
    let perBand = ResultSlots<[UInt64]>(count: bands)
    let rows = self.rows
    do {
      let sig = signatures
      DispatchQueue.concurrentPerform(iterations: bands) { band in
        let (keys, shift) = sortedKeys(sig, members: members, band: band, rows: rows)
        let mask: UInt64 = (1 << shift) - 1
        @inline(__always) func key(_ k: Int) -> UInt64 { keys[k] >> shift }
        @inline(__always) func member(_ k: Int) -> UInt32 { members[Int(keys[k] & mask)] }
        var pairs: [UInt64] = []
        var large: [(UInt64, UInt32)] = []
        var i = 0
        while i < keys.count {
          var j = i + 1
          while j < keys.count && key(j) == key(i) { j += 1 }
          if j - i > LSHBanding.maxFullBucket {
            // Re-sort the bucket by other bands' keys, then pair neighbours.
            for step in 1...min(LSHBanding.otherBands, bands - 1) {
              let other = (band + step) % bands
              large.removeAll(keepingCapacity: true)
              for k in i..<j {
                large.append((bandKey(sig, record: member(k), band: other, rows: rows), member(k)))
              }
              large.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
              for a in 0..<large.count {
                for b in (a + 1)..<min(large.count, a + 1 + LSHBanding.window) {
                  let (x, y) =
                    large[a].1 < large[b].1 ? (large[a].1, large[b].1) : (large[b].1, large[a].1)
                  if keep(x, y) { pairs.append(UInt64(x) << 32 | UInt64(y)) }
                }
              }
            }
          } else if j - i > 1 {
            for a in i..<(j - 1) {
              for b in (a + 1)..<j where keep(member(a), member(b)) {
                pairs.append(UInt64(member(a)) << 32 | UInt64(member(b)))
              }
            }
          }
          i = j
        }
        // Drop pairs whose signatures already say they are far apart, before they are merged.
        // The two signatures of a pair are random places in a large table: fetched a few
        // pairs ahead, so that the check does not wait on memory.
        let ahead = 8
        var kept = 0
        for k in pairs.indices {
          if k + ahead < pairs.count {
            sig.prefetch(Int(pairs[k + ahead] >> 32))
            sig.prefetch(Int(pairs[k + ahead] & 0xFFFF_FFFF))
          }
          if accept(pairs[k]) {
            pairs[kept] = pairs[k]
            kept += 1
          }
        }
        pairs.removeSubrange(kept...)
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

/// The members' keys for one band, sorted by key and then by record, each packed with the
/// member's position: the key's top bits above `shift`, the position below.
///
/// One 64-bit word per member sorts quickly (radix sort) and takes little memory. With
/// fewer than 2^24 members 40 key bits remain, else 32; two records whose keys agree only in
/// those bits become one extra candidate pair, which the signature check then drops.
private func sortedKeys(
  _ sig: SignatureStore, members: [UInt32], band: Int, rows: Int
) -> (keys: [UInt64], shift: UInt64) {
  let shift: UInt64 = members.count < 1 << 24 ? 24 : 32
  let positionMask: UInt64 = (1 << shift) - 1
  var packed = [UInt64](repeating: 0, count: members.count)
  // One band is a few bytes of each 256-byte signature: fetched ahead, or every member waits
  // on memory (about half of this function's time before).
  let ahead = 16
  let bins = (band * rows)..<((band + 1) * rows)
  for (position, m) in members.enumerated() {
    if position + ahead < members.count { sig.prefetch(Int(members[position + ahead]), bins: bins) }
    packed[position] =
      bandKey(sig, record: m, band: band, rows: rows) & ~positionMask | UInt64(position)
  }
  // The positions below `shift` ascend already, so only the key bits need sorting.
  radixSort(&packed, fromBit: Int(shift))
  return (packed, shift)
}

/// The hash of one band of a record's signature.
@inline(__always)
private func bandKey(_ sig: SignatureStore, record: UInt32, band: Int, rows: Int) -> UInt64 {
  let bins = sig[Int(record)]
  let base = band * rows
  var h: UInt64 = 0x6A09_E667_F3BC_C908 &+ UInt64(band)
  for r in 0..<rows {
    h = StableHash.rotate(h, 16) ^ UInt64(bins[base + r])
    h &*= 0x9E37_79B9_7F4A_7C15
  }
  return StableHash.avalanche(h)
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
