/// What `split` keeps of one record between its two passes: 24 bytes.
struct SplitEntry {
  /// Offset of the record's first byte in the (possibly spooled) input.
  var offset: Int64
  /// Bytes of the record, without CR and newline.
  var length: UInt32
  /// Line of the record in the input.
  var line: UInt32
  /// 64 bits of the hash of dedupe's exact-duplicate key (conversation, text normalization).
  var key: UInt64
}

/// The first pass of `split`: the shared scan, keeping a ``SplitEntry`` per record and, when
/// asked, a stratum id, a group key or a MinHash signature.
struct SplitScan {
  let options: Splitter.Options

  /// What the first pass saw.
  struct Result {
    /// Records that passed validation, in input order.
    var entries: [SplitEntry] = []
    /// Records that failed validation, in input order.
    var rejected: [SplitEntry] = []
    /// Stratum id per entry (empty without `--stratify`).
    var strata: [UInt32] = []
    /// Stratum values by id, in order of first appearance.
    var stratumValues: [StratumValue] = []
    /// Group key per entry, odd when present and 0 when the record lacks it (empty without
    /// `--group` by pointer).
    var groupKeys: [UInt64] = []
    /// Records without a value at the `--stratify` key, and the first one's line.
    var missingStratum = MissingKey()
    /// Records without a value (or with null) at the `--group` key, and the first one's line.
    var missingGroup = MissingKey()
    /// ``MinHash/size`` bins per entry in dedupe's paged store (empty unless near duplicates
    /// are needed).
    let signatures = SignatureStore()
    /// Whether each entry has a signature (an entry without words has none).
    var signed: [Bool] = []
    /// The input's format.
    var format: Format?
  }

  /// Scans the input.
  /// - Throws: ``TunePrepError`` when reading fails.
  func run(_ source: SplitSource, reporter: FindingReporter) throws(TunePrepError) -> Result {
    var result = Result()
    var stratumIDs: [UInt64: UInt32] = [:]
    let options = self.options
    let near = options.group == .nearDuplicates || options.nearLeakCheck
    let scan = FileScan(format: options.format, threads: options.threads, sizes: options.readSizes)
    let outcome = try scan.run(source.firstPass, reporter: reporter) {
      (record: borrowing CheckedRecord, block: inout SplitBlock) in
      var entry = SplitEntry(
        offset: Int64(record.position.byteOffset), length: UInt32(clamping: record.bytes.count),
        line: UInt32(clamping: record.position.line), key: 0)
      guard !record.hasError, record.example.hasValue || options.format == .json else {
        block.rejected.append(entry)
        return
      }
      if block.keyer == nil {
        block.keyer = RecordKeyer(key: .conversation, normalization: .text, shingling: .standard)
      }
      let hash = block.keyer?.build(example: record.example, document: record.document).hash
      entry.key = hash?.low ?? 0
      block.entries.append(entry)
      if let stratify = options.stratify {
        block.addStratum(
          stratify, example: record.example, document: record.document, line: entry.line)
      }
      if case .pointer(let pointer) = options.group {
        block.addGroup(pointer, document: record.document, line: entry.line)
      }
      if near {
        let start = block.signatures.count
        block.signatures.append(contentsOf: repeatElement(0, count: MinHash.size))
        let signed = block.signatures.withUnsafeMutableBufferPointer { all in
          block.keyer?.signature(into: UnsafeMutableBufferPointer(rebasing: all[start...])) ?? false
        }
        block.signed.append(signed)
      }
    } consume: { (block: inout SplitBlock) throws(TunePrepError) in
      if result.entries.isEmpty, let last = block.entries.last, last.offset > 0 {
        // Size the table once from the first block's record density (with a margin), so it
        // never doubles: doubling briefly holds the old and the new copy, twice the budget.
        let perRecord =
          Double(last.offset + Int64(last.length) + 1)
          / Double(block.entries.count + block.rejected.count)
        let estimate = Double(source.size) / max(perRecord, 1) * 1.15 + 1024
        let capacity = Int(min(estimate, Double(Int32.max)))
        result.entries.reserveCapacity(capacity)
        if options.stratify != nil { result.strata.reserveCapacity(capacity) }
        if case .pointer = options.group { result.groupKeys.reserveCapacity(capacity) }
      }
      result.entries.append(contentsOf: block.entries)
      result.rejected.append(contentsOf: block.rejected)
      for (hash, value) in block.values where stratumIDs[hash] == nil {
        stratumIDs[hash] = UInt32(result.stratumValues.count)
        result.stratumValues.append(value)
      }
      for hash in block.strata {
        result.strata.append(stratumIDs[hash] ?? 0)
      }
      result.groupKeys.append(contentsOf: block.groupKeys)
      result.missingStratum.add(block.missingStratum)
      result.missingGroup.add(block.missingGroup)
      result.signatures.append(block.signatures)
      result.signed.append(contentsOf: block.signed)
    }
    result.format = outcome.format
    return result
  }
}

/// The per-block payload of split's first pass.
struct SplitBlock: BlockPayload {
  var entries: [SplitEntry] = []
  var rejected: [SplitEntry] = []
  /// Stratum value hash per entry, and each value the first time this block sees it.
  var strata: [UInt64] = []
  var values: [(UInt64, StratumValue)] = []
  private var seen: Set<UInt64> = []
  var groupKeys: [UInt64] = []
  var missingStratum = MissingKey()
  var missingGroup = MissingKey()
  var signatures: [UInt16] = []
  var signed: [Bool] = []
  var keyer: RecordKeyer?
  private var scratch: [UInt8] = []

  init() {}

  /// Records the stratum of the entry just added.
  ///
  /// The value is hashed with a tag byte in front, 0 for a string (then its decoded text) and 1
  /// for any other value (then its JSON text as written), so the string "7" and the number 7
  /// are two strata; a record without the key gets the hash 0, which no value has.
  mutating func addStratum(
    _ key: Splitter.StratumKey, example: Example?, document: JSONDocument, line: UInt32
  ) {
    scratch.removeAll(keepingCapacity: true)
    var found = false
    switch key {
    case .output:
      if let example, let content = example.finalAnswer?.content {
        scratch.append(0)
        example.append(content, in: document, to: &scratch)
        found = true
      }
    case .pointer(let pointer):
      if let node = pointer.resolve(in: document) {
        appendValueText(node, document: document, stringTag: 0)
        found = true
      }
    }
    if !found {
      missingStratum.note(line)
      strata.append(0)
      if seen.insert(0).inserted { values.append((0, .missing)) }
      return
    }
    let hash = scratch.withUnsafeBytes { StableHash.hash128($0) }.low | 1
    strata.append(hash)
    if seen.insert(hash).inserted {
      let text = String(decoding: scratch.dropFirst(), as: UTF8.self)
      values.append((hash, scratch.first == 0 ? .string(text) : .json(text)))
    }
  }

  /// Records the group key of the entry just added.
  mutating func addGroup(_ pointer: JSONPointer, document: JSONDocument, line: UInt32) {
    guard let node = pointer.resolve(in: document), document.kind(node) != .null else {
      missingGroup.note(line)
      groupKeys.append(0)
      return
    }
    scratch.removeAll(keepingCapacity: true)
    appendValueText(node, document: document)
    // A number's key is 0x01 and its JSON text, so a string that starts with U+0001 would share
    // it. Decoded text never holds the byte 0xFF: tagging only those strings with it keeps them
    // apart, while every other key stays as it was (`--stable` places groups by this hash).
    if document.kind(node) == .string, scratch.first == 0x01 { scratch.insert(0xFF, at: 0) }
    groupKeys.append(scratch.withUnsafeBytes { StableHash.hash128($0) }.low | 1)
  }

  /// A string's decoded text (after `stringTag`, if any), or 0x01 and any other value's JSON
  /// source text.
  private mutating func appendValueText(
    _ node: Int, document: JSONDocument, stringTag: UInt8? = nil
  ) {
    if document.kind(node) == .string {
      if let stringTag { scratch.append(stringTag) }
      document.appendString(node, to: &scratch)
    } else {
      scratch.append(UInt8(ascii: "\u{1}"))
      scratch.append(contentsOf: document.bytes[document.sourceRange(node)])
    }
  }
}

/// A `--stratify` value as the records hold it, so that the manifest can tell the string "7"
/// from the number 7 and a missing key from any value.
enum StratumValue: Equatable {
  /// Records without the key (or, for `output`, without a final answer).
  case missing
  /// A string value (or the final answer's text), decoded.
  case string(String)
  /// Any other JSON value, as its JSON text in the record.
  case json(String)

  /// The value as JSON for the manifest: a string quoted, another value as its JSON text; nil
  /// for ``missing``.
  var jsonValue: String? {
    switch self {
    case .missing: nil
    case .string(let text): text.jsonQuoted
    case .json(let text): text
    }
  }

  /// How a message names the stratum: `stratum "positive"`, `stratum 7`, or `the stratum of
  /// records without --stratify /label`.
  func display(key: Splitter.StratumKey) -> String {
    switch self {
    case .missing: "the stratum of records without --stratify \(key)"
    case .string(let text): "stratum \(text.jsonQuoted)"
    case .json(let text): "stratum \(text)"
    }
  }

  /// Orders values by their text's bytes (a string's characters, another value's JSON text),
  /// a string before another value with the same text, and ``missing`` last.
  static func precedes(_ a: StratumValue, _ b: StratumValue) -> Bool {
    switch (a, b) {
    case (.missing, _): return false
    case (_, .missing): return true
    case (.string(let x), .string(let y)), (.json(let x), .json(let y)):
      return x.utf8.lexicographicallyPrecedes(y.utf8)
    case (.string(let x), .json(let y)):
      return x == y || x.utf8.lexicographicallyPrecedes(y.utf8)
    case (.json(let x), .string(let y)):
      return x != y && x.utf8.lexicographicallyPrecedes(y.utf8)
    }
  }
}

/// How many records lack a `--stratify` or `--group` value, and the line of the first.
struct MissingKey {
  var count = 0
  var firstLine = 0

  /// Counts a record without the value.
  mutating func note(_ line: UInt32) {
    if count == 0 { firstLine = Int(line) }
    count += 1
  }

  /// Adds a later block's counts.
  mutating func add(_ later: MissingKey) {
    if count == 0 { firstLine = later.firstLine }
    count += later.count
  }
}
