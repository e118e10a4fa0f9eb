import Foundation
import Testing

#if canImport(FoundationEssentials)
  import FoundationEssentials
#endif

/// `tuneprep import` reads an Alpaca header (`instruction,input,output`, as spreadsheets export
/// Alpaca data) and JSON records with those fields as Alpaca records: the instruction and its
/// optional input make the prompt exactly as `tuneprep format --from alpaca` makes it.
@Suite struct ImportAlpacaCLITests {
  static let csv = "instruction,input,output\nTranslate,hello,bonjour\nSay hi,,hi\n"
  /// The same rows as Alpaca JSONL, as `format --from alpaca` reads them.
  static let jsonl =
    #"{"instruction":"Translate","input":"hello","output":"bonjour"}"# + "\n"
    + #"{"instruction":"Say hi","input":"","output":"hi"}"# + "\n"
  static let alpaca =
    #"{"instruction":"Translate","input":"hello","output":"bonjour"}"# + "\n"
    + #"{"instruction":"Say hi","input":"","output":"hi"}"# + "\n"

  /// Imports `text` from standard input as `kind` into `format`, expecting a clean run.
  static func importClean(_ text: String, from kind: String, to format: String) throws -> String {
    let result = try Binary.run(["import", "-", "--from", kind, "--to", format], stdin: text)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("0 rejected"), "\(result.stderr)")
    return result.stdout
  }

  @Test func csvFileWithAnAlpacaHeaderImportsWithoutOptions() throws {
    let path = Binary.temporaryPath("a.csv")
    try Data(Self.csv.utf8).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try Binary.run(["import", path])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(!result.stderr.contains("import.mapping"), "\(result.stderr)")
    #expect(
      result.stdout
        == #"{"messages":[{"role":"user","content":"Translate\n\nhello"},{"role":"assistant","content":"bonjour"}]}"#
        + "\n"
        + #"{"messages":[{"role":"user","content":"Say hi"},{"role":"assistant","content":"hi"}]}"#
        + "\n")
  }

  @Test(arguments: [
    ("csv", csv),
    ("tsv", "instruction\tinput\toutput\nTranslate\thello\tbonjour\nSay hi\t\thi\n"),
    ("json", jsonl),
    // A blank input cell is no input, as in an alpaca record.
    ("csv", "Instruction,Input,Output\nTranslate,hello,bonjour\nSay hi,\"  \",hi\n"),
    ("json", jsonl.replacingOccurrences(of: #""input":"""#, with: #""input":" ""#)),
    // A record without an input field, as alpaca allows.
    ("json", jsonl.replacingOccurrences(of: #""input":"","#, with: "")),
  ])
  func alpacaRowsRoundTripToAlpaca(kind: String, text: String) throws {
    #expect(try Self.importClean(text, from: kind, to: "alpaca") == Self.alpaca)
  }

  @Test(arguments: [("csv", csv), ("json", jsonl)], ["openai-chat", "sharegpt", "gemini"])
  func alpacaRowsGiveTheTextFormatGives(source: (String, String), target: String) throws {
    let (kind, text) = source
    let formatted = try Binary.run(
      ["format", "-", "--from", "alpaca", "--to", target], stdin: Self.jsonl)
    #expect(formatted.status == 0, "\(formatted.stderr)")
    #expect(formatted.stdout.contains(#"Translate\n\nhello"#), "\(formatted.stdout)")
    #expect(try Self.importClean(text, from: kind, to: target) == formatted.stdout)
  }

  @Test func systemAndHistoryColumnsAreTheAlpacaOnes() throws {
    let csv =
      "instruction,input,output,system,history\n"
      + #"Translate,hello,bonjour,Be brief,"[[""Hi"",""Hello""]]""# + "\n"
    let record =
      #"{"instruction":"Translate","input":"hello","output":"bonjour","system":"Be brief","history":[["Hi","Hello"]]}"#
      + "\n"
    #expect(try Self.importClean(csv, from: "csv", to: "alpaca") == record)
    #expect(try Self.importClean(record, from: "json", to: "alpaca") == record)
    let formatted = try Binary.run(
      ["format", "-", "--from", "alpaca", "--to", "openai-chat"], stdin: record)
    #expect(try Self.importClean(csv, from: "csv", to: "openai-chat") == formatted.stdout)
  }

  @Test func aHistoryCellThatIsNotJSONRejectsItsRow() throws {
    let result = try Binary.run(
      ["import", "-", "--from", "csv", "--to", "alpaca"],
      stdin: "instruction,input,output,history\nA,,B,[[q]\nC,,D,\n")
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout == #"{"instruction":"C","input":"","output":"D"}"# + "\n")
    #expect(result.stderr.contains("<stdin>:2: error: column 'history' is not JSON"))
    #expect(result.stderr.contains("1 rejected"), "\(result.stderr)")
  }

  @Test func anEmptyInstructionIsAnEmptyCell() throws {
    let result = try Binary.run(
      ["import", "-", "--from", "csv"], stdin: "instruction,input,output\n,hello,bonjour\n")
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout.isEmpty)
    #expect(result.stderr.contains("column 'instruction' is empty"), "\(result.stderr)")
    #expect(result.stderr.contains("[import.empty-cell]"), "\(result.stderr)")
  }

  @Test func anExplicitInputColumnWins() throws {
    let instruction = try Binary.run(
      ["import", "-", "--from", "csv", "--input-column", "instruction", "--to", "input-output"],
      stdin: Self.csv)
    #expect(instruction.status == 0, "\(instruction.stderr)")
    #expect(
      instruction.stdout
        == #"{"input":"Translate","output":"bonjour"}"# + "\n"
        + #"{"input":"Say hi","output":"hi"}"#
        + "\n")
    let input = try Binary.run(
      ["import", "-", "--from", "json", "--input-field", "input", "--to", "input-output"],
      stdin: #"{"instruction":"Translate","input":"hello","output":"bonjour"}"# + "\n")
    #expect(input.status == 0, "\(input.stderr)")
    #expect(input.stdout == #"{"input":"hello","output":"bonjour"}"# + "\n")
  }

  @Test(arguments: [
    ("instruction,prompt,output\na,b,c\n", "'prompt', 'instruction'"),
    ("prompt,question,answer\na,b,c\n", "'prompt', 'question'"),
  ])
  func anotherPromptColumnIsStillAmbiguous(csv: String, names: String) throws {
    let result = try Binary.run(["import", "-", "--from", "csv"], stdin: csv)
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout.isEmpty)
    #expect(result.stderr.contains(names), "\(result.stderr)")
    #expect(result.stderr.contains("[import.mapping]"), "\(result.stderr)")
  }

  @Test func aMetaKeyNamedLikeAnAlpacaFieldIsRefused() throws {
    let result = try Binary.run(
      ["import", "-", "--from", "json", "--meta-field", "history", "--to", "input-output"],
      stdin: Self.jsonl)
    #expect(result.status == 64, "\(result.stderr)")
    #expect(result.stderr.contains("--meta-field NAME=history"), "\(result.stderr)")
  }
}
