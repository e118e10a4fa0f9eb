/// Where every record goes, and the counts the manifest reports.
struct SplitAssignment {
  /// Split index per entry (input order).
  var splitOf: [UInt8]
  /// Records per split.
  var splitCounts: [Int]
  /// The sizes aimed at (exact mode) or expected (stable mode).
  var targets: [Int]
  /// Per stratum, by value: records per split (empty without `--stratify`).
  var strata: [(name: String, counts: [Int])] = []
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
      assignment.strata = stratumCounts(assignment.splitOf)
      reportSmallStrata(assignment.strata, reporter: reporter, file: file)
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
  private func targetSizes(_ n: Int, reporter: FindingReporter, file: String) -> [Int] {
    switch options.sizes {
    case .ratios:
      return largestRemainder(n, weights: options.sizes.weights)
    case .counts(let counts):
      let asked = counts.reduce(0, +)
      if asked == n { return counts }
      var sizes = counts
      if asked < n {
        sizes[0] += n - asked
      } else {
        var left = n
        for k in stride(from: counts.count - 1, through: 1, by: -1) {
          sizes[k] = min(counts[k], left)
          left -= sizes[k]
        }
        sizes[0] = left
      }
      let described = zip(options.names, sizes).map { "\($0) \($1)" }.joined(separator: ", ")
      reporter.report(
        Finding(
          .splitCountsAdjusted, at: Location(file: file, line: 0),
          message:
            "--counts asks for \(asked) records but \(n) passed validation: using \(described) (the first split takes the difference)"
        ))
      return sizes
    }
  }

  // MARK: Placement

  /// Shuffles the units of each stratum and deals them out in order until each split has its
  /// share: exact sizes when units are single records.
  private func placeByShuffle(
    unitRoot: [UInt32], unitCount: Int, unitSize: [UInt32], total: [Int],
    into splitOfUnit: inout [UInt8]
  ) {
    var random = SplitRandom(seed: options.seed)
    var strata = unitsByStratum(unitRoot, unitCount: unitCount)
    let records = strata.map { $0.reduce(0) { $0 + Int(unitSize[Int($1)]) } }
    let quotas = options.stratify == nil ? [total] : Self.stratumQuotas(records, total)
    for s in strata.indices {
      // Move the list out so the shuffle does not copy it.
      var units: [UInt32] = []
      swap(&units, &strata[s])
      let targets = quotas[s]
      var bounds: [Int] = []
      var sum = 0
      for t in targets {
        sum += t
        bounds.append(sum)
      }
      random.shuffle(&units)
      var position = 0
      for unit in units {
        var k = 0
        while k < bounds.count - 1 && position >= bounds[k] { k += 1 }
        splitOfUnit[Int(unit)] = UInt8(k)
        position += Int(unitSize[Int(unit)])
      }
    }
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
    var lists = [[UInt32]](repeating: [], count: scan.stratumNames.count)
    for (unit, root) in unitRoot.enumerated() {
      lists[Int(scan.strata[Int(root)])].append(UInt32(unit))
    }
    return stratumOrder().map { lists[$0] }
  }

  /// Stratum ids sorted by value (byte order), so the result does not depend on input order.
  private func stratumOrder() -> [Int] {
    scan.stratumNames.indices.sorted {
      Array(scan.stratumNames[$0].utf8).lexicographicallyPrecedes(Array(scan.stratumNames[$1].utf8))
    }
  }

  /// `--stable`: each unit goes where a keyed hash of its content (or its group value) falls
  /// on the line cut by the ratios; adding records never moves an existing one.
  private func placeByHash(unitRoot: [UInt32], into splitOfUnit: inout [UInt8]) {
    let weights = options.sizes.weights
    let totalWeight = UInt64(weights.reduce(0, +))
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

  private func stratumCounts(_ splitOf: [UInt8]) -> [(name: String, counts: [Int])] {
    var table = [[Int]](
      repeating: [Int](repeating: 0, count: options.names.count), count: scan.stratumNames.count)
    for (i, s) in splitOf.enumerated() {
      table[Int(scan.strata[i])][Int(s)] += 1
    }
    return stratumOrder().map { (scan.stratumNames[$0], table[$0]) }
  }

  private func reportSmallStrata(
    _ strata: [(name: String, counts: [Int])], reporter: FindingReporter, file: String
  ) {
    let weights = options.sizes.weights
    for (name, counts) in strata {
      let missed = counts.indices.filter { weights[$0] > 0 && counts[$0] == 0 }
      guard !missed.isEmpty else { continue }
      let total = counts.reduce(0, +)
      let names = missed.map { options.names[$0] }.joined(separator: ", ")
      reporter.report(
        Finding(
          .splitStratumTooSmall, at: Location(file: file, line: 0),
          message:
            "stratum \(name.jsonQuoted) has \(total) record\(total == 1 ? "" : "s"), too few to reach every split: none in \(names); add examples of it or merge it with a similar stratum"
        ))
    }
  }
}
