internal import CSystemShims

/// Every record's MinHash signature, in fixed pages so that growing never copies (a flat array
/// would briefly hold twice its size while it doubles, which breaks the memory budget).
///
/// Written only on the scan's consuming thread; read from several threads afterwards.
final class SignatureStore: @unchecked Sendable {
  private static let pageShift = 14
  private static let pageRecords = 1 << pageShift
  private var pages: [UnsafeMutablePointer<UInt16>] = []
  /// Records stored.
  private(set) var count = 0

  init() {}

  deinit {
    for page in pages { page.deallocate() }
  }

  /// Appends signatures (``MinHash/size`` bins per record).
  func append(_ bins: [UInt16]) {
    var k = 0
    while k < bins.count {
      let slot = count & (Self.pageRecords - 1)
      if slot == 0 {
        let page = UnsafeMutablePointer<UInt16>.allocate(capacity: Self.pageRecords * MinHash.size)
        pages.append(page)
      }
      let page = pages[count >> Self.pageShift]
      for b in 0..<MinHash.size { page[slot * MinHash.size + b] = bins[k + b] }
      k += MinHash.size
      count += 1
    }
  }

  /// Starts loading the cache lines of record `i`'s bins `bins` ahead of their use.
  ///
  /// The LSH passes read signatures in an order the hardware cannot guess (one band of each
  /// record, or the two records of each candidate pair), and without a prefetch each read
  /// waits on memory: a few loop turns ahead is enough to hide that.
  @inline(__always)
  func prefetch(_ i: Int, bins: Range<Int> = 0..<MinHash.size) {
    let first = pages[i >> Self.pageShift] + (i & (Self.pageRecords - 1)) * MinHash.size
    var line = UnsafeRawPointer(first + bins.lowerBound)
    let last = UnsafeRawPointer(first + bins.upperBound - 1)
    while line <= last {
      tuneprep_prefetch(line)
      line += 64
    }
    // The last bin may start a line that the 64-byte steps jumped over.
    tuneprep_prefetch(last)
  }

  /// The signature of record `i`.
  @inline(__always)
  subscript(_ i: Int) -> UnsafeBufferPointer<UInt16> {
    let page = pages[i >> Self.pageShift]
    return UnsafeBufferPointer(
      start: page + (i & (Self.pageRecords - 1)) * MinHash.size, count: MinHash.size)
  }
}
