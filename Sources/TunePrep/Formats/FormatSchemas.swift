internal import Synchronization

/// The built-in formats' JSON Schemas (`schemas/NAME.json`, embedded in the binary), compiled
/// once per process: they decide whether a record's structure is valid.
///
/// The format decoders still walk every record, because they build the ``Example`` and know
/// how to say what is wrong in a format's own words ("did you mean", which role may carry
/// `weight`); ``StructureJudge`` reconciles the two so that the schema file has the last word.
public struct FormatSchemas: Sendable {
  /// Compiled schemas per format; a format's schema is compiled the first time it is asked for.
  private final class Table: Sendable {
    let compiled: Mutex<[Format: CompiledSchema]>
    let compilesBuiltin: Bool
    init(_ table: [Format: CompiledSchema], compilesBuiltin: Bool) {
      compiled = Mutex(table)
      self.compilesBuiltin = compilesBuiltin
    }
  }
  private let table: Table

  /// The schemas embedded from `schemas/`, each compiled at first use (a run pays only for
  /// the formats it meets).
  public static let builtin = FormatSchemas(table: Table([:], compilesBuiltin: true))

  /// Schemas given per format (tests use this to show that editing a schema changes `validate`).
  /// - Parameter table: the schema of each format; formats without one get no structure check.
  public init(_ table: [Format: CompiledSchema]) {
    self.table = Table(table, compilesBuiltin: false)
  }

  private init(table: Table) {
    self.table = table
  }

  /// The built-in schemas with the speaker names of a `--role-map` added to the `from` values
  /// sharegpt's schema allows: the user declared those names valid.
  /// - Parameter roleMap: the extra speaker names.
  /// - Returns: the built-in table, with sharegpt's schema compiled from the extended text.
  public static func builtin(allowing roleMap: RoleMap) -> FormatSchemas {
    guard !roleMap.isEmpty, let text = BuiltinSchemas.text(named: Format.sharegpt.rawValue),
      let schema = try? JSONValue(parsing: text)
    else { return builtin }
    let names = roleMap.entries.map { JSONValue.string($0.name) }
    let path = ["properties", "conversations", "items", "properties", "from", "enum"]
    guard let extended = schema.appending(names, toArrayAt: path[...]) else {
      preconditionFailure("schemas/sharegpt.json has no enum at /\(path.joined(separator: "/"))")
    }
    do throws(SchemaCompileError) {
      let compiled = try BuiltinSchemas.compile(
        text: extended.description, named: Format.sharegpt.rawValue)
      return FormatSchemas(table: Table([.sharegpt: compiled], compilesBuiltin: true))
    } catch {
      preconditionFailure("schemas/sharegpt.json with extra speakers does not compile: \(error)")
    }
  }

  /// The schema of `format`, or nil (`json`, or a format left out of the table).
  public func schema(for format: Format) -> CompiledSchema? {
    table.compiled.withLock { compiled in
      if let schema = compiled[format] { return schema }
      guard table.compilesBuiltin, format != .json else { return nil }
      do throws(SchemaCompileError) {
        let schema = try BuiltinSchemas.compile(named: format.rawValue)
        compiled[format] = schema
        return schema
      } catch {
        // The schemas are checked against their meta-schema and compiled by the test suite, so
        // a broken one is a bug in this build, not a user error.
        preconditionFailure("built-in schema \(format.rawValue).json does not compile: \(error)")
      }
    }
  }
}

/// Reconciles a decoder's findings with the format's schema, for one record.
///
/// - The schema accepts the record: structural findings of the decoder (`schema.required`,
///   `schema.type`, `schema.unknown-key`, `schema.enum`, `schema.empty`) are withdrawn, unless
///   the decoder could not build an example from it (a record is never silently dropped).
/// - The schema rejects it: every schema error that no decoder finding already explains is
///   reported, with a code chosen by the failing keyword and the schema file's location, so a
///   rule that lives only in `schemas/` is still enforced.
struct StructureJudge {
  private var errors: [SchemaError] = []

  /// The codes a decoder reports for structure, which the schema overrules.
  static let structuralCodes: Set<String> = [
    FindingCode.schemaRequired.name, FindingCode.schemaType.name, FindingCode.schemaUnknownKey.name,
    FindingCode.schemaEnum.name, FindingCode.schemaEmpty.name,
  ]

  /// Judges one record.
  /// - Parameters:
  ///   - schema: the format's compiled schema.
  ///   - format: the format, to name its schema file in messages.
  ///   - before: the index of the decoder's first finding for this record in `context.findings`.
  ///   - decoded: whether the decoder built an example.
  ///   - context: the record, whose findings are amended.
  ///   - limit: the most schema errors to collect.
  mutating func judge(
    _ schema: CompiledSchema, format: Format, from before: Int, decoded: Bool,
    _ context: inout RecordContext, limit: Int
  ) {
    if schema.isValid(context.document) {
      if decoded, context.findings.count > before,
        context.findings[before...].contains(where: { Self.structuralCodes.contains($0.code) })
      {
        let kept = context.findings[before...].filter { !Self.structuralCodes.contains($0.code) }
        context.findings.replaceSubrange(before..., with: kept)
      }
      return
    }
    errors.removeAll(keepingCapacity: true)
    schema.validate(context.document, into: &errors, limit: limit)
    let decoderErrors = context.findings[before...].filter { $0.severity == .error }
    for error in errors where !Self.isExplained(error, by: decoderErrors) {
      let node = JSONPointer(error.instanceLocation)?.resolve(in: context.document)
      let location = error.schemaLocation.isEmpty ? "#" : error.schemaLocation
      context.report(
        Self.code(for: error.keyword), at: node,
        "\(error.message) (rule schemas/\(format.rawValue).json#\(location))")
    }
  }

  /// The finding code of a schema error, by its keyword.
  static func code(for keyword: String) -> FindingCode {
    switch keyword {
    case "required", "dependentRequired": return .schemaRequired
    case "type": return .schemaType
    case "additionalProperties", "unevaluatedProperties", "propertyNames", "false":
      return .schemaUnknownKey
    case "enum", "const": return .schemaEnum
    case "minItems": return .schemaEmpty
    default: return .schemaInvalid
    }
  }

  /// Codes that reject a value as a whole, so nothing inside it needs another finding.
  private static let wholeValueCodes: Set<String> = [
    FindingCode.schemaType.name, FindingCode.schemaUnknownKey.name, FindingCode.jsonNotObject.name,
  ]

  /// Keywords whose error only sums up errors below (so a decoder finding anywhere inside
  /// the value explains it).
  private static let summarizing: Set<String> = [
    "anyOf", "oneOf", "allOf", "not", "if", "then", "else", "$ref", "$dynamicRef", "contains",
    "dependentSchemas",
  ]
  /// Keywords about an object's members (explained by a decoder finding on the object or on
  /// one of its members).
  private static let memberLevel: Set<String> = [
    "required", "dependentRequired", "additionalProperties", "unevaluatedProperties",
    "propertyNames",
  ]

  /// Whether a decoder error already tells the user about schema error `error`: one at the
  /// same place; one that rejected an enclosing value as a whole; or, for keywords that sum
  /// up their subschemas or speak of an object's members, one inside the value.
  static func isExplained(_ error: SchemaError, by findings: [Finding]) -> Bool {
    let location = error.instanceLocation
    for finding in findings {
      let path = finding.path ?? ""
      // A finding about the whole record speaks for the schema's root only if it is structural
      // ("no assistant answer" does not explain a missing key).
      let rejectsWhole = wholeValueCodes.contains(finding.code)
      if path == location, !path.isEmpty || rejectsWhole || structuralCodes.contains(finding.code) {
        return true
      }
      if rejectsWhole, location.hasPrefix(path + "/") { return true }
      guard path.hasPrefix(location + "/") else { continue }
      if summarizing.contains(error.keyword) { return true }
      if memberLevel.contains(error.keyword), !path.dropFirst(location.count + 1).contains("/") {
        return true
      }
    }
    return false
  }
}
