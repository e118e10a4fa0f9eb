/// The parts of a compiled schema shared by all its nodes.
final class SchemaProgram: @unchecked Sendable {
  /// Every node, kept so that `$ref` cycles can be broken when the program goes away.
  let nodes: [SchemaNode]
  /// Per resource id: the nodes of its `$dynamicAnchor`s that some `$dynamicRef` may reach.
  let dynamicAnchors: [Int: [String: SchemaNode]]
  /// Whether validation must track the dynamic scope (the schema uses `$dynamicRef`).
  let usesDynamicScope: Bool
  /// The flat program of the boolean pass, or nil when the schema needs the dynamic scope.
  let flat: FlatProgram?

  init(
    nodes: [SchemaNode], root: SchemaNode, dynamicAnchors: [Int: [String: SchemaNode]],
    usesDynamicScope: Bool
  ) {
    self.nodes = nodes
    self.dynamicAnchors = dynamicAnchors
    self.usesDynamicScope = usesDynamicScope
    self.flat = FlatProgram(nodes: nodes, root: root, usesDynamicScope: usesDynamicScope)
    for node in nodes { node.freeze() }
  }

  deinit {
    // Nodes point at each other through $ref; drop the links so the cycle is freed.
    for node in nodes { node.release() }
  }
}

/// A schema compiled by ``SchemaCompiler``, ready to validate any number of records.
///
/// Validation runs directly on a parsed ``JSONDocument``: strings are compared as raw bytes
/// unless they contain escapes, numbers are read only when a keyword needs them. A valid record
/// is checked in one boolean pass over a ``FlatProgram`` (trivial structs and indices, no
/// reference counting, no allocation on the valid path); an invalid one is checked a second
/// time by ``SchemaEvaluator`` to collect every error (up to a limit) with its locations.
/// Safe to share across threads.
public struct CompiledSchema: Sendable {
  let root: SchemaNode
  let program: SchemaProgram

  /// Whether node `node` of `document` is valid, without building any errors.
  /// - Parameters:
  ///   - document: a successfully parsed document.
  ///   - node: the value to check (default: the document's root).
  public func isValid(_ document: JSONDocument, node: Int = 0) -> Bool {
    document.nodes.withUnsafeBufferPointer { nodes in
      document.bytes.withUnsafeBufferPointer { bytes in
        if let flat = program.flat {
          // The parser reports every repeated key (possibly more), so none reported means unique.
          let uniqueKeys = !document.warnings.contains { $0.kind == .duplicateKey }
          return flat.isValid(
            nodes: nodes, bytes: bytes, node: node, schemaProgram: program, uniqueKeys: uniqueKeys)
        }
        var evaluator = SchemaEvaluator(
          nodes: nodes, bytes: bytes, program: program, origin: node, collecting: false, limit: 0)
        var annotations = Annotations()
        return evaluator.eval(root, node, &annotations, false)
      }
    }
  }

  /// Validates node `node` of `document`, appending what is wrong to `errors`.
  /// - Parameters:
  ///   - document: a successfully parsed document.
  ///   - node: the value to check (default: the document's root); error locations are relative to it.
  ///   - errors: receives at most `limit` errors, in schema order.
  ///   - limit: the most errors to collect for this value.
  /// - Returns: whether the value is valid.
  @discardableResult
  public func validate(
    _ document: JSONDocument, node: Int = 0, into errors: inout [SchemaError], limit: Int = 100
  )
    -> Bool
  {
    if isValid(document, node: node) { return true }
    let found: [SchemaError] = document.nodes.withUnsafeBufferPointer { nodes in
      document.bytes.withUnsafeBufferPointer { bytes in
        var evaluator = SchemaEvaluator(
          nodes: nodes, bytes: bytes, program: program, origin: node, collecting: true,
          limit: max(limit, 1))
        var annotations = Annotations()
        _ = evaluator.eval(root, node, &annotations, false)
        return evaluator.errors
      }
    }
    if found.isEmpty {
      errors.append(
        SchemaError(
          instanceLocation: "", schemaLocation: root.location, keyword: "",
          message: "value does not match the schema"))
    } else {
      errors.append(contentsOf: found.prefix(max(limit, 1)))
    }
    return false
  }
}

extension CompiledSchema {
  /// Runs the collecting evaluator even on a valid value (tests use it to check that both
  /// modes agree).
  func collectErrors(_ document: JSONDocument, node: Int = 0, limit: Int = 100) -> (
    valid: Bool, errors: [SchemaError]
  ) {
    document.nodes.withUnsafeBufferPointer { nodes in
      document.bytes.withUnsafeBufferPointer { bytes in
        var evaluator = SchemaEvaluator(
          nodes: nodes, bytes: bytes, program: program, origin: node, collecting: true, limit: limit
        )
        var annotations = Annotations()
        let valid = evaluator.eval(root, node, &annotations, false)
        return (valid, evaluator.errors)
      }
    }
  }
}

/// What the keywords of one schema evaluated at one instance location (for `unevaluated*`).
struct Annotations {
  /// Key node indices of evaluated properties.
  var properties: [Int] = []
  var allProperties = false
  /// Items below this index were evaluated (prefixItems).
  var itemPrefix = 0
  var allItems = false
  /// Indices of items matched by `contains`.
  var items: [Int] = []

  mutating func merge(_ other: Annotations) {
    properties.append(contentsOf: other.properties)
    allProperties = allProperties || other.allProperties
    itemPrefix = max(itemPrefix, other.itemPrefix)
    allItems = allItems || other.allItems
    items.append(contentsOf: other.items)
  }
}
