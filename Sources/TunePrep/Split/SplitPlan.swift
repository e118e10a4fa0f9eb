/// Where every record goes, and the counts the manifest reports.
struct SplitAssignment {
  /// Split index per entry (input order).
  var splitOf: [UInt8]
  /// Records per split.
  var splitCounts: [Int]
  /// The sizes aimed at (exact mode) or expected (stable mode).
  var targets: [Int]
  /// Per stratum, in the order of ``StratumValue/precedes(_:_:)``: records per split (empty
  /// without `--stratify`).
  var strata: [(value: StratumValue, counts: [Int])] = []
  /// Units placed: groups of records that always share a split.
  var units = 0
}

/// Decides the split of every record from the first pass's state alone.
///
/// Records that must stay together form one unit: exact duplicates (by dedupe's key), records
/// with the same `--group` value and, with `--group near-duplicates`, each near-duplicate
/// cluster. Units are then placed either by a seeded shuffle (exact sizes) or by a keyed hash of
/// their content (`--stable`).
struct SplitPlan {
  let scan: SplitScan.Result
  let options: Splitter.Options
  /// Verified near-duplicate pairs of entries, (a, b, Jaccard) with a < b.
  var nearPairs: [(UInt32, UInt32, Float)] = []

  init(scan: SplitScan.Result, options: Splitter.Options) {
    self.scan = scan
    self.options = options
  }

  /// Places every record and reports size findings.
  /// - Parameters:
  ///   - reporter: receives `split.*` findings about sizes and strata.
  ///   - file: the input's display name, for findings.
  func assign(reporter: FindingReporter, file: String) -> SplitAssignment {
    let n = scan.entries.count
    let splits = options.names.count
    var unitOf = unitsOfEntries()
    var unitCount = 0
    // A unit's root is its first record; roots are numbered in input order, in place. Only
    // strata and --stable need the roots afterwards.
    let keepRoots = options.stable || options.stratify != nil
    var unitRoot: [UInt32] = []
    for i in 0..<n {
      if unitOf[i] == UInt32(i) {
        unitOf[i] = UInt32(unitCount)
        if keepRoots { unitRoot.append(UInt32(i)) }
        unitCount += 1
      } else {
        unitOf[i] = unitOf[Int(unitOf[i])]
      }
    }

    let targets = targetSizes(n, reporter: reporter, file: file)
    var splitOfUnit = [UInt8](repeating: 0, count: unitCount)
    // Units per stratum (by their first record), for the stratum-too-small message.
    var unitsInStratum: [Int] = []
    if options.stratify != nil {
      unitsInStratum = [Int](repeating: 0, count: scan.stratumValues.count)
      for root in unitRoot { unitsInStratum[Int(scan.strata[Int(root)])] += 1 }
    }
    if options.stable {
      placeByHash(unitRoot: unitRoot, into: &splitOfUnit)
    } else {
      var unitSize = [UInt32](repeating: 0, count: unitCount)
      for i in 0..<n { unitSize[Int(unitOf[i])] += 1 }
      placeByShuffle(
        unitRoot: unitRoot, unitCount: unitCount, unitSize: unitSize, total: targets,
        into: &splitOfUnit)
    }
    unitRoot = []
    var assignment = SplitAssignment(
      splitOf: [UInt8](repeating: 0, count: n), splitCounts: [Int](repeating: 0, count: splits),
      targets: targets, units: unitCount)
    for i in 0..<n {
      let s = splitOfUnit[Int(unitOf[i])]
      assignment.splitOf[i] = s
      assignment.splitCounts[Int(s)] += 1
    }
    if options.stratify != nil {
      let order = stratumOrder()
      assignment.strata = stratumCounts(assignment.splitOf, order: order)
      reportSmallStrata(
        assignment.strata, units: order.map { unitsInStratum[$0] }, targets: targets,
        reporter: reporter, file: file)
    }
    return assignment
  }

  // MARK: Units

  /// For each entry, the first entry of its unit (union-find with the smallest index as root).
  private func unitsOfEntries() -> [UInt32] {
    let n = scan.entries.count
    var sets = UnionFind(count: n)
    var order = scan.entries.withUnsafeBufferPointer { entries in
      let order = KeyOrder.sorted(count: n) { entries[$0].key }
      for k in order.indices.dropFirst()
      where entries[Int(order[k])].key == entries[Int(order[k - 1])].key {
        sets.union(order[k - 1], order[k])
      }
      return order
    }
    if !scan.groupKeys.isEmpty {
      scan.groupKeys.withUnsafeBufferPointer { keys in
        order = []
        order = KeyOrder.sorted(count: n) { keys[$0] }
        for k in order.indices.dropFirst() {
          let key = keys[Int(order[k])]
          if key != 0 && key == keys[Int(order[k - 1])] { sets.union(order[k - 1], order[k]) }
        }
      }
    }
    if options.group == .nearDuplicates {
      for (a, b, _) in nearPairs { sets.union(a, b) }
    }
    // Reuse the order buffer for the roots.
    for i in 0..<n { order[i] = sets.find(UInt32(i)) }
    return order
  }

  // MARK: Sizes

  /// The records each split should get out of `n`.
  ///
  /// `--ratios` divide `n` by largest remainder. `--counts` that do not add up to `n` are
  /// adjusted, and reported: the first split takes a surplus; a shortfall comes out of the
  /// first split, and when the evaluation splits alone ask for more than `n`, the first split
  /// gets nothing and they share `n` in proportion to their counts (largest remainder, ties to
  /// the earlier split), so that none is starved for another.
  func targetSizes(_ n: Int, reporter: FindingReporter, file: String) -> [Int] {
    switch options.sizes {
    case .ratios:
      return largestRemainder(n, weights: options.sizes.weights)
    case .counts(let counts):
      let asked = counts.reduce(0, +)
      if asked == n { return counts }
      func described(_ sizes: [Int]) -> String {
        zip(options.names, sizes).map { "\($0) \($1)" }.joined(separator: ", ")
      }
      var sizes = counts
      let outcome: String
      if options.stable {
        // The hash ranges must not depend on the number of records, or a grown file would
        // move old examples: the counts are proportions here, and the targets what they give.
        sizes = largestRemainder(n, weights: counts)
        outcome =
          ", and --stable places each record by its hash, so the counts act as proportions: expect about \(described(sizes)) (drop --stable for exact counts)"
      } else {
        let evaluation = counts.dropFirst().reduce(0, +)
        if asked < n || evaluation <= n {
          sizes[0] = n - evaluation
        } else {
          sizes = [0] + largestRemainder(n, weights: Array(counts.dropFirst()))
        }
        let first = options.names[0]
        let others = options.names.dropFirst().joined(separator: ", ")
        let rule =
          asked < n
          ? "\(first) takes the surplus"
          : evaluation <= n
            ? "\(first) gives up the difference"
            : "\(others) alone ask for more: \(first) gets none, and they share the records in proportion to their counts"
        outcome = ": using \(described(sizes)) (\(rule))"
      }
      reporter.report(
        Finding(
          .splitCountsAdjusted, at: Location(file: file, line: 0),
          message:
            "--counts asks for \(counting: asked, "record") but \(n) passed validation\(outcome)"))
      return sizes
    }
  }

  // MARK: Placement

  /// Shuffles the units of each stratum and deals them out in order until each split has its
  /// share: exact sizes when units are single records.
  ///
  /// A unit of several records that crosses a share's end goes whole to the split it starts in,
  /// so a stratum's deal can miss its quota row by less than its largest unit. With
  /// `--stratify` two steps keep those misses from piling up over many strata. Each stratum's
  /// miss is carried into the quotas of the strata dealt after it (see
  /// ``carriedQuota(_:owed:)``), which keeps every split close to its target. Then the units are
  /// dealt once more, all strata together, against the split sizes, in the order the first deal
  /// left them (by split, then stratum, then shuffled order): that moves only the few units at
  /// the ends of the splits, and bounds each split's size exactly as one deal does, within its
  /// target by less than the size of the unit that crosses its end.
  private func placeByShuffle(
    unitRoot: [UInt32], unitCount: Int, unitSize: [UInt32], total: [Int],
    into splitOfUnit: inout [UInt8]
  ) {
    var random = SplitRandom(seed: options.seed)
    var strata = unitsByStratum(unitRoot, unitCount: unitCount)
    let records = strata.map { $0.reduce(0) { $0 + Int(unitSize[Int($1)]) } }
    let quotas = options.stratify == nil ? [total] : Self.stratumQuotas(records, total)
    let stratified = strata.count > 1
    // Per split, the records its quotas so far asked for minus those it got.
    var owed = [Int](repeating: 0, count: total.count)
    var placed = [Int](repeating: 0, count: total.count)
    // Per split, the units the first deal gave it, in dealing order (only with several strata).
    var dealt = [[UInt32]](repeating: [], count: stratified ? total.count : 0)
    for s in strata.indices {
      // Move the list out so the shuffle does not copy it.
      var units: [UInt32] = []
      swap(&units, &strata[s])
      random.shuffle(&units)
      let targets = Self.carriedQuota(quotas[s], owed: owed)
      for k in placed.indices { placed[k] = 0 }
      Self.deal(units, sizes: unitSize, targets: targets, placed: &placed) { unit, k in
        splitOfUnit[Int(unit)] = UInt8(k)
        if stratified { dealt[k].append(unit) }
      }
      for k in owed.indices { owed[k] += quotas[s][k] - placed[k] }
    }
    guard stratified else { return }
    for k in placed.indices { placed[k] = 0 }
    for list in dealt {
      Self.deal(list, sizes: unitSize, targets: total, placed: &placed) { unit, k in
        splitOfUnit[Int(unit)] = UInt8(k)
      }
    }
  }

  /// Deals `units` out in order: each goes to the split whose share (`targets`, laid end to
  /// end) the running record count is in when the unit starts.
  ///
  /// `placed` counts the records given to each split and carries the running count, so a
  /// sequence can be dealt in several calls.
  /// - Parameters:
  ///   - units: unit indices in dealing order.
  ///   - sizes: records per unit.
  ///   - targets: the records each split should get.
  ///   - placed: records given to each split so far; the running count is their sum.
  ///   - place: receives each unit and its split.
  @inline(__always)
  static func deal(
    _ units: [UInt32], sizes: [UInt32], targets: [Int], placed: inout [Int],
    place: (UInt32, Int) -> Void
  ) {
    var bounds: [Int] = []
    var sum = 0
    for t in targets {
      sum += t
      bounds.append(sum)
    }
    var position = placed.reduce(0, +)
    var k = 0
    for unit in units {
      while k < bounds.count - 1 && position >= bounds[k] { k += 1 }
      place(unit, k)
      let size = Int(sizes[Int(unit)])
      position += size
      placed[k] += size
    }
  }

  /// A stratum's quota row corrected by what earlier strata's deals owe: the splits that got
  /// more than their quotas give up as much of this row as it has, and the splits that got less
  /// share what that frees in proportion to what they are owed (largest remainder).
  ///
  /// The row still adds up to the stratum's size and no cell goes below 0; what this row cannot
  /// absorb stays owed to the next stratum. With nothing owed (single-record units) it is the
  /// row itself.
  /// - Parameters:
  ///   - quota: the stratum's row of ``stratumQuotas(_:_:)``.
  ///   - owed: per split, records asked for by the quotas of the strata dealt so far minus
  ///     records placed there; they add up to 0.
  static func carriedQuota(_ quota: [Int], owed: [Int]) -> [Int] {
    var row = quota
    var freed = 0
    for k in row.indices where owed[k] < 0 {
      let take = min(-owed[k], row[k])
      row[k] -= take
      freed += take
    }
    guard freed > 0 else { return row }
    // The behind splits are owed at least what the ahead ones gave, so no cell gets more
    // than it is owed.
    let extra = largestRemainder(freed, weights: owed.map { max($0, 0) })
    for k in row.indices { row[k] += extra[k] }
    return row
  }

  /// Splits each stratum's records over the splits in proportion, so that every stratum's
  /// row adds up to its size and every split's column to its target: floors of the exact
  /// quotas first, then the units left over by largest remainder (integers, same denominator)
  /// wherever both the stratum and the split still have room.
  static func stratumQuotas(_ records: [Int], _ total: [Int]) -> [[Int]] {
    let n = records.reduce(0, +)
    guard n > 0 else { return records.map { _ in total.map { _ in 0 } } }
    var quotas = records.map { r in total.map { r * $0 / n } }
    var rowLeft = records.indices.map { records[$0] - quotas[$0].reduce(0, +) }
    var columnLeft = total.indices.map { k in total[k] - quotas.reduce(0) { $0 + $1[k] } }
    var cells: [(s: Int, k: Int, remainder: Int)] = []
    for s in records.indices {
      for k in total.indices { cells.append((s, k, records[s] * total[k] % n)) }
    }
    cells.sort {
      $0.remainder != $1.remainder ? $0.remainder > $1.remainder : ($0.s, $0.k) < ($1.s, $1.k)
    }
    for cell in cells where cell.remainder > 0 && rowLeft[cell.s] > 0 && columnLeft[cell.k] > 0 {
      quotas[cell.s][cell.k] += 1
      rowLeft[cell.s] -= 1
      columnLeft[cell.k] -= 1
    }
    // Rarely the greedy pass strands a unit; any cell with room on both sides takes it.
    for s in records.indices {
      for k in total.indices where rowLeft[s] > 0 && columnLeft[k] > 0 {
        let give = min(rowLeft[s], columnLeft[k])
        quotas[s][k] += give
        rowLeft[s] -= give
        columnLeft[k] -= give
      }
    }
    return quotas
  }

  /// Unit indices per stratum (one list without `--stratify`), strata in order of their value.
  private func unitsByStratum(_ unitRoot: [UInt32], unitCount: Int) -> [[UInt32]] {
    guard options.stratify != nil else { return [(0..<unitCount).map { UInt32($0) }] }
    var lists = [[UInt32]](repeating: [], count: scan.stratumValues.count)
    for (unit, root) in unitRoot.enumerated() {
      lists[Int(scan.strata[Int(root)])].append(UInt32(unit))
    }
    return stratumOrder().map { lists[$0] }
  }

  /// Stratum ids sorted by value (``StratumValue/precedes(_:_:)``), so the result does not
  /// depend on input order.
  private func stratumOrder() -> [Int] {
    scan.stratumValues.indices.sorted {
      StratumValue.precedes(scan.stratumValues[$0], scan.stratumValues[$1])
    }
  }

  /// `--stable`: each unit goes where a keyed hash of its content (or its group value) falls
  /// on the line cut by the ratios; adding records never moves an existing one.
  ///
  /// `--counts` cut the line as proportions, whatever the number of records, so that the
  /// promise holds for them too (``targetSizes(_:reporter:file:)`` reports the expected sizes).
  private func placeByHash(unitRoot: [UInt32], into splitOfUnit: inout [UInt8]) {
    let weights = options.sizes.weights
    let totalWeight = UInt64(weights.reduce(0, +))
    // No valid record: nothing to place (and no line to cut).
    guard totalWeight > 0 else { return }
    var bounds: [UInt64] = []
    var sum: UInt64 = 0
    for w in weights {
      sum += UInt64(w)
      // Cumulative share of 2^53, in integers so every platform agrees.
      let scaled = sum.multipliedFullWidth(by: 1 << 53)
      bounds.append(totalWeight.dividingFullWidth((scaled.high, scaled.low)).quotient)
    }
    let keyed = SplitMix64.mix(options.seed ^ 0x5350_4C49_545F_4B45)
    for (unit, root) in unitRoot.enumerated() {
      var key = scan.entries[Int(root)].key
      if !scan.groupKeys.isEmpty, scan.groupKeys[Int(root)] != 0 { key = scan.groupKeys[Int(root)] }
      let point = SplitMix64.mix(key ^ keyed) >> 11
      var k = 0
      while k < bounds.count - 1 && point >= bounds[k] { k += 1 }
      splitOfUnit[unit] = UInt8(k)
    }
  }

  // MARK: Strata

  private func stratumCounts(_ splitOf: [UInt8], order: [Int]) -> [(
    value: StratumValue, counts: [Int]
  )] {
    var table = [[Int]](
      repeating: [Int](repeating: 0, count: options.names.count),
      count: scan.stratumValues.count)
    for (i, s) in splitOf.enumerated() {
      table[Int(scan.strata[i])][Int(s)] += 1
    }
    return order.map { (scan.stratumValues[$0], table[$0]) }
  }

  /// Reports each stratum that has no record in a split that has a target, saying why: too few
  /// records for a share of at least one record, or groups (which are never divided) too large
  /// for its share, or `--stable`'s hash.
  /// - Parameters:
  ///   - strata: the counts per stratum and split.
  ///   - units: per stratum (same order), the units whose first record is in it.
  ///   - targets: the split sizes aimed at.
  private func reportSmallStrata(
    _ strata: [(value: StratumValue, counts: [Int])], units: [Int], targets: [Int],
    reporter: FindingReporter, file: String
  ) {
    guard let key = options.stratify else { return }
    let n = targets.reduce(0, +)
    let positive = targets.filter { $0 > 0 }.count
    for ((value, counts), unitCount) in zip(strata, units) {
      let missed = counts.indices.filter { targets[$0] > 0 && counts[$0] == 0 }
      guard !missed.isEmpty else { continue }
      let total = counts.reduce(0, +)
      let names = missed.map { options.names[$0] }.joined(separator: ", ")
      let records = "\(total) record\(total == 1 ? "" : "s")"
      let fix = "add examples of it or merge it with a similar stratum"
      // Its exact share of a missed split, in records: total × target / n.
      let share = missed.map { Double(total) * Double(targets[$0]) / Double(max(n, 1)) }.max() ?? 0
      let message: String
      if share < 1 || unitCount < positive || total < positive {
        message =
          "\(value.display(key: key)) has \(records), too few to reach every split: none in \(names); \(fix)"
      } else {
        let why =
          options.stable
          ? "--stable places each record by its hash, not by a quota"
          : unitCount < total
            ? "its records come in \(counting: unitCount, "group"), which are never divided, and whole groups went to the other splits"
            : "groups of other strata, which are never divided, took its place there"
        let rounded = (share * 10).rounded() / 10
        message =
          "\(value.display(key: key)) has \(records), none in \(names) although its share there is \(rounded) record\(rounded == 1 ? "" : "s"): \(why); \(fix)"
      }
      reporter.report(
        Finding(.splitStratumTooSmall, at: Location(file: file, line: 0), message: message))
    }
  }
}
