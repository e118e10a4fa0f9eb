import Foundation
import Testing

#if canImport(FoundationEssentials)
  import FoundationEssentials
#endif

/// Runs the real `tuneprep` binary for `format` and `import`, with stdout and stderr sent to
/// temporary files (a pipe read after exit would deadlock past 64 KiB).
enum Binary {
  static var packageRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
  }

  /// `TUNEPREP_BIN`, else `tuneprep` next to the test bundle, else the package's debug build.
  static var url: URL {
    if let path = ProcessInfo.processInfo.environment["TUNEPREP_BIN"] {
      return URL(fileURLWithPath: path)
    }
    let beside = Bundle.main.bundleURL.appendingPathComponent("tuneprep")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    let besideParent = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(
      "tuneprep")
    if FileManager.default.isExecutableFile(atPath: besideParent.path) { return besideParent }
    return packageRoot.appendingPathComponent(".build/debug/tuneprep")
  }

  struct Result {
    var stdout: String
    var stderr: String
    var status: Int32
  }

  /// Runs `tuneprep args` in the package root, with `stdin` as standard input.
  static func run(_ args: [String], stdin: String? = nil) throws -> Result {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("stdout")
    let err = dir.appendingPathComponent("stderr")
    let inp = dir.appendingPathComponent("stdin")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    FileManager.default.createFile(atPath: err.path, contents: nil)
    FileManager.default.createFile(atPath: inp.path, contents: Data((stdin ?? "").utf8))
    let process = Process()
    process.executableURL = url
    process.arguments = args
    process.currentDirectoryURL = packageRoot
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    process.environment = environment
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = try FileHandle(forReadingFrom: inp)
    try process.run()
    process.waitUntilExit()
    return Result(
      stdout: try String(contentsOf: out, encoding: .utf8),
      stderr: try String(contentsOf: err, encoding: .utf8),
      status: process.terminationStatus)
  }

  /// A fresh temporary file path.
  static func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-\(UUID().uuidString)-\(name)"
    ).path
  }

  /// The "N records ..., W written, R rejected" counts of a summary line.
  static func counts(_ stderr: String) -> (read: Int, written: Int, rejected: Int)? {
    guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("tuneprep ") }) else {
      return nil
    }
    func number(before word: String) -> Int? {
      guard let range = line.range(of: " \(word)") else { return nil }
      return Int(line[..<range.lowerBound].split(separator: " ").last ?? "")
    }
    guard let read = number(before: "record"), let written = number(before: "written"),
      let rejected = number(before: "rejected")
    else {
      return nil
    }
    return (read, written, rejected)
  }
}

@Suite struct FormatCLITests {
  static let formats = [
    "openai-chat", "openai-preference", "prompt-completion", "alpaca", "sharegpt", "input-output",
    "gemini",
    "bedrock-conversation",
  ]

  /// Every sample into every format on the binary, and from there back into the sample's format:
  /// the counts add up, and what comes back is valid.
  @Test(arguments: ["samples/chat.jsonl", "samples/alpaca.jsonl", "samples/sharegpt.jsonl"])
  func everyFormatAndBack(sample: String) throws {
    let source = try #require(
      ["chat": "openai-chat", "alpaca": "alpaca", "sharegpt": "sharegpt"].first {
        sample.contains($0.key)
      }?.value)
    for target in Self.formats {
      let there = Binary.temporaryPath("there.jsonl")
      let rejects = Binary.temporaryPath("rejects.jsonl")
      defer {
        try? FileManager.default.removeItem(atPath: there)
        try? FileManager.default.removeItem(atPath: rejects)
      }
      let first = try Binary.run([
        "format", sample, "--to", target, "-o", there, "--rejects", rejects,
      ])
      let counts = try #require(Binary.counts(first.stderr), "\(first.stderr)")
      #expect(counts.read == counts.written + counts.rejected, "\(sample) → \(target)")
      let rejectLines =
        (try? String(contentsOfFile: rejects, encoding: .utf8))?.split(separator: "\n").count ?? 0
      #expect(rejectLines == counts.rejected)
      #expect(first.status == (counts.rejected == 0 ? 0 : 1), "\(first.stderr)")
      guard counts.written > 0 else { continue }
      let back = try Binary.run(["format", there, "--from", target, "--to", source])
      #expect(back.status == 0, "\(sample) → \(target) → \(source): \(back.stderr)")
      let valid = try Binary.run(["validate", "--format", target, there])
      #expect(valid.status == 0, "\(sample) → \(target) is not valid: \(valid.stderr)")
    }
  }

  @Test func lossyRejectsNameTheFieldAndLossyCountsIt() throws {
    let strict = try Binary.run(["format", "samples/chat.jsonl", "--to", "prompt-completion"])
    #expect(strict.status == 1)
    #expect(
      strict.stderr.contains(
        "samples/chat.jsonl:1: error: prompt-completion cannot hold \"system\""))
    #expect(strict.stderr.contains("[format.lossy]"))
    let loose = try Binary.run([
      "format", "samples/chat.jsonl", "--to", "prompt-completion", "--lossy",
    ])
    #expect(loose.status == 0, "\(loose.stderr)")
    #expect(loose.stderr.contains("13 dropped system"))
    #expect(loose.stderr.contains("1 dropped tool_calls"))
    #expect(loose.stdout.split(separator: "\n").count == 13)
  }

  @Test func systemOptionsAndTemplates() throws {
    let replaced = try Binary.run(
      ["format", "--to", "alpaca", "--system", "Be terse."],
      stdin: #"{"prompt":"Hi","completion":"Hello"}"# + "\n")
    #expect(
      replaced.stdout == #"{"instruction":"Hi","input":"","output":"Hello","system":"Be terse."}"#
        + "\n")
    let stripped = try Binary.run([
      "format", "samples/chat.jsonl", "--to", "text", "--template", "chatml", "--strip-system",
      "--lossy",
    ])
    #expect(stripped.status == 0)
    #expect(stripped.stdout.hasPrefix(#"{"text":"<|im_start|>user\nWhere is my parcel?"#))
    let gemma = try Binary.run(
      ["format", "--to", "text", "--template", "gemma"],
      stdin: #"{"input":"Hi","output":"Hello","system":"S"}"# + "\n")
    #expect(
      gemma.stdout
        == #"{"text":"<bos><start_of_turn>user\nS\n\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n"}"#
        + "\n")
  }

  @Test func roleMapFixesUnknownSpeakers() throws {
    let input =
      #"{"conversations":[{"from":"customer","value":"Hi"},{"from":"agent","value":"Hello"}]}"#
      + "\n"
    let unmapped = try Binary.run(["format", "--to", "openai-chat"], stdin: input)
    #expect(unmapped.status == 1)
    #expect(unmapped.stderr.contains("[format.unknown-role]"))
    let mapped = try Binary.run(
      ["format", "--to", "openai-chat", "--role-map", "customer=user,agent=assistant"], stdin: input
    )
    #expect(mapped.status == 0)
    #expect(
      mapped.stdout
        == #"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}"#
        + "\n")
  }

  @Test(arguments: [
    ["format", "--to", "nope"], ["format", "--to", "text"],
    ["format", "--to", "alpaca", "--template", "chatml"],
    ["format", "--to", "alpaca", "--role-map", "bot"],
    ["format", "--to", "alpaca", "--system", "a", "--strip-system"],
    ["import", "data.txt"], ["import", "samples/tickets.xml", "--record", "//ticket"],
    ["import", "samples/tickets.csv", "--id-column", "id"],
  ])
  func usageErrorsExit64(args: [String]) throws {
    #expect(try Binary.run(args).status == 64)
  }

  /// An empty system prompt would give records that validate rejects (format.empty-content).
  @Test(arguments: [
    ["--to", "openai-chat", "--system", ""], ["--to", "sharegpt", "--system", "   "],
    ["--to", "alpaca", "--system", "\n"],
  ])
  func emptySystemPromptIsAUsageError(args: [String]) throws {
    let result = try Binary.run(
      ["format"] + args,
      stdin: #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#
        + "\n")
    #expect(result.status == 64)
    #expect(result.stderr.contains("--system is empty"))
    #expect(result.stdout.isEmpty)
  }

  @Test func emptySystemFileIsAConfigError() throws {
    let path = Binary.temporaryPath("system.txt")
    try Data(" \n\n".utf8).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try Binary.run(
      ["format", "--to", "openai-chat", "--system-file", path],
      stdin: #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#
        + "\n")
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(path)"))
    #expect(result.stderr.contains("the system prompt file is empty"))
    #expect(result.stdout.isEmpty)
  }

  @Test func wrongTypedTemplateKeyIsAConfigError() throws {
    let path = Binary.temporaryPath("t6.json")
    let template =
      #"{"system":"S:{content}","user":"U:{content}","assistant":"A:{content}","trim":"yes"}"#
    try Data(template.utf8).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try Binary.run(
      ["format", "--to", "text", "--template", path],
      stdin: #"{"messages":[{"role":"user","content":"  q  "},{"role":"assistant","content":"a"}]}"#
        + "\n")
    #expect(result.status == 2)
    #expect(result.stderr.contains(path))
    #expect(result.stderr.contains(#""trim" must be a boolean (true or false), found string"#))
    #expect(result.stdout.isEmpty)
  }

  @Test func operationalErrorsExit2() throws {
    let missing = try Binary.run(["format", "no/such/file.jsonl", "--to", "alpaca"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("tuneprep: error: cannot open no/such/file.jsonl"))
    let template = try Binary.run([
      "format", "samples/chat.jsonl", "--to", "text", "--template", "no/such/template.json",
    ])
    #expect(template.status == 2)
  }
}

@Suite struct ImportCLITests {
  @Test func csvSampleImports() throws {
    let result = try Binary.run([
      "import", "samples/tickets.csv", "--id-column", "id", "--meta-column", "channel", "--to",
      "alpaca",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == 6)
    #expect(
      lines[2].contains(
        #""instruction":"The app says 'delivered' but I have nothing.\nI checked with my neighbours already.""#
      ))
    #expect(lines[0].hasSuffix(#""id":"T-1001","channel":"email"}"#))
  }

  @Test func badRowsAreRejectedWithTheirLines() throws {
    let csv =
      "question,answer\r\nq1,a1\r\nq2\r\n\"q3\",\r\nq4,a4,extra\r\n\"q5, \"\"quoted\"\"\",a5\r\n"
    let rejects = Binary.temporaryPath("rejects.jsonl")
    defer { try? FileManager.default.removeItem(atPath: rejects) }
    let result = try Binary.run(["import", "-", "--from", "csv", "--rejects", rejects], stdin: csv)
    #expect(result.status == 1)
    #expect(result.stderr.contains("<stdin>:3: error: the row has 1 field but the header has 2"))
    #expect(result.stderr.contains("<stdin>:4: error: column 'answer' is empty"))
    #expect(result.stderr.contains("<stdin>:5: error: the row has 3 fields"))
    let counts = try #require(Binary.counts(result.stderr))
    #expect(counts.read == 5 && counts.written == 2 && counts.rejected == 3)
    #expect(
      result.stdout.split(separator: "\n").last
        == #"{"messages":[{"role":"user","content":"q5, \"quoted\""},{"role":"assistant","content":"a5"}]}"#
    )
    let lines = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 3)
    #expect(lines[0].hasPrefix(#"{"file":"<stdin>","line":3,"code":"import.csv-fields""#))
  }

  @Test func noHeaderAndNoColumnsIsAFinding() throws {
    let result = try Binary.run(["import", "-", "--from", "csv"], stdin: "hello,world\nfoo,bar\n")
    #expect(result.status == 1)
    #expect(result.stderr.contains("[import.no-header]"))
    let numbered = try Binary.run(
      ["import", "-", "--from", "csv", "--input-column", "1", "--output-column", "2"],
      stdin: "hello,world\n")
    #expect(
      numbered.stdout
        == #"{"messages":[{"role":"user","content":"hello"},{"role":"assistant","content":"world"}]}"#
        + "\n")
  }

  @Test func xmlSampleImports() throws {
    let result = try Binary.run([
      "import", "samples/tickets.xml", "--record", "//ticket", "--input", "./question", "--output",
      "./answer", "--id", "@id",
      "--to", "input-output",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == 4)
    #expect(
      lines[2].hasPrefix(
        #"{"input":"The estimated delivery date moved from Monday to Thursday & nobody told me.""#))
    #expect(lines[3].contains(#"Is \"<unknown>\" a valid carrier name?"#))
  }

  @Test func malformedXMLAndDTDsAreFindings() throws {
    let bad = try Binary.run(
      ["import", "-", "--from", "xml", "--record", "//t", "--input", "q", "--output", "a"],
      stdin: "<r>\n<t><q>x</q><a>y</a></t>\n<t><q>x</a></t></r>\n")
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("<stdin>:3: error: malformed XML at line 3, column"))
    let dtd = try Binary.run(
      ["import", "-", "--from", "xml", "--record", "//t", "--input", "q", "--output", "a"],
      stdin:
        "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\n<r><t><q>&b;</q><a>y</a></t></r>\n"
    )
    #expect(dtd.status == 1)
    #expect(dtd.stderr.contains("[import.xml-dtd]"))
    #expect(dtd.stdout.isEmpty)
  }

  @Test func namespacesAndAttributes() throws {
    let xml =
      #"<x:a xmlns:x="urn:t"><x:t n="7"><x:q>hi</x:q><x:r>yo</x:r></x:t><x:t n="8"><x:q>no answer</x:q></x:t></x:a>"#
    let result = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//p:t", "--namespace", "p=urn:t", "--input",
        "p:q", "--output", "p:r", "--id", "@n", "--to", "sharegpt",
      ],
      stdin: xml)
    #expect(
      result.stdout
        == #"{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"yo"}],"id":"7"}"#
        + "\n")
    #expect(result.stderr.contains("element p:r is missing"))
    #expect(result.status == 1)
  }

  @Test func jsonWithOtherFieldNames() throws {
    let input =
      #"[{"q":{"text":"Hi"},"response":"Hello","src":"web"},{"q":{"text":"Bye"},"response":""}]"#
    let file = Binary.temporaryPath("data.json")
    try input.write(toFile: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: file) }
    let result = try Binary.run([
      "import", file, "--input-field", "/q/text", "--output-field", "response", "--meta-field",
      "src", "--to", "input-output",
    ])
    #expect(result.stdout == #"{"input":"Hi","output":"Hello","src":"web"}"# + "\n")
    #expect(result.status == 1)
    #expect(result.stderr.contains("field response is empty"))
  }

  @Test func utf16SpreadsheetExport() throws {
    var bytes: [UInt8] = [0xFF, 0xFE]
    for unit in "question\tanswer\r\nÇa va ?\tOui 👍\r\n".utf16 {
      bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)]
    }
    let file = Binary.temporaryPath("export.tsv")
    FileManager.default.createFile(atPath: file, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: file) }
    let result = try Binary.run(["import", file, "--to", "prompt-completion"])
    #expect(result.stdout == #"{"prompt":"Ça va ?","completion":"Oui 👍"}"# + "\n")
    #expect(result.status == 0, "\(result.stderr)")
  }
}
