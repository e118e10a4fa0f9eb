import Foundation
import Testing

@testable import TunePrep

/// Error messages, compile errors and the engine's building blocks.
@Suite struct SchemaEngineTests {
  static func compile(_ schema: String, strictFormats: Bool = false) throws -> CompiledSchema {
    var options = SchemaOptions()
    options.strictFormats = strictFormats
    return try SchemaCompiler(options: options).compile(schemaBytes: Array(schema.utf8))
  }

  static func errors(_ schema: CompiledSchema, _ instance: String, limit: Int = 100) throws
    -> [SchemaError]
  {
    var parser = JSONParser()
    var document = JSONDocument()
    try parser.parse(Array(instance.utf8), into: &document)
    var errors: [SchemaError] = []
    let valid = schema.validate(document, into: &errors, limit: limit)
    #expect(valid == errors.isEmpty)
    return errors
  }

  static let chatLike = """
    {"type": "object", "required": ["messages"], "additionalProperties": false,
     "properties": {"messages": {"type": "array", "items": {"type": "object", "required": ["role", "content"],
       "properties": {"role": {"enum": ["system", "user", "assistant", "tool"]}, "content": {"type": "string"}}}}}}
    """

  @Test func enumErrorNamesTheValueAndTheChoices() throws {
    let schema = try Self.compile(Self.chatLike)
    let errors = try Self.errors(
      schema,
      #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"robot","content":"c"}]}"#
    )
    #expect(errors.count == 1)
    #expect(
      errors.first?.description
        == #"/messages/2/role: "robot" is not one of "system", "user", "assistant", "tool""#)
    #expect(errors.first?.schemaLocation == "/properties/messages/items/properties/role/enum")
    #expect(errors.first?.keyword == "enum")
  }

  @Test func missingAndUnknownPropertiesAreAllReported() throws {
    let schema = try Self.compile(Self.chatLike)
    let errors = try Self.errors(schema, #"{"mesages":[]}"#)
    #expect(
      errors.map(\.message) == [
        #"missing required property "messages""#,
        #"unknown property "mesages" (not allowed by additionalProperties: false)"#,
      ])
    #expect(errors.map(\.instanceLocation) == ["", ""])
    #expect(errors.map(\.schemaLocation) == ["/required", "/additionalProperties"])
  }

  @Test func errorLimitIsHonoured() throws {
    let schema = try Self.compile(#"{"items": {"type": "string"}}"#)
    let errors = try Self.errors(schema, "[1,2,3,4,5]", limit: 3)
    #expect(errors.count == 3)
    #expect(errors.map(\.instanceLocation) == ["/0", "/1", "/2"])
    #expect(errors.first?.message == "expected string, found number")
  }

  @Test func pointerTokensAreEscaped() throws {
    let schema = try Self.compile(#"{"additionalProperties": {"type": "integer"}}"#)
    let errors = try Self.errors(schema, #"{"a/b~c": 1.5}"#)
    #expect(errors.first?.instanceLocation == "/a~1b~0c")
    #expect(errors.first?.message == "expected integer, found non-integer number")
  }

  @Test func anyOfReportsTheIntendedBranch() throws {
    let schema = try Self.compile(
      #"{"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object", "required": ["text"]}}]}"#
    )
    let deep = try Self.errors(schema, #"[{"text": "a"}, {"txt": "b"}]"#)
    #expect(deep.map(\.description) == [#"/1: missing required property "text""#])
    let shallow = try Self.errors(schema, "42")
    #expect(shallow.count == 1)
    #expect(shallow.first?.keyword == "anyOf")
    #expect(shallow.first?.message.hasPrefix("matches none of the 2 alternatives of anyOf") == true)
  }

  @Test(arguments: [
    ("0.0075", "0.0001", true), ("0.0075", "0.001", false), ("1e308", "0.5", true),
    ("10", "2.5", true),
    ("7", "2", false), ("-4.2", "0.7", true), ("0", "0.3", true), ("0.3", "0.1", true),
  ])
  func multipleOfIsExact(value: String, divisor: String, expected: Bool) throws {
    let schema = try Self.compile(#"{"multipleOf": \#(divisor)}"#)
    #expect(try Self.errors(schema, value).isEmpty == expected)
  }

  @Test func numbersCompareByValue() throws {
    #expect(try Self.errors(Self.compile(#"{"const": 1}"#), "1.0").isEmpty)
    #expect(
      try Self.errors(Self.compile(#"{"enum": [{"a": [1, 2]}]}"#), #"{"a": [1.0, 2e0]}"#).isEmpty)
    #expect(
      try !Self.errors(
        Self.compile(#"{"maximum": 972783798187987123879878123.18878137}"#),
        "972783798187987123879878123.188781371"
      ).isEmpty)
    #expect(
      try !Self.errors(Self.compile(#"{"uniqueItems": true}"#), #"[{"a":1,"b":2},{"b":2.0,"a":1}]"#)
        .isEmpty)
  }

  @Test func stringLengthCountsCodePoints() throws {
    let schema = try Self.compile(#"{"maxLength": 2, "minLength": 2}"#)
    #expect(try Self.errors(schema, #""💩é""#).isEmpty)
    #expect(try Self.errors(schema, #""\ud83d\udca9\u00e9""#).isEmpty)
    #expect(
      try Self.errors(schema, #""abc""#).first?.message
        == "string is 3 characters long; at most 2 allowed")
  }

  @Test(arguments: [
    "{", ##"{"type": "strin"}"##, ##"{"$ref": "#/$defs/missing"}"##, ##"{"pattern": "(a"}"##,
    ##"{"$ref": "https://example.com/other.json"}"##,
    ##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}"##,
    #"{"minLength": -1}"#,
  ])
  func brokenSchemasAreCompileErrors(schema: String) {
    #expect(throws: SchemaCompileError.self) { try Self.compile(schema) }
  }

  @Test func unmappedRemoteRefSaysHowToMapIt() {
    do {
      _ = try Self.compile(#"{"$ref": "https://example.com/other.json"}"#)
      Issue.record("expected a compile error")
    } catch let error as SchemaCompileError {
      #expect(error.message.contains("--ref-base"))
    } catch {
      Issue.record("unexpected error \(error)")
    }
  }

  @Test func mappedRemoteRefLoadsFromTheDirectory() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "schema-ref-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(#"{"$defs": {"role": {"enum": ["user"]}}}"#.utf8).write(
      to: dir.appendingPathComponent("common.json"))
    var options = SchemaOptions()
    options.resolver = SchemaResolver(mappings: [
      .init(prefix: "https://example.com/schemas/", directory: dir.path)
    ])
    let schema = try SchemaCompiler(options: options).compile(
      schemaBytes: Array(#"{"$ref": "https://example.com/schemas/common.json#/$defs/role"}"#.utf8))
    #expect(try Self.errors(schema, #""user""#).isEmpty)
    let errors = try Self.errors(schema, #""bot""#)
    #expect(
      errors.first?.schemaLocation == "https://example.com/schemas/common.json#/$defs/role/enum")
  }

  @Test func formatsAreAnnotationsUnlessStrict() throws {
    #expect(try Self.errors(Self.compile(#"{"format": "date-time"}"#), #""yesterday""#).isEmpty)
    let strict = try Self.compile(#"{"format": "date-time"}"#, strictFormats: true)
    #expect(try Self.errors(strict, #""2024-02-29T12:00:00Z""#).isEmpty)
    #expect(
      try Self.errors(strict, #""yesterday""#).first?.message
        == #""yesterday" is not a valid date-time"#)
  }

  @Test func pathologicalPatternIsAFindingNotAHang() throws {
    var options = SchemaOptions()
    options.regexStepBudget = 100_000
    let schema = try SchemaCompiler(options: options).compile(
      schemaBytes: Array(#"{"pattern": "^(a+)+$"}"#.utf8))
    let errors = try Self.errors(schema, "\"" + String(repeating: "a", count: 40) + "!\"")
    #expect(errors.first?.message.contains("too many steps") == true)
  }

  @Test(arguments: [
    ("^\\p{Lu}\\p{Ll}+$", "Éclair", true), ("^\\d+$", "১২", false), ("^\\w+$", "héllo", false),
    ("a.c", "a\nc", false), ("^(?<x>ab)\\k<x>$", "abab", true), ("^a{2,3}?b", "aab", true),
    ("(?<=\\$)\\d+", "cost $42", true), ("^[^\\s]+$", "a\u{3000}b", false), ("^🐲*$", "🐲🐲", true),
  ])
  func regexFollowsECMAScript(pattern: String, text: String, expected: Bool) throws {
    #expect(try ECMARegex(pattern).search(text) == (expected ? .match : .noMatch))
  }

  @Test(arguments: ["\\a", "(", "[b-a]", "a**", "\\1"])
  func invalidRegexesAreRejected(pattern: String) {
    #expect(throws: RegexSyntaxError.self) { try ECMARegex(pattern) }
  }

  @Test(arguments: [
    ("g:h", "g:h"), ("./g", "http://a/b/c/g"), ("../../../g", "http://a/g"),
    ("?y", "http://a/b/c/d;p?y"),
    ("#s", "http://a/b/c/d;p?q#s"), ("g/../h", "http://a/b/c/h"), ("//g", "http://g"),
    ("", "http://a/b/c/d;p?q"),
  ])
  func uriReferencesResolvePerRFC3986(reference: String, expected: String) {
    #expect(resolveURI(reference, against: "http://a/b/c/d;p?q") == expected)
  }

  @Test func validatesANodeInsideALargerDocument() throws {
    let schema = try Self.compile(#"{"type": "object", "required": ["a"]}"#)
    var parser = JSONParser()
    var document = JSONDocument()
    try parser.parse(Array(#"{"answer": {"b": 1}}"#.utf8), into: &document)
    let inner = document.members(document.root).map(\.value)[0]
    var errors: [SchemaError] = []
    #expect(!schema.validate(document, node: inner, into: &errors))
    #expect(errors.first?.instanceLocation == "")
    #expect(errors.first?.message == #"missing required property "a""#)
  }

  @Test func draft7RefOverridesSiblings() throws {
    var options = SchemaOptions()
    options.defaultDraft = .draft7
    let schema = try SchemaCompiler(options: options).compile(
      schemaBytes: Array(
        ##"{"definitions": {"s": {"type": "string"}}, "$ref": "#/definitions/s", "maxLength": 1}"##
          .utf8))
    #expect(try Self.errors(schema, #""long""#).isEmpty)
  }
}
