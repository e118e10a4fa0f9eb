import Foundation
import Testing

@testable import TunePrep

/// Split's second pass cuts the input into chunks of its own: whatever the chunk size, every
/// record must land in its split byte for byte, and the checksums must not change.
@Suite struct SplitWriterTests {
  /// Chat records of varied lengths, with CRLF endings, a blank line, an invalid record and
  /// no final newline, so chunk edges fall before newlines, inside CRLF and on blank lines.
  static let input: String = {
    var lines: [String] = []
    for i in 0..<60 {
      let question = String(repeating: "word\(i % 7) ", count: 1 + (i * 5) % 11)
      let line =
        #"{"messages":[{"role":"user","content":"q\#(i) \#(question)"},"#
        + #"{"role":"assistant","content":"a\#(i)"}]}"#
      lines.append(i % 9 == 4 ? line + "\r" : line)
      if i == 20 { lines.append("") }
      if i == 33 { lines.append(#"{"messages": ["#) }
    }
    return lines.joined(separator: "\n")
  }()

  /// Runs split with the given read sizes and returns every output file's bytes by name.
  func split(sizes: ReadSizes, checksums: Bool = true) throws -> [String: String] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-split-unit-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("in.jsonl")
    try Self.input.write(to: input, atomically: true, encoding: .utf8)
    var options = Splitter.Options()
    options.readSizes = sizes
    options.nearLeakCheck = false
    options.checksums = checksums
    options.minEval = 0
    options.minTrain = 0
    var quiet = FindingReporter.Options()
    quiet.maxFindings = 0
    let reporter = FindingReporter(command: "split", options: quiet, output: .standardError())
    let out = dir.appendingPathComponent("out")
    _ = try Splitter(options: options).run(
      InputName(input.path), into: .init(directory: out.path), reporter: reporter)
    var files: [String: String] = [:]
    for name in ["train.jsonl", "validation.jsonl", "test.jsonl", "manifest.json"] {
      files[name] = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
        .replacingOccurrences(of: input.path, with: "IN")
    }
    return files
  }

  @Test(arguments: [(1, 1), (2, 3), (7, 13), (64, 100), (1 << 20, 4 << 20)])
  func anyChunkSizeGivesTheSameFiles(_ read: Int, _ block: Int) throws {
    let expected = try split(sizes: .standard)
    // Split bytes, not Characters: a String sees "\r\n" as one Character.
    let records = Set(
      Self.input.utf8.split(separator: 0x0A).map { line in
        String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
      })
    var seen = 0
    var unknown = 0
    for name in ["train.jsonl", "validation.jsonl", "test.jsonl"] {
      for line in (expected[name] ?? "").utf8.split(separator: 0x0A) {
        if !records.contains(String(decoding: line, as: UTF8.self)) { unknown += 1 }
        seen += 1
      }
    }
    #expect(unknown == 0)
    #expect(seen == 60)
    #expect(try split(sizes: ReadSizes(readSize: read, blockSize: block)) == expected)
    let unsummed = try split(sizes: ReadSizes(readSize: read, blockSize: block), checksums: false)
    for name in ["train.jsonl", "validation.jsonl", "test.jsonl"] {
      #expect(unsummed[name] == expected[name])
    }
  }

  /// Split reserves each file's final size before writing it; the reservation must not change
  /// the size (a file cut short would otherwise end in zero bytes), and a reservation larger
  /// than the disk must fail before anything is written, saying what to do.
  @Test func reservedSpaceLeavesTheSizeToTheWrites() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-reserve-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("out.jsonl").path
    let stream = try OutputStream.file(path)
    try stream.reserve(1 << 20)
    stream.write("{}\n")
    try stream.commit()
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
    #expect(size == 3)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "{}\n")

    let huge = try OutputStream.file(dir.appendingPathComponent("huge.jsonl").path)
    defer { huge.discard() }
    let freeBefore = try Self.freeBytes(dir.path)
    #expect {
      try huge.reserve(1 << 43)  // 8 TiB: more than the test machine's disk
    } throws: { error in
      "\(error)".contains("huge.jsonl") && "\(error)".contains("free some space")
    }
    // The refusal takes nothing: fallocate alone would have filled the disk before failing,
    // and other programs (or tests running beside this one) would have got ENOSPC meanwhile.
    #expect(try Self.freeBytes(dir.path) > freeBefore - (1 << 30))
  }

  static func freeBytes(_ path: String) throws -> Int64 {
    let values = try URL(fileURLWithPath: path).resourceValues(forKeys: [
      .volumeAvailableCapacityKey
    ])
    return Int64(values.volumeAvailableCapacity ?? 0)
  }
}
