import Foundation
import Testing

/// The format rules of `validate` as a provider applies them: blank text is blank however it is
/// written, what a provider rejects is an error, and each problem gets one finding at the value
/// that has it.
@Suite struct FormatRulesCLITests {
  static func chat(answer: String) -> String {
    #"{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"\#(answer)"}]}"#
  }

  // MARK: A. Blank text: Unicode White_Space, after decoding escapes

  /// Whitespace written as an escape, `\f`, or non-ASCII White_Space is as blank as a space.
  @Test(arguments: [
    #"\u0020"#, #"\u0009\u000a"#, #"\f"#, #" \n\u0020"#, #"\u00a0"#, #"\u3000"#, #"\u2003"#,
    #"\u2028"#, #"\u0085"#, "\u{00A0}", "\u{3000}\u{2029}", "\u{1680}",
  ])
  func aBlankAnswerIsEmptyContentHoweverItIsWritten(blank: String) throws {
    let result = try Binary.run(["validate", "-"], stdin: Self.chat(answer: blank) + "\n")
    #expect(result.status == 1, "\(blank): \(result.stderr)")
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: /messages/1/content: the assistant message has empty content: remove the message or write its text [format.empty-content]"
      ), "\(blank): \(result.stderr)")
  }

  /// Text with something visible, or characters that are not White_Space (a backspace, a
  /// zero-width space, an escaped backslash), is an answer.
  @Test(arguments: [#"\u0020x"#, #"\b"#, #"\u200b"#, #"\\"#, #" \u00a0."#, "\u{3000}\u{4E00}"])
  func textThatIsNotOnlyWhiteSpaceIsAnAnswer(text: String) throws {
    let result = try Binary.run(["validate", "-"], stdin: Self.chat(answer: text) + "\n")
    #expect(result.status == 0, "\(text): \(result.stderr)")
  }

  /// Every format's fields use the same rule: alpaca's `output` written as `\u0020`.
  @Test func anEscapedSpaceAlpacaOutputIsEmpty() throws {
    let result = try Binary.run(
      ["validate", "-"], stdin: #"{"instruction":"Q","input":"","output":"\u0020"}"# + "\n")
    #expect(result.status == 1)
    #expect(
      result.stderr.contains(
        "/output: \"output\" is empty: there is no answer to learn [format.empty-content]"),
      "\(result.stderr)")
  }

  /// `import` rejects a cell of non-ASCII White_Space like an empty one.
  @Test(arguments: ["\u{00A0}", "\u{3000}", " \u{2003}\t"])
  func importRejectsAUnicodeBlankCell(blank: String) throws {
    let result = try Binary.run(
      ["import", "-", "--from", "csv"], stdin: "input,output\nhello,\(blank)\n")
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout.isEmpty, "\(result.stdout)")
    #expect(result.stderr.contains("[import.empty-cell]"), "\(result.stderr)")
  }

  // MARK: B. What providers reject

  /// OpenAI takes images only in user messages.
  ///
  /// Its vision guide: "You cannot include images as output from messages with the assistant
  /// role"; system prompts are text. Images stay valid in user messages.
  @Test func anImageOutsideAUserMessageIsAnError() throws {
    let image = #"[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]"#
    let assistant =
      #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":\#(image)}]}"#
    let system =
      #"{"messages":[{"role":"system","content":\#(image)},{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#
    let user =
      #"{"messages":[{"role":"user","content":\#(image)},{"role":"assistant","content":"b"}]}"#
    let result = try Binary.run(
      ["validate", "-"], stdin: [assistant, system, user].joined(separator: "\n") + "\n")
    #expect(result.status == 1)
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: /messages/1/content/0/type: an image in an assistant message: OpenAI fine-tuning takes images only in user messages; move the image to the user message, or describe it in text [schema.invalid]"
      ), "\(result.stderr)")
    #expect(
      result.stderr.contains(
        "<stdin>:2: error: /messages/0/content/0/type: an image in a system message:"),
      "\(result.stderr)")
    #expect(!result.stderr.contains("<stdin>:3:"), "\(result.stderr)")
    // One finding each: the schema's rule is the decoder's, not reported twice.
    #expect(result.stderr.contains("1 valid, 2 invalid; 2 errors"), "\(result.stderr)")
  }

  /// Bedrock: "assistant responses are always textual".
  @Test func aBedrockAssistantImageIsAnError() throws {
    let record =
      #"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"image":{"format":"png","source":{"s3Location":{"uri":"s3://b/x.png"}}}}]}]}"#
    let result = try Binary.run(["validate", "-"], stdin: record + "\n")
    #expect(result.status == 1)
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: /messages/1/content/0/image: an image in an assistant message: Bedrock takes images only in user messages"
      ), "\(result.stderr)")
    #expect(result.stderr.contains("1 error,"), "\(result.stderr)")
  }

  /// Gemini: Vertex AI's `systemInstruction.parts` are `{"text"}` only.
  @Test func aGeminiSystemInstructionFileIsAnError() throws {
    let record =
      #"{"systemInstruction":{"parts":[{"fileData":{"mimeType":"image/png","fileUri":"gs://b/x.png"}}]},"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"text":"b"}]}]}"#
    let result = try Binary.run(["validate", "-"], stdin: record + "\n")
    #expect(result.status == 1)
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: /systemInstruction/parts/0/fileData: \"systemInstruction\" holds a file: Vertex AI takes only {\"text\": ...} parts there"
      ), "\(result.stderr)")
    #expect(result.stderr.contains("1 error,"), "\(result.stderr)")
  }

  /// Bedrock requires the last turn to be the answer: an error there, a warning in openai-chat.
  @Test func endingWithAUserTurnIsAnErrorOnlyWhereTheProviderRejectsIt() throws {
    let bedrock =
      #"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"text":"b"}]},{"role":"user","content":[{"text":"c"}]}]}"#
    let result = try Binary.run(["validate", "-"], stdin: bedrock + "\n")
    #expect(result.status == 1)
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: /messages/2: the conversation ends with a user turn: bedrock-conversation requires the last turn to be the assistant's answer; remove the turns after the last answer, or answer them [format.last-turn]"
      ), "\(result.stderr)")
    let chat =
      #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}"#
    let warning = try Binary.run(["validate", "-"], stdin: chat + "\n")
    #expect(warning.status == 0, "\(warning.stderr)")
    #expect(warning.stderr.contains("[format.last-not-assistant]"), "\(warning.stderr)")
  }

  // MARK: C. One finding, at the right place, in the right words

  /// A system turn first after a `system` field is a second system prompt, not a late one.
  @Test func aSecondSystemPromptIsNamedAsSuch() throws {
    let record =
      #"{"system":"S","conversations":[{"from":"system","value":"S2"},{"from":"human","value":"Q"},{"from":"gpt","value":"A"}]}"#
    let result = try Binary.run(["validate", "-"], stdin: record + "\n")
    #expect(result.status == 1)
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: /conversations/0: a second system prompt: the record's \"system\" field already gives one, and an example has one system prompt; merge them into one [format.system-position]"
      ), "\(result.stderr)")
    #expect(!result.stderr.contains("after the conversation started"), "\(result.stderr)")
  }

  /// A turn dropped for its missing role does not also make the conversation "start with the
  /// assistant".
  @Test func aMissingRoleIsOneFinding() throws {
    let record = #"{"contents":[{"parts":[{"text":"a"}]},{"role":"model","parts":[{"text":"b"}]}]}"#
    let result = try Binary.run(["validate", "-"], stdin: record + "\n")
    #expect(result.status == 1)
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: /contents/0: the content is missing the required \"role\" field [schema.required]"
      ), "\(result.stderr)")
    #expect(!result.stderr.contains("starts with"), "\(result.stderr)")
    #expect(result.stderr.contains("1 error,"), "\(result.stderr)")
  }

  /// An unknown sharegpt speaker between two user turns is one finding, not also "two user
  /// turns in a row".
  @Test func anUnknownSpeakerIsOneFinding() throws {
    let record =
      #"{"conversations":[{"from":"human","value":"Q"},{"from":"bot","value":"A"},{"from":"human","value":"Q2"},{"from":"gpt","value":"A2"}]}"#
    let result = try Binary.run(["validate", "-"], stdin: record + "\n")
    #expect(result.status == 1)
    #expect(result.stderr.contains("[format.unknown-role]"), "\(result.stderr)")
    #expect(!result.stderr.contains("[format.alternation]"), "\(result.stderr)")
  }

  /// `--output-schema` findings point at the answer's text as the format holds it.
  @Test func outputSchemaFindingsPointAtTheAnswerText() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-rules-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let schema = dir.appendingPathComponent("out.json")
    try Data(#"{"type":"object","required":["b"]}"#.utf8).write(to: schema)
    let cases: [(String, String)] = [
      (
        #"{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"text":"{\"a\":1}"}]}]}"#,
        "/contents/1/parts/0/text"
      ),
      (
        #"{"conversations":[{"from":"human","value":"Q"},{"from":"gpt","value":"{\"a\":1}"}]}"#,
        "/conversations/1/value"
      ),
      (
        #"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"text":"{\"a\":1}"}]}]}"#,
        "/messages/1/content/0/text"
      ),
      (
        #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"{\"a\":1}"}]}"#,
        "/messages/1/content"
      ),
      (#"{"prompt":"a","completion":"{\"a\":1}"}"#, "/completion"),
    ]
    for (record, path) in cases {
      let result = try Binary.run(
        ["validate", "-", "--output-schema", schema.path], stdin: record + "\n")
      #expect(result.status == 1)
      #expect(
        result.stderr.contains(
          "<stdin>:1: error: \(path): the final answer does not match --output-schema"),
        "\(path): \(result.stderr)")
    }
    // Text after the answer's JSON value is worded for an answer, not for JSONL records.
    let trailing =
      #"{"contents":[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"text":"{\"b\":1} and more"}]}]}"#
    let result = try Binary.run(
      ["validate", "-", "--output-schema", schema.path], stdin: trailing + "\n")
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: /contents/1/parts/0/text: the final answer is not JSON (unexpected 'a' after the JSON value at character 9 of the answer), but --output-schema expects a JSON value: write the answer as that one JSON value, with no text before or after it [schema.output-not-json]"
      ), "\(result.stderr)")
    #expect(!result.stderr.contains("one record per line"), "\(result.stderr)")
  }

  // MARK: D. Below the provider minimum

  /// A train split of 9 is rejected by providers: an error; 10 to 499 is guidance: a warning.
  @Test(arguments: [(9, true), (10, false)])
  func aTrainSplitBelowTenIsAnError(train: Int, isError: Bool) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tuneprep-rules-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let records = (0..<(train + 2)).map { #"{"prompt":"q\#($0)","completion":"a\#($0)"}"# }
    let result = try Binary.run(
      ["split", "-", "--out-dir", dir.path, "--counts", "\(train),1,1"],
      stdin: records.joined(separator: "\n") + "\n")
    if isError {
      #expect(result.status == 1, "\(result.stderr)")
      #expect(
        result.stderr.contains(
          "train.jsonl: error: the train split has 9 examples, fewer than the 10 providers require (OpenAI rejects the file): add examples, or give the train split a larger share [split.train-below-minimum]"
        ), "\(result.stderr)")
      #expect(!result.stderr.contains("[split.train-small]"), "\(result.stderr)")
    } else {
      #expect(result.status == 0, "\(result.stderr)")
      #expect(
        result.stderr.contains("train.jsonl: warning: the train split has 10 examples"),
        "\(result.stderr)")
      #expect(result.stderr.contains("[split.train-small]"), "\(result.stderr)")
    }
  }
}

extension FormatRulesCLITests {
  /// A record that holds only a system prompt has nothing to train: it is `format.no-answer`,
  /// in every format that keeps the system prompt beside the turns.
  @Test(arguments: [
    #"{"messages":[{"role":"system","content":"Be brief."}]}"#,
    #"{"conversations":[{"from":"system","value":"Be brief."}]}"#,
  ])
  func aSystemPromptAloneHasNoAnswer(record: String) throws {
    let result = try Binary.run(["validate", "-"], stdin: record + "\n")
    #expect(result.status == 1, "\(result.stderr)")
    #expect(
      result.stderr.contains(
        "<stdin>:1: error: the example has only a system prompt: add the user message and the assistant answer the model should learn to give [format.no-answer]"
      ), "\(result.stderr)")
  }
}
