import Foundation
import Testing

/// `--schema` and `--output-schema` on schema files that are costly, ambiguous, of mixed
/// dialects or badly written: each is a clear finding or a clear error (exit 2) naming the file,
/// the line and the column.
@Suite struct SchemaFileCLITests {
  /// Runs `validate --format json` on `records` (`in.jsonl`) with `schema` as `--schema`
  /// (`s.schema.json`), and gives the exit status, the standard error with the files named
  /// without their folder, and the schema's name.
  static func validate(schema: [UInt8], records: String) throws -> (
    status: Int32, stderr: String, path: String
  ) {
    let dir = try BadInputCLITests.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let schemaURL = dir.appendingPathComponent("s.schema.json")
    try Data(schema).write(to: schemaURL)
    try Data(records.utf8).write(to: dir.appendingPathComponent("in.jsonl"))
    let result = try CLIRunner.run([
      "validate", "--format", "json", "--schema", schemaURL.path,
      dir.appendingPathComponent("in.jsonl").path,
    ])
    // Messages name the files as given (absolute paths here): keep their names only.
    let stderr = String(decoding: result.stderr, as: UTF8.self).replacingOccurrences(
      of: dir.path + "/", with: "")
    return (result.status, stderr, "s.schema.json")
  }

  static func validate(schema: String, records: String) throws -> (
    status: Int32, stderr: String, path: String
  ) {
    try validate(schema: Array(schema.utf8), records: records)
  }

  /// A `$ref` fan-out that doubles at each of 26 levels (2^27 evaluations for a valid value)
  /// gives the record a finding once the budget runs out, and the next record is checked as usual.
  @Test func aRunawayFanOutIsAFindingAndTheRunGoesOn() throws {
    var defs = [#""a0":{"type":"integer"}"#]
    for i in 1...26 {
      defs.append(
        ##""a\##(i)":{"allOf":[{"$ref":"#/$defs/a\##(i-1)"},{"$ref":"#/$defs/a\##(i-1)"}]}"##)
    }
    let schema =
      ##"{"$defs":{\##(defs.joined(separator: ","))},"anyOf":[{"type":"string"},{"$ref":"#/$defs/a26"}]}"##
    let run = try Self.validate(schema: schema, records: "1\n\"s\"\n")
    #expect(run.status == 1)
    let lines = run.stderr.split(separator: "\n")
    #expect(lines.count == 2)
    #expect(
      lines.first?.contains(
        "in.jsonl:1: error: checking this value needed more subschema evaluations") == true)
    #expect(lines.first?.contains("not fully checked") == true)
    #expect(lines.first?.hasSuffix("[schema.invalid]") == true)
    #expect(lines.last?.contains("2 records in 1 file, 1 valid, 1 invalid") == true)
  }

  /// The same for `--output-schema`, whose finding does not claim the answer mismatches.
  @Test func aRunawayOutputSchemaIsAFindingToo() throws {
    let dir = try BadInputCLITests.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(Self.fanOut(levels: 26).utf8).write(to: dir.appendingPathComponent("o.schema.json"))
    try Data(
      #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"1"}]}"#.utf8
    ).write(to: dir.appendingPathComponent("chat.jsonl"))
    let result = try CLIRunner.run([
      "validate", "--output-schema", dir.appendingPathComponent("o.schema.json").path,
      dir.appendingPathComponent("chat.jsonl").path,
    ])
    #expect(result.status == 1)
    let stderr = String(decoding: result.stderr, as: UTF8.self)
    #expect(
      stderr.contains(
        "error: /messages/1/content: --output-schema: checking this value needed more subschema"))
    #expect(stderr.contains("[schema.output]"))
    #expect(!stderr.contains("does not match"))
  }

  /// `a0` is `type: integer`; each `aN` an `allOf` of two `$ref`s to `a(N-1)`; the root refers
  /// to the last level.
  static func fanOut(levels: Int) -> String {
    var defs = [#""a0":{"type":"integer"}"#]
    for i in 1...levels {
      defs.append(
        ##""a\##(i)":{"allOf":[{"$ref":"#/$defs/a\##(i-1)"},{"$ref":"#/$defs/a\##(i-1)"}]}"##)
    }
    return ##"{"$defs":{\##(defs.joined(separator: ","))},"$ref":"#/$defs/a\##(levels)"}"##
  }

  @Test func aURIOrAnAnchorClaimedTwiceIsAnError() throws {
    let id = try Self.validate(
      schema:
        #"{"$id":"https://e.com/root","$defs":{"x":{"$id":"https://e.com/dup","type":"string"},"y":{"$id":"https://e.com/dup","type":"integer"}},"$ref":"https://e.com/dup"}"#,
      records: "1\n\"s\"\n")
    #expect(id.status == 2)
    #expect(
      id.stderr.hasPrefix(
        "tuneprep: error: schema \(id.path):1:90: /$defs/y: two schema resources have the URI https://e.com/dup: /$defs/x and /$defs/y"
      ))
    let anchor = try Self.validate(
      schema:
        ##"{"$defs":{"x":{"$anchor":"a","type":"string"},"y":{"$anchor":"a","type":"integer"}},"$ref":"#a"}"##,
      records: "1\n\"s\"\n")
    #expect(anchor.status == 2)
    #expect(
      anchor.stderr.hasPrefix(
        "tuneprep: error: schema \(anchor.path):1:51: /$defs/y: two subschemas define the anchor \"a\" in one schema resource: /$defs/x and /$defs/y"
      ))
  }

  @Test func anEmbeddedDraft7ResourceIsReadAsDraft7() throws {
    let run = try Self.validate(
      schema:
        #"{"$defs":{"x":{"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://ex.com/x","items":[{"type":"integer"}]}},"$ref":"https://ex.com/x"}"#,
      records: "1\n[1,\"a\"]\n[\"a\"]\n")
    #expect(run.status == 1)
    let lines = run.stderr.split(separator: "\n")
    #expect(
      lines.first
        == "in.jsonl:3: error: /0: expected integer, found string (schema /$defs/x/items/0/type) [schema.invalid]"
    )
    #expect(lines.count == 2)
  }

  @Test func aSyntaxErrorHasALineAndColumn() throws {
    let run = try Self.validate(schema: "{\"type\":\n  \"object\",,}", records: "{}\n")
    #expect(run.status == 2)
    #expect(
      run.stderr
        == "tuneprep: error: schema \(run.path):2:12: schema is not valid JSON: expected a string key in double quotes, found ','\n"
    )
  }

  @Test func aByteOrderMarkIsSkipped() throws {
    let run = try Self.validate(
      schema: [0xEF, 0xBB, 0xBF] + Array(#"{"type":"integer"}"#.utf8), records: "1\n\"s\"\n")
    #expect(run.status == 1)
    #expect(run.stderr.hasPrefix("in.jsonl:2: error: expected integer, found string"))
  }

  @Test func aRepeatedKeyIsAnError() throws {
    let run = try Self.validate(schema: #"{"type":"object","type":"string"}"#, records: "{}\n")
    #expect(run.status == 2)
    #expect(
      run.stderr.hasPrefix(
        "tuneprep: error: schema \(run.path):1:18: /type: the key \"type\" appears twice"))
  }

  @Test func tooDeepASchemaIsNotCalledARecord() throws {
    let run = try Self.validate(
      schema: String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
      records: "{}\n")
    #expect(run.status == 2)
    #expect(run.stderr.contains(":1:513: schema is not valid JSON: nesting deeper than 512 levels"))
    #expect(!run.stderr.contains("flatten the record"))
  }

  @Test func anEmptyEnumAndAnUnresolvedDynamicRefSaySo() throws {
    let empty = try Self.validate(schema: #"{"enum":[]}"#, records: "{}\n")
    #expect(empty.status == 1)
    #expect(
      empty.stderr.hasPrefix(
        "in.jsonl:1: error: an object cannot match: the enum is empty, so no value can"))
    let dynamic = try Self.validate(schema: ##"{"$dynamicRef":"#nope"}"##, records: "{}\n")
    #expect(dynamic.status == 2)
    #expect(
      dynamic.stderr.hasPrefix(
        "tuneprep: error: schema \(dynamic.path):1:16: /$dynamicRef: $dynamicRef \"#nope\": no $dynamicAnchor or $anchor named \"nope\""
      ))
  }
}
