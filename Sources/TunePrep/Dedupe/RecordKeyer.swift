/// Per-thread work of dedupe for one record: its normalized key, the key's 128-bit hash, and
/// (with `--near`) its MinHash signature or exact shingle set.
struct RecordKeyer {
  private var builder: KeyBuilder
  private var shingler: Shingler
  /// The last record's key bytes.
  private(set) var key: [UInt8] = []

  /// Creates a keyer.
  ///
  /// - Parameter weightZeroApart: key an assistant message with weight 0 apart from a trained
  ///   one with the same text (see ``KeyBuilder/weightZeroApart``).
  init(
    key: DedupeKey, normalization: TextNormalization, shingling: Shingling,
    weightZeroApart: Bool = false
  ) {
    builder = KeyBuilder(key: key, normalization: normalization, weightZeroApart: weightZeroApart)
    shingler = Shingler(shingling)
    self.key.reserveCapacity(1 << 14)
  }

  /// Builds the key of a checked record.
  /// - Returns: the key's hash and text size, or nil for a record that cannot be compared.
  mutating func build(example: Example?, document: JSONDocument) -> (hash: Hash128, size: Int) {
    key.removeAll(keepingCapacity: true)
    let size: Int
    if let example {
      size = builder.build(example, in: document, into: &key)
    } else {
      size = builder.buildWhole(document, into: &key)
    }
    let hash = key.withUnsafeBytes { StableHash.hash128($0) }
    return (hash, size)
  }

  /// Writes the MinHash signature of the last key into `out`.
  /// - Returns: false when the key has no shingle (no words).
  mutating func signature(into out: UnsafeMutableBufferPointer<UInt16>) -> Bool {
    let marks = builder.marksContext
    return key.withUnsafeBufferPointer { k in
      MinHash.signature(into: out) { body in shingler.forEachShingle(k, marksContext: marks, body) }
    }
  }

  /// The sorted, distinct shingle hashes of the last key.
  mutating func shingleSet(into set: inout [UInt64]) {
    let marks = builder.marksContext
    key.withUnsafeBufferPointer { k in shingler.shingleSet(k, marksContext: marks, into: &set) }
  }
}

/// The Jaccard similarity of two sorted, distinct hash sets (1 for two empty sets).
func jaccard(_ a: [UInt64], _ b: [UInt64]) -> Double {
  if a.isEmpty && b.isEmpty { return 1 }
  var i = 0
  var j = 0
  var common = 0
  while i < a.count && j < b.count {
    if a[i] == b[j] {
      common += 1
      i += 1
      j += 1
    } else if a[i] < b[j] {
      i += 1
    } else {
      j += 1
    }
  }
  return Double(common) / Double(a.count + b.count - common)
}
