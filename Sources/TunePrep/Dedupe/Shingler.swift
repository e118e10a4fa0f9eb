/// What a near-duplicate comparison counts as a shingle: `--shingle words:N|chars:N`.
public enum Shingling: Sendable, Equatable, CustomStringConvertible {
  /// N consecutive whitespace-separated words (default 5).
  case words(Int)
  /// N consecutive Unicode scalars, for text without spaces between words (CJK).
  case chars(Int)

  /// The default: word 5-grams.
  public static let standard = Shingling.words(5)

  /// The shingle sizes N that `words:N` and `chars:N` take: 1 to 64.
  public static let sizes = 1...64

  /// Parses `words:N` or `chars:N` (N in ``sizes``, decimal digits only).
  public init?(argument: String) {
    let parts = argument.split(separator: ":", maxSplits: 1)
    guard parts.count == 2, parts[1].allSatisfy({ ("0"..."9").contains($0) }),
      let n = Int(parts[1]), Self.sizes.contains(n)
    else { return nil }
    switch parts[0] {
    case "words": self = .words(n)
    case "chars": self = .chars(n)
    default: return nil
    }
  }

  /// The `--shingle` form of the setting: `words:N` or `chars:N`.
  public var description: String {
    switch self {
    case .words(let n): "words:\(n)"
    case .chars(let n): "chars:\(n)"
    }
  }
}

/// Turns key bytes (see ``KeyBuilder``) into shingle hashes, and shingle hashes into a MinHash
/// signature.
///
/// Key bytes below 0x21 (tags, terminators, whitespace) separate words. Texts are joined, so a
/// shingle may span two messages, as in the corpus generator's definition.
///
/// Words between the context marks 0x0F and 0x10 (an assistant message with weight 0, see
/// ``KeyBuilder/weightZeroApart``) are hashed with another seed: a word the model only reads
/// is not the same shingle token as the same word it is trained to write, so an example and
/// the same example with an answer at weight 0 share only the shingles that touch no such
/// answer, as their exact keys differ.
struct Shingler {
  let shingling: Shingling
  /// ``shingleSet(_:into:)``'s bucket sort target, kept between records.
  private var scratch: [UInt64] = []

  init(_ shingling: Shingling) {
    self.shingling = shingling
  }

  /// Calls `body` with the hash of every shingle of `key` (repeats included).
  ///
  /// Inlined so that `body` (MinHash's bin update, or an append) is inlined into the token
  /// loop: as a closure call it spilled the loop's registers for every shingle.
  /// - Parameters:
  ///   - key: the key bytes.
  ///   - marksContext: whether `key` has context marks (``KeyBuilder/marksContext``); only
  ///     then does the word loop look for them, so keys without any pay nothing.
  ///   - body: called with each shingle's hash.
  /// - Returns: the number of shingles.
  @discardableResult
  @inline(__always)
  func forEachShingle(
    _ key: UnsafeBufferPointer<UInt8>, marksContext: Bool = false, _ body: (UInt64) -> Void
  ) -> Int {
    switch shingling {
    case .words(let n):
      // Two copies of the loop, each with the flag a constant.
      return marksContext
        ? Self.wordShingles(key, n, marks: true, body)
        : Self.wordShingles(key, n, marks: false, body)
    case .chars(let n): return Self.charShingles(key, n, body)
    }
  }

  /// The seed of a word's hash.
  private static let wordSeed: UInt64 = 0x243F_6A88_85A3_08D3
  /// The seed of a context word's hash (inside a weight-0 message).
  private static let contextWordSeed: UInt64 = 0x1319_8A2E_0370_7344
  /// The start of context words in a key.
  private static let contextStart: UInt8 = 0x0F
  /// The end of context words in a key.
  private static let contextEnd: UInt8 = 0x10

  /// Eight 0x21 bytes: subtracting them flags each byte below 0x21 (a separator).
  private static let separatorBias: UInt64 = 0x2121_2121_2121_2121
  /// The top bit of every byte.
  private static let highBits: UInt64 = 0x8080_8080_8080_8080

  /// Word shingles: each token hashed, the last `n` token hashes rolled into one.
  ///
  /// A token's hash is its bytes read as little-endian 8-byte words, each folded into the
  /// state, then the last 0–7 bytes as one zero-padded word mixed with 8 × their count (a
  /// token of exactly 8k bytes ends with a zero word and count). The token loop reads 8 bytes
  /// at a time and finds the token's end in them with a SWAR test, which gives the same words
  /// as shifting the bytes in one by one; only the last 7 bytes of the key go byte by byte.
  ///
  /// With `marks`, the separators are also tested for context marks: a context mark always
  /// follows a terminator (or starts the key), so it is never the one separator the token
  /// loop skips after a word.
  @inline(__always)
  private static func wordShingles(
    _ key: UnsafeBufferPointer<UInt8>, _ n: Int, marks: Bool, _ body: (UInt64) -> Void
  ) -> Int {
    guard let p = key.baseAddress else { return 0 }
    return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: n) { ring in
      var roller = Roller(n, ring: ring)
      var count = 0
      var i = 0
      let end = key.count
      var seed = wordSeed
      while i < end {
        while i < end && p[i] < 0x21 {
          if marks {
            if p[i] == contextStart {
              seed = contextWordSeed
            } else if p[i] == contextEnd {
              seed = wordSeed
            }
          }
          i += 1
        }
        if i == end { break }
        var h: UInt64 = seed
        var word: UInt64 = 0
        var shift: UInt64 = 0
        while true {
          guard i &+ 8 <= end else {
            // At most 7 bytes left.
            while i < end && p[i] >= 0x21 {
              word |= UInt64(p[i]) &<< shift
              shift += 8
              i += 1
            }
            break
          }
          let x = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
          // Flags every byte below 0x21 (bytes of 0x80 and above never are); a borrow can
          // also flag a byte above a flagged one, so only the lowest flag is exact.
          let separators = (x &- separatorBias) & ~x & highBits
          if separators == 0 {
            h = StableHash.fold(h ^ x, 0x9E37_79B9_7F4A_7C15)
            i &+= 8
            continue
          }
          // The first separator's bit index is 8 × its byte index + 7, so shift ≤ 56.
          shift = UInt64(separators.trailingZeroBitCount) & ~7
          word = x & ((1 &<< shift) &- 1)
          // Past the separator too: it is known, the skip loop need not test it again.
          i &+= Int(shift &>> 3) &+ 1
          break
        }
        h = StableHash.fold(h ^ word ^ shift, 0xA409_3822_299F_31D0)
        roller.push(h)
        // The roller's fill is the token count up to n: one counter fewer in the loop.
        if roller.filled == n {
          body(StableHash.avalanche(roller.value))
          count &+= 1
        }
      }
      if roller.filled > 0 && roller.filled < n {
        body(StableHash.avalanche(roller.value ^ UInt64(roller.filled)))
        count += 1
      }
      return count
    }
  }
  /// Character shingles: `n` consecutive Unicode scalars of the text, where every run of
  /// separators between two words counts as one space.
  ///
  /// Separators before the first word and after the last one make no space: the key ends with
  /// a terminator, which would otherwise add a shingle (the last characters and a space) that
  /// the text does not have. Characters and spaces between context marks are hashed with
  /// another salt, as words are in ``wordShingles(_:_:marks:_:)``.
  private static func charShingles(
    _ key: UnsafeBufferPointer<UInt8>, _ n: Int, _ body: (UInt64) -> Void
  ) -> Int {
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: n) { ring in
      var roller = Roller(n, ring: ring)
      var count = 0
      var scalars = 0
      var i = 0
      let end = key.count
      var started = false
      var pendingSpace = false
      var salt: UInt64 = charSalt
      while i < end {
        if key[i] < 0x21 {
          // A run of separators is one space, written once the next word begins.
          if key[i] == contextStart {
            salt = contextCharSalt
          } else if key[i] == contextEnd {
            salt = charSalt
          }
          i += 1
          pendingSpace = started
          continue
        }
        if pendingSpace {
          pendingSpace = false
          roller.push(StableHash.avalanche(0x20 &+ salt))
          scalars += 1
          if scalars >= n {
            body(StableHash.avalanche(roller.value))
            count += 1
          }
        }
        started = true
        var h = UInt64(key[i])
        i += 1
        while i < end && key[i] & 0xC0 == 0x80 {
          h = (h << 8) | UInt64(key[i])
          i += 1
        }
        roller.push(StableHash.avalanche(h &+ salt))
        scalars += 1
        if scalars >= n {
          body(StableHash.avalanche(roller.value))
          count += 1
        }
      }
      if scalars > 0 && scalars < n {
        body(StableHash.avalanche(roller.value ^ UInt64(scalars)))
        count += 1
      }
      return count
    }
  }

  /// The salt of a character's hash.
  private static let charSalt: UInt64 = 0x9E37_79B9_7F4A_7C15
  /// The salt of a context character's hash (inside a weight-0 message).
  private static let contextCharSalt: UInt64 = 0xA409_3822_299F_31D1

  /// A polynomial rolling hash over the last `n` item hashes: adding an item and dropping
  /// the oldest costs two multiplications, whatever `n` is.
  ///
  /// The ring of the last `n` items is the caller's stack buffer: a Swift array here would
  /// cost a uniqueness check on every push.
  private struct Roller {
    static let base: UInt64 = 0x9FB2_1C65_1E98_DF25
    let n: Int
    /// base^(n-1), the weight of the oldest item.
    let oldest: UInt64
    /// `n` slots; the first `filled` hold items.
    let ring: UnsafeMutableBufferPointer<UInt64>
    var value: UInt64 = 0
    var next = 0
    var filled = 0

    init(_ n: Int, ring: UnsafeMutableBufferPointer<UInt64>) {
      self.n = n
      self.ring = ring
      var p: UInt64 = 1
      for _ in 1..<max(n, 1) { p &*= Roller.base }
      oldest = p
    }

    @inline(__always)
    mutating func push(_ item: UInt64) {
      if filled == n {
        value &-= ring[next] &* oldest
      } else {
        filled &+= 1
      }
      value = value &* Roller.base &+ item
      ring[next] = item
      next &+= 1
      if next == n { next = 0 }
    }
  }

  /// The sorted, distinct shingle hashes of `key` (for exact Jaccard).
  /// - Parameters:
  ///   - key: the key bytes.
  ///   - marksContext: whether `key` has context marks (see ``forEachShingle(_:marksContext:_:)``).
  ///   - set: receives the hashes.
  mutating func shingleSet(
    _ key: UnsafeBufferPointer<UInt8>, marksContext: Bool = false, into set: inout [UInt64]
  ) {
    set.removeAll(keepingCapacity: true)
    // Through a stack batch: appending one by one cost a uniqueness check per shingle.
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 128) { batch in
      var k = 0
      forEachShingle(key, marksContext: marksContext) { h in
        batch[k] = h
        k &+= 1
        if k == batch.count {
          set.append(contentsOf: batch)
          k = 0
        }
      }
      set.append(contentsOf: UnsafeBufferPointer(rebasing: batch[..<k]))
    }
    let n = set.count
    if n < 2 { return }
    if scratch.count < n {
      scratch.append(contentsOf: repeatElement(0, count: n - scratch.count))
    }
    let distinct = set.withUnsafeMutableBufferPointer { values in
      scratch.withUnsafeMutableBufferPointer { Self.sortDistinct(values, scratch: $0) }
    }
    set.removeLast(n - distinct)
  }

  /// Sorts `values` and drops repeats, leaving the distinct values at the front.
  ///
  /// Shingle hashes are evenly spread, so one pass distributes them by their top bits into
  /// about half as many buckets as values, and each bucket needs only a short insertion sort:
  /// several times cheaper than a comparison sort of the whole set. Repeats sit next to each
  /// other in a bucket and stop the insertion at once; a bucket that is nevertheless large
  /// (a huge record, or hashes that happen to share their top bits) falls back to the
  /// standard sort.
  /// - Parameters:
  ///   - values: the hashes; on return the first (returned count) are sorted and distinct.
  ///   - scratch: at least `values.count` slots.
  /// - Returns: the number of distinct values.
  static func sortDistinct(
    _ values: UnsafeMutableBufferPointer<UInt64>, scratch: UnsafeMutableBufferPointer<UInt64>
  ) -> Int {
    let n = values.count
    if n < 2 { return n }
    // ceil(log2(n)) - 1 bits, from 1 to 16.
    let bits = min(16, max(1, Int.bitWidth - (n - 1).leadingZeroBitCount - 1))
    let shift = UInt64(64 - bits)
    return withUnsafeTemporaryAllocation(of: Int.self, capacity: 1 << bits) { next in
      next.initialize(repeating: 0)
      for v in values { next[Int(truncatingIfNeeded: v &>> shift)] += 1 }
      // Each bucket's start, then its end once the values are placed.
      var total = 0
      for b in 0..<next.count {
        let c = next[b]
        next[b] = total
        total += c
      }
      for v in values {
        let b = Int(truncatingIfNeeded: v &>> shift)
        scratch[next[b]] = v
        next[b] += 1
      }
      var w = 0
      var lo = 0
      for b in 0..<next.count {
        let hi = next[b]
        if hi - lo > 32 {
          var bucket = UnsafeMutableBufferPointer(rebasing: scratch[lo..<hi])
          bucket.sort()
        } else if hi - lo > 1 {
          for k in (lo + 1)..<hi {
            let v = scratch[k]
            var j = k
            while j > lo && scratch[j - 1] > v {
              scratch[j] = scratch[j - 1]
              j -= 1
            }
            scratch[j] = v
          }
        }
        for k in lo..<hi where w == 0 || values[w - 1] != scratch[k] {
          values[w] = scratch[k]
          w += 1
        }
        lo = hi
      }
      return w
    }
  }
}

/// One-permutation MinHash with densification: each shingle hash falls into one of
/// ``MinHash/size`` bins by its top bits and the bin keeps its smallest value; an empty bin
/// borrows the value of a filled bin that a fixed sequence of random probes finds (Shrivastava's
/// optimal densification), so two sets agree in a bin with probability close to their Jaccard
/// similarity.
///
/// Both signatures of a pair follow the same probes, so an empty bin agrees exactly when the
/// first bin probed that either set fills holds a shingle of both. Each empty bin probes
/// independently: a record with 20 shingles still has about 128 independent bins. Borrowing from
/// the next filled bin to the right instead (rotation) made every empty bin of a gap copy one
/// value, which left a short record only about as many independent bins as shingles: its
/// estimate spread so widely that the signature filter dropped true near-duplicates.
///
/// One hash per shingle instead of one per shingle and permutation makes signatures about 100
/// times cheaper than classic MinHash. Each bin is stored in 16 bits (b-bit MinHash), so a
/// signature is 256 bytes; unrelated values collide with probability 2^-16.
enum MinHash {
  /// Bins per signature.
  static let size = 128

  /// Random probes an empty bin tries before it takes the next filled bin to the right of the
  /// last probe (only records that fill few bins get that far).
  static let probeCount = 32

  /// The probe sequence of every bin: `probeCount` bin indices for bin 0, then for bin 1, ….
  static let probes: [UInt8] = (0..<(size * probeCount)).map { k in
    UInt8(truncatingIfNeeded: StableHash.avalanche(UInt64(k) &+ 0x5851_F42D_4C95_7F2D) >> 57)
  }

  /// Writes the signature of the shingles `shingles` produces into `out[0..<size]`.
  ///
  /// Inlined into its caller, so that the shingle loop and the bin update end up as one loop
  /// (see ``Shingler/forEachShingle(_:marksContext:_:)``).
  /// - Returns: false when there was no shingle (the record gets no signature).
  @inline(__always)
  static func signature(
    into out: UnsafeMutableBufferPointer<UInt16>, _ shingles: ((UInt64) -> Void) -> Void
  ) -> Bool {
    let mask: UInt64 = (1 << 57) - 1
    var any = false
    // On the stack: a fresh array per record showed in profiles.
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: size) { m in
      m.initialize(repeating: UInt64.max)
      shingles { h in
        let bin = Int(truncatingIfNeeded: h >> 57)
        let value = h & mask
        // Without a branch: a record has only about two shingles per bin, so whether the
        // new value is smaller is a coin flip that the branch predictor lost half the time.
        m[bin] = Swift.min(m[bin], value)
      }
      // The empty bins as a bit mask, without a branch per bin (a record of a few hundred
      // shingles leaves about one bin in seven empty, a branch the predictor kept missing);
      // an empty bin's output is overwritten below.
      var emptyBins: (UInt64, UInt64) = (0, 0)
      for i in 0..<64 {
        out[i] = UInt16(truncatingIfNeeded: m[i] >> 41)
        emptyBins.0 |= UInt64(m[i] == UInt64.max ? 1 : 0) &<< UInt64(i)
      }
      for i in 64..<size {
        out[i] = UInt16(truncatingIfNeeded: m[i] >> 41)
        emptyBins.1 |= UInt64(m[i] == UInt64.max ? 1 : 0) &<< UInt64(i - 64)
      }
      any = emptyBins.0 & emptyBins.1 != UInt64.max
      guard any, emptyBins.0 | emptyBins.1 != 0 else { return }
      probes.withUnsafeBufferPointer { probes in
        for word in 0..<2 {
          var bits = word == 0 ? emptyBins.0 : emptyBins.1
          while bits != 0 {
            let i = word &* 64 &+ bits.trailingZeroBitCount
            bits &= bits &- 1
            var j = 0
            var found = false
            for k in 0..<probeCount {
              j = Int(probes[i &* probeCount &+ k])
              if m[j] != UInt64.max {
                found = true
                break
              }
            }
            if !found {
              while m[j] == UInt64.max { j = (j &+ 1) & (size - 1) }
            }
            out[i] = UInt16(truncatingIfNeeded: m[j] >> 41)
          }
        }
      }
    }
    return any
  }

  /// The fraction of equal bins: an estimate of the Jaccard similarity.
  @inline(__always)
  static func similarity(_ a: UnsafeBufferPointer<UInt16>, _ b: UnsafeBufferPointer<UInt16>)
    -> Double
  {
    Double(equalBins(a, b)) / Double(size)
  }

  /// The number of bins in which two signatures agree.
  ///
  /// Four bins per 64-bit word: in `x = a ^ b` a bin is equal when its lane is zero, and
  /// `((x & 0x7FFF…) + 0x7FFF…) | x` sets a lane's top bit exactly when the lane is not zero
  /// (the sum cannot carry into the next lane). Bin by bin, the equal-or-not branch was
  /// mispredicted about every other bin: the LSH filter runs this millions of times.
  @inline(__always)
  static func equalBins(_ a: UnsafeBufferPointer<UInt16>, _ b: UnsafeBufferPointer<UInt16>)
    -> Int
  {
    precondition(a.count >= size && b.count >= size, "a MinHash signature has \(size) bins")
    let ra = UnsafeRawBufferPointer(a)
    let rb = UnsafeRawBufferPointer(b)
    let low: UInt64 = 0x7FFF_7FFF_7FFF_7FFF
    var differing = 0
    for offset in stride(from: 0, to: size * 2, by: 8) {
      let x =
        ra.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        ^ rb.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
      differing &+= ((((x & low) &+ low) | x) & ~low).nonzeroBitCount
    }
    return size - differing
  }
}
