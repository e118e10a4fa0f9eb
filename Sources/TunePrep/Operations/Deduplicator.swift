internal import Dispatch

/// Removes exact and near-duplicate records, and records that leak from evaluation files:
/// `tuneprep dedupe`.
///
/// The first pass runs the shared scan (parse, decode, check) on every core and keeps a fixed
/// state per record: where it is, a 128-bit hash of its normalized key and, with `--near`, a
/// 256-byte MinHash signature; never its text. Decisions are then made on that state (exact
/// groups by hash, near candidates by LSH, each verified by exact Jaccard on the re-read
/// records), and a second pass copies the kept records from the input, byte for byte.
/// Standard input, other inputs that can be read only once (named pipes, process
/// substitution) and JSON array files are spooled to a temporary file during the first pass.
public struct Deduplicator {
  /// Which record of a duplicate group survives: `--keep`.
  public enum KeepPolicy: String, Sendable, CaseIterable {
    /// The first in input order.
    case first
    /// The last in input order.
    case last
    /// The one with the most text (the whole example's text, whatever the key); ties go to
    /// the earliest.
    case longest
  }

  /// What to compare and how.
  public struct Options: Sendable {
    /// The input format, or nil to detect it per file.
    public var format: Format?
    /// The part of the example that must match.
    public var key: DedupeKey = .conversation
    /// How text is normalized before comparing.
    public var normalization: TextNormalization = .text
    /// Also remove near duplicates.
    public var near = false
    /// The Jaccard similarity at or above which two records are near duplicates.
    public var threshold = 0.8
    /// What a shingle is.
    public var shingling: Shingling = .standard
    /// Which record of a group survives.
    public var keep: KeepPolicy = .first
    /// Evaluation files whose records must not appear in the input.
    public var against: [InputName] = []
    /// Report leaks from `against` files but keep the records.
    public var reportOnly = false
    /// Worker threads (nil: one per core), at most ``ThreadCount/maximum`` (more are clamped).
    public var threads: Int?
    /// Read and block sizes.
    public var sizes: ReadSizes = .standard

    /// Creates default options.
    public init() {}
  }

  /// Where the results go; each is optional.
  public struct Outputs {
    /// The kept records (nil: `--dry-run`).
    public var kept: OutputStream?
    /// Every dropped record with its reason, as JSONL.
    public var rejects: OutputStream?
    /// The duplicate clusters, as JSONL.
    public var clusters: OutputStream?

    /// Creates outputs.
    public init(kept: OutputStream?, rejects: OutputStream? = nil, clusters: OutputStream? = nil) {
      self.kept = kept
      self.rejects = rejects
      self.clusters = clusters
    }
  }

  let options: Options

  /// Creates a deduplicator.
  public init(options: Options) {
    self.options = options
  }

  /// Deduplicates `input`.
  /// - Parameters:
  ///   - input: a file or standard input.
  ///   - outputs: where kept records, rejects and clusters go (not committed here).
  ///   - reporter: receives the scan's findings and one finding per dropped record.
  /// - Returns: the counts: kept, and dropped per reason (they add up to `read`).
  /// - Throws: ``TunePrepError`` when an input cannot be read or an output written.
  public func run(
    _ input: InputName, outputs: Outputs, reporter: FindingReporter
  ) throws(TunePrepError) -> RunSummary {
    var table = RecordTable(near: options.near)
    // With nothing that can drop a record after the scan (no --near, no --against) and the
    // first of each key kept, a record is kept exactly when it is valid and its key is new,
    // which the scan knows in input order: it writes kept records from the blocks it already
    // holds, and the input is not read a second time for them.
    let keptDuringScan =
      options.keep == .first && !options.near && options.against.isEmpty ? outputs.kept : nil
    let main = try scan(
      input, source: 0, into: &table, keptDuringScan: keptDuringScan, reporter: reporter)
    let inputCount = table.states.count
    // Only the scan looks keys up; the groups it found are all that is kept of the index.
    table.exactIndex = ExactIndex()
    var sources = [main]
    // The evaluation files are checked as the input is, and their findings reported: a record
    // that cannot be read or decoded cannot be compared, so the decontamination is incomplete,
    // which its error says and the exit status shows (per --fail-on).
    for (k, name) in options.against.enumerated() {
      sources.append(
        try scan(name, source: UInt16(k + 1), into: &table, keptDuringScan: nil, reporter: reporter)
      )
    }
    var evaluationInvalid = 0
    for state in table.states[inputCount...] where !state.isValid { evaluationInvalid += 1 }
    let verifier = Verifier(sources: sources, options: options)
    var decisions = Decisions(count: inputCount)
    decideLeaksExact(table, inputCount: inputCount, &decisions)
    decideExact(table, inputCount: inputCount, &decisions)
    // Free before the near search, whose LSH tables make the peak.
    table.exactGroups = []
    if options.near {
      try decideNear(table, inputCount: inputCount, verifier: verifier, &decisions)
    }
    var laterOutputs = outputs
    if keptDuringScan != nil { laterOutputs.kept = nil }
    try writeResults(
      table, inputCount: inputCount, decisions: decisions, sources: sources,
      outputs: laterOutputs, dryRun: outputs.kept == nil, verifier: verifier, reporter: reporter)
    // Decisions were made on the bytes first read: outputs are committed only if they still are.
    for source in sources { try source.records.checkUnchanged() }
    var summary = RunSummary(command: "dedupe")
    summary.files = 1
    summary.read = inputCount
    var counts: [(String, Int)] = [
      ("kept", decisions.count(.kept) + decisions.count(.reportedLeak))
    ]
    counts.append(("dup.exact", decisions.count(.dupExact)))
    if options.near { counts.append(("dup.near", decisions.count(.dupNear))) }
    if !options.against.isEmpty && !options.reportOnly {
      counts.append(("leak.exact", decisions.count(.leakExact)))
      if options.near { counts.append(("leak.near", decisions.count(.leakNear))) }
    }
    counts.append(("invalid", decisions.count(.invalid)))
    if !options.against.isEmpty {
      counts.append(("evaluation records", table.states.count - inputCount))
      counts.append(("evaluation invalid", evaluationInvalid))
    }
    summary.counts = counts
    summary.singulars = ["evaluation records": "evaluation record"]
    return summary
  }

  // MARK: First pass

  /// Scans one file into the table; for the input (source 0), also finds each valid record's
  /// exact group (the first record with its key).
  ///
  /// An `--against` file (source 1 on) is read in the format each record has: `--format`
  /// names the input's format, except `json`, a way of comparing that applies to every file.
  /// - Parameter keptDuringScan: where to write the valid records whose key is new, as their
  ///   blocks are consumed (nil: kept records are written by the second pass).
  private func scan(
    _ name: InputName, source: UInt16, into table: inout RecordTable,
    keptDuringScan: OutputStream?, reporter: FindingReporter
  ) throws(TunePrepError) -> Source {
    let file = try InputFile(name)
    let spooling = name.isReadOnce || name.isJSONFile
    let records: RecordFile
    if let path = name.path, !spooling {
      records = try RecordFile.open(path: path)
    } else {
      records = try RecordFile.spool(for: name.displayName)
    }
    let options = self.options
    let near = options.near
    let fileSize = records.regularFileSize ?? 0
    var reserveFor = fileSize > 0
    let evaluation = source > 0
    var fileScan = FileScan(
      format: evaluation && options.format != .json ? nil : options.format,
      threads: options.threads, sizes: options.sizes)
    fileScan.decodesEachFormat = evaluation
    // A record of prompts only is compared by --key input; other keys need its answer.
    if evaluation {
      fileScan.answerless = options.key == .input ? .compared : .notCompared(options.key)
    }
    let outcome = try fileScan.run(file, reporter: reporter) {
      (record: borrowing CheckedRecord, block: inout DedupeBlock) in
      if block.keyer == nil {
        block.keyer = RecordKeyer(
          key: options.key, normalization: options.normalization, shingling: options.shingling,
          weightZeroApart: true)
      }
      var state = RecordState(
        offset: Int64(record.position.byteOffset), length: UInt32(record.bytes.count),
        line: UInt32(clamping: record.position.line), source: source)
      if spooling {
        state.offset = Int64(block.spool.count)
        let start = block.spool.count
        block.spool.append(contentsOf: record.bytes)
        // A JSON array element may span lines; raw newlines can only be whitespace between
        // tokens (JSON strings escape them), so spaces keep it the same value on one line.
        for k in start..<block.spool.count where block.spool[k] == 0x0A || block.spool[k] == 0x0D {
          block.spool[k] = 0x20
        }
        block.spool.append(0x0A)
      }
      if near { block.signatures.append(contentsOf: repeatElement(0, count: MinHash.size)) }
      if !record.hasError, record.example.hasValue || options.format == .json {
        let (hash, size) =
          block.keyer?.build(example: record.example, document: record.document) ?? (
            Hash128(high: 0, low: 0), 0
          )
        state.hash = hash
        state.size = UInt32(clamping: size)
        state.flags |= RecordState.valid
        if near {
          let start = block.signatures.count - MinHash.size
          let signed = block.signatures.withUnsafeMutableBufferPointer { all in
            block.keyer?.signature(into: UnsafeMutableBufferPointer(rebasing: all[start...]))
              ?? false
          }
          if signed { state.flags |= RecordState.signed }
        }
      }
      block.states.append(state)
    } consumeWithBytes: { (block: inout DedupeBlock, scanned: ScannedBytes) throws(TunePrepError) in
      let base = records.spoolSize
      if reserveFor, let first = block.states.first, let last = block.states.last {
        // Size the table from the first block, so that it does not double (and briefly
        // hold twice its size) while it grows.
        reserveFor = false
        let covered = Double(last.offset - first.offset) + Double(last.length) + 1
        let estimate = Double(fileSize) / max(covered, 1) * Double(block.states.count) * 1.05
        let records = Int(min(estimate, 1e9)) + 1024
        table.states.reserveCapacity(table.states.count + records)
        if source == 0 {
          table.exactGroups.reserveCapacity(records)
          table.exactIndex.reserve(records, states: table.states)
        }
      }
      let first = table.states.count
      if spooling {
        try block.spool.withUnsafeBufferPointer { (p) throws(TunePrepError) in
          try records.appendToSpool(p)
        }
        for k in block.states.indices { block.states[k].offset += base }
      }
      table.states.append(contentsOf: block.states)
      table.signatures.append(block.signatures)
      guard source == 0 else { return }
      table.addExactGroups(from: first)
      guard let kept = keptDuringScan else { return }
      if spooling {
        // The block's records, each with its newline, as they went to the spool.
        block.spool.withUnsafeBufferPointer { spool in
          table.writeFirstOccurrences(first..<table.states.count, from: spool, at: base, to: kept)
        }
      } else {
        // Only a file read as lines is not spooled.
        precondition(scanned.isLines, "an input read as JSON array elements is always spooled")
        table.writeFirstOccurrences(
          first..<table.states.count, from: scanned.bytes, at: Int64(scanned.byteOffset),
          to: kept)
      }
    }
    if spooling { try records.flushSpool() }
    return Source(records: records, format: outcome.format, decodesEachFormat: evaluation)
  }

  // MARK: Decisions

  /// Input records whose key equals a record of an `--against` file.
  private func decideLeaksExact(_ table: RecordTable, inputCount: Int, _ d: inout Decisions) {
    for i in 0..<inputCount where !table.states[i].isValid {
      d.set(i, .invalid, related: UInt32(i), similarity: 0)
    }
    guard table.states.count > inputCount else { return }
    var firstAgainst: [Hash128: UInt32] = [:]
    for j in inputCount..<table.states.count where table.states[j].isValid {
      if firstAgainst[table.states[j].hash] == nil {
        firstAgainst[table.states[j].hash] = UInt32(j)
      }
    }
    for i in 0..<inputCount where table.states[i].isValid {
      if let j = firstAgainst[table.states[i].hash] {
        d.set(i, options.reportOnly ? .reportedLeak : .leakExact, related: j, similarity: 1)
      }
    }
  }

  /// Exact duplicates inside the input: one survivor per key (per exact group), chosen by
  /// `--keep`.
  private func decideExact(_ table: RecordTable, inputCount: Int, _ d: inout Decisions) {
    // Indexed by group, i.e. by the group's first record.
    var survivor = [UInt32](repeating: UInt32.max, count: inputCount)
    for i in 0..<inputCount where d.isCandidate(i) {
      let group = Int(table.exactGroups[i])
      let current = survivor[group]
      if current == UInt32.max || prefers(UInt32(i), over: current, table) {
        survivor[group] = UInt32(i)
      }
    }
    for i in 0..<inputCount where d.isCandidate(i) {
      let s = survivor[Int(table.exactGroups[i])]
      if s != UInt32(i) { d.set(i, .dupExact, related: s, similarity: 1) }
    }
  }

  /// Whether record `a` should survive instead of `b`, by `--keep`: a strict order (for
  /// `longest`, the most text first and then input order).
  func prefers(_ a: UInt32, over b: UInt32, _ table: RecordTable) -> Bool {
    switch options.keep {
    case .first: return a < b
    case .last: return a > b
    case .longest:
      let sa = table.states[Int(a)].size
      let sb = table.states[Int(b)].size
      return sa != sb ? sa > sb : a < b
    }
  }

  /// Near duplicates (and near leaks): LSH candidates, verified by exact Jaccard, then decided
  /// in `--keep`'s order of preference.
  private func decideNear(
    _ table: RecordTable, inputCount: Int, verifier: Verifier, _ d: inout Decisions
  ) throws(TunePrepError) {
    var members: [UInt32] = []
    for i in 0..<table.states.count where table.states[i].isSigned {
      if i >= inputCount || d.isCandidate(i) { members.append(UInt32(i)) }
    }
    let threads = ThreadCount.resolve(options.threads)
    let banding = LSHBanding(threshold: options.threshold)
    let limit = UInt32(inputCount)
    // Cheap filter on the signatures; the margin is about four standard deviations of the
    // estimate at the threshold, so the exact check below sees every pair that can pass.
    let floor = options.threshold - 0.15
    let signatures = table.signatures
    let likely = banding.candidates(
      members: members, signatures: signatures, threads: threads,
      keep: { a, _ in a < limit },
      accept: { pair in
        MinHash.similarity(signatures[Int(pair >> 32)], signatures[Int(pair & 0xFFFF_FFFF)])
          >= floor
      })
    let similarities = try verifier.jaccard(likely, table: table, threads: threads)
    var pairs: [NearPair] = []
    for (k, pair) in likely.enumerated() where similarities[k] >= options.threshold {
      let a = UInt32(pair >> 32)
      let b = UInt32(pair & 0xFFFF_FFFF)
      guard b >= limit else { continue }
      // A near leak: keep the most similar evaluation record (the first on ties).
      let s = Float(similarities[k])
      if d.reason(Int(a)) == .kept || (d.isLeak(Int(a)) && d.similarity(Int(a)) < s) {
        d.set(Int(a), options.reportOnly ? .reportedLeak : .leakNear, related: b, similarity: s)
      }
    }
    // Then the pairs of input records still in, after every leak is known, so that no record
    // is dropped for one that leaves as a leak.
    for (k, pair) in likely.enumerated() where similarities[k] >= options.threshold {
      let a = UInt32(pair >> 32)
      let b = UInt32(pair & 0xFFFF_FFFF)
      if b < limit && d.isCandidate(Int(a)) && d.isCandidate(Int(b)) {
        pairs.append(NearPair(a: a, b: b, similarity: Float(similarities[k])))
      }
    }
    try decideNearDuplicates(
      table, inputCount: inputCount, pairs: pairs, verified: likely, verifier: verifier,
      threads: threads, &d)
    // An exact duplicate whose survivor leaked, leaks too.
    for i in 0..<inputCount where d.reason(i) == .dupExact {
      let s = Int(d.related(i))
      if d.reason(s) == .leakNear {
        d.set(i, .leakNear, related: d.related(s), similarity: d.similarity(s))
      }
    }
  }

  // MARK: Second pass

  /// Reports every dropped record and writes what is left to write: the kept records (unless
  /// the scan wrote them), the rejects and the clusters.
  /// - Parameter dryRun: no kept records are written at all (`--dry-run`), which the messages
  ///   say.
  private func writeResults(
    _ table: RecordTable, inputCount: Int, decisions d: Decisions, sources: [Source],
    outputs: Outputs, dryRun: Bool,
    verifier: Verifier, reporter: FindingReporter
  ) throws(TunePrepError) {
    let input = sources[0].records
    let needBytes = outputs.kept != nil || outputs.rejects != nil
    // Reading ahead pays when most records are read back; a few rejects are read one by one.
    var readBack = 0
    if outputs.kept != nil {
      readBack = inputCount
    } else if outputs.rejects != nil {
      for i in 0..<inputCount where d.reason(i) != .kept && d.reason(i) != .reportedLeak {
        readBack += 1
      }
    }
    let cursor = RecordFile.Cursor(input, readAhead: readBack * 8 > inputCount ? 4 << 20 : 0)
    var checker = RecordChecker(
      fileFormat: sources[0].format, detected: options.format == nil, formatLocation: nil)
    var scratch: [Finding] = []
    let name = input.displayName
    for i in 0..<inputCount {
      let state = table.states[i]
      let reason = d.reason(i)
      var finding: Finding?
      let related = Int(d.related(i))
      switch reason {
      case .kept, .invalid: break
      case .dupExact, .dupNear:
        let (keptIndex, via, similarity) = keptRecord(of: i, d)
        let kept = table.states[keptIndex]
        var what =
          reason == .dupExact
          ? "exact duplicate of line \(table.states[related].line) (same \(options.key.rawValue) after --normalize \(options.normalization.rawValue))"
          : "near-duplicate of line \(kept.line) (Jaccard \(formatSimilarity(similarity)))"
        var relatedLocations = [Location(file: name, line: Int(kept.line))]
        if let via {
          // An exact duplicate of a record that is itself dropped as a near duplicate.
          what +=
            ", a near-duplicate of line \(kept.line) (Jaccard \(formatSimilarity(similarity)))"
          relatedLocations.append(Location(file: name, line: Int(table.states[via].line)))
        }
        finding = Finding(
          reason == .dupExact ? .dupExact : .dupNear,
          at: Location(file: name, line: Int(state.line)),
          message: what + (dryRun ? "" : ": dropped, line \(kept.line) kept"),
          related: relatedLocations)
      case .leakExact, .leakNear, .reportedLeak:
        let other = table.states[related]
        let file = sources[Int(other.source)].records.displayName
        let exact = d.similarity(i) >= 1 && table.states[i].hash == other.hash
        let what =
          exact
          ? "the same example as \(file):\(other.line)"
          : "a near-duplicate of \(file):\(other.line) (Jaccard \(formatSimilarity(d.similarity(i))))"
        let action =
          reason == .reportedLeak
          ? "kept (--report-only); remove it before training so the evaluation stays honest"
          : "dropped so the evaluation stays honest"
        finding = Finding(
          exact ? .leakExact : .leakNear, at: Location(file: name, line: Int(state.line)),
          message: "leaks evaluation data: \(what); \(action)",
          related: [Location(file: file, line: Int(other.line))])
      }
      if let finding { reporter.report(finding) }
      let isKept = reason == .kept || reason == .reportedLeak
      guard needBytes, isKept ? outputs.kept != nil : outputs.rejects != nil else { continue }
      try cursor.withRecord(at: state.offset, length: Int(state.length)) { bytes in
        if isKept {
          outputs.kept?.write(bytes)
          outputs.kept?.write(CollectionOfOne(UInt8(0x0A)))
          return
        }
        guard let rejects = outputs.rejects else { return }
        if reason == .invalid {
          scratch.removeAll(keepingCapacity: true)
          let position = RecordPosition(
            file: name, line: Int(state.line), column: 1, byteOffset: Int(state.offset))
          _ = checker.check(bytes, at: position, findings: &scratch)
          rejects.write(
            invalidRecordRejectLine(
              file: name, line: Int(state.line), findings: scratch, record: bytes))
          return
        }
        if let finding {
          var (other, via, similarity) = (related, Int?.none, d.similarity(i))
          if reason == .dupExact || reason == .dupNear {
            (other, via, similarity) = keptRecord(of: i, d)
          }
          let file = sources[Int(table.states[other].source)].records.displayName
          var line = "{\"file\":\(name.jsonQuoted),\"line\":\(state.line)"
          line += ",\"reason\":\(finding.code.jsonQuoted),\"message\":\(finding.message.jsonQuoted)"
          line += ",\"kept\":{\"file\":\(file.jsonQuoted),\"line\":\(table.states[other].line)}"
          if let via {
            line += ",\"via\":{\"file\":\(name.jsonQuoted),\"line\":\(table.states[via].line)}"
          }
          line += ",\"similarity\":\(formatSimilarity(similarity)),\"record\":"
          rejects.write(line)
          rejects.write(bytes)
          rejects.write("}\n")
        }
      }
    }
    if let clusters = outputs.clusters {
      writeClusters(table, inputCount: inputCount, decisions: d, name: name, to: clusters)
    }
  }

  /// The kept record that a dropped duplicate (`dup.exact` or `dup.near`) stands for, the
  /// record it was linked through (nil when it is a duplicate of the kept record itself), and
  /// its similarity with the kept record.
  ///
  /// A near duplicate is always dropped for a kept record. An exact duplicate is dropped for
  /// its group's survivor, which is kept, or is itself dropped as a near duplicate of a kept
  /// record: then it is linked through the survivor, and shares its similarity (the two have
  /// the same key, so the same shingles).
  private func keptRecord(of i: Int, _ d: Decisions) -> (kept: Int, via: Int?, similarity: Float) {
    let related = Int(d.related(i))
    guard d.reason(i) == .dupExact, d.reason(related) == .dupNear else {
      return (related, nil, d.similarity(i))
    }
    return (Int(d.related(related)), related, d.similarity(related))
  }

  /// One JSON line per group of duplicates: the kept record and every dropped member.
  private func writeClusters(
    _ table: RecordTable, inputCount: Int, decisions d: Decisions, name: String,
    to out: OutputStream
  ) {
    var members: [(kept: UInt32, member: UInt32)] = []
    for i in 0..<inputCount where d.reason(i) == .dupExact || d.reason(i) == .dupNear {
      members.append((UInt32(keptRecord(of: i, d).kept), UInt32(i)))
    }
    members.sort { $0.kept != $1.kept ? $0.kept < $1.kept : $0.member < $1.member }
    var k = 0
    while k < members.count {
      let kept = members[k].kept
      var line =
        "{\"file\":\(name.jsonQuoted),\"kept\":\(table.states[Int(kept)].line),\"members\":["
      var first = true
      while k < members.count && members[k].kept == kept {
        let m = Int(members[k].member)
        if !first { line += "," }
        first = false
        let reason = d.reason(m) == .dupExact ? "dup.exact" : "dup.near"
        let (_, via, similarity) = keptRecord(of: m, d)
        line +=
          "{\"line\":\(table.states[m].line),\"reason\":\"\(reason)\",\"similarity\":\(formatSimilarity(similarity))"
        if let via { line += ",\"via\":\(table.states[via].line)" }
        line += "}"
        k += 1
      }
      out.write(line + "]}\n")
    }
  }
}

/// A similarity with up to four decimals and no trailing zeros (1, 0.9, 0.8731).
func formatSimilarity(_ value: Float) -> String {
  let scaled = Int((Double(value) * 10000).rounded())
  if scaled >= 10000 { return "1" }
  if scaled <= 0 { return "0" }
  var digits = String(scaled)
  while digits.count < 4 { digits = "0" + digits }
  while digits.hasSuffix("0") { digits.removeLast() }
  return "0." + digits
}

@inline(__always)
func pairKey(_ a: UInt32, _ b: UInt32) -> UInt64 {
  a < b ? UInt64(a) << 32 | UInt64(b) : UInt64(b) << 32 | UInt64(a)
}

// MARK: - State

/// What dedupe keeps of one record: 40 bytes (plus 256 for a signature with `--near`).
struct RecordState {
  static let valid: UInt8 = 1
  static let signed: UInt8 = 2

  /// Offset of the record in its ``RecordFile``.
  var offset: Int64
  /// Bytes of the record (no newline).
  var length: UInt32
  /// Line of the record in its input.
  var line: UInt32
  /// The hash of the normalized key.
  var hash = Hash128(high: 0, low: 0)
  /// Text bytes, for `--keep longest` (see ``KeyBuilder/build(_:in:into:)``).
  var size: UInt32 = 0
  /// 0 for the input, k for the k-th `--against` file.
  var source: UInt16
  var flags: UInt8 = 0

  init(offset: Int64, length: UInt32, line: UInt32, source: UInt16) {
    self.offset = offset
    self.length = length
    self.line = line
    self.source = source
  }

  var isValid: Bool { flags & RecordState.valid != 0 }
  var isSigned: Bool { flags & RecordState.signed != 0 }
}

/// Every record's state, input first, then the `--against` files.
struct RecordTable {
  var states: [RecordState] = []
  /// Signatures when near duplicates are searched, else empty.
  let signatures = SignatureStore()
  /// For each input record, the index of the first valid input record with the same key
  /// (itself for the first; `UInt32.max` for an invalid record): 4 bytes per record.
  var exactGroups: [UInt32] = []
  /// Finds the first record of each key while the input is scanned.
  var exactIndex = ExactIndex()

  init(near: Bool) {}

  /// Writes the records of `range` that are the first of their key (valid, and their own
  /// exact group), each followed by a newline, from the bytes that hold them.
  ///
  /// Neighbours that follow each other with one newline between them in `bytes` go out in one
  /// write, straight from `bytes`; a record ending in CRLF or at the end of the input without
  /// a newline is written on its own with a newline added, as the second pass would.
  /// - Parameters:
  ///   - range: record indices, whose `offset`s lie in `bytes`.
  ///   - bytes: the block's bytes (the input's lines, or the block's spool bytes).
  ///   - offset: the offset of `bytes[0]` in the records' file.
  ///   - out: where the kept records go.
  func writeFirstOccurrences(
    _ range: Range<Int>, from bytes: UnsafeBufferPointer<UInt8>, at offset: Int64,
    to out: OutputStream
  ) {
    var runStart = 0
    var runEnd = 0
    for i in range where exactGroups[i] == UInt32(i) {
      let start = Int(states[i].offset - offset)
      let end = start + Int(states[i].length)
      if end < bytes.count && bytes[end] == 0x0A {
        if start != runEnd || runStart == runEnd {
          out.writeThrough(UnsafeBufferPointer(rebasing: bytes[runStart..<runEnd]))
          runStart = start
        }
        runEnd = end + 1
      } else {
        out.writeThrough(UnsafeBufferPointer(rebasing: bytes[runStart..<runEnd]))
        out.write(UnsafeBufferPointer(rebasing: bytes[start..<end]))
        out.write(CollectionOfOne(UInt8(0x0A)))
        runStart = end
        runEnd = end
      }
    }
    out.writeThrough(UnsafeBufferPointer(rebasing: bytes[runStart..<runEnd]))
  }

  /// Finds the exact groups of the records from `start` on (all in `states`, in input order).
  mutating func addExactGroups(from start: Int) {
    for i in start..<states.count {
      exactGroups.append(
        states[i].isValid
          ? exactIndex.firstIndex(of: states[i].hash, index: UInt32(i), states: states)
          : UInt32.max)
    }
  }
}

/// One scanned file: its records to read back and its format.
struct Source {
  let records: RecordFile
  let format: Format?
  /// Whether records of another format were decoded in their own (an `--against` file).
  var decodesEachFormat = false
}

/// The per-block payload of dedupe's first pass.
struct DedupeBlock: BlockPayload {
  var states: [RecordState] = []
  var signatures: [UInt16] = []
  var spool: [UInt8] = []
  var keyer: RecordKeyer?
  init() {}
}

/// Why an input record is not (or is) in the output.
enum DropReason: UInt8, CaseIterable {
  case kept, invalid, dupExact, dupNear, leakExact, leakNear
  /// A leak reported with `--report-only`: the record stays.
  case reportedLeak
}

/// The decision for each input record: 9 bytes each.
struct Decisions {
  private var reasons: [DropReason]
  private var relatedRecord: [UInt32]
  private var similarities: [Float]

  init(count: Int) {
    reasons = Array(repeating: .kept, count: count)
    relatedRecord = Array(repeating: 0, count: count)
    similarities = Array(repeating: 0, count: count)
  }

  mutating func set(_ i: Int, _ reason: DropReason, related: UInt32, similarity: Float) {
    reasons[i] = reason
    relatedRecord[i] = related
    similarities[i] = similarity
  }

  func reason(_ i: Int) -> DropReason { reasons[i] }
  func related(_ i: Int) -> UInt32 { relatedRecord[i] }
  func similarity(_ i: Int) -> Float { similarities[i] }

  /// Still in the running (kept so far, or a leak that is only reported).
  func isCandidate(_ i: Int) -> Bool { reasons[i] == .kept || reasons[i] == .reportedLeak }

  func isLeak(_ i: Int) -> Bool {
    reasons[i] == .leakExact || reasons[i] == .leakNear || reasons[i] == .reportedLeak
  }

  func count(_ reason: DropReason) -> Int { reasons.reduce(0) { $0 + ($1 == reason ? 1 : 0) } }
}

// MARK: - Verification

/// Computes exact Jaccard similarities by reading records back and shingling them again, on
/// several threads; each pair's result depends only on the two records.
final class Verifier: @unchecked Sendable {
  private let sources: [Source]
  private let options: Deduplicator.Options

  init(sources: [Source], options: Deduplicator.Options) {
    self.sources = sources
    self.options = options
  }

  /// The exact Jaccard similarity of each pair (`a << 32 | b` record indices).
  func jaccard(_ pairs: [UInt64], table: RecordTable, threads: Int) throws(TunePrepError)
    -> [Double]
  {
    if pairs.isEmpty { return [] }
    let results = ResultSlots<Result<[Double], TunePrepError>>(count: threads)
    let states = UnsafeSendable(table.states)
    let workers = min(threads, pairs.count)
    // Each worker takes a contiguous run of the sorted pairs, so the pairs of one record `a`
    // mostly fall to one worker, which shingles `a` once for all of them.
    DispatchQueue.concurrentPerform(iterations: workers) { t in
      var context = VerifyContext(sources: sources, options: options)
      var out: [Double] = []
      var setA: [UInt64] = []
      var setB: [UInt64] = []
      var shingledA = -1
      do throws(TunePrepError) {
        for k in (pairs.count * t / workers)..<(pairs.count * (t + 1) / workers) {
          let a = Int(pairs[k] >> 32)
          let b = Int(pairs[k] & 0xFFFF_FFFF)
          if a != shingledA {
            try context.shingles(of: states.value[a], into: &setA)
            shingledA = a
          }
          try context.shingles(of: states.value[b], into: &setB)
          out.append(TunePrep.jaccard(setA, setB))
        }
        results.set(t, .success(out))
      } catch {
        results.set(t, .failure(error))
      }
    }
    var all: [Double] = []
    all.reserveCapacity(pairs.count)
    for t in 0..<workers {
      switch results.get(t) {
      case .success(let values): all.append(contentsOf: values)
      case .failure(let error): throw error
      case nil: preconditionFailure("verification worker \(t) stopped without a result")
      }
    }
    return all
  }
}

/// One verification thread's readers, checkers and buffers.
struct VerifyContext {
  private var cursors: [RecordFile.Cursor]
  private var checkers: [RecordChecker]
  private var keyer: RecordKeyer
  private var findings: [Finding] = []
  private let names: [String]

  init(sources: [Source], options: Deduplicator.Options) {
    cursors = sources.map { RecordFile.Cursor($0.records, readAhead: 0) }
    checkers = sources.map {
      // An `--against` record of another format was compared in its own format; it is read
      // back the same way.
      var checker = RecordChecker(
        fileFormat: $0.format, detected: $0.decodesEachFormat, formatLocation: nil)
      checker.decodesEachFormat = $0.decodesEachFormat
      return checker
    }
    names = sources.map(\.records.displayName)
    keyer = RecordKeyer(
      key: options.key, normalization: options.normalization, shingling: options.shingling,
      weightZeroApart: true)
  }

  /// The shingle set of a record, read back from its file.
  mutating func shingles(of state: RecordState, into set: inout [UInt64]) throws(TunePrepError) {
    let s = Int(state.source)
    let position = RecordPosition(
      file: names[s], line: Int(state.line), column: 1, byteOffset: Int(state.offset))
    try cursors[s].withRecord(at: state.offset, length: Int(state.length)) { bytes in
      findings.removeAll(keepingCapacity: true)
      var (example, _) = checkers[s].check(bytes, at: position, findings: &findings)
      _ = keyer.build(example: example, document: checkers[s].document)
      checkers[s].recycle(&example)
      keyer.shingleSet(into: &set)
    }
  }
}
