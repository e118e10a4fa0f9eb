/// Byte-pair merging for long pieces in O(n log n), with exactly the result of the quadratic
/// scan in ``Tokenizer``: the pair of lowest rank is merged first, the leftmost on ties.
///
/// Tokens form a linked list over the piece's bytes; candidate pairs sit in a min-heap keyed
/// `rank << 32 | start`, so the heap order is (rank, position). Entries that no longer
/// describe the current pair at their position are skipped when they surface.
///
/// A piece of millions of bytes (one unbroken word) makes a heap far larger than the caches, so
/// the heap is 8-ary with every node's children on one 64-byte line: a pop misses the cache
/// about a third as often as in a binary heap. The first pairs, one per byte, are sorted by
/// rank with a counting sort, and a sorted array is already a heap.
struct LongPieceMerger: ~Copyable {
  /// The token list and pair ranks, one entry per byte, kept together so that visiting a
  /// position costs one cache miss, not three.
  private let nodes: UnsafeMutablePointer<Node>
  private var heap: Heap
  let length: Int

  private static let noPair = UInt32.max
  private static let noToken = UInt32.max - 1

  private struct Node {
    /// Start byte of the token after the one starting here (or `length`).
    var next: Int32
    /// Start byte of the token before the one starting here (or -1).
    var prev: Int32
    /// The rank of the pair that starts here, ``noPair``, or ``noToken`` when no token
    /// starts here any more.
    var rank: UInt32
  }

  init(length: Int) {
    precondition(length < Int(Int32.max), "a piece is longer than 2 GiB")
    self.length = length
    nodes = .allocate(capacity: max(length, 1))
    for i in 0..<length {
      nodes[i] = Node(next: Int32(i + 1), prev: Int32(i - 1), rank: Self.noPair)
    }
    heap = Heap(capacity: length + length / 2 + 8)
  }

  deinit { nodes.deallocate() }

  /// Runs the merge.
  /// - Parameters:
  ///   - rankOf: the rank of joining the token `start..<mid` with the token `mid..<end`, or
  ///     `nil` when they do not join. Ranks must be below `UInt32.max - 1`.
  ///   - merged: called when `start..<mid` and `mid..<end` become one token.
  ///   - emit: called with the start and end of each final token, in order.
  mutating func run(
    rankOf: (_ start: Int, _ mid: Int, _ end: Int) -> UInt32?,
    merged: (_ start: Int, _ mid: Int, _ end: Int) -> Void,
    emit: (_ start: Int, _ end: Int) -> Void
  ) {
    let nodes = self.nodes
    let length = self.length
    // Every byte starts a token: the first pairs are bytes i and i + 1.
    var maxRank: UInt32 = 0
    for i in 0..<length {
      let r = i + 2 <= length ? rankOf(i, i + 1, i + 2) ?? Self.noPair : Self.noPair
      precondition(r != Self.noToken, "a rank collides with the merger's marker")
      nodes[i].rank = r
      if r != Self.noPair { maxRank = max(maxRank, r) }
    }
    heap.fillSorted(nodes: nodes, count: length, maxRank: maxRank)

    while let key = heap.pop() {
      let i = Int(key & 0xFFFF_FFFF)
      guard nodes[i].rank == UInt32(truncatingIfNeeded: key >> 32) else { continue }
      let j = Int(nodes[i].next)
      nodes[j].rank = Self.noToken
      let k = Int(nodes[j].next)
      merged(i, j, k)
      nodes[i].next = Int32(k)
      if k < length { nodes[k].prev = Int32(i) }
      refresh(i, rankOf)
      let p = Int(nodes[i].prev)
      if p >= 0 { refresh(p, rankOf) }
    }
    var i = 0
    while i < length {
      let j = Int(nodes[i].next)
      emit(i, j)
      i = j
    }
  }

  /// Sets the rank of the pair that starts at token `i`, and queues it.
  @inline(__always)
  private mutating func refresh(_ i: Int, _ rankOf: (Int, Int, Int) -> UInt32?) {
    let j = Int(nodes[i].next)
    guard j < length, let r = rankOf(i, j, Int(nodes[j].next)) else {
      nodes[i].rank = Self.noPair
      return
    }
    nodes[i].rank = r
    heap.push(UInt64(r) << 32 | UInt64(i))
  }

  /// An 8-ary min-heap of `UInt64` keys whose sibling groups each fill one 64-byte line.
  ///
  /// Logical node `n` lives at storage index `n + 7`, so the children of `n` (logical
  /// `8n + 1 ... 8n + 8`) sit at storage `8(n + 1) ... 8(n + 1) + 7`, one aligned line.
  private struct Heap: ~Copyable {
    private var base: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
      self.capacity = max(capacity, 8)
      base = Self.allocate(self.capacity)
    }

    deinit { (UnsafeMutableRawPointer(base) - 56).deallocate() }

    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<UInt64> {
      let raw = UnsafeMutableRawPointer.allocate(byteCount: (capacity + 8) * 8, alignment: 64)
      return (raw + 56).assumingMemoryBound(to: UInt64.self)
    }

    /// Replaces the contents with the key of every pair in `nodes`, sorted by (rank,
    /// position): counting sort by rank over positions taken in order.
    mutating func fillSorted(nodes: UnsafeMutablePointer<Node>, count n: Int, maxRank: UInt32) {
      let noPair = LongPieceMerger.noPair
      count = 0
      var pairs = 0
      for i in 0..<n where nodes[i].rank != noPair { pairs += 1 }
      reserve(pairs)
      if pairs == 0 { return }
      if Int(maxRank) <= 4 * n + 65_536 {
        var starts = [Int](repeating: 0, count: Int(maxRank) + 2)
        for i in 0..<n where nodes[i].rank != noPair { starts[Int(nodes[i].rank) + 1] += 1 }
        for r in 0..<(starts.count - 1) { starts[r + 1] += starts[r] }
        for i in 0..<n where nodes[i].rank != noPair {
          let r = Int(nodes[i].rank)
          base[starts[r]] = UInt64(nodes[i].rank) << 32 | UInt64(i)
          starts[r] += 1
        }
      } else {
        var k = 0
        for i in 0..<n where nodes[i].rank != noPair {
          base[k] = UInt64(nodes[i].rank) << 32 | UInt64(i)
          k += 1
        }
        var keys = UnsafeMutableBufferPointer(start: base, count: pairs)
        keys.sort()
      }
      count = pairs
    }

    private mutating func reserve(_ needed: Int) {
      guard needed > capacity else { return }
      let grown = max(needed, capacity + capacity / 2)
      let fresh = Self.allocate(grown)
      fresh.update(from: base, count: count)
      (UnsafeMutableRawPointer(base) - 56).deallocate()
      base = fresh
      capacity = grown
    }

    mutating func push(_ key: UInt64) {
      if count == capacity { reserve(count + 1) }
      var hole = count
      count += 1
      while hole > 0 {
        let parent = (hole - 1) >> 3
        let above = base[parent]
        if above <= key { break }
        base[hole] = above
        hole = parent
      }
      base[hole] = key
    }

    mutating func pop() -> UInt64? {
      guard count > 0 else { return nil }
      let top = base[0]
      count -= 1
      let n = count
      guard n > 0 else { return top }
      let moving = base[n]
      var hole = 0
      while true {
        let first = 8 * hole + 1
        if first >= n { break }
        let last = min(first + 8, n)
        var best = first
        var bestKey = base[first]
        var c = first + 1
        while c < last {
          let v = base[c]
          if v < bestKey {
            bestKey = v
            best = c
          }
          c += 1
        }
        if moving <= bestKey { break }
        base[hole] = bestKey
        hole = best
      }
      base[hole] = moving
      return top
    }
  }
}
