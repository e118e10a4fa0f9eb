/// Sorts 64-bit values in ascending order with a least-significant-digit radix sort on 16-bit
/// digits: four linear passes, several times faster than a comparison sort on millions of
/// band keys.
/// - Parameter values: the values to sort in place.
func radixSort(_ values: inout [UInt64]) {
  let n = values.count
  if n < 1 << 12 {
    values.sort()
    return
  }
  var scratch = [UInt64](repeating: 0, count: n)
  var counts = [Int](repeating: 0, count: 1 << 16)
  for pass in 0..<4 {
    let shift = UInt64(pass * 16)
    values.withUnsafeMutableBufferPointer { source in
      scratch.withUnsafeMutableBufferPointer { target in
        counts.withUnsafeMutableBufferPointer { count in
          for k in 0..<count.count { count[k] = 0 }
          for v in source { count[Int(truncatingIfNeeded: (v >> shift) & 0xFFFF)] += 1 }
          var total = 0
          for k in 0..<count.count {
            let c = count[k]
            count[k] = total
            total += c
          }
          for v in source {
            let digit = Int(truncatingIfNeeded: (v >> shift) & 0xFFFF)
            target[count[digit]] = v
            count[digit] += 1
          }
        }
      }
    }
    swap(&values, &scratch)
  }
}
