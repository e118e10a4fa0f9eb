/// One `--meta` value of `tuneprep import`: `NAME=SPEC`, or a bare `SPEC` whose key is derived.
struct ImportMeta: Sendable {
  /// The option value as given.
  let text: String
  /// The key given with `NAME=`, or nil.
  let name: String?
  /// The column, XPath or field that holds the value.
  let spec: String

  /// Splits `NAME=SPEC` when the text before the first `=` is a key name (a letter or `_`,
  /// then letters, digits, `_`, `-` or `.`); anything else is a bare spec, so XPaths such as
  /// `@lang="en"` or `./a[@b='c']` are kept whole.
  init(_ text: String) {
    self.text = text
    if let eq = text.firstIndex(of: "="), isKeyName(text[..<eq]) {
      name = String(text[..<eq])
      spec = String(text[text.index(after: eq)...])
    } else {
      name = nil
      spec = text
    }
  }
}

/// Whether `text` can be written as a metadata key without `NAME=` being mistaken for part of an
/// expression: a letter (any script) or `_`, then letters, digits, `_`, `-` or `.`.
func isKeyName(_ text: Substring) -> Bool {
  guard let first = text.unicodeScalars.first,
    first == "_" || first.properties.isAlphabetic
  else { return false }
  return text.unicodeScalars.allSatisfy {
    $0 == "_" || $0 == "-" || $0 == "." || $0.properties.isAlphabetic
      || ("0"..."9").contains($0)
  }
}

/// The key an XML `--meta` XPath is written under when it has no `NAME=`: the element or
/// attribute name of a plain path's last step (`./lang`, `@lang`, `meta/@lang`, `p:body`,
/// `p:body/text()` all give their local name), or nil for anything else (a function call, a
/// predicate, `.`, `*`), which needs a name.
func xmlMetaKey(_ xpath: String) -> String? {
  var steps = xpath.split(separator: "/", omittingEmptySubsequences: true)
  if steps.last == "text()" { steps.removeLast() }
  guard var last = steps.last else { return nil }
  for step in steps.dropLast() {
    // Every step must be plain too, so `string(./a)/b`-like text is not half-read.
    let name = step.hasPrefix("@") ? step.dropFirst() : step
    guard step == "." || step == ".." || isQualifiedName(name) else { return nil }
  }
  if last.hasPrefix("@") { last = last.dropFirst() }
  guard isQualifiedName(last) else { return nil }
  return String(last.split(separator: ":").last ?? last)
}

/// Whether `text` is `name` or `prefix:name`, each a key name.
private func isQualifiedName(_ text: Substring) -> Bool {
  let parts = text.split(separator: ":", omittingEmptySubsequences: false)
  return (1...2).contains(parts.count) && parts.allSatisfy(isKeyName)
}

extension Importer.Options {
  /// The option spelling for a mapped field in this source's words: `--meta-column` for CSV,
  /// `--meta` for XML, `--meta-field` for JSON (all are the same option).
  func flag(_ field: String) -> String {
    switch source {
    case .csv, .tsv: "--\(field)-column"
    case .xml: "--\(field)"
    case .json: "--\(field)-field"
    }
  }

  /// What this source calls a mapped thing (`column`, `XPath`, `field`).
  var specWord: String {
    switch source {
    case .csv, .tsv: "COLUMN"
    case .xml: "XPATH"
    case .json: "FIELD"
    }
  }

  /// Whether a JSON import reads records that have an `instruction` field as Alpaca records
  /// (see ``ImportJSONFields``): no `--input-field` is given and no option names `instruction`.
  var readsAlpacaFields: Bool {
    source == .json && input == nil
      && ![output, system, id].contains {
        $0.map { JSONField($0).path == ["instruction"] } ?? false
      }
      && !meta.contains { JSONField(ImportMeta($0).spec).path == ["instruction"] }
  }

  /// The keys a meta field may not be written under, each with what already holds it.
  ///
  /// The intermediate `input-output` record's `input`, `output` and `system` (a meta `system`
  /// would become the system prompt), `id` when an id is mapped, the intermediate `alpaca`
  /// record's `instruction` and `history` when rows may be Alpaca rows (`alpacaRows`), and the
  /// keys the target format itself defines when it keeps metadata (a string `history` in an
  /// alpaca record fails validation).
  func reservedKeys(alpacaRows: Bool) -> [(key: String, holder: String)] {
    var keys: [(key: String, holder: String)] = [
      ("input", "the prompt"), ("output", "the answer"), ("system", "the system prompt"),
    ]
    if alpacaRows {
      keys.append(("instruction", "the Alpaca instruction"))
      keys.append(("history", "the Alpaca history"))
    }
    if id != nil { keys.append(("id", "the \(flag("id")) value")) }
    if case .format(let format) = to, to.keepsMetadata {
      let own: [String] =
        switch format {
        case .alpaca: ["instruction", "input", "output", "system", "history"]
        case .sharegpt: ["conversations", "system", "tools"]
        default: []
        }
      for key in own where !keys.contains(where: { $0.key == key }) {
        keys.append((key, "a field of \(format.rawValue) records"))
      }
    }
    return keys
  }

  /// Problems with the mapping that the options alone show, as a usage message (nil: none).
  ///
  /// The same column, element or field for the prompt and the answer; a meta field whose key
  /// would replace a mapped field, take a key of the target format, or repeat another meta
  /// field's key; an XML meta expression whose key cannot be derived. For CSV, names are
  /// compared without case (columns are found without case); a meta column given by number is
  /// checked once the header is read (``metaKeyProblem(_:)``).
  public func mappingProblem() -> String? {
    let csv = source == .csv || source == .tsv
    if let input, let output {
      let same =
        switch source {
        case .csv, .tsv: input.lowercased() == output.lowercased()
        case .xml: input == output
        case .json: JSONField(input).path == JSONField(output).path
        }
      if same {
        return
          "\(flag("input")) and \(flag("output")) both name '\(input)': the answer would be a copy of the prompt; give the answer's \(specWord.lowercased()) to \(flag("output"))"
      }
    }
    var keys: [(meta: ImportMeta, key: String)] = []
    for text in meta {
      let m = ImportMeta(text)
      if let name = m.name {
        keys.append((m, name))
        continue
      }
      switch source {
      case .csv, .tsv:
        // A column given by number takes its key from the header, checked once it is read;
        // here the number only catches the same column given twice.
        keys.append((m, m.spec))
      case .json:
        keys.append((m, JSONField(m.spec).key))
      case .xml:
        guard let key = xmlMetaKey(m.spec) else {
          // The example's name: the expression's last word, if it has one (`lang` for
          // `string(./lang)`).
          let word = m.spec.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
            .last { $0.first?.isLetter == true }
          let example = word.map(String.init) ?? "value"
          return
            "\(flag("meta")) '\(m.text)': no key name can be derived from this expression (only from a plain path such as ./lang or @lang); name it with \(flag("meta")) NAME=XPATH, e.g. \(flag("meta")) '\(example)=\(m.spec)'"
        }
        keys.append((m, key))
      }
    }
    // A CSV header shows whether rows are Alpaca rows once it is read; a JSON record may be one
    // whenever the fields are not mapped.
    return metaKeyProblem(keys, ignoringCase: csv, alpacaRows: readsAlpacaFields)
  }

  /// Problems with the meta keys once they are known (a CSV header read), as a message.
  ///
  /// `alpacaRows`: whether rows may be Alpaca rows, whose `instruction` and `history` keys are
  /// taken.
  func metaKeyProblem(
    _ keys: [(meta: ImportMeta, key: String)], ignoringCase: Bool = false, alpacaRows: Bool = false
  ) -> String? {
    func same(_ a: String, _ b: String) -> Bool {
      ignoringCase ? a.lowercased() == b.lowercased() : a == b
    }
    let flag = flag("meta")
    for (index, (m, key)) in keys.enumerated() {
      if let (reserved, holder) = reservedKeys(alpacaRows: alpacaRows).first(where: {
        same($0.key, key)
      }) {
        var message =
          "\(flag) \(m.text): the field would be written as '\(key)', which is \(holder)"
        if holder.hasPrefix("a field of") {
          message += ", so the record would not be valid"
        } else {
          message += ", and would replace it"
        }
        message += "; keep it under another name with \(flag) NAME=\(m.spec)"
        if reserved == "system" && system == nil {
          message += ", or map it as the system prompt with \(self.flag("system")) \(m.spec)"
        }
        return message
      }
      if let (earlier, _) = keys[..<index].first(where: { same($0.key, key) }) {
        if earlier.text == m.text {
          return "\(flag) \(m.text) is given twice: give it once"
        }
        return
          "\(flag) \(earlier.text) and \(flag) \(m.text) would both be written as '\(key)': give each its own name with \(flag) NAME=\(specWord)"
      }
    }
    return nil
  }
}
