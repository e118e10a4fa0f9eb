/// `manifest.json`: what a split run read, how it split, and what it wrote, with SHA-256 of
/// every file, so a training run can cite exactly which data it used.
///
/// Keys are written in a fixed order and nothing depends on time, paths of the machine or
/// thread count: the same input, options and seed give a byte-identical manifest.
struct SplitManifest {
  let options: Splitter.Options
  let input: InputName
  let inputDigest: String?
  let inputBytes: Int
  let records: Int
  let format: Format?
  let assignment: SplitAssignment
  let splitDigests: [String?]
  let rejected: Int
  let reporter: FindingReporter

  /// The manifest text, pretty-printed, ending in a newline.
  func json() -> String {
    var s = "{\n"
    s += "  \"tool\": \"tuneprep\",\n"
    s += "  \"version\": \(options.toolVersion.jsonQuoted),\n"
    s += "  \"command\": \"split\",\n"
    s += "  \"options\": {\n"
    switch options.sizes {
    case .ratios(let ratios):
      s += "    \"ratios\": [\(ratios.map(number).joined(separator: ", "))],\n"
    case .counts(let counts):
      s += "    \"counts\": [\(counts.map(String.init).joined(separator: ", "))],\n"
    }
    s += "    \"names\": [\(options.names.map(\.jsonQuoted).joined(separator: ", "))],\n"
    s += "    \"mode\": \(options.stable ? "\"stable\"" : "\"shuffle\""),\n"
    s += "    \"stratify\": \(options.stratify.map { $0.description.jsonQuoted } ?? "null"),\n"
    s += "    \"group\": \(options.group.map { $0.description.jsonQuoted } ?? "null"),\n"
    s += "    \"threshold\": \(number(options.threshold)),\n"
    s += "    \"near_leak_check\": \(options.nearLeakCheck && options.group != .nearDuplicates),\n"
    s += "    \"min_eval\": \(options.minEval),\n"
    s += "    \"checksums\": \(options.checksums),\n"
    s += "    \"format\": \((options.format?.rawValue).map(\.jsonQuoted) ?? "null")\n"
    s += "  },\n"
    s += "  \"seed\": \(options.seed),\n"
    s +=
      "  \"prng\": \(options.stable ? "\"splitmix64-keyed-hash\"" : "\"xoshiro256**-fisher-yates\""),\n"
    s += "  \"inputs\": [\n"
    s +=
      "    {\"name\": \(input.displayName.jsonQuoted), \"format\": \((format?.rawValue).map(\.jsonQuoted) ?? "null"), "
    s +=
      "\"bytes\": \(inputBytes), \"records\": \(records), \"sha256\": \(inputDigest.map(\.jsonQuoted) ?? "null")}\n"
    s += "  ],\n"
    s += "  \"splits\": [\n"
    var lines: [String] = []
    for (k, name) in options.names.enumerated() {
      lines.append(
        "    {\"name\": \(name.jsonQuoted), \"file\": \("\(name).jsonl".jsonQuoted), \"count\": \(assignment.splitCounts[k]), "
          + "\"target\": \(assignment.targets[k]), \"sha256\": \(splitDigests[k].map(\.jsonQuoted) ?? "null")}"
      )
    }
    s += lines.joined(separator: ",\n") + "\n  ],\n"
    s += "  \"rejected\": \(rejected),\n"
    s += "  \"groups\": \(assignment.units),\n"
    if let stratify = options.stratify {
      s += "  \"strata\": {\n    \"key\": \(stratify.description.jsonQuoted),\n    \"values\": [\n"
      let values = assignment.strata.map { stratum in
        let counts = zip(options.names, stratum.counts).map { "\($0.jsonQuoted): \($1)" }.joined(
          separator: ", ")
        let value = stratum.value.jsonValue.map { "\"value\": \($0)" } ?? "\"missing\": true"
        return "      {\(value), \"counts\": {\(counts)}}"
      }
      s += values.joined(separator: ",\n") + (values.isEmpty ? "" : "\n") + "    ]\n  },\n"
    }
    s +=
      "  \"findings\": {\"errors\": \(reporter.count(.error)), \"warnings\": \(reporter.count(.warning)), "
    s += "\"infos\": \(reporter.count(.info)), \"codes\": {"
    s += reporter.codeCounts.map { "\($0.0.jsonQuoted): \($0.1)" }.joined(separator: ", ")
    s += "}}\n"
    s += "}\n"
    return s
  }

  /// A number without a needless fraction: 80, 0.8.
  private func number(_ value: Double) -> String {
    if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
    return String(value)
  }
}
