import Foundation
import Testing

@testable import TunePrep

/// Seeded mutation fuzzing of the shared first stage: every sample record, in every built-in
/// format, with bytes flipped, deleted, duplicated and truncated, must give findings or an
/// example, never a crash.
@Suite struct RecordCheckerFuzzTests {
  static func sampleLines() throws -> [[UInt8]] {
    let root = ConformanceDirectory.packageRoot.appendingPathComponent("samples")
    var lines: [[UInt8]] = []
    for name in [
      "chat.jsonl", "alpaca.jsonl", "sharegpt.jsonl", "broken/chat.jsonl",
      "broken/preference.jsonl", "broken/sharegpt.jsonl",
    ] {
      let data = try Data(contentsOf: root.appendingPathComponent(name))
      lines += data.split(separator: 0x0A).map { Array($0) }
    }
    return lines
  }

  @Test(arguments: Format.allCases)
  func mutatedRecordsNeverCrash(format: Format) throws {
    let lines = try Self.sampleLines()
    #expect(lines.count > 40)
    // SplitMix64, so the mutations are the same on every run.
    var random = SplitMix64(state: 0x7475_6E65 &+ UInt64(format.rawValue.utf8.count))
    var checker = RecordChecker(fileFormat: format, detected: true, formatLocation: nil)
    let alphabet =
      Array("{}[]\",:\\0123456789truefalsnu -.eE\u{00e9}".utf8) + [0x00, 0x09, 0xFF, 0xC3]
    var findings = 0
    for round in 0..<3000 {
      var bytes = lines[round % lines.count]
      for _ in 0..<(1 + random.below(4)) where !bytes.isEmpty {
        let at = random.below(bytes.count)
        switch random.below(4) {
        case 0: bytes[at] = alphabet[random.below(alphabet.count)]
        case 1: bytes.remove(at: at)
        case 2: bytes.insert(alphabet[random.below(alphabet.count)], at: at)
        default: bytes.removeSubrange(at...)
        }
      }
      var found: [Finding] = []
      bytes.withUnsafeBufferPointer { buffer in
        let position = RecordPosition(file: "fuzz", line: round + 1, column: 1, byteOffset: 0)
        _ = checker.check(buffer, at: position, findings: &found)
      }
      findings += found.count
      for finding in found {
        #expect(!finding.message.isEmpty)
        #expect(finding.location.line == round + 1)
      }
    }
    #expect(findings > 0)
  }
}
