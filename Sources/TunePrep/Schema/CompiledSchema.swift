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
  /// ``SchemaOptions/evaluationBudget``.
  let evaluationBudget: Int

  init(
    nodes: [SchemaNode], root: SchemaNode, dynamicAnchors: [Int: [String: SchemaNode]],
    usesDynamicScope: Bool, evaluationBudget: Int
  ) {
    self.nodes = nodes
    self.evaluationBudget = evaluationBudget
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

  /// What the boolean pass found.
  enum Verdict {
    case valid, invalid
    /// The value needed more subschema evaluations than its budget allows.
    case exhausted
  }

  /// The subschema evaluations allowed for one value of `document`: the options' budget on
  /// top of one pass of every subschema over every node of the document.
  func budget(for document: JSONDocument) -> Int {
    let pass = document.nodes.count.multipliedReportingOverflow(by: program.nodes.count)
    let total = program.evaluationBudget.addingReportingOverflow(pass.partialValue)
    return pass.overflow || total.overflow ? Int.max : total.partialValue
  }

  /// Whether node `node` of `document` is valid, without building any errors.
  /// - Parameters:
  ///   - document: a successfully parsed document.
  ///   - node: the value to check (default: the document's root).
  /// - Returns: true when valid; false when invalid, or when checking it needed more subschema
  ///   evaluations than ``SchemaOptions/evaluationBudget`` allows (``validate(_:node:into:limit:)``
  ///   says which).
  public func isValid(_ document: JSONDocument, node: Int = 0) -> Bool {
    verdict(document, node: node) == .valid
  }

  /// The boolean pass over node `node` of `document`.
  func verdict(_ document: JSONDocument, node: Int) -> Verdict {
    var budget = budget(for: document)
    let valid = document.nodes.withUnsafeBufferPointer { nodes in
      document.bytes.withUnsafeBufferPointer { bytes in
        if let flat = program.flat {
          // The parser reports every repeated key (possibly more), so none reported means unique.
          let uniqueKeys = !document.warnings.contains { $0.kind == .duplicateKey }
          return flat.isValid(
            nodes: nodes, bytes: bytes, node: node, schemaProgram: program, uniqueKeys: uniqueKeys,
            budget: &budget)
        }
        var evaluator = SchemaEvaluator(
          nodes: nodes, bytes: bytes, program: program, origin: node, collecting: false, limit: 0)
        evaluator.remaining = budget
        var annotations = Annotations()
        let valid = evaluator.eval(root, node, &annotations, false)
        budget = evaluator.remaining
        return valid
      }
    }
    if budget < 0 { return .exhausted }
    return valid ? .valid : .invalid
  }

  /// Validates node `node` of `document`, appending what is wrong to `errors`.
  ///
  /// A value that needs more subschema evaluations than its budget (a schema whose `$ref`s
  /// reach the same subschemas by exponentially many paths) gets one error that says so.
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
    switch verdict(document, node: node) {
    case .valid: return true
    case .exhausted:
      errors.append(budgetError(document))
      return false
    case .invalid: break
    }
    let (found, exhausted): ([SchemaError], Bool) = document.nodes.withUnsafeBufferPointer {
      nodes in
      document.bytes.withUnsafeBufferPointer { bytes in
        var evaluator = SchemaEvaluator(
          nodes: nodes, bytes: bytes, program: program, origin: node, collecting: true,
          limit: max(limit, 1))
        evaluator.remaining = budget(for: document)
        var annotations = Annotations()
        _ = evaluator.eval(root, node, &annotations, false)
        return (evaluator.errors, evaluator.exhausted)
      }
    }
    if exhausted {
      // The value is invalid (the boolean pass said so), but listing why ran out of budget:
      // the errors found before that are real, and the last one says the list stops there.
      errors.append(contentsOf: found.prefix(max(limit, 1) - 1))
      errors.append(budgetError(document, listing: true))
    } else if found.isEmpty {
      errors.append(
        SchemaError(
          instanceLocation: "", schemaLocation: root.location, keyword: "",
          message: "value does not match the schema"))
    } else {
      errors.append(contentsOf: found.prefix(max(limit, 1)))
    }
    return false
  }

  /// `count` in words for messages: "10 million", or the digits when not a whole million.
  static func millions(_ count: Int) -> String {
    count >= 1_000_000 && count % 1_000_000 == 0 ? "\(count / 1_000_000) million" : "\(count)"
  }

  /// The error of a value whose check ran out of its evaluation budget: in the boolean pass
  /// (the value was not fully checked), or while `listing` the reasons of an invalid value.
  func budgetError(_ document: JSONDocument, listing: Bool = false) -> SchemaError {
    let limit =
      "more subschema evaluations than tuneprep allows (\(Self.millions(program.evaluationBudget)) on top of one pass of the schema over each value of the record)"
    let what =
      listing
      ? "the value does not match the schema, but listing every reason needed \(limit), so the list stops here"
      : "checking this value needed \(limit), so it was not fully checked"
    return SchemaError(
      instanceLocation: "", schemaLocation: root.location, keyword: "evaluationBudget",
      message:
        what
        + ": the schema reaches the same subschemas by very many paths ($ref, allOf, anyOf or oneOf that lead twice to the level below, level after level, double the work at each level); restructure the schema so that each subschema is reached by few paths"
    )
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
