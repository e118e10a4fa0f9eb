/// The checks `split` runs on its result: split sizes against the usual guidance, exact
/// duplicates that cross splits (`leak.exact`, which grouping rules out, so one means a bug), and
/// near duplicates that cross splits when they were not grouped (`leak.near`).
struct SplitChecks {
  let scan: SplitScan.Result
  let assignment: SplitAssignment
  let options: Splitter.Options
  let plan: SplitPlan

  /// Reports every finding.
  /// - Parameters:
  ///   - reporter: receives the findings.
  ///   - file: the input's display name.
  ///   - directory: the output folder, for findings about a split file.
  func report(to reporter: FindingReporter, file: String, directory: String) {
    reportSizes(to: reporter, directory: directory)
    for finding in exactLeaks(file: file) { reporter.report(finding) }
    if options.group != .nearDuplicates {
      for finding in nearLeaks(file: file) { reporter.report(finding) }
    }
    if let stratify = options.stratify, scan.missingStratum.count > 0 {
      let n = scan.missingStratum.count
      reporter.report(
        Finding(
          .splitKeyMissing, at: Location(file: file, line: scan.missingStratum.firstLine),
          message:
            "\(n) record\(n == 1 ? " has" : "s have") no value at --stratify \(stratify), from this line on; they form one stratum of their own (\"missing\": true in the manifest)"
        ))
    }
    if let pointer = groupPointer, scan.missingGroup.count > 0 {
      let n = scan.missingGroup.count
      reporter.report(
        Finding(
          .splitKeyMissing, at: Location(file: file, line: scan.missingGroup.firstLine),
          message:
            "\(n) record\(n == 1 ? " has" : "s have") no value (or null) at --group \(pointer), from this line on; each is placed as a group of its own"
        ))
    }
  }

  private var groupPointer: String? {
    if case .pointer(let p) = options.group { return p.description }
    return nil
  }

  /// The fewest training examples a provider accepts: OpenAI rejects a file with fewer than 10.
  static let providerMinimum = 10

  private func reportSizes(to reporter: FindingReporter, directory: String) {
    let counts = assignment.splitCounts
    for (k, name) in options.names.enumerated() {
      let location = Location(file: joinPath(directory, "\(name).jsonl"), line: 0)
      let n = counts[k]
      if n == 0 {
        reporter.report(
          Finding(
            .splitEmpty, at: location,
            message: "the \(name) split is empty: give it a larger share, or add examples"))
      } else if k > 0 && n < options.minEval {
        reporter.report(
          Finding(
            .splitEvalSmall, at: location,
            message:
              "the \(name) split has \(n) example\(n == 1 ? "" : "s"), fewer than --min-eval \(options.minEval): its scores will be noisy; give it a larger share or add examples"
          ))
      } else if k == 0 && n < Self.providerMinimum {
        // Below what a provider accepts, the job is rejected, whatever --min-train says.
        reporter.report(
          Finding(
            .splitTrainBelowMinimum, at: location,
            message:
              "the \(name) split has \(n) example\(n == 1 ? "" : "s"), fewer than the \(Self.providerMinimum) providers require (OpenAI rejects the file): add examples, or give the \(name) split a larger share"
          ))
      } else if k == 0 && n < options.minTrain {
        reporter.report(
          Finding(
            .splitTrainSmall, at: location,
            message:
              "the \(name) split has \(n) examples, below the usual 500–5000 for fine-tuning: expect overfitting, or add examples"
          ))
      }
    }
  }

  /// Exact duplicates (same dedupe key) in different splits.
  func exactLeaks(file: String) -> [Finding] {
    let n = scan.entries.count
    var findings: [Finding] = []
    scan.entries.withUnsafeBufferPointer { entries in
      let order = KeyOrder.sorted(count: n) { entries[$0].key }
      var i = 0
      while i < n {
        let first = Int(order[i])
        var j = i + 1
        while j < n && entries[Int(order[j])].key == entries[first].key {
          let other = Int(order[j])
          if assignment.splitOf[other] != assignment.splitOf[first] {
            findings.append(leak(.leakExact, other, first, "an exact duplicate of", file: file))
          }
          j += 1
        }
        i = j
      }
    }
    findings.sort { $0.location.line < $1.location.line }
    return findings
  }

  /// Verified near duplicates in different splits.
  func nearLeaks(file: String) -> [Finding] {
    var findings: [Finding] = []
    for (a, b, similarity) in plan.nearPairs
    where assignment.splitOf[Int(a)] != assignment.splitOf[Int(b)] {
      let rounded = (Double(similarity) * 100).rounded() / 100
      findings.append(
        leak(.leakNear, Int(b), Int(a), "a near-duplicate (Jaccard \(rounded)) of", file: file))
    }
    findings.sort { $0.location.line < $1.location.line }
    return findings
  }

  private func leak(_ code: FindingCode, _ record: Int, _ other: Int, _ what: String, file: String)
    -> Finding
  {
    let line = Int(scan.entries[record].line)
    let otherLine = Int(scan.entries[other].line)
    let here = options.names[Int(assignment.splitOf[record])]
    let there = options.names[Int(assignment.splitOf[other])]
    let fix =
      code == .leakNear
      ? "use --group near-duplicates to keep them together, or remove one with `tuneprep dedupe --near`"
      : "this should not happen (exact duplicates are always grouped): please report it"
    return Finding(
      code, at: Location(file: file, line: line),
      message:
        "leaks across splits: this record (in \(here)) is \(what) line \(otherLine) (in \(there)); \(fix)",
      related: [Location(file: file, line: otherLine)])
  }
}
