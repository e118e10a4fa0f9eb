/// One way a JSON value fails a schema, in terms a person can act on.
///
/// `instanceLocation` and `schemaLocation` are JSON pointers (RFC 6901). For a schema without
/// `$id` the schema location is a pointer into that schema file; for keywords reached in another
/// resource (a `$ref` to a mapped remote schema) it is that resource's URI with the pointer as
/// fragment.
public struct SchemaError: Sendable, Equatable, CustomStringConvertible {
  /// Where in the instance, such as `/messages/2/role` (empty for the whole value).
  public var instanceLocation: String
  /// Where in the schema, such as `/properties/messages/items/properties/role/enum`.
  public var schemaLocation: String
  /// The keyword that failed, such as `enum`, `required` or `additionalProperties`.
  public var keyword: String
  /// What is wrong, in lowercase words without a final period.
  ///
  /// For example: `"robot" is not one of "system", "user", "assistant", "tool"`.
  public var message: String

  /// Creates an error.
  public init(instanceLocation: String, schemaLocation: String, keyword: String, message: String) {
    self.instanceLocation = instanceLocation
    self.schemaLocation = schemaLocation
    self.keyword = keyword
    self.message = message
  }

  /// `location: message`, the form used in findings (`/messages/2/role: "robot" is not one of ...`).
  public var description: String {
    instanceLocation.isEmpty ? message : "\(instanceLocation): \(message)"
  }
}

/// Why a schema could not be compiled: it is not JSON, fails its meta-schema, has a reference
/// that cannot be resolved, loops, or holds an invalid regular expression.
public struct SchemaCompileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong, lowercase, without a final period.
  public var message: String
  /// The JSON pointer (or URI) of the schema location at fault, empty when it is the whole text.
  public var schemaLocation: String
  /// The line (from 1) of the fault in the schema text given to the compiler, when it is in that
  /// text (a syntax error, a repeated key, a keyword of that document), else nil.
  public var line: Int?
  /// The byte column (from 1) on ``line``, or nil.
  public var column: Int?

  /// Creates an error.
  public init(_ message: String, at schemaLocation: String = "") {
    self.message = message
    self.schemaLocation = schemaLocation
  }

  /// `schemaLocation: message`, or the message alone when the location is empty.
  public var description: String {
    schemaLocation.isEmpty ? message : "\(schemaLocation): \(message)"
  }
}

/// How a schema is compiled.
public struct SchemaOptions: Sendable {
  /// The draft used when a schema has no `$schema` keyword.
  public var defaultDraft: SchemaDraft = .draft2020_12
  /// Assert `format` (date-time, date, time, email, hostname, ipv4, ipv6, uri, uri-reference,
  /// uuid, regex, duration, json-pointer, ...) instead of treating it as an annotation.
  public var strictFormats = false
  /// Check the schema against its meta-schema before compiling it.
  public var validateAgainstMetaSchema = true
  /// Where `$ref`s to URLs other than the built-in meta-schemas are read from.
  public var resolver = SchemaResolver()
  /// The most backtracking steps one `pattern` match may take before it becomes an error.
  public var regexStepBudget = 1_000_000
  /// The subschema evaluations one value may take on top of one pass of every subschema over
  /// each of its nodes, before the check stops with an error (a `$ref`/`allOf` fan-out that
  /// reaches the same subschemas by exponentially many paths would otherwise never end).
  public var evaluationBudget = 10_000_000

  /// Creates the default options: draft 2020-12, formats as annotations, meta-schema check on,
  /// no remote mappings.
  public init() {}
}

/// The JSON Schema drafts the engine implements.
public enum SchemaDraft: String, Sendable, CaseIterable {
  case draft7 = "draft-07"
  case draft2020_12 = "2020-12"
}
