extension JSONDocument {
  /// Appends value `i` as compact JSON: no whitespace, members in source order, strings
  /// re-escaped minimally (only `"`, `\` and control characters; other text stays UTF-8).
  ///
  /// This is the text Python's `json.dumps(value, ensure_ascii=False, separators=(",", ":"))`
  /// writes, which is how the reference counter measures `tools` and `tool_calls`. Numbers are
  /// written as they appear in the source (Python would reformat `1e2` as `100.0`).
  /// - Parameters:
  ///   - i: the node.
  ///   - out: the buffer to append to.
  public func appendCompactJSON(_ i: Int, to out: inout [UInt8]) {
    switch kind(i) {
    case .null: out.append(contentsOf: "null".utf8)
    case .true: out.append(contentsOf: "true".utf8)
    case .false: out.append(contentsOf: "false".utf8)
    case .number: out.append(contentsOf: bytes[rawRange(i)])
    case .string: appendCompactString(i, to: &out)
    case .array:
      out.append(UInt8(ascii: "["))
      var first = true
      for element in elements(i) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        appendCompactJSON(element, to: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object:
      out.append(UInt8(ascii: "{"))
      var first = true
      for (key, value) in members(i) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        appendCompactString(key, to: &out)
        out.append(UInt8(ascii: ":"))
        appendCompactJSON(value, to: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  private func appendCompactString(_ i: Int, to out: inout [UInt8]) {
    if !hasEscapes(i) {
      // Unescaped source text is already minimal: no quote, backslash or control byte.
      out.append(UInt8(ascii: "\""))
      out.append(contentsOf: bytes[rawRange(i)])
      out.append(UInt8(ascii: "\""))
      return
    }
    var decoded: [UInt8] = []
    appendString(i, to: &decoded)
    appendJSONStringLiteral(decoded, to: &out)
  }
}
