import Testing

@testable import TunePrep

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Converts single records in memory with the same stages `tuneprep format` runs.
enum Convert {
  struct Result {
    var output: [UInt8]?
    var findings: [Finding]
    var dropped: [String]
  }

  /// Parses and decodes `line` (as `from`, or detected), then encodes it as `to`.
  static func run(
    _ line: [UInt8], from: Format? = nil, to: OutputFormat, lossy: Bool = false,
    roleMap: RoleMap = RoleMap()
  )
    -> Result
  {
    var parser = JSONParser()
    var probe = JSONDocument()
    let format = from ?? ((try? parser.parse(line, into: &probe)).flatMap { Format.detect(probe) })
    var checker = RecordChecker(fileFormat: format, detected: false, formatLocation: nil)
    checker.roleMap = roleMap
    var findings: [Finding] = []
    let position = RecordPosition(file: "t", line: 1, column: 1, byteOffset: 0)
    let (example, hasError) = line.withUnsafeBufferPointer {
      checker.check($0, at: position, findings: &findings)
    }
    guard let example, !hasError else {
      return Result(output: nil, findings: findings, dropped: [])
    }
    var out: [UInt8] = []
    var dropped: [String] = []
    do throws(FormatEncoder.Rejection) {
      try FormatEncoder(target: to, lossy: lossy).encode(
        example, source: format, document: checker.document, into: &out, dropped: &dropped)
    } catch {
      findings.append(Finding(error.code, at: position.recordLocation, message: error.message))
      return Result(output: nil, findings: findings, dropped: dropped)
    }
    return Result(output: Array(out.dropLast()), findings: findings, dropped: dropped)
  }

  /// A text dump of everything the canonical model holds for `line`, for exact comparisons.
  static func canonical(_ line: [UInt8], as format: Format) -> String? {
    var checker = RecordChecker(fileFormat: format, detected: false, formatLocation: nil)
    var findings: [Finding] = []
    let position = RecordPosition(file: "t", line: 1, column: 1, byteOffset: 0)
    let (example, hasError) = line.withUnsafeBufferPointer {
      checker.check($0, at: position, findings: &findings)
    }
    guard let example, !hasError else { return nil }
    let d = checker.document
    func text(_ t: Text?) -> String {
      t.map { example.string($0, in: d).debugDescription } ?? "nil"
    }
    func json(_ node: Int?) -> String {
      guard let node else { return "nil" }
      var out: [UInt8] = []
      appendCompactJSON(d, node, to: &out)
      return String(decoding: out, as: UTF8.self)
    }
    func turns(_ list: [Turn]) -> String {
      list.map { t in
        let calls = example.toolCalls(of: t).map {
          "\(text($0.id)),\(text($0.name)),\(text($0.arguments))"
        }.joined(separator: ";")
        return
          "\(t.role.name)|\(text(t.content))|w=\(t.weight.map(String.init) ?? "-")|n=\(text(t.name))|[\(calls)]|\(text(t.toolCallID))|fc=\(json(t.functionCall))|r=\(json(t.refusal))"
      }.joined(separator: "\n")
    }
    var s =
      "system=\(text(example.system))|n=\(text(example.systemName))|w=\(example.systemWeight.map(String.init) ?? "-")\n\(turns(example.turns))\ntools=\(json(example.tools))|ptc=\(json(example.parallelToolCalls))|f=\(json(example.functions))\n"
    s +=
      "preferred=\(example.preferred.map(turns) ?? "nil")\nnon=\(example.nonPreferred.map(turns) ?? "nil")\n"
    s += example.metadata.map { "\(d.string($0.key))=\(json($0.value))" }.joined(separator: ",")
    return s
  }
}

/// The sample files' records, each with its format.
enum Samples {
  static var directory: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("samples")
  }

  /// Every non-blank line of the good samples (not `samples/broken`).
  static func records() throws -> [(name: String, line: [UInt8])] {
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
      $0.hasSuffix(".jsonl")
    }.sorted()
    var result: [(String, [UInt8])] = []
    for file in files {
      let data = try Data(contentsOf: directory.appendingPathComponent(file))
      for (i, line) in data.split(separator: 0x0A).enumerated() where !line.isEmpty {
        result.append(("\(file):\(i + 1)", Array(line)))
      }
    }
    return result
  }
}

@Suite struct FormatRoundTripTests {
  /// Every sample, converted into every format and from there through every format and back:
  /// when a conversion is accepted (nothing lossy), the way back gives exactly the same
  /// canonical example, and the output is a valid record of its format.
  @Test func everyPairRoundTripsExactly() throws {
    let samples = try Samples.records()
    #expect(samples.count >= 20)
    var checked = 0
    for (name, line) in samples {
      // First hop: the sample into every format (what can be expressed there).
      var seeds: [(Format, [UInt8])] = []
      for a in Format.builtIn {
        if let out = Convert.run(line, to: .format(a)).output { seeds.append((a, out)) }
      }
      for (a, record) in seeds {
        let base = try #require(
          Convert.canonical(record, as: a), "\(name) as \(a.rawValue) does not decode")
        // A → A is the identity on bytes.
        #expect(
          Convert.run(record, from: a, to: .format(a)).output == record,
          "\(name): \(a.rawValue) is not stable")
        for b in Format.builtIn where b != a {
          let there = Convert.run(record, from: a, to: .format(b))
          guard let converted = there.output else {
            #expect(
              there.findings.contains {
                $0.code.hasPrefix("format.lossy") || $0.code == "format.unconvertible"
              })
            continue
          }
          #expect(
            Convert.canonical(converted, as: b) != nil,
            "\(name): \(a.rawValue) → \(b.rawValue) is not valid \(b.rawValue)")
          let back = Convert.run(converted, from: b, to: .format(a))
          let backRecord = try #require(
            back.output,
            "\(name): \(b.rawValue) → \(a.rawValue) failed: \(back.findings.map(\.message))")
          #expect(
            Convert.canonical(backRecord, as: a) == base,
            "\(name): \(a.rawValue) → \(b.rawValue) → \(a.rawValue) changed the record")
          checked += 1
        }
      }
    }
    #expect(checked > 100)
  }

  @Test func alpacaKeepsInstructionAndInputApart() {
    let line = Array(#"{"instruction":"Translate","input":"Hallo","output":"Hello","id":7}"#.utf8)
    let same = Convert.run(line, to: .format(.alpaca))
    #expect(
      same.output.map { String(decoding: $0, as: UTF8.self) }
        == #"{"instruction":"Translate","input":"Hallo","output":"Hello","id":7}"#)
    let viaShareGPT = Convert.run(line, to: .format(.sharegpt))
    #expect(
      viaShareGPT.output.map { String(decoding: $0, as: UTF8.self) }
        == #"{"conversations":[{"from":"human","value":"Translate\n\nHallo"},{"from":"gpt","value":"Hello"}],"id":7}"#
    )
  }

  @Test(arguments: [
    (
      #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":1}]}"#,
      Format.alpaca, "weight"
    ),
    (
      #"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#,
      .promptCompletion, "system"
    ),
    (#"{"instruction":"a","input":"","output":"b","id":"x1"}"#, .openaiChat, "x1"),
    (
      #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"},{"role":"assistant","content":"d"}]}"#,
      .inputOutput, "earlier turns"
    ),
    (
      #"{"input":{"messages":[{"role":"user","content":"a"}]},"preferred_output":[{"role":"assistant","content":"b"}],"non_preferred_output":[{"role":"assistant","content":"c"}]}"#,
      .openaiChat, "non_preferred_output"
    ),
  ])
  func lossyFieldsAreRejectedByName(record: String, target: Format, field: String) {
    let strict = Convert.run(Array(record.utf8), to: .format(target))
    #expect(strict.output == nil)
    let finding = strict.findings.first { $0.code == "format.lossy" }
    #expect(
      finding?.message.contains(field == "x1" ? "\"id\"" : "\"\(field)\"") == true,
      "\(strict.findings)")
    let loose = Convert.run(Array(record.utf8), to: .format(target), lossy: true)
    #expect(loose.output != nil)
    #expect(loose.dropped.contains(field == "x1" ? "id" : field))
  }

  @Test func roleMapAppliesBeforeDecoding() throws {
    let line = Array(
      #"{"conversations":[{"from":"customer","value":"Hi"},{"from":"agent","value":"Hello"}]}"#.utf8
    )
    let unmapped = Convert.run(line, to: .format(.openaiChat))
    #expect(unmapped.findings.contains { $0.code == "format.unknown-role" })
    let map = try RoleMap(parsing: "customer=user, agent=assistant")
    let mapped = Convert.run(line, to: .format(.openaiChat), roleMap: map)
    #expect(
      mapped.output.map { String(decoding: $0, as: UTF8.self) }
        == #"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}"#)
  }

  @Test func roleMapRejectsBadEntries() {
    #expect(throws: RoleMapError.self) { try RoleMap(parsing: "bot") }
    #expect(throws: RoleMapError.self) { try RoleMap(parsing: "bot=robot") }
  }

  @Test func alternationIsCheckedForStrictTargets() {
    let line = Array(
      #"{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"c"}]}"#
        .utf8)
    let result = Convert.run(line, to: .format(.gemini))
    #expect(result.output == nil)
    #expect(result.findings.contains { $0.code == "format.unconvertible" })
  }

  @Test func escapesAreCopiedNotReencoded() {
    let line = Array(#"{"prompt":"tab\there \u00e9 \"q\"","completion":"line\nbreak"}"#.utf8)
    let out = Convert.run(line, to: .format(.inputOutput)).output.map {
      String(decoding: $0, as: UTF8.self)
    }
    #expect(out == #"{"input":"tab\there \u00e9 \"q\"","output":"line\nbreak"}"#)
  }
}
