import Foundation
import Testing

@testable import TunePrep

/// The built-in format schemas: embedded text matches schemas/, each compiles, passes its
/// meta-schema, and accepts a typical record and rejects typical mistakes.
@Suite struct SchemaBuiltinTests {
  static var schemasDirectory: URL {
    ConformanceDirectory.packageRoot.appendingPathComponent("schemas")
  }

  @Test func embeddedTextsMatchTheFiles() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.schemasDirectory.path)
      .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    #expect(files == BuiltinSchemas.names, "run scripts/embed-schemas.sh")
    for name in files {
      let file = try String(
        contentsOf: Self.schemasDirectory.appendingPathComponent(name + ".json"), encoding: .utf8)
      #expect(
        BuiltinSchemas.text(named: name) == file,
        "\(name): embedded text differs; run scripts/embed-schemas.sh")
    }
  }

  @Test(arguments: BuiltinSchemas.names)
  func compilesAgainstTheMetaSchemaWithDescriptions(name: String) throws {
    let text = try #require(BuiltinSchemas.text(named: name))
    _ = try SchemaCompiler().compile(schemaBytes: Array(text.utf8))
    let value = try JSONValue(parsing: text)
    #expect(value["title"]?.stringValue?.isEmpty == false)
    #expect(
      Self.propertiesWithoutDescription(value, path: "").isEmpty,
      "\(Self.propertiesWithoutDescription(value, path: ""))")
  }

  /// Pointers of property schemas that lack a description.
  ///
  /// Conditional rules (`if`, `then`, `else`) restate fields documented where they are declared, so
  /// they are skipped.
  static func propertiesWithoutDescription(_ value: JSONValue, path: String) -> [String] {
    guard case .object(let members) = value else { return [] }
    var missing: [String] = []
    for (key, child) in members where !["if", "then", "else"].contains(key) {
      if key == "properties", case .object(let properties) = child {
        for (name, schema) in properties {
          if case .object = schema, schema["description"] == nil {
            missing.append("\(path)/properties/\(name)")
          }
          missing += propertiesWithoutDescription(schema, path: "\(path)/properties/\(name)")
        }
      } else if case .object = child {
        missing += propertiesWithoutDescription(child, path: "\(path)/\(key)")
      } else if case .array(let items) = child {
        for (i, item) in items.enumerated() {
          missing += propertiesWithoutDescription(item, path: "\(path)/\(key)/\(i)")
        }
      }
    }
    return missing
  }

  static let samples: [(String, String, Bool)] = [
    (
      "openai-chat",
      #"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello","weight":1}]}"#,
      true
    ),
    (
      "openai-chat",
      #"{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"sunny"}],"tools":[{"type":"function","function":{"name":"get","parameters":{"type":"object"}}}],"parallel_tool_calls":false}"#,
      true
    ),
    (
      "openai-chat",
      #"{"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},{"role":"assistant","content":"A cat."}]}"#,
      true
    ),
    ("openai-chat", #"{"messages":[{"role":"robot","content":"Hi"}]}"#, false),
    (
      "openai-chat",
      #"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":null}]}"#, false
    ),
    ("openai-chat", #"{"messages":[{"role":"user","content":"Hi","weight":1}]}"#, false),
    ("openai-chat", #"{"messages":[{"role":"user","content":""}]}"#, false),
    ("openai-chat", #"{"messages":[{"role":"tool","content":"x"}]}"#, false),
    ("openai-chat", #"{"mesages":[]}"#, false),
    (
      "openai-preference",
      #"{"input":{"messages":[{"role":"user","content":"Hi"}]},"preferred_output":[{"role":"assistant","content":"Hello!"}],"non_preferred_output":[{"role":"assistant","content":"What?"}]}"#,
      true
    ),
    (
      "openai-preference",
      #"{"input":{"messages":[{"role":"user","content":"Hi"}]},"preferred_output":[{"role":"user","content":"Hello!"}],"non_preferred_output":[{"role":"assistant","content":"What?"}]}"#,
      false
    ),
    ("prompt-completion", #"{"prompt":"2+2=","completion":"4"}"#, true),
    ("prompt-completion", #"{"prompt":"2+2=","completions":"4"}"#, false),
    (
      "alpaca", #"{"instruction":"Add","input":"2 and 2","output":"4","history":[["hi","hello"]]}"#,
      true
    ),
    ("alpaca", #"{"instruction":"Add","input":"2 and 2","output":42}"#, false),
    ("alpaca", #"{"instruction":"Add","output":"4","history":[["only one"]]}"#, false),
    (
      "sharegpt",
      #"{"conversations":[{"from":"human","value":"Hi"},{"from":"gpt","value":"Hello"}],"system":"Be nice."}"#,
      true
    ),
    ("sharegpt", #"{"conversations":[{"from":"bot","value":"Hi"}]}"#, false),
    ("input-output", #"{"input":"x","output":"y","id":7}"#, true),
    ("input-output", #"{"input":"x"}"#, false),
    (
      "gemini",
      #"{"systemInstruction":{"role":"system","parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Hello"}]}]}"#,
      true
    ),
    ("gemini", #"{"contents":[{"role":"assistant","parts":[{"text":"Hi"}]}]}"#, false),
    (
      "gemini",
      #"{"contents":[{"role":"user","parts":[{"text":"Hi","fileData":{"mimeType":"image/png","fileUri":"gs://b/x.png"}}]}]}"#,
      false
    ),
    (
      "bedrock-conversation",
      #"{"schemaVersion":"bedrock-conversation-2024","system":[{"text":"Be brief."}],"messages":[{"role":"user","content":[{"text":"Hi"}]},{"role":"assistant","content":[{"text":"Hello"}]}]}"#,
      true
    ),
    (
      "bedrock-conversation",
      #"{"schemaVersion":"bedrock-conversion-2024","messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#,
      false
    ),
    (
      "bedrock-conversation",
      #"{"schemaVersion":"bedrock-conversation-2024","messages":[{"role":"user","content":"Hi"}]}"#,
      false
    ),
  ]

  @Test(arguments: samples)
  func acceptsTypicalRecordsAndRejectsMistakes(name: String, record: String, valid: Bool) throws {
    let schema = try #require(try BuiltinSchemas.compile(named: name))
    var parser = JSONParser()
    var document = JSONDocument()
    try parser.parse(Array(record.utf8), into: &document)
    var errors: [SchemaError] = []
    #expect(schema.validate(document, into: &errors) == valid, "\(errors.map(\.description))")
    #expect(errors.isEmpty == valid)
  }
}
