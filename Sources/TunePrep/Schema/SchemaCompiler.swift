/// Compiles a JSON Schema (draft 2020-12 or draft 7) once into a ``CompiledSchema`` that
/// validates parsed records directly on their ``JSONDocument`` tape.
///
/// ```swift
/// var options = SchemaOptions()
/// options.resolver = SchemaResolver(mappings: [.init(prefix: "https://example.com/", directory: "schemas")])
/// let schema = try SchemaCompiler(options: options).compile(schemaBytes: bytes, baseURI: "file:///abs/schema.json")
/// var errors: [SchemaError] = []
/// schema.validate(document, into: &errors, limit: 20)
/// ```
///
/// The draft comes from `$schema` (default ``SchemaOptions/defaultDraft``). All `$ref`s are
/// resolved and linked at compile time; `$dynamicRef` is resolved through the dynamic scope while
/// validating. A schema that is not JSON, fails its meta-schema, has an unresolvable reference, an
/// infinite `$ref` loop or an invalid regular expression is a ``SchemaCompileError``.
public struct SchemaCompiler: Sendable {
  /// How schemas are compiled.
  public var options: SchemaOptions

  /// Creates a compiler.
  public init(options: SchemaOptions = SchemaOptions()) {
    self.options = options
  }

  /// The base URI used when a schema has neither `$id` nor a caller-supplied base.
  public static let defaultBaseURI = "tuneprep:///schema.json"

  /// Compiles the JSON text of a schema.
  /// - Parameters:
  ///   - schemaBytes: the schema, UTF-8 JSON.
  ///   - baseURI: the absolute URI the schema was read from (e.g. `file:///path/schema.json`),
  ///     against which its relative references resolve; nil for ``defaultBaseURI``.
  /// - Throws: ``SchemaCompileError`` when the schema cannot be used.
  public func compile(schemaBytes: some Collection<UInt8>, baseURI: String? = nil)
    throws(SchemaCompileError)
    -> CompiledSchema
  {
    let text = Array(schemaBytes)
    let (document, skipped) = try Self.parseDocument(text, named: "schema")
    do throws(SchemaCompileError) {
      return try compile(document: document, node: document.root, baseURI: baseURI)
    } catch {
      // A fault at a pointer of this text gets the line and column of the value there.
      var located = error
      if located.line == nil, located.schemaLocation.hasPrefix("/"),
        let node = document.node(atPointer: located.schemaLocation)
      {
        Self.locate(&located, at: document.sourceRange(node).lowerBound + skipped, in: text)
      }
      throw located
    }
  }

  /// Parses the text of a schema document.
  ///
  /// A UTF-8 byte order mark is skipped (RFC 8259 lets a parser ignore one; a schema file saved
  /// by a Windows editor often starts with it). A key repeated in one object is an error: parsers
  /// disagree on which value counts, so the schema would mean different things to different tools.
  /// - Parameters:
  ///   - text: the bytes of the document.
  ///   - name: how messages name the document (`schema`, `referenced schema URI`).
  /// - Returns: the document, and how many bytes were skipped before it (3 for a byte order mark).
  /// - Throws: ``SchemaCompileError`` with the line and column of the fault.
  static func parseDocument(_ text: [UInt8], named name: String) throws(SchemaCompileError) -> (
    JSONDocument, skipped: Int
  ) {
    let skipped = text.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    var parser = JSONParser()
    var document = JSONDocument()
    do throws(JSONSyntaxError) {
      try parser.parse(text[skipped...], into: &document)
    } catch {
      var message = error.message
      if error.kind == .depth {
        message =
          "nesting deeper than \(parser.maxDepth) levels, tuneprep's fixed limit: move deep parts of the schema into $defs and refer to them with $ref"
      }
      var failure = SchemaCompileError("\(name) is not valid JSON: \(message)")
      locate(&failure, at: error.offset + skipped, in: text)
      throw failure
    }
    if let repeated = document.warnings.first(where: { $0.kind == .duplicateKey }) {
      let key = document.string(repeated.node)
      var failure = SchemaCompileError(
        "the key \(key.jsonQuoted) appears twice in one object of the \(name), and JSON parsers disagree on which value counts: keep one",
        at: document.pointer(to: repeated.node))
      locate(&failure, at: repeated.offset + skipped, in: text)
      throw failure
    }
    return (document, skipped)
  }

  /// Sets the line and byte column of `error` to those of byte `offset` of `text`.
  static func locate(_ error: inout SchemaCompileError, at offset: Int, in text: [UInt8]) {
    var line = 1
    var lineStart = 0
    let stop = min(max(offset, 0), text.count)
    for i in 0..<stop where text[i] == 0x0A {
      line += 1
      lineStart = i + 1
    }
    error.line = line
    error.column = stop - lineStart + 1
  }

  /// Compiles a schema held as a tree.
  /// - Throws: ``SchemaCompileError`` when the schema cannot be used.
  public func compile(_ schema: JSONValue, baseURI: String? = nil) throws(SchemaCompileError)
    -> CompiledSchema
  {
    try compile(schemaBytes: Array(schema.description.utf8), baseURI: baseURI)
  }

  /// Compiles the schema at node `node` of a parsed document.
  func compile(document: JSONDocument, node: Int, baseURI: String?) throws(SchemaCompileError)
    -> CompiledSchema
  {
    let value = JSONValue(document, node: node)
    let session = CompilerSession(options: options)
    let compiled = try session.compileRoot(value, baseURI: baseURI ?? Self.defaultBaseURI)
    if options.validateAgainstMetaSchema {
      let embedded = session.embeddedDialects
      if embedded.isEmpty {
        try checkMetaSchema(document, node: node, metaURI: session.rootMetaSchemaURI, at: "")
      } else {
        // Each resource with its own `$schema` is checked against that meta-schema, and left
        // out (as `{}`) of the check of the resource that embeds it.
        let roots = [("", session.rootMetaSchemaURI)] + embedded
        for (pointer, metaURI) in roots {
          guard let value = session.value(at: SchemaPosition(document: 0, pointer: pointer))
          else { continue }
          let nested = Set(embedded.map(\.pointer).filter { $0.hasPrefix(pointer + "/") })
          let masked = Self.masking(value, at: pointer, nested)
          var parser = JSONParser()
          var part = JSONDocument()
          do throws(JSONSyntaxError) {
            try parser.parse(Array(masked.description.utf8), into: &part)
          } catch {
            throw SchemaCompileError("cannot re-read the schema at \(pointer): \(error.message)")
          }
          try checkMetaSchema(part, node: part.root, metaURI: metaURI, at: pointer)
        }
      }
    }
    return compiled
  }

  /// Checks node `node` of `document`, the schema resource at `pointer` of the schema, against
  /// the meta-schema at `metaURI`.
  func checkMetaSchema(_ document: JSONDocument, node: Int, metaURI: String, at pointer: String)
    throws(SchemaCompileError)
  {
    let meta = try MetaSchemaCache.metaSchema(for: metaURI, options: options)
    var errors: [SchemaError] = []
    if !meta.validate(document, node: node, into: &errors, limit: 5) {
      let location = pointer + (errors.first?.instanceLocation ?? "")
      let first =
        errors.first.map { "\(location.isEmpty ? "" : location + ": ")\($0.message)" } ?? ""
      throw SchemaCompileError(
        "schema does not conform to its meta-schema \(metaURI): \(first)", at: location)
    }
  }

  /// `value`, found at `pointer`, with the values at the pointers of `nested` replaced by `{}`.
  static func masking(_ value: JSONValue, at pointer: String, _ nested: Set<String>) -> JSONValue {
    if nested.isEmpty { return value }
    if nested.contains(pointer) { return .object([]) }
    switch value {
    case .object(let members):
      return .object(
        members.map {
          ($0.key, masking($0.value, at: pointer + "/" + escapePointerToken($0.key), nested))
        })
    case .array(let items):
      return .array(
        items.enumerated().map { masking($0.element, at: pointer + "/\($0.offset)", nested) })
    default:
      return value
    }
  }
}

/// Compiled meta-schemas, kept for the life of the process (the built-in ones never change).
enum MetaSchemaCache {
  static let draft2020: Result<CompiledSchema, SchemaCompileError> = build(
    "https://json-schema.org/draft/2020-12/schema")
  static let draft7: Result<CompiledSchema, SchemaCompileError> = build(
    "http://json-schema.org/draft-07/schema")

  static func build(_ uri: String) -> Result<CompiledSchema, SchemaCompileError> {
    var options = SchemaOptions()
    options.validateAgainstMetaSchema = false
    do throws(SchemaCompileError) {
      let text = try options.resolver.load(uri)
      return .success(try SchemaCompiler(options: options).compile(schemaBytes: text, baseURI: uri))
    } catch {
      return .failure(error)
    }
  }

  /// The compiled meta-schema for `uri` (built in, or loaded through the options' resolver).
  static func metaSchema(for uri: String, options: SchemaOptions) throws(SchemaCompileError)
    -> CompiledSchema
  {
    switch uri {
    case "https://json-schema.org/draft/2020-12/schema": return try draft2020.get()
    case "http://json-schema.org/draft-07/schema": return try draft7.get()
    default:
      var metaOptions = options
      metaOptions.validateAgainstMetaSchema = false
      metaOptions.strictFormats = false
      let text = try options.resolver.load(uri)
      return try SchemaCompiler(options: metaOptions).compile(schemaBytes: text, baseURI: uri)
    }
  }
}

/// The vocabularies of a dialect that change validation.
struct Dialect: Equatable {
  var draft: SchemaDraft
  var applicator = true
  var validation = true
  var unevaluated = true
  var formatAssertion = false
  /// The meta-schema URI (without fragment).
  var metaSchema: String

  static let draft2020 = Dialect(
    draft: .draft2020_12, metaSchema: "https://json-schema.org/draft/2020-12/schema")
  static let draft7 = Dialect(
    draft: .draft7, unevaluated: false, metaSchema: "http://json-schema.org/draft-07/schema")
}

/// A place in a loaded document: which document and the JSON pointer from its root.
struct SchemaPosition: Hashable {
  var document: Int
  var pointer: String
}

/// What indexing learned about one schema position.
struct PositionInfo {
  var value: JSONValue
  var base: String
  var dialect: Dialect
  var resource: Int
}

/// The state of one compilation: loaded documents, identifiers, and the nodes built so far.
final class CompilerSession {
  let options: SchemaOptions
  var documents: [(uri: String, root: JSONValue)] = []
  /// Absolute URI (no fragment) of each schema resource → its position.
  var resources: [String: SchemaPosition] = [:]
  /// `uri#name` of each `$anchor`/`$dynamicAnchor` (and draft-7 `$id: "#name"`) → position.
  var anchors: [String: SchemaPosition] = [:]
  var resourceIDs: [String: Int] = [:]
  /// Per resource id: `$dynamicAnchor` name → position.
  var dynamicAnchors: [Int: [String: SchemaPosition]] = [:]
  var infos: [SchemaPosition: PositionInfo] = [:]
  var nodes: [SchemaPosition: SchemaNode] = [:]
  var queue: [(SchemaPosition, SchemaNode)] = []
  var allNodes: [SchemaNode] = []
  var dynamicNames: Set<String> = []
  var inPlaceEdges: [ObjectIdentifier: [SchemaNode]] = [:]
  var rootMetaSchemaURI = ""
  var loadingDialects: Set<String> = []
  /// Indexing a position reached only by a JSON pointer (not a subschema of any keyword), whose
  /// `$id` and anchors do not count as duplicates.
  var indexingOnDemand = false
  /// The resources of the root document whose `$schema` names another meta-schema than the
  /// resource around them: pointer and meta-schema URI, in the order indexed.
  var embeddedDialects: [(pointer: String, metaSchema: String)] = []

  init(options: SchemaOptions) {
    self.options = options
  }

  func fail(_ message: String, _ position: SchemaPosition? = nil) -> SchemaCompileError {
    SchemaCompileError(message, at: position.map(location) ?? "")
  }

  /// The location text of a position: a pointer in the root document, else `uri#pointer`.
  func location(_ position: SchemaPosition) -> String {
    position.document == 0
      ? position.pointer : "\(documents[position.document].uri)#\(position.pointer)"
  }

  func compileRoot(_ value: JSONValue, baseURI: String) throws(SchemaCompileError) -> CompiledSchema
  {
    let base = URIReference(baseURI).withoutFragment.description
    let fallback = options.defaultDraft == .draft7 ? Dialect.draft7 : Dialect.draft2020
    try addDocument(value, uri: base, dialect: fallback)
    let rootPosition = SchemaPosition(document: 0, pointer: "")
    rootMetaSchemaURI = infos[rootPosition]?.dialect.metaSchema ?? fallback.metaSchema
    let root = node(for: rootPosition)
    // Compile every subschema of the root document, so mistakes anywhere in it are reported.
    for position in infos.keys.filter({ $0.document == 0 }).sorted(by: { $0.pointer < $1.pointer })
    {
      _ = node(for: position)
    }
    try drain()
    try checkInPlaceCycles()
    var dynamic: [Int: [String: SchemaNode]] = [:]
    for (resource, names) in dynamicAnchors {
      for (name, position) in names where dynamicNames.contains(name) {
        if let node = nodes[position] { dynamic[resource, default: [:]][name] = node }
      }
    }
    let program = SchemaProgram(
      nodes: allNodes, root: root, dynamicAnchors: dynamic, usesDynamicScope: !dynamicNames.isEmpty,
      evaluationBudget: options.evaluationBudget)
    return CompiledSchema(root: root, program: program)
  }

  /// Compiles queued nodes until none are left, including dynamic anchors that a
  /// `$dynamicRef` may reach at run time.
  func drain() throws(SchemaCompileError) {
    while true {
      while let (position, node) = queue.popLast() {
        try compile(position, into: node)
      }
      var added = false
      for (_, names) in dynamicAnchors {
        for (name, position) in names where dynamicNames.contains(name) && nodes[position] == nil {
          _ = node(for: position)
          added = true
        }
      }
      if !added { return }
    }
  }

  // MARK: Loading and indexing

  func addDocument(_ value: JSONValue, uri: String, dialect: Dialect) throws(SchemaCompileError) {
    let index = documents.count
    documents.append((uri, value))
    let id = resourceID(uri)
    if resources[uri] == nil { resources[uri] = SchemaPosition(document: index, pointer: "") }
    try indexSchema(
      value, SchemaPosition(document: index, pointer: ""), base: uri, dialect: dialect,
      resource: id, isRoot: true)
  }

  func resourceID(_ uri: String) -> Int {
    if let id = resourceIDs[uri] { return id }
    let id = resourceIDs.count
    resourceIDs[uri] = id
    return id
  }

  /// Walks the subschemas of `value`, recording base URIs, resources and anchors.
  func indexSchema(
    _ value: JSONValue, _ position: SchemaPosition, base: String, dialect: Dialect, resource: Int,
    isRoot: Bool
  ) throws(SchemaCompileError) {
    guard infos[position] == nil else { return }
    guard case .object = value else {
      infos[position] = PositionInfo(value: value, base: base, dialect: dialect, resource: resource)
      return
    }
    var base = base
    var dialect = dialect
    var resource = resource
    let draft7Ref = dialect.draft == .draft7 && value["$ref"] != nil
    var idText = value["$id"]?.stringValue
    if draft7Ref { idText = nil }
    if (isRoot || idText != nil), let schemaURI = value["$schema"]?.stringValue {
      let outer = dialect
      dialect = try self.dialect(for: schemaURI, at: position)
      if !isRoot && position.document == 0 && !indexingOnDemand
        && dialect.metaSchema != outer.metaSchema
      {
        embeddedDialects.append((position.pointer, dialect.metaSchema))
      }
    }
    if dialect.draft == .draft7 && value["$ref"] != nil { idText = nil }
    if let idText {
      let resolved = URIReference(idText).resolved(against: URIReference(base))
      let fragment = resolved.fragment ?? ""
      let absolute = resolved.withoutFragment.description
      if dialect.draft == .draft7 && idText.hasPrefix("#") {
        try claimAnchor("\(absolute)#\(fragment)", position, keyword: "$id")
      } else {
        if dialect.draft == .draft2020_12 && !fragment.isEmpty {
          throw fail("$id must not contain a fragment (use $anchor): \(idText)", position)
        }
        base = absolute
        if let existing = resourceIDs[absolute], isRoot {
          resource = existing
        } else {
          if isRoot { resourceIDs[absolute] = resource } else { resource = resourceID(absolute) }
        }
        if let existing = resources[absolute], existing != position, !indexingOnDemand {
          throw fail(
            "two schema resources have the URI \(absolute): \(place(existing)) and \(place(position)); an $id names one schema, so which one a reference reaches would be ambiguous: give one of them another $id",
            position)
        }
        if resources[absolute] == nil || isRoot { resources[absolute] = position }
        if !fragment.isEmpty {
          try claimAnchor("\(absolute)#\(fragment)", position, keyword: "$id")
        }
      }
    }
    if dialect.draft == .draft2020_12 {
      if let anchor = value["$anchor"]?.stringValue {
        try claimAnchor("\(base)#\(anchor)", position, keyword: "$anchor")
      }
      if let anchor = value["$dynamicAnchor"]?.stringValue {
        try claimAnchor("\(base)#\(anchor)", position, keyword: "$dynamicAnchor")
        dynamicAnchors[resource, default: [:]][anchor] = position
      }
    }
    infos[position] = PositionInfo(value: value, base: base, dialect: dialect, resource: resource)
    for (keyword, child) in subschemaLocations(value, dialect: dialect) {
      try indexSchema(
        child.value,
        SchemaPosition(document: position.document, pointer: position.pointer + child.pointer),
        base: base, dialect: dialect, resource: resource, isRoot: false)
      _ = keyword
    }
  }

  /// Records that `name` (`uri#anchor`) names the schema at `position`.
  ///
  /// Two subschemas of one resource that define the same anchor are an error (JSON Schema
  /// 2020-12 core, "Duplicate schema identifiers": implementations should raise one), except
  /// for a position reached only by a JSON pointer, which is not a real subschema.
  func claimAnchor(_ name: String, _ position: SchemaPosition, keyword: String)
    throws(SchemaCompileError)
  {
    if let existing = anchors[name], existing != position {
      if indexingOnDemand { return }
      let anchor = name[name.index(after: name.lastIndex(of: "#") ?? name.startIndex)...]
      throw fail(
        "two subschemas define the anchor \"\(anchor)\" in one schema resource: \(place(existing)) and \(place(position)) (\(keyword)); an anchor names one schema, so which one \"#\(anchor)\" reaches would be ambiguous: rename one",
        position)
    }
    anchors[name] = position
  }

  /// A position for a message: its JSON pointer (`#` for the root) in the root document, else
  /// `uri#pointer`.
  func place(_ position: SchemaPosition) -> String {
    let text = location(position)
    return text.isEmpty ? "#" : text
  }

  /// The subschemas of a schema object, as (keyword, relative pointer and value).
  func subschemaLocations(_ value: JSONValue, dialect: Dialect) -> [(
    String, (pointer: String, value: JSONValue)
  )] {
    guard case .object(let members) = value else { return [] }
    var out: [(String, (pointer: String, value: JSONValue))] = []
    let single: Set<String>
    let arrays: Set<String>
    let maps: Set<String>
    if dialect.draft == .draft7 {
      single = [
        "additionalItems", "additionalProperties", "contains", "propertyNames", "not", "if", "then",
        "else",
      ]
      arrays = ["allOf", "anyOf", "oneOf"]
      maps = ["definitions", "properties", "patternProperties", "dependencies"]
    } else {
      single = [
        "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "items", "contains",
        "propertyNames", "not", "if", "then", "else", "contentSchema",
      ]
      arrays = ["allOf", "anyOf", "oneOf", "prefixItems"]
      maps = ["$defs", "properties", "patternProperties", "dependentSchemas", "dependencies"]
    }
    for (key, child) in members {
      let token = "/" + escapePointerToken(key)
      if single.contains(key) {
        out.append((key, (token, child)))
      } else if key == "items" && dialect.draft == .draft7 {
        if case .array(let items) = child {
          for (i, item) in items.enumerated() { out.append((key, ("\(token)/\(i)", item))) }
        } else {
          out.append((key, (token, child)))
        }
      } else if arrays.contains(key), case .array(let items) = child {
        for (i, item) in items.enumerated() { out.append((key, ("\(token)/\(i)", item))) }
      } else if maps.contains(key), case .object(let entries) = child {
        for (name, item) in entries {
          if key == "dependencies", case .array = item { continue }
          out.append((key, ("\(token)/\(escapePointerToken(name))", item)))
        }
      }
    }
    return out
  }

  /// The dialect named by a `$schema` URI: a known draft, or a custom meta-schema's vocabularies.
  func dialect(for schemaURI: String, at position: SchemaPosition) throws(SchemaCompileError)
    -> Dialect
  {
    let uri = URIReference(schemaURI).withoutFragment.description
    switch uri {
    case "https://json-schema.org/draft/2020-12/schema": return .draft2020
    case "http://json-schema.org/draft-07/schema", "http://json-schema.org/draft-06/schema":
      var d = Dialect.draft7
      d.metaSchema = uri
      if uri.hasSuffix("draft-06/schema") { d.metaSchema = Dialect.draft7.metaSchema }
      return d
    case "https://json-schema.org/draft/2019-09/schema", "http://json-schema.org/draft-04/schema",
      "http://json-schema.org/draft-03/schema":
      throw fail(
        "unsupported JSON Schema draft \(schemaURI): use draft 2020-12 or draft-07", position)
    default:
      break
    }
    guard !loadingDialects.contains(uri) else {
      throw fail(
        "meta-schema \(uri) refers to itself as its own $schema without a $vocabulary", position)
    }
    loadingDialects.insert(uri)
    defer { loadingDialects.remove(uri) }
    let text = try options.resolver.load(uri)
    let meta: JSONValue
    do throws(JSONSyntaxError) {
      var parser = JSONParser()
      var doc = JSONDocument()
      try parser.parse(text, into: &doc)
      meta = JSONValue(doc)
    } catch {
      throw fail("meta-schema \(uri) is not valid JSON: \(error.message)", position)
    }
    var result: Dialect
    if case .object(let vocabularies) = meta["$vocabulary"] {
      result = Dialect(
        draft: .draft2020_12, applicator: false, validation: false, unevaluated: false,
        metaSchema: uri)
      for (vocabulary, required) in vocabularies {
        switch vocabulary {
        case "https://json-schema.org/draft/2020-12/vocab/applicator": result.applicator = true
        case "https://json-schema.org/draft/2020-12/vocab/validation": result.validation = true
        case "https://json-schema.org/draft/2020-12/vocab/unevaluated": result.unevaluated = true
        case "https://json-schema.org/draft/2020-12/vocab/format-assertion":
          result.formatAssertion = true
        case "https://json-schema.org/draft/2020-12/vocab/core",
          "https://json-schema.org/draft/2020-12/vocab/meta-data",
          "https://json-schema.org/draft/2020-12/vocab/format-annotation",
          "https://json-schema.org/draft/2020-12/vocab/content":
          break
        default:
          if required == .bool(true) {
            throw fail("meta-schema \(uri) requires the unknown vocabulary \(vocabulary)", position)
          }
        }
      }
    } else if let parent = meta["$schema"]?.stringValue {
      result = try dialect(for: parent, at: position)
      result.metaSchema = uri
    } else {
      result = .draft2020
      result.metaSchema = uri
    }
    return result
  }

  // MARK: Reference resolution

  /// The position a reference points to, loading its document through the resolver if needed.
  /// - Parameter keyword: the referring keyword (`$ref`, `$dynamicRef`), for messages.
  func resolve(
    _ reference: String, from position: SchemaPosition, info: PositionInfo,
    keyword: String = "$ref"
  )
    throws(SchemaCompileError)
    -> SchemaPosition
  {
    // Messages point at the keyword, whose value is the reference.
    let at = SchemaPosition(
      document: position.document, pointer: position.pointer + "/" + escapePointerToken(keyword))
    let target = URIReference(reference).resolved(against: URIReference(info.base))
    let uri = target.withoutFragment.description
    let fragment = percentDecoded(target.fragment ?? "")
    if resources[uri] == nil {
      if uri == info.base || uri.isEmpty {
        throw fail("cannot resolve \(keyword) \(reference)", at)
      }
      let text: [UInt8]
      do throws(SchemaCompileError) {
        text = try options.resolver.load(uri)
      } catch {
        throw fail("cannot resolve \(keyword) \"\(reference)\": \(error.message)", at)
      }
      let document: JSONDocument
      do throws(SchemaCompileError) {
        document = try SchemaCompiler.parseDocument(text, named: "referenced schema \(uri)").0
      } catch {
        // The line and column are in the other file: say so in the message.
        var place = ""
        if let line = error.line, let column = error.column {
          place = " (line \(line), column \(column) of \(uri))"
        }
        throw fail(
          (error.schemaLocation.isEmpty ? "" : "\(uri)#\(error.schemaLocation): ") + error.message
            + place, at)
      }
      try addDocument(JSONValue(document), uri: uri, dialect: info.dialect)
    }
    guard let resourcePosition = resources[uri] else {
      throw fail("cannot resolve \(keyword) \"\(reference)\"", at)
    }
    if fragment.isEmpty { return resourcePosition }
    if fragment.hasPrefix("/") {
      let targetPosition = SchemaPosition(
        document: resourcePosition.document, pointer: resourcePosition.pointer + fragment)
      guard try self.info(for: targetPosition) != nil else {
        throw fail(
          "\(keyword) \"\(reference)\" points to nothing (no value at \(fragment))", at)
      }
      return targetPosition
    }
    guard let anchored = anchors["\(uri)#\(fragment)"] else {
      let kind = keyword == "$dynamicRef" ? "$dynamicAnchor or $anchor" : "$anchor"
      throw fail(
        "\(keyword) \"\(reference)\": no \(kind) named \"\(fragment)\" in \(uri)", at)
    }
    return anchored
  }

  /// The info of a position, indexing it on demand when it was reached by a JSON pointer only.
  func info(for position: SchemaPosition) throws(SchemaCompileError) -> PositionInfo? {
    if let known = infos[position] { return known }
    guard let value = value(at: position) else { return nil }
    // Inherit the base from the nearest indexed ancestor.
    var parent = position.pointer
    var parentInfo: PositionInfo?
    while parentInfo == nil && !parent.isEmpty {
      if let slash = parent.lastIndex(of: "/") {
        parent = String(parent[..<slash])
      } else {
        parent = ""
      }
      parentInfo = infos[SchemaPosition(document: position.document, pointer: parent)]
    }
    guard let parentInfo else { return nil }
    indexingOnDemand = true
    defer { indexingOnDemand = false }
    try indexSchema(
      value, position, base: parentInfo.base, dialect: parentInfo.dialect,
      resource: parentInfo.resource,
      isRoot: false)
    return infos[position]
  }

  func value(at position: SchemaPosition) -> JSONValue? {
    var current = documents[position.document].root
    guard !position.pointer.isEmpty else { return current }
    for token in position.pointer.split(separator: "/", omittingEmptySubsequences: false)
      .dropFirst()
    {
      let key = unescapePointerToken(String(token))
      switch current {
      case .object(let members):
        guard let next = members.last(where: { $0.key == key }) else { return nil }
        current = next.value
      case .array(let items):
        guard let i = Int(key), i >= 0, i < items.count, String(i) == key else { return nil }
        current = items[i]
      default:
        return nil
      }
    }
    return current
  }

  // MARK: Compiling nodes

  func node(for position: SchemaPosition) -> SchemaNode {
    if let existing = nodes[position] { return existing }
    let node = SchemaNode(location: location(position))
    nodes[position] = node
    allNodes.append(node)
    queue.append((position, node))
    return node
  }

  func child(_ position: SchemaPosition, _ relative: String) throws(SchemaCompileError)
    -> SchemaNode
  {
    let target = SchemaPosition(document: position.document, pointer: position.pointer + relative)
    guard try info(for: target) != nil else { throw fail("not a schema", target) }
    return node(for: target)
  }

  func compile(_ position: SchemaPosition, into node: SchemaNode) throws(SchemaCompileError) {
    guard let info = try info(for: position) else { throw fail("no schema here", position) }
    node.resource = info.resource
    let here = location(position)
    switch info.value {
    case .bool(true):
      return
    case .bool(false):
      node.isFalse = true
      node.checks = [SchemaCheck(op: .alwaysFalse, keyword: "false", location: here)]
      return
    case .object:
      break
    default:
      throw fail("a schema must be an object or a boolean, found \(info.value.kindName)", position)
    }
    var builder = CheckBuilder(session: self, position: position, info: info, node: node)
    if info.dialect.draft == .draft7 {
      try builder.buildDraft7()
    } else {
      try builder.build2020()
    }
    node.checks = builder.checks
    node.hasUnevaluated = builder.hasUnevaluated
    inPlaceEdges[ObjectIdentifier(node)] = builder.inPlace
  }

  /// Rejects `$ref` cycles that never move into the instance (they would recurse forever).
  func checkInPlaceCycles() throws(SchemaCompileError) {
    var state: [ObjectIdentifier: UInt8] = [:]  // 1 = on the stack, 2 = done
    for start in allNodes where state[ObjectIdentifier(start)] == nil {
      var stack: [(SchemaNode, Int)] = [(start, 0)]
      state[ObjectIdentifier(start)] = 1
      while let (node, next) = stack.last {
        let edges = inPlaceEdges[ObjectIdentifier(node)] ?? []
        if next < edges.count {
          stack[stack.count - 1].1 += 1
          let target = edges[next]
          switch state[ObjectIdentifier(target)] {
          case 1:
            throw SchemaCompileError(
              "infinite $ref loop: this schema refers back to itself without moving into the instance",
              at: target.location)
          case nil:
            state[ObjectIdentifier(target)] = 1
            stack.append((target, 0))
          default:
            break
          }
        } else {
          state[ObjectIdentifier(node)] = 2
          stack.removeLast()
        }
      }
    }
  }
}

/// Escapes `~` and `/` in a JSON pointer token (RFC 6901).
func escapePointerToken(_ token: String) -> String {
  guard token.contains("~") || token.contains("/") else { return token }
  return token.replacingTildeAndSlash()
}

/// Reverses ``escapePointerToken(_:)``.
func unescapePointerToken(_ token: String) -> String {
  guard token.contains("~") else { return token }
  var out = ""
  var iterator = token.makeIterator()
  while let c = iterator.next() {
    if c == "~" {
      switch iterator.next() {
      case "0": out.append("~")
      case "1": out.append("/")
      case let other?: out.append("~"); out.append(other)
      case nil: out.append("~")
      }
    } else {
      out.append(c)
    }
  }
  return out
}

extension String {
  fileprivate func replacingTildeAndSlash() -> String {
    var out = ""
    for c in self {
      switch c {
      case "~": out += "~0"
      case "/": out += "~1"
      default: out.append(c)
      }
    }
    return out
  }
}
