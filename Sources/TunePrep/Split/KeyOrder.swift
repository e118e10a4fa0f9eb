/// Orders records by a 64-bit key (ties by index), the way `split` finds records that share a
/// key: exact duplicates, `--group` values, and exact leaks between splits.
///
/// The keys are hashes, so their top bits spread records evenly over about `n / 2` buckets: one
/// counting pass, one scatter pass (both sequential over the keys), then each bucket, two
/// records on average, is sorted in place. That is linear in time where a comparison sort of
/// a million records took about 150 ms, and needs 4 bytes per record for the result plus a
/// bucket table of 2 bytes per record. A bucket that is large anyway (a key many records
/// share, such as "missing") falls back to a comparison sort.
enum KeyOrder {
  /// Record indices sorted by `(key(i), i)`.
  /// - Parameters:
  ///   - count: the number of records.
  ///   - key: the key of record `i`; called about three times per record.
  /// - Returns: the indices `0..<count` in key order, equal keys in index order.
  static func sorted(count n: Int, key: (Int) -> UInt64) -> [UInt32] {
    guard n > 1 else { return (0..<n).map { UInt32($0) } }
    // About two records per bucket: 2^bits ≈ n / 2.
    let bits = max(1, min(24, (Int.bitWidth - (n - 1).leadingZeroBitCount) - 1))
    let shift = UInt64(64 - bits)
    let buckets = 1 << bits
    // Bucket b's records go to order[bounds[b]..<bounds[b + 1]]; one more entry is room for
    // the counting trick below.
    var bounds = [UInt32](repeating: 0, count: buckets + 2)
    var order = [UInt32](repeating: 0, count: n)
    bounds.withUnsafeMutableBufferPointer { bounds in
      order.withUnsafeMutableBufferPointer { order in
        // Count bucket b at b + 2; the running sum then leaves bucket b's start at b + 1.
        for i in 0..<n { bounds[Int(truncatingIfNeeded: key(i) >> shift) &+ 2] &+= 1 }
        for b in 2..<bounds.count { bounds[b] &+= bounds[b - 1] }
        // Scatter in index order (so each bucket is in index order), using bounds[b + 1] as
        // bucket b's fill position; it ends at bucket b's end, which is bucket b + 1's start.
        for i in 0..<n {
          let b = Int(truncatingIfNeeded: key(i) >> shift)
          order[Int(bounds[b &+ 1])] = UInt32(truncatingIfNeeded: i)
          bounds[b &+ 1] &+= 1
        }
        for b in 0..<buckets {
          let start = Int(bounds[b])
          let end = Int(bounds[b + 1])
          if end - start > 1 { sortBucket(order, start, end, key) }
        }
      }
    }
    return order
  }

  /// Sorts `order[start..<end]` (in index order already) by key, keeping index order for
  /// equal keys: insertion sort for a few records, a comparison sort for many.
  private static func sortBucket(
    _ order: UnsafeMutableBufferPointer<UInt32>, _ start: Int, _ end: Int, _ key: (Int) -> UInt64
  ) {
    if end - start > 32 {
      var bucket = UnsafeMutableBufferPointer(rebasing: order[start..<end])
      bucket.sort { a, b in
        let ka = key(Int(a))
        let kb = key(Int(b))
        return ka != kb ? ka < kb : a < b
      }
      return
    }
    var i = start + 1
    while i < end {
      let moving = order[i]
      let k = key(Int(moving))
      var j = i
      while j > start && key(Int(order[j - 1])) > k {
        order[j] = order[j - 1]
        j -= 1
      }
      order[j] = moving
      i += 1
    }
  }
}
