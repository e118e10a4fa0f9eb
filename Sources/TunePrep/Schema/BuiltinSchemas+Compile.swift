extension BuiltinSchemas {
  /// Compiles the built-in schema of format `name`.
  /// - Parameters:
  ///   - name: a format name from ``names``.
  ///   - options: compile options (strict formats, draft); the meta-schema check is skipped,
  ///     since the built-in schemas are checked by the test suite.
  /// - Returns: the compiled schema, or nil when there is no such format.
  /// - Throws: ``SchemaCompileError`` only if an embedded schema is broken (a bug).
  public static func compile(named name: String, options: SchemaOptions = SchemaOptions())
    throws(SchemaCompileError)
    -> CompiledSchema?
  {
    guard let text = text(named: name) else { return nil }
    return try compile(text: text, named: name, options: options)
  }

  /// Compiles schema text that stands for built-in schema `name` (the embedded text, or a
  /// variant of it such as sharegpt's with `--role-map` speakers), at that schema's base URI.
  /// - Throws: ``SchemaCompileError`` only if the text is broken (a bug).
  static func compile(text: String, named name: String, options: SchemaOptions = SchemaOptions())
    throws(SchemaCompileError) -> CompiledSchema
  {
    var options = options
    options.validateAgainstMetaSchema = false
    return try SchemaCompiler(options: options).compile(
      schemaBytes: Array(text.utf8), baseURI: "tuneprep:///schemas/\(name).json")
  }
}

extension BuiltinSchemas {
  /// The `title` of built-in schema `name`, for listings.
  /// - Parameter name: a format name.
  /// - Returns: the title, or nil if there is no such schema or it has no title.
  public static func title(named name: String) -> String? {
    guard let text = text(named: name) else { return nil }
    var parser = JSONParser()
    var document = JSONDocument()
    do throws(JSONSyntaxError) {
      try parser.parse(Array(text.utf8), into: &document)
    } catch {
      return nil
    }
    return document.member(document.root, "title").map { document.string($0) }
  }
}
