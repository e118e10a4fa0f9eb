/// Near-duplicate pairs among split's records, found with dedupe's machinery: the MinHash
/// signatures its ``RecordKeyer`` made during the first pass, its ``LSHBanding`` for candidate
/// pairs and its ``Verifier`` for the exact Jaccard of each candidate, read back from the input.
///
/// This is only the glue between split's record table and dedupe's; the decisions (threshold,
/// shingles, normalization) are dedupe's defaults, so `split --group near-duplicates` groups
/// exactly what `dedupe --near` would flag.
enum SplitNearDuplicates {
  /// The verified pairs (a < b, entry indices) with Jaccard at or above `threshold`.
  /// - Parameter only: which pairs are wanted at all; the others are dropped before any
  ///   signature compare or exact check (the leak check wants only pairs across splits).
  /// - Throws: ``TunePrepError`` when the input cannot be read back.
  static func pairs(
    scan: SplitScan.Result, source: SplitSource, threshold: Double, threads: Int,
    only: @escaping @Sendable (UInt32, UInt32) -> Bool = { _, _ in true }
  ) throws(TunePrepError) -> [(UInt32, UInt32, Float)] {
    guard let records = source.records, !scan.entries.isEmpty else { return [] }
    var table = RecordTable(near: true)
    table.states.reserveCapacity(scan.entries.count)
    var members: [UInt32] = []
    for (i, entry) in scan.entries.enumerated() {
      var state = RecordState(
        offset: entry.offset, length: entry.length, line: entry.line, source: 0)
      state.flags = RecordState.valid
      if scan.signed[i] {
        state.flags |= RecordState.signed
        members.append(UInt32(i))
      }
      table.states.append(state)
    }
    // The same cheap pre-filter dedupe applies before its exact check.
    let floor = threshold - 0.15
    let signatures = scan.signatures
    let likely = LSHBanding(threshold: threshold).candidates(
      members: members, signatures: signatures, threads: threads,
      keep: only,
      accept: { pair in
        MinHash.similarity(signatures[Int(pair >> 32)], signatures[Int(pair & 0xFFFF_FFFF)])
          >= floor
      })
    var options = Deduplicator.Options()
    options.threshold = threshold
    options.near = true
    let verifier = Verifier(
      sources: [Source(records: records, format: scan.format)], options: options)
    let similarities = try verifier.jaccard(likely, table: table, threads: threads)
    var pairs: [(UInt32, UInt32, Float)] = []
    for (k, pair) in likely.enumerated() where similarities[k] >= threshold {
      pairs.append((UInt32(pair >> 32), UInt32(pair & 0xFFFF_FFFF), Float(similarities[k])))
    }
    return pairs
  }
}
