/// User JSON Schemas that every record (`--schema`) or every final answer (`--output-schema`)
/// must conform to, compiled once per run and shared by all worker threads.
public struct RecordSchemas: Sendable {
  /// The schema of the whole record, or nil.
  public var record: CompiledSchema?
  /// The schema of the final assistant answer parsed as JSON, or nil.
  public var output: CompiledSchema?
  /// How many errors to report per record and schema.
  public var errorLimit = 20

  /// No schemas.
  public init() {}

  /// Whether any schema is set.
  var isEmpty: Bool { record == nil && output == nil }

  /// Compiles a schema file for `--schema` or `--output-schema`.
  /// - Parameters:
  ///   - path: the schema file.
  ///   - options: draft, formats and `--ref-base` mappings.
  /// - Returns: the compiled schema.
  /// - Throws: ``TunePrepError/badSchema(path:line:column:reason:)`` when the file cannot be read, is not
  ///   JSON, is not a valid schema, or refers to something that cannot be resolved.
  public static func compile(path: String, options: SchemaOptions) throws(TunePrepError)
    -> CompiledSchema
  {
    let bytes: [UInt8]
    do throws(TunePrepError) {
      bytes = try readSmallFile(path)
    } catch {
      throw .badSchema(path: path, reason: "\(error)")
    }
    let absolute = path.hasPrefix("/") ? path : currentDirectoryPath() + "/" + path
    do throws(SchemaCompileError) {
      return try SchemaCompiler(options: options).compile(
        schemaBytes: bytes, baseURI: "file://" + absolute)
    } catch {
      throw .badSchema(path: path, line: error.line, column: error.column, reason: "\(error)")
    }
  }
}
