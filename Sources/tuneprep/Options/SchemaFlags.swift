import TunePrep

/// `--ref-base` and `--strict-formats`, turned into compiled `--schema`/`--output-schema`.
struct SchemaFlags {
  var refBase: [String]
  var strictFormats: Bool

  /// Compiles the schema files named on the command line (nil paths are skipped).
  func compile(schema: String?, outputSchema: String?) throws(TunePrepError) -> RecordSchemas {
    var options = SchemaOptions()
    options.strictFormats = strictFormats
    options.resolver = SchemaResolver(
      mappings: refBase.compactMap(SchemaResolver.mapping(parsing:)))
    var schemas = RecordSchemas()
    if let schema { schemas.record = try RecordSchemas.compile(path: schema, options: options) }
    if let outputSchema {
      schemas.output = try RecordSchemas.compile(path: outputSchema, options: options)
    }
    return schemas
  }
}
