import Foundation
import Testing

@testable import TunePrep

/// The schema file itself: its text (BOM, syntax errors with line and column, repeated keys,
/// nesting), its identifiers (a URI or an anchor claimed twice), embedded resources of another
/// dialect, and the evaluation budget that stops a runaway `$ref` fan-out.
@Suite struct SchemaFileTests {
  static func compile(_ schema: String, budget: Int? = nil) throws(SchemaCompileError)
    -> CompiledSchema
  {
    try compile(bytes: Array(schema.utf8), budget: budget)
  }

  static func compile(bytes: [UInt8], budget: Int? = nil) throws(SchemaCompileError)
    -> CompiledSchema
  {
    var options = SchemaOptions()
    if let budget { options.evaluationBudget = budget }
    return try SchemaCompiler(options: options).compile(schemaBytes: bytes)
  }

  /// The compile error of `schema`, or nil when it compiles.
  static func compileError(_ schema: String) -> SchemaCompileError? {
    do throws(SchemaCompileError) {
      _ = try compile(schema)
      return nil
    } catch {
      return error
    }
  }

  static func errors(_ schema: CompiledSchema, _ instance: String) throws -> [SchemaError] {
    var parser = JSONParser()
    var document = JSONDocument()
    try parser.parse(Array(instance.utf8), into: &document)
    var errors: [SchemaError] = []
    let valid = schema.validate(document, into: &errors, limit: 20)
    #expect(valid == errors.isEmpty)
    #expect(schema.isValid(document) == valid)
    return errors
  }

  /// `a0` is `type: integer`; each `aN` is an `allOf` of two `$ref`s to `a(N-1)`, so checking
  /// `aN` evaluates `a0` 2^N times.
  static func fanOut(levels: Int, wrap: (String) -> String = { $0 }) -> String {
    var defs = [#""a0":{"type":"integer"}"#]
    for i in 1...levels {
      defs.append(
        ##""a\##(i)":{"allOf":[{"$ref":"#/$defs/a\##(i-1)"},{"$ref":"#/$defs/a\##(i-1)"}]}"##)
    }
    return #"{"$defs":{\#(defs.joined(separator: ","))},"#
      + wrap(##""$ref":"#/$defs/a\##(levels)""##) + "}"
  }

  // MARK: Evaluation budget

  @Test func runawayFanOutEndsWithABudgetError() throws {
    let schema = try Self.compile(Self.fanOut(levels: 40), budget: 100_000)
    let errors = try Self.errors(schema, "1")
    #expect(errors.count == 1)
    #expect(errors.first?.keyword == "evaluationBudget")
    #expect(errors.first?.message.contains("not fully checked") == true)
    // A value that fails early is known invalid at once; listing every reason (which walks
    // every path) runs out of budget, after the reason found first, listed once.
    let invalid = try Self.errors(schema, #""s""#)
    #expect(invalid.map(\.keyword) == ["type", "evaluationBudget"])
    #expect(invalid.first?.message == "expected integer, found string")
    #expect(invalid.last?.message.contains("the list stops here") == true)
  }

  /// `not` inverts the `false` of a check cut short: the cut must still not pass the value.
  @Test func aCutCheckIsNeverValidEvenUnderNot() throws {
    let schema = try Self.compile(
      Self.fanOut(levels: 40) { #""not":{\#($0)}"# }, budget: 100_000)
    let errors = try Self.errors(schema, "1")
    #expect(errors.map(\.keyword) == ["evaluationBudget"])
  }

  /// A schema with `$dynamicRef` runs on the tree evaluator alone, which counts too.
  @Test func theBudgetHoldsWithoutTheFlatProgram() throws {
    let schema = try Self.compile(
      Self.fanOut(levels: 40) {
        ##""$dynamicAnchor":"x","properties":{"p":{"$dynamicRef":"#x"}},\##($0)"##
      },
      budget: 100_000)
    #expect(schema.program.flat == nil)
    #expect(try Self.errors(schema, "1").map(\.keyword) == ["evaluationBudget"])
  }

  /// The errors of one subschema reached by many paths are listed once.
  @Test func anErrorReachedByManyPathsIsListedOnce() throws {
    let schema = try Self.compile(Self.fanOut(levels: 6))
    #expect(
      try Self.errors(schema, #""s""#).map(\.description) == ["expected integer, found string"])
  }

  /// The default budget leaves ordinary fan-out alone.
  @Test func moderateFanOutFitsTheDefaultBudget() throws {
    let schema = try Self.compile(Self.fanOut(levels: 12))
    #expect(try Self.errors(schema, "1").isEmpty)
    #expect(
      try Self.errors(schema, "1.5").map(\.message) == [
        "expected integer, found non-integer number"
      ])
  }

  // MARK: Identifiers claimed twice

  @Test func twoResourcesWithOneURIAreAnError() throws {
    let error = try #require(
      Self.compileError(
        #"{"$id":"https://e.com/root","$defs":{"x":{"$id":"https://e.com/dup","type":"string"},"y":{"$id":"https://e.com/dup","type":"integer"}},"$ref":"https://e.com/dup"}"#
      ))
    #expect(error.schemaLocation == "/$defs/y")
    #expect(error.message.contains("https://e.com/dup: /$defs/x and /$defs/y"))
    #expect(error.line == 1)
    #expect(error.column == 90)
  }

  @Test func twoAnchorsWithOneNameInOneResourceAreAnError() throws {
    let error = try #require(
      Self.compileError(
        ##"{"$defs":{"x":{"$anchor":"a","type":"string"},"y":{"$anchor":"a","type":"integer"}},"$ref":"#a"}"##
      ))
    #expect(error.schemaLocation == "/$defs/y")
    #expect(error.message.contains(#"anchor "a""#))
    #expect(error.message.contains("/$defs/x and /$defs/y"))
    // $anchor and $dynamicAnchor share the name space of plain-name fragments.
    #expect(
      Self.compileError(#"{"$defs":{"x":{"$anchor":"a"},"y":{"$dynamicAnchor":"a"}}}"#) != nil)
    // In draft 7, `$id: "#a"` is the anchor.
    #expect(
      Self.compileError(
        ##"{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"x":{"$id":"#a"},"y":{"$id":"#a"}}}"##
      ) != nil)
  }

  @Test func oneNameInTwoResourcesOrTwiceOnOneSchemaIsFine() throws {
    let schema = try Self.compile(
      #"{"$defs":{"x":{"$id":"https://e.com/x","$anchor":"a","type":"string"},"y":{"$id":"https://e.com/y","$anchor":"a","$dynamicAnchor":"a","type":"integer"}},"$ref":"https://e.com/y#a"}"#
    )
    #expect(try Self.errors(schema, "1").isEmpty)
    // An `$id` inside a value that is no schema (an enum value) is no identifier.
    _ = try Self.compile(
      #"{"$defs":{"x":{"$id":"https://e.com/x"},"y":{"enum":[{"$id":"https://e.com/x"}]}}}"#)
  }

  // MARK: Embedded resources of another dialect

  static let embeddedDraft7 =
    #"{"$defs":{"x":{"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://ex.com/x","items":[{"type":"integer"}]}},"$ref":"https://ex.com/x"}"#

  @Test func anEmbeddedResourceKeepsItsOwnDialect() throws {
    let schema = try Self.compile(Self.embeddedDraft7)
    #expect(try Self.errors(schema, "1").isEmpty)
    #expect(try Self.errors(schema, #"[1,"a"]"#).isEmpty)
    #expect(
      try Self.errors(schema, #"["a"]"#).map(\.description) == [
        "/0: expected integer, found string"
      ])
  }

  @Test func anEmbeddedResourceIsCheckedAgainstItsOwnMetaSchema() throws {
    // Draft 7's meta-schema wants `$comment` to be a string.
    let error = try #require(
      Self.compileError(
        #"{"$defs":{"x":{"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://ex.com/x","$comment":5}}}"#
      ))
    #expect(error.message.contains("http://json-schema.org/draft-07/schema"))
    #expect(error.schemaLocation == "/$defs/x/$comment")
    // The rest of the root is still checked against the root's meta-schema.
    let outer = try #require(
      Self.compileError(
        #"{"$defs":{"x":{"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://ex.com/x","items":[true]}},"$comment":5}"#
      ))
    #expect(outer.message.contains("https://json-schema.org/draft/2020-12/schema"))
    #expect(outer.schemaLocation == "/$comment")
  }

  // MARK: The text of the schema

  @Test func aByteOrderMarkIsSkipped() throws {
    let schema = try Self.compile(bytes: [0xEF, 0xBB, 0xBF] + Array(#"{"type":"integer"}"#.utf8))
    #expect(try Self.errors(schema, "1").isEmpty)
    #expect(try Self.errors(schema, "{}").count == 1)
  }

  @Test func syntaxErrorsHaveALineAndColumn() throws {
    let error = try #require(Self.compileError("{\"type\":\n  \"object\",,}"))
    #expect(error.line == 2)
    #expect(error.column == 12)
    #expect(error.message.hasPrefix("schema is not valid JSON: "))
    #expect(!error.message.contains("byte"))
    // After a byte order mark, the column counts the mark's bytes: it is a byte column.
    do throws(SchemaCompileError) {
      _ = try Self.compile(bytes: [0xEF, 0xBB, 0xBF] + Array("{,}".utf8))
      Issue.record("compiled")
    } catch {
      #expect(error.line == 1)
      #expect(error.column == 5)
    }
  }

  @Test func tooDeepASchemaSaysToFlattenTheSchema() throws {
    let error = try #require(
      Self.compileError(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)))
    #expect(error.message.contains("nesting deeper than 512 levels"))
    #expect(!error.message.contains("record"))
    #expect(error.message.contains("$defs"))
  }

  @Test func aRepeatedKeyIsAnError() throws {
    let error = try #require(Self.compileError(#"{"type":"object","type":"string"}"#))
    #expect(error.schemaLocation == "/type")
    #expect(error.message.contains(#"the key "type" appears twice"#))
    #expect(error.line == 1)
    #expect(error.column == 18)
    #expect(Self.compileError(#"{"properties":{"a":{"minimum":1,"minimum":2}}}"#) != nil)
  }

  @Test func anEmptyEnumSaysSo() throws {
    for text in [#"{"enum":[]}"#, #"{"properties":{"a":{"enum":[]}}}"#] {
      let schema = try Self.compile(text)
      let errors = try Self.errors(schema, #"{"a":1}"#)
      #expect(errors.count == 1)
      #expect(errors.first?.message.contains("the enum is empty") == true)
    }
  }

  @Test func aDynamicRefIsNamedAsSuch() throws {
    let error = try #require(Self.compileError(##"{"$dynamicRef":"#nope"}"##))
    #expect(error.message.hasPrefix(##"$dynamicRef "#nope""##))
    #expect(error.schemaLocation == "/$dynamicRef")
    #expect(error.line == 1)
    #expect(error.column == 16)
    let ref = try #require(Self.compileError(##"{"properties":{"a":{"$ref":"#nope"}}}"##))
    #expect(ref.message.hasPrefix(##"$ref "#nope""##))
    #expect(ref.schemaLocation == "/properties/a/$ref")
  }
}
