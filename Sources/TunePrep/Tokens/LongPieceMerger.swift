/// Byte-pair merging for long pieces in O(n log n), with exactly the result of the quadratic
/// scan in ``Tokenizer``: the pair of lowest rank is merged first, the leftmost on ties.
///
/// Tokens form a linked list over the piece's bytes; candidate pairs sit in a binary min-heap
/// keyed `rank << 32 | start`, so the heap order is (rank, position). Entries that no longer
/// describe the current pair at their position are skipped when they surface.
struct LongPieceMerger {
  /// Start byte of the token after the one starting at `i` (or `length`).
  private var next: [Int32]
  /// Start byte of the token before the one starting at `i` (or -1).
  private var prev: [Int32]
  /// The current pair key (`rank << 32 | payload`) of the token starting at `i`, or `.max`.
  private var pair: [UInt64]
  /// Whether a token starts at byte `i`.
  private var alive: [Bool]
  private var heap: [UInt64] = []
  let length: Int

  init(length: Int) {
    self.length = length
    next = (0..<length).map { Int32($0 + 1) }
    prev = (0..<length).map { Int32($0 - 1) }
    pair = [UInt64](repeating: .max, count: length)
    alive = [Bool](repeating: true, count: length)
    heap.reserveCapacity(length)
  }

  private mutating func push(_ key: UInt64) {
    heap.append(key)
    var i = heap.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      if heap[parent] <= heap[i] { break }
      heap.swapAt(parent, i)
      i = parent
    }
  }

  private mutating func pop() -> UInt64? {
    guard let last = heap.popLast() else { return nil }
    guard !heap.isEmpty else { return last }
    let top = heap[0]
    heap[0] = last
    var i = 0
    let n = heap.count
    while true {
      let l = 2 * i + 1
      if l >= n { break }
      var m = l
      if l + 1 < n && heap[l + 1] < heap[l] { m = l + 1 }
      if heap[i] <= heap[m] { break }
      heap.swapAt(i, m)
      i = m
    }
    return top
  }

  /// Runs the merge.
  /// - Parameters:
  ///   - rankOf: the rank of joining the token `start..<mid` with the token `mid..<end`, or
  ///     `nil` when they do not join.
  ///   - merged: called when `start..<mid` and `mid..<end` become one token.
  ///   - emit: called with the start and end of each final token, in order.
  mutating func run(
    rankOf: (_ start: Int, _ mid: Int, _ end: Int) -> UInt32?,
    merged: (_ start: Int, _ mid: Int, _ end: Int) -> Void,
    emit: (_ start: Int, _ end: Int) -> Void
  ) {
    func refresh(_ i: Int) {
      let j = Int(next[i])
      let e = j < length ? Int(next[j]) : -1
      if e >= 0, let r = rankOf(i, j, e) {
        pair[i] = UInt64(r) << 32 | UInt64(i)
        push(pair[i])
      } else {
        pair[i] = .max
      }
    }
    for i in 0..<length { refresh(i) }
    while let key = pop() {
      let i = Int(key & 0xFFFF_FFFF)
      guard alive[i], pair[i] == key else { continue }
      let j = Int(next[i])
      alive[j] = false
      let k = Int(next[j])
      merged(i, j, k)
      next[i] = Int32(k)
      if k < length { prev[k] = Int32(i) }
      refresh(i)
      let p = Int(prev[i])
      if p >= 0 { refresh(p) }
    }
    var i = 0
    while i < length {
      let j = Int(next[i])
      emit(i, j)
      i = j
    }
  }
}
