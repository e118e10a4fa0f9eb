/// A URI reference split into its RFC 3986 components, with reference resolution (section 5.2).
///
/// Schemas identify resources by URI (`$id`, `$ref`); this type resolves a reference against a base
/// the way RFC 3986 specifies, including `remove_dot_segments`, without touching the network.
struct URIReference: Equatable, Sendable, CustomStringConvertible {
  /// The scheme without `:`, such as `https`; nil for a relative reference.
  var scheme: String?
  /// The authority without `//`, such as `example.com:8080`; nil when absent (empty is different).
  var authority: String?
  /// The path, possibly empty.
  var path: String
  /// The query without `?`; nil when absent.
  var query: String?
  /// The fragment without `#`; nil when absent.
  var fragment: String?

  /// Splits `text` with the regular expression of RFC 3986 appendix B.
  init(_ text: String) {
    var rest = Substring(text)
    if let hash = rest.firstIndex(of: "#") {
      fragment = String(rest[rest.index(after: hash)...])
      rest = rest[..<hash]
    }
    if let question = rest.firstIndex(of: "?") {
      query = String(rest[rest.index(after: question)...])
      rest = rest[..<question]
    }
    if let colon = rest.firstIndex(of: ":"),
      let first = rest.first, first.isASCII, first.isLetter,
      rest[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
      )
    {
      scheme = String(rest[..<colon])
      rest = rest[rest.index(after: colon)...]
    }
    if rest.hasPrefix("//") {
      rest = rest.dropFirst(2)
      let slash = rest.firstIndex(of: "/") ?? rest.endIndex
      authority = String(rest[..<slash])
      rest = rest[slash...]
    }
    path = String(rest)
  }

  init(scheme: String?, authority: String?, path: String, query: String?, fragment: String?) {
    self.scheme = scheme
    self.authority = authority
    self.path = path
    self.query = query
    self.fragment = fragment
  }

  /// Recomposes the reference (RFC 3986 section 5.3).
  var description: String {
    var out = ""
    if let scheme { out += scheme + ":" }
    if let authority { out += "//" + authority }
    out += path
    if let query { out += "?" + query }
    if let fragment { out += "#" + fragment }
    return out
  }

  /// This reference without its fragment.
  var withoutFragment: URIReference {
    var copy = self
    copy.fragment = nil
    return copy
  }

  /// Resolves `self` against an absolute `base` (RFC 3986 section 5.2.2, strict).
  func resolved(against base: URIReference) -> URIReference {
    var target = URIReference(scheme: nil, authority: nil, path: "", query: nil, fragment: fragment)
    if let scheme {
      target.scheme = scheme
      target.authority = authority
      target.path = Self.removeDotSegments(path)
      target.query = query
      return target
    }
    target.scheme = base.scheme
    if authority != nil {
      target.authority = authority
      target.path = Self.removeDotSegments(path)
      target.query = query
      return target
    }
    target.authority = base.authority
    if path.isEmpty {
      target.path = base.path
      target.query = query ?? base.query
    } else {
      if path.hasPrefix("/") {
        target.path = Self.removeDotSegments(path)
      } else {
        target.path = Self.removeDotSegments(merge(base))
      }
      target.query = query
    }
    return target
  }

  /// Merges a relative path with the base path (RFC 3986 section 5.2.3).
  private func merge(_ base: URIReference) -> String {
    if base.authority != nil && base.path.isEmpty {
      return "/" + path
    }
    if let slash = base.path.lastIndex(of: "/") {
      return String(base.path[...slash]) + path
    }
    return path
  }

  /// Removes `.` and `..` segments (RFC 3986 section 5.2.4).
  static func removeDotSegments(_ path: String) -> String {
    var input = Substring(path)
    var output: [Substring] = []
    // Output is kept as segments that each start with "/" (except possibly the first).
    while !input.isEmpty {
      if input.hasPrefix("../") {
        input = input.dropFirst(3)
      } else if input.hasPrefix("./") {
        input = input.dropFirst(2)
      } else if input.hasPrefix("/./") {
        input = input.dropFirst(2)
      } else if input == "/." {
        input = "/"
      } else if input.hasPrefix("/../") {
        input = input.dropFirst(3)
        if !output.isEmpty { output.removeLast() }
      } else if input == "/.." {
        input = "/"
        if !output.isEmpty { output.removeLast() }
      } else if input == "." || input == ".." {
        input = ""
      } else {
        let searchStart =
          input.hasPrefix("/") ? input.index(after: input.startIndex) : input.startIndex
        let end = input[searchStart...].firstIndex(of: "/") ?? input.endIndex
        output.append(input[..<end])
        input = input[end...]
      }
    }
    return output.joined()
  }
}

/// Resolves the reference text `reference` against the absolute URI text `base`.
func resolveURI(_ reference: String, against base: String) -> String {
  URIReference(reference).resolved(against: URIReference(base)).description
}

/// Decodes `%XX` escapes in a URI fragment (used before reading it as a JSON pointer).
func percentDecoded(_ text: String) -> String {
  guard text.contains("%") else { return text }
  var out: [UInt8] = []
  let bytes = Array(text.utf8)
  var i = 0
  while i < bytes.count {
    if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
      let hi = hexDigitValue(bytes[i + 1]), let lo = hexDigitValue(bytes[i + 2])
    {
      out.append(hi << 4 | lo)
      i += 3
    } else {
      out.append(bytes[i])
      i += 1
    }
  }
  return String(decoding: out, as: UTF8.self)
}
