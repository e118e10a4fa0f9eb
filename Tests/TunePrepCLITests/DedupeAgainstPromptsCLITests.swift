import Foundation
import Testing

/// `tuneprep dedupe --against` with an evaluation file of prompts only (no answers).
@Suite struct DedupeAgainstPromptsCLITests {
  typealias Folder = DedupeCLITests.Folder

  static let capital = "What is the capital of France? Answer in one word please"
  static let prime = "Name a prime number bigger than ten and say why it is prime"
  static let translate = "Translate good morning to German and to Italian for me"

  static let train = [
    DedupeCLITests.chat(capital, "Paris."),
    DedupeCLITests.chat(prime, "Eleven: no number but one and itself divides it."),
    DedupeCLITests.chat(translate, "Guten Morgen; buongiorno."),
    DedupeCLITests.chat("Keep this one, it is not in the test set", "Kept."),
  ]

  /// Test prompts in four formats, none with an answer: openai-chat (the file's format),
  /// input-output, prompt-completion and alpaca.
  static let prompts = [
    #"{"messages":[{"role":"user","content":"\#(capital)"}]}"#,
    #"{"input":"\#(prime)"}"#,
    #"{"prompt":"\#(translate.uppercased())"}"#,
    #"{"instruction":"Something that is not in the training set at all"}"#,
  ]

  /// With `--key input`, a prompt without an answer is compared by its prompt, and is no
  /// error (the old code reported each as `format.no-answer` or `schema.required`, compared
  /// none and found no leak).
  @Test func promptsOnlyAreComparedWithKeyInput() throws {
    let folder = try Folder()
    try folder.write("train.jsonl", Self.train)
    try folder.write("test.jsonl", Self.prompts)
    let run = try folder.run([
      "dedupe", "train.jsonl", "--against", "test.jsonl", "--key", "input",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout == Self.train[3] + "\n")
    for (line, test) in [(1, 1), (2, 2), (3, 3)] {
      #expect(
        run.stderr.contains(
          "train.jsonl:\(line): warning: leaks evaluation data: the same example as test.jsonl:\(test); dropped"
        ), "\(run.stderr)")
    }
    #expect(!run.stderr.contains(": error: "), "\(run.stderr)")
    #expect(
      run.stderr.hasSuffix(
        "4 records in 1 file, 1 kept, 0 dup.exact, 3 leak.exact, 0 invalid, 4 evaluation records, 0 evaluation invalid; 0 errors, 3 warnings, 0 info (leak.exact 3)\n"
      ), "\(run.stderr)")
  }

  /// `--near --against` compares prompts too: an edited prompt is a near leak.
  @Test func promptsOnlyAreComparedForNearLeaks() throws {
    let folder = try Folder()
    try folder.write("train.jsonl", [DedupeCLITests.chat(DedupeCLITests.longEdited, "Yes.")])
    try folder.write(
      "test.jsonl",
      [
        #"{"messages":[{"role":"user","content":"Unrelated"}]}"#,
        #"{"messages":[{"role":"user","content":"\#(DedupeCLITests.long)"}]}"#,
      ])
    let run = try folder.run([
      "dedupe", "--near", "train.jsonl", "--against", "test.jsonl", "--key", "input",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.isEmpty)
    #expect(
      run.stderr.contains(
        "train.jsonl:1: warning: leaks evaluation data: a near-duplicate of test.jsonl:2 (Jaccard 0."
      ), "\(run.stderr)")
    #expect(
      run.stderr.contains("1 leak.near, 0 invalid, 2 evaluation records, 0 evaluation invalid"))
  }

  /// A key that compares the answer cannot compare a prompt without one: the record is still
  /// an error that follows `--fail-on`, and its finding says to use `--key input` (the old
  /// message told the user to add the answer the model should learn).
  @Test(arguments: ["conversation", "output"])
  func keysThatNeedTheAnswerSayWhatToDo(key: String) throws {
    let folder = try Folder()
    try folder.write("train.jsonl", Self.train)
    try folder.write("test.jsonl", Self.prompts)
    let run = try folder.run(["dedupe", "train.jsonl", "--against", "test.jsonl", "--key", key])
    #expect(run.status == 1, "\(run.stderr)")
    #expect(run.stdout == Self.train.map { $0 + "\n" }.joined())
    let advice =
      "which --key \(key) compares, so it is not compared and a leak of its prompt would go unseen: for an evaluation file of prompts only, use --key input, which compares the prompts"
    #expect(
      run.stderr.contains(
        "test.jsonl:1: error: the evaluation record has no assistant answer, \(advice) [format.no-answer]"
      ), "\(run.stderr)")
    #expect(
      run.stderr.contains(
        #"test.jsonl:2: error: the evaluation record has no "output" field (its answer), \#(advice) [schema.required]"#
      ), "\(run.stderr)")
    #expect(
      run.stderr.contains(
        #"test.jsonl:3: error: the evaluation record has no "completion" field (its answer), \#(advice) [schema.required]"#
      ), "\(run.stderr)")
    #expect(run.stderr.contains("4 evaluation records, 4 evaluation invalid; 4 errors"))
    let never = try folder.run([
      "dedupe", "--near", "train.jsonl", "--against", "test.jsonl", "--key", key, "--fail-on",
      "never",
    ])
    #expect(never.status == 0)
    #expect(never.stderr.contains("4 evaluation records, 4 evaluation invalid; 4 errors"))
  }

  /// Only a missing answer is forgiven: a prompt-only record with another error, and the
  /// input's own records without an answer, stay errors with their usual messages.
  @Test func otherErrorsStayErrors() throws {
    let folder = try Folder()
    try folder.write(
      "train.jsonl", Self.train + [#"{"messages":[{"role":"user","content":"no answer"}]}"#])
    try folder.write(
      "test.jsonl",
      [
        #"{"messages":[{"role":"user","content":"\#(Self.capital)"}]}"#,
        #"{"messages":[{"role":"user"}]}"#,
        #"{"instruction":"\#(Self.prime)","output":null}"#,
      ])
    let run = try folder.run([
      "dedupe", "train.jsonl", "--against", "test.jsonl", "--key", "input",
    ])
    #expect(run.status == 1)
    #expect(
      run.stderr.contains(
        "train.jsonl:5: error: the example has no assistant answer: add the answer the model should learn to give [format.no-answer]"
      ), "\(run.stderr)")
    #expect(
      run.stderr.contains(
        #"test.jsonl:2: error: /messages/0: the user message is missing the required "content" field [schema.required]"#
      ), "\(run.stderr)")
    #expect(run.stderr.contains(#"test.jsonl:3:"#) && run.stderr.contains("[schema.type]"))
    #expect(
      run.stderr.contains("1 leak.exact, 1 invalid, 3 evaluation records, 2 evaluation invalid"),
      "\(run.stderr)")
  }
}
