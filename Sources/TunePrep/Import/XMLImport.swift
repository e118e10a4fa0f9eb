internal import CLibXML2

/// A record selector: the small XPath subset `//name`, `//a/b`, `/root/a/b` (prefixes allowed).
struct XMLRecordPath: Equatable {
  /// One step: a namespace URI (nil: no namespace) and a local name (`*` matches any).
  struct Step: Equatable {
    var uri: String?
    var local: String
  }

  /// Whether the path may start at any depth (`//`).
  var anywhere: Bool
  var steps: [Step]

  struct Failure: Error {
    var message: String
  }

  /// Parses a selector.
  /// - Parameters:
  ///   - text: e.g. `//ticket` or `/p:export/p:ticket`.
  ///   - namespaces: the prefixes the selector may use.
  init(_ text: String, namespaces: [Importer.Namespace]) throws(Failure) {
    var rest = Substring(text.trimmingSpaces())
    if rest.hasPrefix("//") {
      anywhere = true
      rest = rest.dropFirst(2)
    } else if rest.hasPrefix("/") {
      anywhere = false
      rest = rest.dropFirst()
    } else {
      anywhere = true
    }
    steps = []
    for part in rest.split(separator: "/", omittingEmptySubsequences: false) {
      guard !part.isEmpty, part.allSatisfy({ $0.isLetter || $0.isNumber || "_-.:*".contains($0) })
      else {
        throw Failure(
          message:
            "--record '\(text)' is outside the supported subset: use //name, //parent/name or /root/.../name (prefix:name with --namespace)"
        )
      }
      let pieces = part.split(separator: ":", maxSplits: 1)
      if pieces.count == 2 {
        guard let ns = namespaces.first(where: { $0.prefix == pieces[0] }) else {
          throw Failure(
            message:
              "--record '\(text)' uses the prefix '\(pieces[0])': declare it with --namespace \(pieces[0])=URI"
          )
        }
        steps.append(Step(uri: ns.uri, local: String(pieces[1])))
      } else {
        steps.append(Step(uri: nil, local: String(part)))
      }
    }
  }

  /// Whether an element named `name` (a local name) may be a record: the last step matches it.
  func mayMatch(_ name: UnsafePointer<xmlChar>?) -> Bool {
    guard let last = steps.last, last.local != "*" else { return true }
    guard let name else { return false }
    return last.local.utf8.elementsEqual(
      UnsafeBufferPointer(start: name, count: Int(xmlStrlen(name))))
  }

  /// Whether XML text holds a start tag whose local name matches the last step, so a record may
  /// start in it.
  func mayStart(in text: [UInt8]) -> Bool {
    let local = steps.last?.local ?? "*"
    var k = 0
    let n = text.count
    while k < n {
      guard text[k] == UInt8(ascii: "<") else {
        k += 1
        continue
      }
      k += 1
      let start = k
      while k < n,
        text[k] >= 0x80 || "_:.-".utf8.contains(text[k]) || (0x30...0x39).contains(text[k])
          || (0x41...0x5A).contains(text[k]) || (0x61...0x7A).contains(text[k])
      {
        k += 1
      }
      guard k > start else { continue }
      let name = text[start..<k]
      let localPart = name.lastIndex(of: UInt8(ascii: ":")).map { name[($0 + 1)...] } ?? name
      if local == "*" || localPart.elementsEqual(local.utf8) { return true }
    }
    return false
  }

  /// Whether an element whose ancestors-or-self are `stack` (root first) is a record.
  func matches(_ stack: [Step]) -> Bool {
    if anywhere ? stack.count < steps.count : stack.count != steps.count { return false }
    let offset = stack.count - steps.count
    for (i, step) in steps.enumerated() {
      let element = stack[offset + i]
      if step.local != "*" && step.local != element.local { return false }
      if step.local != "*" && step.uri != element.uri { return false }
    }
    return true
  }
}

/// State the libxml2 callbacks reach through their context pointer.
private final class XMLReadContext {
  let file: InputFile
  var readError: TunePrepError?
  var firstError: (line: Int, column: Int, message: String)?
  /// The elements open when the last error was raised, where the parser stopped (the parser's
  /// node and its ancestors), compared by address only; nil when no error came with a parser
  /// context.
  var openAtError: Set<UnsafeMutableRawPointer>?
  /// The nesting limit libxml2 stopped at, when its error was the depth limit.
  var depthLimit: Int?
  /// Whether any byte read so far is more than whitespace or a leading byte order mark.
  var sawContent = false
  /// How many bytes were read so far (while ``sawContent`` is false).
  var bytesRead = 0
  /// The line of the `<!DOCTYPE` in the prolog (nil: none seen yet), found by ``notePrologue(_:)``.
  var doctypeLine: Int?
  /// Whether the prolog scan is over (the root element or the DOCTYPE was reached).
  var prologDone = false
  private var prologLine = 1
  private var prologTail: [UInt8] = []
  private var inComment = false
  /// A second reader of the same bytes, for the text after a parse error: libxml2 may have
  /// read the file to its end by then (it looks ahead for a `;` after a `&`, for one), so the
  /// text is read again rather than kept.
  let again: InputFile

  init(file: InputFile, again: InputFile) {
    self.file = file
    self.again = again
  }
}

extension Importer {
  func importXML(
    _ file: InputFile, output: OutputStream, rejects: OutputStream?, reporter: FindingReporter,
    totals: inout ImportTotals
  ) throws(TunePrepError) {
    let name = file.name.displayName
    let recordPath: XMLRecordPath
    do throws(XMLRecordPath.Failure) {
      recordPath = try XMLRecordPath(options.record ?? "", namespaces: options.namespaces)
    } catch {
      throw .badConfig(path: name, line: nil, reason: error.message)
    }
    // libxml2 reads one reader, and the text after a parse error is read again from a second
    // (see `rest(fromLine:column:)`): for standard input and pipes both read a spooled copy.
    let context: XMLReadContext
    if file.name.isReadOnce {
      let spool = try spoolCopy(of: file, prefix: "tuneprep-import-xml")
      defer { spool.remove() }
      context = XMLReadContext(
        file: try InputFile(file.name, openingPath: spool.path),
        again: try InputFile(file.name, openingPath: spool.path))
    } else {
      context = XMLReadContext(file: file, again: try InputFile(file.name))
    }
    xmlInitParser()
    let opaque = Unmanaged.passUnretained(context).toOpaque()
    let readCallback: xmlInputReadCallback = { ctx, buffer, length in
      guard let ctx, let buffer else { return -1 }
      let box = Unmanaged<XMLReadContext>.fromOpaque(ctx).takeUnretainedValue()
      do throws(TunePrepError) {
        let count = try box.file.read(into: UnsafeMutableRawPointer(buffer), count: Int(length))
        let bytes = UnsafeBufferPointer(
          start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: count)
        if !box.sawContent { box.noteContent(bytes) }
        if !box.prologDone { box.notePrologue(bytes) }
        return Int32(count)
      } catch {
        box.readError = error
        return -1
      }
    }
    // No network, no DTD loading, no entity substitution: entities stay references, and a
    // DOCTYPE stops the import below, so no entity is ever expanded.
    let flags =
      Int32(XML_PARSE_NONET.rawValue) | Int32(XML_PARSE_NOCDATA.rawValue)
      | Int32(XML_PARSE_COMPACT.rawValue)
    guard let reader = xmlReaderForIO(readCallback, nil, opaque, name, nil, flags) else {
      throw .readFailed(path: name, byteOffset: 0, reason: "libxml2 could not start a reader")
    }
    defer { xmlFreeTextReader(reader) }
    let errorHandler: xmlStructuredErrorFunc = { ctx, error in
      guard let ctx, let error else { return }
      let box = Unmanaged<XMLReadContext>.fromOpaque(ctx).takeUnretainedValue()
      guard error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
      if box.firstError == nil {
        var message = error.pointee.message.map { String(cString: $0) } ?? "malformed XML"
        while message.last?.isWhitespace == true { message.removeLast() }
        box.firstError = (Int(error.pointee.line), Int(error.pointee.int2), message)
        box.depthLimit = xmlDepthLimit(in: message)
      }
      let domain = error.pointee.domain
      if domain == Int32(XML_FROM_PARSER.rawValue) || domain == Int32(XML_FROM_NAMESPACE.rawValue),
        let parser = error.pointee.ctxt?.assumingMemoryBound(to: xmlParserCtxt.self)
      {
        var open = Set<UnsafeMutableRawPointer>()
        var node = parser.pointee.node
        while let element = node {
          open.insert(UnsafeMutableRawPointer(element))
          node = element.pointee.parent
        }
        box.openAtError = open
      }
    }
    xmlTextReaderSetStructuredErrorHandler(reader, errorHandler, opaque)

    let names = ImportFieldNames(
      input: "element \(options.input ?? "")", output: "element \(options.output ?? "")",
      system: options.system.map { "element \($0)" }, id: options.id.map { "element \($0)" })
    var converter = RowConverter(target: options.to, lossy: options.lossy, names: names)
    var fields = XMLFields()
    defer { fields.free() }
    var stack: [XMLRecordPath.Step] = []
    var status = xmlTextReaderRead(reader)
    var stopped = false
    var expandFailed = false
    /// Converts one complete record element and marks it (in the node's application-data
    /// field) so the recovery walk after a parse error does not convert it twice.
    func emit(_ node: xmlNodePtr) throws(TunePrepError) {
      if !fields.compiled {
        try fields.compile(options, document: xmlTextReaderCurrentDoc(reader), file: name)
      }
      totals.read += 1
      var row = ImportRow(location: Location(file: name, line: Int(xmlGetLineNo(node))))
      row.input = fields.value(fields.input, at: node)
      row.output = fields.value(fields.output, at: node)
      row.system = fields.value(fields.system, at: node)
      row.id = fields.value(fields.id, at: node)
      for (metaName, expression) in fields.meta {
        row.meta.append((metaName, fields.value(expression, at: node)))
      }
      if let rejection = converter.convert(row) {
        // libxml2's reader does not keep the source text, so the rejects file keeps the element
        // as libxml2 serializes it (the same elements, attributes and text).
        serialized(node).withUnsafeBufferPointer {
          converter.appendReject(rejection, raw: $0, isJSON: false)
        }
      }
      node.pointee._private = opaque
    }
    while status == 1 {
      let type = xmlTextReaderNodeType(reader)
      if type == Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue) {
        converter.report(
          Finding(
            .importXMLDTD,
            at: Location(
              file: name,
              line: context.doctypeLine ?? Int(xmlTextReaderGetParserLineNumber(reader))),
            message:
              "the file declares a DOCTYPE: tuneprep does not load DTDs or expand entities (a guard against entity-expansion attacks); remove the DOCTYPE and use plain text or character references"
          ))
        stopped = true
        break
      }
      guard type == Int32(XML_READER_TYPE_ELEMENT.rawValue) else {
        status = xmlTextReaderRead(reader)
        continue
      }
      let depth = Int(xmlTextReaderDepth(reader))
      if stack.count > depth { stack.removeLast(stack.count - depth) }
      let local = xmlTextReaderConstLocalName(reader).map { String(cString: $0) } ?? ""
      let uri = xmlTextReaderConstNamespaceUri(reader).map { String(cString: $0) }
      stack.append(XMLRecordPath.Step(uri: uri, local: local))
      guard recordPath.matches(stack) else {
        status = xmlTextReaderRead(reader)
        continue
      }
      guard let node = xmlTextReaderExpand(reader) else {
        expandFailed = true
        break
      }
      try emit(node)
      // XPath semantics: a record element inside a record is a record too, after it in
      // document order. Only a `//` path can match at two depths.
      if recordPath.anywhere {
        try forEachNestedRecord(in: node, ancestors: stack, matching: recordPath) {
          (nested) throws(TunePrepError) in try emit(nested)
        }
      }
      if converter.out.count > 1 << 20 {
        converter.drain(output: output, rejectsOutput: rejects, reporter: reporter)
        totals.take(&converter)
      }
      stack.removeLast()
      status = xmlTextReaderNext(reader)
    }
    if let readError = context.readError { throw readError }
    if !stopped && !context.sawContent {
      // libxml2 calls an empty file "Extra content at the end of the document".
      converter.report(
        Finding(
          .countEmptyFile, at: Location(file: name, line: 0),
          message: "the file holds no XML: check the path, or whether the export wrote anything"))
    } else if !stopped && (status == -1 || expandFailed || context.firstError != nil) {
      let (line, column, message) =
        context.firstError ?? (Int(xmlTextReaderGetParserLineNumber(reader)), 0, "malformed XML")
      let at = "line \(line)\(column > 0 ? ", column \(column)" : "")"
      // libxml2's own text for its depth limit names a parser flag (XML_PARSE_HUGE) that no
      // tuneprep option sets: say what the limit is and what to change instead.
      let problem: String
      let fix: String
      if let limit = context.depthLimit {
        problem =
          "the elements nest deeper than \(limit) levels at \(at), the XML reader's fixed limit"
        fix =
          "flatten the nesting in the export and import again (nesting this deep is usually a bug in the program that wrote the file)"
      } else {
        problem = "malformed XML at \(at): \(message)"
        fix = "fix the XML and import again"
      }
      // libxml2's reader parses ahead of the node it hands out, so when it stops, complete
      // records it had already built are still in the tree: convert them, and reject the
      // record the error is in, so every record before the error is accounted for.
      var brokenLines: [Int] = []
      var restLine: Int?
      let stoppedEarly = status == -1 || expandFailed
      if stoppedEarly {
        try walkRemainingTree(
          xmlTextReaderCurrentDoc(reader), matching: recordPath,
          open: context.openAtError, emitted: opaque
        ) { (node, isOpen) throws(TunePrepError) in
          guard isOpen else { return try emit(node) }
          let recordLine = Int(xmlGetLineNo(node))
          brokenLines.append(recordLine)
          totals.read += 1
          // What libxml2 built of the record before the error, serialized.
          serialized(node).withUnsafeBufferPointer {
            converter.rejectRaw(
              Location(file: name, line: recordLine), .importXML,
              "\(problem); the record starting at line \(recordLine) is incomplete (the rejects file keeps what was read of it): \(fix)",
              raw: $0, reportFinding: false)
          }
        }
        // The text after the error was never read as records: it is rejected as one unit, as
        // the rest of a broken .json array is, so the records in it are not silently lost.
        var rest = try context.rest(fromLine: line, column: column)
        while let last = rest.bytes.last,
          last == 0x20 || last == 0x0A || last == 0x0D || last == 0x09
        {
          rest.bytes.removeLast()
        }
        // Closing tags and whitespace after the error hold no record: no unit for them.
        if recordPath.mayStart(in: rest.bytes) {
          restLine = rest.line
          totals.read += 1
          let kept =
            rest.complete
            ? "" : " (the rejects file keeps its first \(XMLReadContext.restLimit >> 20) MiB)"
          rest.bytes.withUnsafeBufferPointer {
            converter.rejectRaw(
              Location(file: name, line: rest.line), .importXML,
              "\(problem); the rest of the file from line \(rest.line) was not read as records and is rejected as one unit\(kept): \(fix)",
              raw: $0, reportFinding: false)
          }
        }
      }
      let complete = totals.read - brokenLines.count - (restLine == nil ? 0 : 1)
      var broken = ""
      if !brokenLines.isEmpty {
        let lines = brokenLines.map(String.init).joined(separator: ", ")
        broken =
          brokenLines.count == 1
          ? ", the record it breaks (line \(lines)) was rejected"
          : ", the records it breaks (lines \(lines)) were rejected"
      }
      // An error libxml2 recovers from (an undeclared prefix) does not stop the reader.
      let outcome =
        !stoppedEarly
        ? "the file was still read to its end (\(complete) record\(complete == 1 ? "" : "s"))"
        : "the \(complete) record\(complete == 1 ? "" : "s") before it \(complete == 1 ? "was" : "were") read\(broken), "
          + (restLine.map {
            "the rest of the file (from line \($0)) was not read as records and was rejected as one unit"
          }
            ?? "the rest of the file was not read (it holds no <\(recordPath.steps.last?.local ?? "*")> start tag, so no record was lost)")
      converter.report(
        Finding(
          .importXML, at: Location(file: name, line: line, column: column > 0 ? column : nil),
          message: "\(problem); \(outcome): \(fix)"
        ))
    } else if !stopped && totals.read == 0 {
      converter.report(
        Finding(
          .importNoRecords, at: Location(file: name, line: 0),
          message:
            "no element matches --record '\(options.record ?? "")': check the element name and namespace (--namespace p=URI, then p:name)"
        ))
    }
    converter.drain(output: output, rejectsOutput: rejects, reporter: reporter)
    totals.take(&converter)
  }
}

extension XMLReadContext {
  /// Scans the prolog for a `<!DOCTYPE` and notes its line, until the root element starts.
  ///
  /// Zero bytes are skipped, so the ASCII markup of UTF-16 text is seen as well.
  fileprivate func notePrologue(_ bytes: UnsafeBufferPointer<UInt8>) {
    func ends(with text: StaticString) -> Bool {
      let n = text.utf8CodeUnitCount
      guard prologTail.count >= n else { return false }
      let t = UnsafeBufferPointer(start: text.utf8Start, count: n)
      return prologTail[(prologTail.count - n)...].elementsEqual(t)
    }
    for b in bytes where b != 0 {
      if b == 0x0A { prologLine += 1 }
      let previous = prologTail.last
      prologTail.append(b)
      if prologTail.count > 16 { prologTail.removeFirst(prologTail.count - 16) }
      if inComment {
        if ends(with: "-->") { inComment = false }
        continue
      }
      if ends(with: "<!--") {
        inComment = true
      } else if ends(with: "<!DOCTYPE") {
        doctypeLine = prologLine
        prologDone = true
        return
      } else if previous == UInt8(ascii: "<"),
        b >= 0x80 || b == UInt8(ascii: "_") || b == UInt8(ascii: ":")
          || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z"))
      {
        prologDone = true
        return
      }
    }
  }

  /// Records whether `bytes`, the next bytes of the file, hold more than whitespace (and the
  /// byte order mark at the start of the file).
  fileprivate func noteContent(_ bytes: UnsafeBufferPointer<UInt8>) {
    let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    for (i, byte) in bytes.enumerated() {
      let offset = bytesRead + i
      if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { continue }
      if offset < 3 && byte == bom[offset] { continue }
      sawContent = true
      return
    }
    bytesRead += bytes.count
  }
}

/// The nesting limit in libxml2's error message for it, or nil for any other message.
///
/// libxml2 2.9 writes "Excessive depth in document: 256 use XML_PARSE_HUGE option"; later
/// versions drop the advice. The number is libxml2's limit (256 without XML_PARSE_HUGE).
/// - Parameter message: the text of libxml2's first error.
/// - Returns: the limit the message states.
private func xmlDepthLimit(in message: String) -> Int? {
  let prefix = "Excessive depth in document: "
  guard message.hasPrefix(prefix) else { return nil }
  return Int(message.dropFirst(prefix.count).prefix(while: \.isNumber))
}

/// The compiled field XPaths of an XML import and the context they run in.
private struct XMLFields {
  var compiled = false
  var context: xmlXPathContextPtr?
  var input: xmlXPathCompExprPtr?
  var output: xmlXPathCompExprPtr?
  var system: xmlXPathCompExprPtr?
  var id: xmlXPathCompExprPtr?
  var meta: [(String, xmlXPathCompExprPtr?)] = []

  mutating func compile(_ options: Importer.Options, document: xmlDocPtr?, file: String)
    throws(TunePrepError)
  {
    compiled = true
    context = xmlXPathNewContext(document)
    for ns in options.namespaces {
      _ = xmlXPathRegisterNs(context, ns.prefix, ns.uri)
    }
    func compile(_ expression: String?) throws(TunePrepError) -> xmlXPathCompExprPtr? {
      guard let expression else { return nil }
      guard let compiled = xmlXPathCtxtCompile(context, expression) else {
        throw .badConfig(
          path: file, line: nil,
          reason:
            "'\(expression)' is not an XPath expression libxml2 accepts (e.g. ./answer, @id, p:body/text())"
        )
      }
      return compiled
    }
    input = try compile(options.input)
    output = try compile(options.output)
    system = try compile(options.system)
    id = try compile(options.id)
    for text in options.meta {
      // `NAME=XPATH`, or the last step's name of a plain path; ``Importer/Options/mappingProblem()``
      // has refused an expression without either, so the fallback is never written.
      let m = ImportMeta(text)
      meta.append((m.name ?? xmlMetaKey(m.spec) ?? m.spec, try compile(m.spec)))
    }
  }

  /// The trimmed string value of `expression` at `node`, or nil when it selects nothing.
  func value(_ expression: xmlXPathCompExprPtr?, at node: xmlNodePtr) -> [UInt8]? {
    guard let expression, let context else { return nil }
    context.pointee.node = node
    guard let result = xmlXPathCompiledEval(expression, context) else { return nil }
    defer { xmlXPathFreeObject(result) }
    if result.pointee.type == XPATH_NODESET {
      guard let set = result.pointee.nodesetval, set.pointee.nodeNr > 0 else { return nil }
    }
    guard let text = xmlXPathCastToString(result) else { return nil }
    defer { tuneprep_xml_free(text) }
    var bytes = Array(UnsafeBufferPointer(start: text, count: Int(xmlStrlen(text))))
    // XML indentation around a value is layout, not content.
    while let last = bytes.last, last == 0x20 || last == 0x0A || last == 0x09 || last == 0x0D {
      bytes.removeLast()
    }
    let lead = bytes.prefix { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }.count
    if lead > 0 { bytes.removeFirst(lead) }
    return bytes
  }

  func free() {
    for e in [input, output, system, id] + meta.map(\.1) { if let e { xmlXPathFreeCompExpr(e) } }
    if let context { xmlXPathFreeContext(context) }
  }
}

/// Visits, in document order, each element matching `path` (nested ones included) that is
/// still in the (partial) tree of a reader stopped by a parse error and was not converted yet.
///
/// - Parameters:
///   - document: the reader's document.
///   - path: the record selector.
///   - open: the elements open when parsing stopped; nil when unknown, then the last element
///     of the tree and its ancestors count as open.
///   - emitted: the mark ``Importer`` leaves in a converted element's `_private` field.
///   - visit: called with each element and whether it is incomplete (open).
/// - Throws: what `visit` throws.
private func walkRemainingTree(
  _ document: xmlDocPtr?, matching path: XMLRecordPath, open: Set<UnsafeMutableRawPointer>?,
  emitted: UnsafeMutableRawPointer,
  _ visit: (xmlNodePtr, Bool) throws(TunePrepError) -> Void
) throws(TunePrepError) {
  guard let document else { return }
  let top = UnsafeMutableRawPointer(document)
  var incomplete = open ?? []
  if open == nil {
    var last = document.pointee.last
    while let node = last {
      if node.pointee.type == XML_ELEMENT_NODE { incomplete.insert(UnsafeMutableRawPointer(node)) }
      last = node.pointee.last
    }
  }
  var steps: [XMLRecordPath.Step] = []
  var next = document.pointee.children
  while let node = next {
    let isElement = node.pointee.type == XML_ELEMENT_NODE
    if isElement {
      steps.append(
        XMLRecordPath.Step(
          uri: node.pointee.ns?.pointee.href.map { String(cString: $0) },
          local: node.pointee.name.map { String(cString: $0) } ?? ""))
      if path.matches(steps) && node.pointee._private != emitted {
        try visit(node, incomplete.contains(UnsafeMutableRawPointer(node)))
      }
      // Records nest (XPath semantics), so the walk goes into records as well.
      if let child = node.pointee.children {
        next = child
        continue
      }
    }
    // Leave this node (and the elements it closes) for the next one in document order.
    var current = node
    if isElement { steps.removeLast() }
    while current.pointee.next == nil {
      guard let parent = current.pointee.parent, UnsafeMutableRawPointer(parent) != top else {
        return
      }
      current = parent
      steps.removeLast()
    }
    next = current.pointee.next
  }
}

/// Visits, in document order, each element inside `record` that matches `path` too.
///
/// - Parameters:
///   - record: a record element, expanded.
///   - ancestors: the steps of `record` and its ancestors, root first.
///   - path: the record selector.
///   - visit: called with each nested record.
/// - Throws: what `visit` throws.
/// - Complexity: one name comparison per element inside `record`; the steps of an element are
///   built only when its name matches the selector's last step.
private func forEachNestedRecord(
  in record: xmlNodePtr, ancestors: [XMLRecordPath.Step], matching path: XMLRecordPath,
  _ visit: (xmlNodePtr) throws(TunePrepError) -> Void
) throws(TunePrepError) {
  var next = record.pointee.children
  while let node = next {
    if node.pointee.type == XML_ELEMENT_NODE {
      if path.mayMatch(node.pointee.name) {
        var inside: [XMLRecordPath.Step] = []
        var current: xmlNodePtr? = node
        while let element = current, element != record {
          inside.append(
            XMLRecordPath.Step(
              uri: element.pointee.ns?.pointee.href.map { String(cString: $0) },
              local: element.pointee.name.map { String(cString: $0) } ?? ""))
          current = element.pointee.parent
        }
        if path.matches(ancestors + inside.reversed()) { try visit(node) }
      }
      if let child = node.pointee.children {
        next = child
        continue
      }
    }
    var current = node
    while current.pointee.next == nil {
      guard let parent = current.pointee.parent, parent != record else { return }
      current = parent
    }
    next = current.pointee.next
  }
}

/// The element as libxml2 serializes it (never empty: at least `<name/>`).
private func serialized(_ node: xmlNodePtr) -> [UInt8] {
  guard let buffer = xmlBufferCreate() else { return [] }
  defer { xmlBufferFree(buffer) }
  _ = xmlNodeDump(buffer, node.pointee.doc, node, 0, 0)
  guard let content = xmlBufferContent(buffer) else { return [] }
  return Array(UnsafeBufferPointer(start: content, count: Int(xmlBufferLength(buffer))))
}

extension XMLReadContext {
  /// The most of the rest of a file kept for its rejects line.
  static let restLimit = 1 << 24

  /// The text of the file from `line` and `column` (where a parse error stopped libxml2) to
  /// its end, read again with ``again``.
  /// - Returns: the bytes, the line they start on, and whether they are all of the rest (false
  ///   when cut at ``restLimit``).
  /// - Throws: ``TunePrepError`` when reading fails.
  fileprivate func rest(fromLine line: Int, column: Int) throws(TunePrepError)
    -> (bytes: [UInt8], line: Int, complete: Bool)
  {
    // Read up to the chunk that holds the error's line, keeping the chunk before it too (a
    // broken start tag may begin on an earlier line), then the rest, up to the limit.
    let size = 1 << 16
    var window: [UInt8] = []
    var previous: [UInt8] = []
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { buffer.deallocate() }
    var windowLine = 1
    var chunkLine = 1
    var complete = true
    var reached = false
    while true {
      let n = try again.read(into: buffer, count: size)
      if n == 0 { break }
      let chunk = UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: UInt8.self), count: n)
      if reached {
        window.append(contentsOf: chunk)
        if window.count > Self.restLimit + 3 * size {
          complete = false
          break
        }
        continue
      }
      let newlines = countNewlines(chunk)
      if chunkLine + newlines >= line {
        // The error's line starts in this chunk.
        reached = true
        window = previous
        window.append(contentsOf: chunk)
        windowLine = chunkLine - previous.withUnsafeBufferPointer { countNewlines($0) }
        previous = []
      } else {
        previous = Array(chunk)
        chunkLine += newlines
      }
    }
    var start = 0
    var startLine = windowLine
    if line >= windowLine {
      // Skip to the error's line, then to its column (libxml2 counts characters).
      var k = 0
      while k < window.count && startLine < line {
        if window[k] == 0x0A { startLine += 1 }
        k += 1
      }
      start = k
      var characters = 1
      while start < window.count && characters < column && window[start] != 0x0A {
        start += 1
        while start < window.count && window[start] & 0xC0 == 0x80 { start += 1 }
        characters += 1
      }
      // An error inside a tag (a repeated attribute, one without a value) is reported after
      // the tag's start: the rest begins at its '<', so that a record whose own start tag is
      // broken is in the rest, whole, and counted.
      var open = start - 1
      while open >= 0 && window[open] != UInt8(ascii: "<") && window[open] != UInt8(ascii: ">") {
        open -= 1
      }
      if open >= 0 && window[open] == UInt8(ascii: "<") {
        for byte in window[open..<start] where byte == 0x0A { startLine -= 1 }
        start = open
      }
    }
    // White space after the error is layout: the rest starts at the next text.
    while start < window.count
      && (window[start] == 0x20 || window[start] == 0x0A || window[start] == 0x0D
        || window[start] == 0x09)
    {
      if window[start] == 0x0A { startLine += 1 }
      start += 1
    }
    var bytes = Array(window[min(start, window.count)...])
    if bytes.count > Self.restLimit {
      bytes.removeLast(bytes.count - Self.restLimit)
      complete = false
    }
    return (bytes, startLine, complete)
  }
}
