extension TokenReport {
  /// The human-readable summary `tuneprep tokens` writes to stderr: one block per file (and a
  /// total for several files) with the distribution per example and per role, then the
  /// training tokens over all epochs and the cost.
  ///
  /// File and tokenizer names come from the command line and may hold any character: they are
  /// written with control characters escaped (``Swift/String/escapingControlCharacters``), as
  /// every report writes them, so a name cannot break a line or forge a GitHub annotation.
  public func textTable() -> String {
    var s =
      "tokens: \(encoding.escapingControlCharacters), "
      + (convention == "openai-chat"
        ? "OpenAI chat convention" : "\(convention) (rendered, special tokens included)")
    if let contextWindow { s += ", context window \(contextWindow)" }
    s += "\n"
    for file in files { s += block(file) }
    if files.count > 1 { s += block(total) }
    s += "training tokens: \(total.billed) per epoch"
    if contextWindow != nil, total.overContext > 0 { s += " (over-context examples capped)" }
    s += " x \(epochs) epoch\(epochs == 1 ? "" : "s")"
    switch epochSource {
    case .given: break
    case .rule(let rule):
      s += " (\(rule.rawValue) default for \(counting: total.counted, "example"))"
    case .assumed: s += " (assumed; pass --epochs or --provider)"
    }
    s += " = \(trainingTokens)\n"
    if let pricePerMillion, let cost {
      s +=
        "cost: \(counting: trainingTokens, "token") x \(Self.plain(pricePerMillion)) per million = \(Self.money(cost))\n"
    }
    return s
  }

  private func block(_ file: TokenFileStats) -> String {
    var head =
      "\(file.name.escapingControlCharacters): \(counting: file.counted, "example")"
    if file.skipped > 0 { head += " (\(file.skipped) skipped for errors)" }
    head += ", \(counting: file.tokens, "token")"
    var parts: [String] = []
    if file.tools > 0 { parts.append("tool definitions \(file.tools)") }
    if file.weightZero > 0 { parts.append("weight-0 answers \(file.weightZero)") }
    if !parts.isEmpty { head += " (" + parts.joined(separator: ", ") + ")" }
    if contextWindow != nil { head += ", \(file.overContext) over the context window" }
    if file.approx > 0 {
      head +=
        "\nnote: \(file.approx) example\(file.approx == 1 ? " has" : "s have") image, audio or file "
        + "parts, which are not counted: their counts are lower bounds"
    }
    var rows = [["", "examples", "min", "median", "p95", "max", "total"]]
    func row(_ label: String, _ d: TokenDistribution) {
      rows.append([label] + [d.count, d.min, d.median, d.p95, d.max, d.sum].map(String.init))
    }
    if file.counted > 0 {
      row("example", file.example)
      for role in Role.allCases where file.roles.indices.contains(Int(role.rawValue)) {
        let d = file.roles[Int(role.rawValue)]
        if d.count > 0 { row(role.name, d) }
      }
    }
    var s = head + "\n"
    if rows.count == 1 { return s }
    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
    for r in rows {
      var line = "  " + r[0].padding(to: widths[0], right: false)
      for c in 1..<r.count { line += "  " + r[c].padding(to: widths[c], right: true) }
      s += line + "\n"
    }
    return s
  }

  /// The machine-readable summary, a JSON object (one line) for the report's summary.
  public func jsonObject() -> String {
    var s = "{\"encoding\":\(encoding.jsonQuoted),\"convention\":\(convention.jsonQuoted)"
    s += ",\"context_window\":\(contextWindow.map(String.init) ?? "null")"
    s += ",\"files\":[" + files.map { Self.json($0) }.joined(separator: ",") + "]"
    s += ",\"total\":" + Self.json(total, isTotal: true)
    s += ",\"epochs\":\(epochs),\"epochs_source\":"
    switch epochSource {
    case .given: s += "\"given\""
    case .rule(let rule): s += "\"\(rule.rawValue)-default\""
    case .assumed: s += "\"assumed\""
    }
    s += ",\"training_tokens\":\(trainingTokens)"
    s += ",\"price_per_million\":\(pricePerMillion.map(Self.jsonNumber) ?? "null")"
    s += ",\"cost\":\(cost.map(Self.jsonNumber) ?? "null")}"
    return s
  }

  /// One file's counts as a JSON object; the total, over every file whether one or several,
  /// has the same members except `file`, since it is not a file.
  private static func json(_ f: TokenFileStats, isTotal: Bool = false) -> String {
    var s = isTotal ? "{" : "{\"file\":\(f.name.jsonQuoted),"
    s += "\"records\":\(f.records),\"counted\":\(f.counted)"
    s +=
      ",\"skipped\":\(f.skipped),\"tokens\":\(f.tokens),\"billed\":\(f.billed),\"tools\":\(f.tools)"
    s += ",\"weight0\":\(f.weightZero),\"messages\":\(f.messages),\"over_context\":\(f.overContext)"
    if f.approx > 0 { s += ",\"approx\":\(f.approx)" }
    s += ",\"example\":" + json(f.example) + ",\"roles\":{"
    var roles: [String] = []
    for role in Role.allCases where f.roles.indices.contains(Int(role.rawValue)) {
      let d = f.roles[Int(role.rawValue)]
      if d.count > 0 { roles.append("\"\(role.name)\":" + json(d)) }
    }
    return s + roles.joined(separator: ",") + "}}"
  }

  private static func json(_ d: TokenDistribution) -> String {
    "{\"count\":\(d.count),\"min\":\(d.min),\"median\":\(d.median),\"p95\":\(d.p95),\"max\":\(d.max),\"sum\":\(d.sum)}"
  }

  /// A number without a needless fraction (`25`, `2.5`).
  static func plain(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    return String(value)
  }

  /// ``plain(_:)`` for JSON, which has no infinity or NaN: those are `null`.
  static func jsonNumber(_ value: Double) -> String {
    value.isFinite ? plain(value) : "null"
  }

  /// An amount with 2 decimals, or 4 below 1 so small test runs do not show 0.00.
  ///
  /// Any value renders: amounts whose cents a `Double` no longer holds (from 2^53 hundredths
  /// on), infinity and NaN are written as ``plain(_:)`` writes them, with no integer
  /// conversion that could trap.
  static func money(_ value: Double) -> String {
    let decimals = abs(value) < 1 ? 4 : 2
    let scale = decimals == 4 ? 10_000 : 100
    let scaled = (abs(value) * Double(scale)).rounded()
    guard scaled < 9_007_199_254_740_992 else { return plain(value) }
    let units = Int(scaled)
    let fraction = String(units % scale)
    let sign = value < 0 && units > 0 ? "-" : ""
    return "\(sign)\(units / scale)."
      + String(repeating: "0", count: decimals - fraction.count) + fraction
  }
}

extension String {
  /// The string padded with spaces to `width` characters, on the left when `right` aligned.
  fileprivate func padding(to width: Int, right: Bool) -> String {
    let pad = String(repeating: " ", count: max(0, width - count))
    return right ? pad + self : self + pad
  }
}

extension TokenReport {
  /// The run's counts for the reporter's summary line and JSON summary (with this report as
  /// its `token_report` member).
  public var runSummary: RunSummary {
    var summary = RunSummary(command: "tokens")
    summary.files = files.count
    summary.read = total.records
    summary.counts = [
      ("counted", total.counted), ("skipped", total.skipped), ("tokens", total.tokens),
    ]
    summary.singulars = ["tokens": "token"]
    summary.details = [("token_report", jsonObject())]
    return summary
  }
}
