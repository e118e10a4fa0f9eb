import Foundation
import Testing

#if canImport(FoundationEssentials)
  import FoundationEssentials
#endif

/// `tuneprep import` refuses a mapping that would overwrite the example, write a key twice,
/// write a record the target's validator rejects, or pick one of two columns without a word;
/// and `format --role-map` says when it cannot apply.
@Suite struct ImportMappingCLITests {
  static let qaCSV = "question,answer,output,system\nq1,a1,OTHER,META\n"
  static let qaXML =
    "<r><t><q>Q</q><a>A</a><lang>en</lang><output>OTHER</output><system>M</system></t></r>\n"

  /// Asserts a usage error (exit 64) that names `option` and says what to do, with no output.
  static func expectUsage(_ result: Binary.Result, naming option: String, advice: String) {
    #expect(result.status == 64, "\(result.stderr)")
    #expect(result.stdout.isEmpty, "\(result.stdout)")
    #expect(result.stderr.contains(option), "\(result.stderr)")
    #expect(result.stderr.contains(advice), "\(result.stderr)")
  }

  // MARK: meta keys that collide with the mapped fields or the target's keys (item 1)

  @Test(arguments: ["output", "system", "input"])
  func csvMetaColumnNamedLikeAMappedFieldIsRefused(column: String) throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "csv", "--input-column", "question", "--output-column", "answer",
        "--meta-column", column, "--to", "alpaca",
      ],
      stdin: "question,answer,input,output,system\nq1,a1,IN,OTHER,META\n")
    Self.expectUsage(
      result, naming: "--meta-column \(column)", advice: "--meta-column NAME=\(column)")
  }

  @Test func csvMetaColumnSystemSuggestsTheSystemColumn() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "csv", "--input-column", "question", "--output-column", "answer",
        "--meta-column", "system", "--to", "alpaca",
      ],
      stdin: Self.qaCSV)
    Self.expectUsage(result, naming: "'system'", advice: "--system-column system")
  }

  @Test func renamedMetaColumnsKeepTheExample() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "csv", "--input-column", "question", "--output-column", "answer",
        "--meta-column", "other=output", "--meta-column", "sys=system", "--to", "alpaca",
      ],
      stdin: Self.qaCSV)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stdout
        == #"{"instruction":"q1","input":"","output":"a1","other":"OTHER","sys":"META"}"# + "\n")
  }

  @Test func csvMetaColumnByNumberIsCheckedAgainstTheHeader() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "csv", "--input-column", "question", "--output-column", "answer",
        "--meta-column", "3", "--to", "alpaca",
      ],
      stdin: Self.qaCSV)
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout.isEmpty, "\(result.stdout)")
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: --meta-column 3: the field would be written as 'output'"),
      "\(result.stderr)")
    #expect(result.stderr.contains("[import.mapping]"))
  }

  @Test func xmlMetaNamedLikeAMappedFieldIsRefused() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./a",
        "--meta", "./output", "--meta", "./system", "--to", "alpaca",
      ],
      stdin: Self.qaXML)
    Self.expectUsage(result, naming: "--meta ./output", advice: "--meta NAME=./output")
  }

  @Test func jsonMetaFieldSystemIsRefused() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "json", "--input-field", "q", "--output-field", "a",
        "--meta-field", "system", "--to", "alpaca",
      ],
      stdin: #"{"q":"Q","a":"A","system":"S"}"# + "\n")
    Self.expectUsage(result, naming: "--meta-field system", advice: "--meta-field NAME=system")
  }

  @Test func metaNamedLikeATargetKeyIsRefused() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "csv", "--input-column", "question", "--output-column", "answer",
        "--meta-column", "history", "--to", "alpaca",
      ],
      stdin: "question,answer,history\nq1,a1,h\n")
    Self.expectUsage(result, naming: "'history'", advice: "--meta-column NAME=history")
    #expect(result.stderr.contains("alpaca"))
  }

  @Test func repeatedMetaAndIdKeysAreRefused() throws {
    let twice = try Binary.run(
      [
        "import", "-", "--from", "csv", "--input-column", "question", "--output-column", "answer",
        "--meta-column", "history", "--meta-column", "history", "--to", "input-output",
      ],
      stdin: "question,answer,history\nq1,a1,h\n")
    Self.expectUsage(twice, naming: "--meta-column history", advice: "given twice")
    let id = try Binary.run(
      [
        "import", "-", "--from", "json", "--input-field", "q", "--output-field", "a",
        "--id-field", "n", "--meta-field", "id", "--to", "input-output",
      ],
      stdin: #"{"q":"Q","a":"A","n":"1","id":"2"}"# + "\n")
    Self.expectUsage(id, naming: "--meta-field id", advice: "--meta-field NAME=id")
  }

  // MARK: XML meta keys (item 5)

  @Test(arguments: ["string(./lang)", "count(./lang)", ".", "./lang[1]"])
  func xmlMetaWithoutADerivableNameIsRefused(xpath: String) throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./a",
        "--meta", xpath, "--to", "alpaca",
      ],
      stdin: Self.qaXML)
    Self.expectUsage(result, naming: "--meta '\(xpath)'", advice: "--meta NAME=XPATH")
  }

  @Test func xmlMetaTakesTheGivenName() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./a",
        "--meta", "lang=string(./lang)", "--meta", "n=count(./lang)", "--meta", "./lang/text()",
        "--to", "input-output",
      ],
      stdin: "<r><t><q>Q</q><a>A</a><lang>en</lang></t></r>\n")
    #expect(result.status == 64, "\(result.stderr)")
    #expect(result.stderr.contains("would both be written as 'lang'"), "\(result.stderr)")
    let named = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./a",
        "--meta", "lang=string(./lang)", "--meta", "n=count(./lang)", "--meta", "@kind",
        "--to", "input-output",
      ],
      stdin: #"<r><t kind="faq"><q>Q</q><a>A</a><lang>en</lang></t></r>"# + "\n")
    #expect(named.status == 0, "\(named.stderr)")
    #expect(
      named.stdout == #"{"input":"Q","output":"A","lang":"en","n":"1","kind":"faq"}"# + "\n")
  }

  @Test func xmlMetaAttributeAndElementOfOneNameAreRefused() throws {
    let result = try Binary.run(
      [
        "import", "-", "--from", "xml", "--record", "//t", "--input", "./q", "--output", "./a",
        "--meta", "@lang", "--meta", "./lang", "--to", "alpaca",
      ],
      stdin: Self.qaXML)
    Self.expectUsage(
      result, naming: "--meta @lang and --meta ./lang", advice: "--meta NAME=XPATH")
  }

  // MARK: ambiguous and conflicting options (item 12)

  @Test(arguments: [
    ("input,prompt,output\nq,p,a\n", "--input-column", "'input', 'prompt'"),
    ("question,answer,output\nq,a,o\n", "--output-column", "'output', 'answer'"),
  ])
  func twoCandidateColumnsAreAMappingFinding(csv: String, option: String, names: String) throws {
    let result = try Binary.run(["import", "-", "--from", "csv"], stdin: csv)
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout.isEmpty, "\(result.stdout)")
    #expect(result.stderr.contains(names), "\(result.stderr)")
    #expect(result.stderr.contains("choose one with \(option)"), "\(result.stderr)")
    #expect(result.stderr.contains("[import.mapping]"))
  }

  @Test func aColumnAnotherOptionNamesIsNoCandidate() throws {
    let result = try Binary.run(
      ["import", "-", "--from", "csv", "--output-column", "prompt", "--to", "input-output"],
      stdin: "question,prompt\nq1,a1\n")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == #"{"input":"q1","output":"a1"}"# + "\n")
  }

  @Test(arguments: [[], ["--input-column", "question", "--output-column", "answer"]])
  func aDuplicateHeaderNameInUseIsAMappingFinding(options: [String]) throws {
    let result = try Binary.run(
      ["import", "-", "--from", "csv"] + options, stdin: "question,answer,question\nq1,a1,q2\n")
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout.isEmpty, "\(result.stdout)")
    #expect(result.stderr.contains("1 and 3"), "\(result.stderr)")
    #expect(result.stderr.contains("[import.mapping]"))
    // Chosen by number, the same file imports.
    let numbered = try Binary.run(
      ["import", "-", "--from", "csv", "--header", "--input-column", "3", "--output-column", "2"],
      stdin: "question,answer,question\nq1,a1,q2\n")
    #expect(numbered.status == 0, "\(numbered.stderr)")
    #expect(numbered.stdout.contains(#""content":"q2""#))
  }

  @Test func theSameColumnForInputAndOutputIsRefused() throws {
    let byName = try Binary.run(
      [
        "import", "-", "--from", "csv", "--input-column", "question", "--output-column",
        "question",
      ],
      stdin: "question,answer\nq1,a1\n")
    Self.expectUsage(
      byName, naming: "--input-column and --output-column both name 'question'",
      advice: "--output-column")
    let mixed = try Binary.run(
      [
        "import", "-", "--from", "csv", "--header", "--input-column", "1", "--output-column",
        "question",
      ],
      stdin: "question,answer\nq1,a1\n")
    #expect(mixed.status == 1, "\(mixed.stderr)")
    #expect(mixed.stdout.isEmpty)
    #expect(mixed.stderr.contains("both column 1 ('question')"), "\(mixed.stderr)")
  }

  @Test func aConflictingRoleMapIsRefused() throws {
    let result = try Binary.run(
      [
        "format", "-", "--to", "openai-chat", "--role-map",
        "customer=user,bot=assistant,customer=assistant",
      ],
      stdin: #"{"conversations":[{"from":"customer","value":"Hi"},{"from":"bot","value":"Hello"}]}"#
        + "\n")
    Self.expectUsage(result, naming: "'customer'", advice: "one role")
  }

  @Test func aRoleMapForAnotherFormatIsRefusedOrWarned() throws {
    let chat =
      #"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}"#
      + "\n"
    let given = try Binary.run(
      ["format", "-", "--from", "openai-chat", "--to", "alpaca", "--role-map", "customer=user"],
      stdin: chat)
    Self.expectUsage(given, naming: "--role-map", advice: "leave --role-map out")
    let detected = try Binary.run(
      ["format", "-", "--to", "alpaca", "--role-map", "customer=user"], stdin: chat)
    #expect(detected.status == 0, "\(detected.stderr)")
    #expect(detected.stdout == #"{"instruction":"Hi","input":"","output":"Hello"}"# + "\n")
    #expect(
      detected.stderr.contains("<stdin>:1: warning: --role-map was not used"),
      "\(detected.stderr)")
    #expect(detected.stderr.contains("[format.role-map-unused]"))
  }
}
