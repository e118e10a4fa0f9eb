/// Sorts 64-bit values in ascending order with a least-significant-digit radix sort: four
/// linear passes, several times faster than a comparison sort on millions of band keys.
///
/// Only the bits from `low` up are sorted on. The passes are stable, so the result is ascending
/// whenever the bits below `low` already ascend in the values' current order, as they do for
/// LSH band keys packed with the member's position in their low bits. Skipping those bits
/// makes each digit narrower (10 bits for `low` 24), so a pass's 1,024 counters and write
/// positions stay in the L1 cache instead of scattering over 65,536.
/// - Parameters:
///   - values: the values to sort in place.
///   - low: the lowest bit that is sorted on (0 sorts on every bit).
func radixSort(_ values: inout [UInt64], fromBit low: Int = 0) {
  precondition((0..<64).contains(low), "radixSort: low bit \(low) is outside 0..<64")
  let n = values.count
  if n < 1 << 12 {
    values.sort()
    return
  }
  let passes = 4
  let bits = (64 - low + passes - 1) / passes
  let radix = 1 << bits
  let mask = UInt64(radix - 1)
  @inline(__always) func digit(_ v: UInt64, _ pass: Int) -> Int {
    pass * radix + Int(truncatingIfNeeded: (v >> UInt64(low + pass * bits)) & mask)
  }
  var scratch = [UInt64](repeating: 0, count: n)
  // One read of the values counts the digits of all four passes.
  var counts = [Int](repeating: 0, count: radix * passes)
  values.withUnsafeBufferPointer { source in
    counts.withUnsafeMutableBufferPointer { count in
      for v in source {
        for pass in 0..<passes { count[digit(v, pass)] += 1 }
      }
      for pass in 0..<passes {
        var total = 0
        for k in (pass * radix)..<((pass + 1) * radix) {
          let c = count[k]
          count[k] = total
          total += c
        }
      }
    }
  }
  for pass in 0..<passes {
    values.withUnsafeBufferPointer { source in
      scratch.withUnsafeMutableBufferPointer { target in
        counts.withUnsafeMutableBufferPointer { count in
          for v in source {
            let d = digit(v, pass)
            target[count[d]] = v
            count[d] += 1
          }
        }
      }
    }
    swap(&values, &scratch)
  }
}
