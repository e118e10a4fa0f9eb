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

  /// The signature of record `i`.
  @inline(__always)
  subscript(_ i: Int) -> UnsafeBufferPointer<UInt16> {
    let page = pages[i >> Self.pageShift]
    return UnsafeBufferPointer(start: page + (i & (Self.pageRecords - 1)) * MinHash.size, count: MinHash.size)
  }
}
