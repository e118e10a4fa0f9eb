/// The seeded generator behind `split`: xoshiro256** (Blackman and Vigna, 2018) seeded by four
/// SplitMix64 outputs of the user's seed.
///
/// Both algorithms are specified here bit for bit, so a seed gives the same shuffle on every
/// platform, Swift version and thread count (the standard library's generators promise none
/// of that). Bounded integers use Lemire's multiply-and-reject method, which is unbiased.
struct SplitRandom: RandomNumberGenerator {
  private var s0: UInt64
  private var s1: UInt64
  private var s2: UInt64
  private var s3: UInt64

  /// Creates a generator from a seed.
  /// - Parameter seed: any 64-bit value; equal seeds give equal sequences.
  init(seed: UInt64) {
    var mixer = SplitMix64(state: seed)
    s0 = mixer.next()
    s1 = mixer.next()
    s2 = mixer.next()
    s3 = mixer.next()
    // SplitMix64 cannot give four zero words, the one state xoshiro must avoid.
  }

  /// The next 64 random bits.
  mutating func next() -> UInt64 {
    let result = rotl(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 45)
    return result
  }

  /// A uniform integer in `0..<bound` (Lemire's method: 128-bit product, reject the biased low
  /// range).
  /// - Parameter bound: the exclusive upper bound, at least 1.
  mutating func below(_ bound: UInt64) -> UInt64 {
    precondition(bound > 0, "bound must be positive")
    var product = next().multipliedFullWidth(by: bound)
    if product.low < bound {
      let threshold = (0 &- bound) % bound
      while product.low < threshold {
        product = next().multipliedFullWidth(by: bound)
      }
    }
    return product.high
  }

  /// Shuffles `items` in place: Fisher–Yates from the last index down, each swap partner drawn
  /// with ``below(_:)``.
  mutating func shuffle<T>(_ items: inout [T]) {
    guard items.count > 1 else { return }
    var i = items.count - 1
    while i > 0 {
      let j = Int(below(UInt64(i + 1)))
      items.swapAt(i, j)
      i -= 1
    }
  }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): used to spread a seed over xoshiro's state, and as
/// the keyed mixer of `--stable`.
struct SplitMix64 {
  var state: UInt64

  /// The next output.
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return SplitMix64.mix(state)
  }

  /// The SplitMix64 output function: a bijective avalanche of 64 bits.
  static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@inline(__always)
private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
  (x << k) | (x >> (64 - k))
}

/// Splits `total` into parts proportional to `weights` that add up to `total` exactly.
///
/// Each part gets the floor of its quota, and the units left over go to the largest remainders
/// (ties to the earlier part). All arithmetic is integer, so the result is the same everywhere,
/// and it cannot overflow: each product `total × weight` is taken at full width (128 bits), a
/// negative weight or total counts as 0, and weights whose sum would pass `UInt64.max` are
/// halved together until it does not.
/// - Parameters:
///   - total: what to divide.
///   - weights: non-negative weights with a positive sum.
/// - Returns: one part per weight (all 0 when the weights add up to 0).
func largestRemainder(_ total: Int, weights: [Int]) -> [Int] {
  let total = UInt64(max(0, total))
  var scaled = weights.map { UInt64(max(0, $0)) }
  var sum: UInt64 = 0
  while true {
    var overflow = false
    sum = 0
    for w in scaled where !overflow { (sum, overflow) = sum.addingReportingOverflow(w) }
    if !overflow { break }
    scaled = scaled.map { $0 >> 1 }
  }
  guard sum > 0 else { return weights.map { _ in 0 } }
  var parts: [Int] = []
  var remainders: [(index: Int, remainder: UInt64)] = []
  for (i, w) in scaled.enumerated() {
    // w <= sum, so the quotient is at most total and fits.
    let (quotient, remainder) = sum.dividingFullWidth(total.multipliedFullWidth(by: w))
    parts.append(Int(quotient))
    remainders.append((i, remainder))
  }
  var left = Int(total) - parts.reduce(0, +)
  remainders.sort {
    $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index
  }
  var k = 0
  while left > 0 {
    parts[remainders[k % remainders.count].index] += 1
    left -= 1
    k += 1
  }
  return parts
}
