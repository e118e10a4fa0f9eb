/// The `format` values the validator can assert (with strict formats on), and their checks.
enum SchemaFormat: String, Sendable, CaseIterable {
  case dateTime = "date-time"
  case date
  case time
  case duration
  case email
  case idnEmail = "idn-email"
  case hostname
  case idnHostname = "idn-hostname"
  case ipv4
  case ipv6
  case uri
  case uriReference = "uri-reference"
  case iri
  case iriReference = "iri-reference"
  case uuid
  case regex
  case jsonPointer = "json-pointer"
  case relativeJSONPointer = "relative-json-pointer"
  case uriTemplate = "uri-template"

  /// Whether `text` is valid for this format.
  func isValid(_ text: String) -> Bool {
    let s = Array(text.unicodeScalars)
    switch self {
    case .dateTime: return FormatCheck.dateTime(s)
    case .date: return FormatCheck.date(s[...])
    case .time: return FormatCheck.time(s[...])
    case .duration: return FormatCheck.duration(s)
    case .email: return FormatCheck.email(s, international: false)
    case .idnEmail: return FormatCheck.email(s, international: true)
    case .hostname: return FormatCheck.hostname(s, international: false)
    case .idnHostname: return FormatCheck.hostname(s, international: true)
    case .ipv4: return FormatCheck.ipv4(s[...])
    case .ipv6: return FormatCheck.ipv6(s[...])
    case .uri: return FormatCheck.uri(s, requireScheme: true, international: false)
    case .uriReference: return FormatCheck.uri(s, requireScheme: false, international: false)
    case .iri: return FormatCheck.uri(s, requireScheme: true, international: true)
    case .iriReference: return FormatCheck.uri(s, requireScheme: false, international: true)
    case .uuid: return FormatCheck.uuid(s)
    case .regex: return (try? ECMARegex(text)) != nil
    case .jsonPointer: return FormatCheck.jsonPointer(s[...])
    case .relativeJSONPointer: return FormatCheck.relativeJSONPointer(s)
    case .uriTemplate: return FormatCheck.uriTemplate(s)
    }
  }
}

/// The format checks, over Unicode scalars.
enum FormatCheck {
  typealias Scalars = ArraySlice<Unicode.Scalar>

  static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
  static func isAlpha(_ c: Unicode.Scalar) -> Bool {
    (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A)
  }
  static func isHex(_ c: Unicode.Scalar) -> Bool {
    c.isASCII && hexDigitValue(UInt8(c.value)) != nil
  }

  static func number(_ s: Scalars) -> Int? {
    guard !s.isEmpty, s.allSatisfy(isDigit) else { return nil }
    var v = 0
    for c in s { v = v * 10 + Int(c.value - 0x30) }
    return v
  }

  /// RFC 3339 full-date.
  static func date(_ s: Scalars) -> Bool {
    guard s.count == 10, s[s.startIndex + 4] == "-", s[s.startIndex + 7] == "-",
      let year = number(s.prefix(4)), let month = number(s.dropFirst(5).prefix(2)),
      let day = number(s.dropFirst(8))
    else { return false }
    guard (1...12).contains(month), day >= 1 else { return false }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return day <= days[month - 1]
  }

  /// RFC 3339 full-time, with the leap-second rule (23:59:60 in UTC only).
  static func time(_ s: Scalars) -> Bool {
    let a = Array(s)
    guard a.count >= 9, a[2] == ":", a[5] == ":",
      let hour = number(a[0..<2]), let minute = number(a[3..<5]), let second = number(a[6..<8])
    else { return false }
    var i = 8
    if a[i] == "." {
      i += 1
      let start = i
      while i < a.count && isDigit(a[i]) { i += 1 }
      guard i > start else { return false }
    }
    guard i < a.count else { return false }
    var offsetMinutes = 0
    if a[i] == "Z" || a[i] == "z" {
      guard i + 1 == a.count else { return false }
    } else {
      guard a[i] == "+" || a[i] == "-", a.count - i == 6, a[i + 3] == ":",
        let oh = number(a[(i + 1)..<(i + 3)]), let om = number(a[(i + 4)..<(i + 6)]), oh <= 23,
        om <= 59
      else { return false }
      offsetMinutes = (oh * 60 + om) * (a[i] == "+" ? 1 : -1)
    }
    guard hour <= 23, minute <= 59, second <= 60 else { return false }
    if second == 60 {
      var utc = (hour * 60 + minute - offsetMinutes) % 1440
      if utc < 0 { utc += 1440 }
      return utc == 23 * 60 + 59
    }
    return true
  }

  static func dateTime(_ s: [Unicode.Scalar]) -> Bool {
    guard s.count > 11, s[10] == "T" || s[10] == "t" else { return false }
    return date(s[0..<10]) && time(s[11...])
  }

  /// ISO 8601 duration as RFC 3339 appendix A restricts it.
  static func duration(_ s: [Unicode.Scalar]) -> Bool {
    guard s.first == "P", s.count > 1 else { return false }
    var i = 1
    var inTime = false
    var sawAny = false
    var sawTimeUnit = false
    var order = "YMD"
    var lastUnitIndex = -1
    var weeks = false
    while i < s.count {
      if s[i] == "T" {
        guard !inTime else { return false }
        inTime = true
        order = "HMS"
        lastUnitIndex = -1
        i += 1
        continue
      }
      let start = i
      while i < s.count && isDigit(s[i]) { i += 1 }
      guard i > start, i < s.count else { return false }
      let unit = Character(s[i])
      i += 1
      if !inTime && unit == "W" {
        guard !sawAny, i == s.count else { return false }
        weeks = true
        sawAny = true
        continue
      }
      guard
        let index = order.firstIndex(of: unit).map({
          order.distance(from: order.startIndex, to: $0)
        }),
        lastUnitIndex == -1 || index == lastUnitIndex + 1
      else { return false }
      lastUnitIndex = index
      sawAny = true
      if inTime { sawTimeUnit = true }
    }
    if inTime && !sawTimeUnit { return false }
    return sawAny || weeks
  }

  static func email(_ s: [Unicode.Scalar], international: Bool) -> Bool {
    guard let at = s.lastIndex(of: "@"), at > 0, at < s.count - 1 else { return false }
    let local = s[..<at]
    let domain = Array(s[(at + 1)...])
    if local.first == "\"" {
      guard local.count >= 2, local.last == "\"" else { return false }
    } else {
      guard local.first != ".", local.last != "." else { return false }
      var previousDot = false
      for c in local {
        if c == "." {
          if previousDot { return false }
          previousDot = true
          continue
        }
        previousDot = false
        if c.isASCII {
          guard isAlpha(c) || isDigit(c) || "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(c) else {
            return false
          }
        } else if !international {
          return false
        }
      }
    }
    if domain.first == "[" && domain.last == "]" {
      let inner = domain[1..<(domain.count - 1)]
      if inner.starts(with: "IPv6:".unicodeScalars) { return ipv6(inner.dropFirst(5)) }
      return ipv4(inner)
    }
    return hostname(domain, international: international)
  }

  static func hostname(_ s: [Unicode.Scalar], international: Bool) -> Bool {
    guard !s.isEmpty else { return false }
    let text = s
    guard text.count <= 253 else { return false }
    for label in text.split(separator: ".", omittingEmptySubsequences: false) {
      guard !label.isEmpty, label.count <= 63, label.first != "-", label.last != "-" else {
        return false
      }
      if label.count >= 4 && label[label.startIndex + 2] == "-"
        && label[label.startIndex + 3] == "-"
        && !(label.prefix(2).map { Character($0).lowercased() }.joined() == "xn")
      {
        return false
      }
      for c in label {
        if c.isASCII {
          guard isAlpha(c) || isDigit(c) || c == "-" else { return false }
        } else {
          guard international else { return false }
          let category = c.properties.generalCategory
          if category == .spaceSeparator || category == .control
            || category == .otherPunctuation
              && c.value != 0x30FB && c.value != 0xB7
          {
            return false
          }
        }
      }
    }
    return true
  }

  static func ipv4(_ s: Scalars) -> Bool {
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return false }
    for part in parts {
      guard let v = number(part), part.count <= 3, v <= 255 else { return false }
      if part.count > 1 && part.first == "0" { return false }
    }
    return true
  }

  static func ipv6(_ s: Scalars) -> Bool {
    guard !s.isEmpty, s.count <= 45 else { return false }
    var body = s
    var groupsAvailable = 8
    if let lastColon = s.lastIndex(of: ":"), s[(lastColon + 1)...].contains(".") {
      guard ipv4(s[(lastColon + 1)...]) else { return false }
      body = s[..<(lastColon + 1)]
      if body.last == ":" && !(body.count >= 2 && body[body.endIndex - 2] == ":") {
        body = body.dropLast()
      }
      groupsAvailable = 6
    }
    let text = Array(body)
    let doubleColons = zip(text, text.dropFirst()).filter { $0 == ":" && $1 == ":" }.count
    guard doubleColons <= 1 else { return false }
    let pieces = body.split(separator: ":", omittingEmptySubsequences: false)
    var groups = 0
    for (index, piece) in pieces.enumerated() {
      if piece.isEmpty {
        let atEdge = index == 0 || index == pieces.count - 1
        if atEdge && doubleColons == 0 { return false }
        continue
      }
      guard piece.count <= 4, piece.allSatisfy(isHex) else { return false }
      groups += 1
    }
    if text.first == ":" && !(text.count > 1 && text[1] == ":") { return false }
    if text.last == ":" && !(text.count > 1 && text[text.count - 2] == ":") && groupsAvailable == 8
    {
      return false
    }
    return doubleColons == 1 ? groups < groupsAvailable : groups == groupsAvailable
  }

  static func uuid(_ s: [Unicode.Scalar]) -> Bool {
    guard s.count == 36 else { return false }
    for (i, c) in s.enumerated() {
      if [8, 13, 18, 23].contains(i) {
        guard c == "-" else { return false }
      } else if !isHex(c) {
        return false
      }
    }
    return true
  }

  static func jsonPointer(_ s: Scalars) -> Bool {
    if s.isEmpty { return true }
    guard s.first == "/" else { return false }
    var i = s.startIndex
    while i < s.endIndex {
      if s[i] == "~" {
        guard i + 1 < s.endIndex, s[i + 1] == "0" || s[i + 1] == "1" else { return false }
        i += 1
      }
      i += 1
    }
    return true
  }

  static func relativeJSONPointer(_ s: [Unicode.Scalar]) -> Bool {
    var i = 0
    while i < s.count && isDigit(s[i]) { i += 1 }
    guard i > 0, !(i > 1 && s[0] == "0") else { return false }
    if i < s.count && s[i] == "#" { return i + 1 == s.count }
    return jsonPointer(s[i...])
  }

  /// RFC 3986 URI / URI-reference (RFC 3987 IRI when `international`).
  static func uri(_ s: [Unicode.Scalar], requireScheme: Bool, international: Bool) -> Bool {
    let allowed = Set("-._~:/?#[]@!$&'()*+,;=%".unicodeScalars)
    var i = 0
    while i < s.count {
      let c = s[i]
      if c == "%" {
        guard i + 2 < s.count, isHex(s[i + 1]), isHex(s[i + 2]) else { return false }
        i += 3
        continue
      }
      if c.isASCII {
        guard isAlpha(c) || isDigit(c) || allowed.contains(c) else { return false }
      } else if !international {
        return false
      }
      i += 1
    }
    let text = String(String.UnicodeScalarView(s))
    let reference = URIReference(text)
    if requireScheme {
      guard let scheme = reference.scheme, !scheme.isEmpty else { return false }
    } else if reference.scheme == nil, let colon = s.firstIndex(of: ":"),
      !s[..<colon].contains("/") && !s[..<colon].contains("?") && !s[..<colon].contains("#")
    {
      // A relative reference cannot have a colon in its first segment.
      return false
    }
    if let authority = reference.authority {
      var host = Substring(authority)
      if let at = host.firstIndex(of: "@") {
        let userinfo = host[..<at]
        if userinfo.contains("[") || userinfo.contains("]") { return false }
        host = host[host.index(after: at)...]
        if host.contains("@") { return false }
      }
      if host.hasPrefix("[") {
        guard let close = host.firstIndex(of: "]") else { return false }
        let inner = Array(host[host.index(after: host.startIndex)..<close].unicodeScalars)
        guard ipv6(inner[...]) || inner.first == "v" || inner.first == "V" else { return false }
        host = host[host.index(after: close)...]
        if !host.isEmpty {
          guard host.hasPrefix(":"), host.dropFirst().allSatisfy(\.isNumber) else { return false }
        }
      } else {
        if host.contains("[") || host.contains("]") { return false }
        if let colon = host.lastIndex(of: ":") {
          guard host[host.index(after: colon)...].allSatisfy(\.isNumber),
            !host[..<colon].contains(":")
          else {
            return false
          }
        }
      }
    }
    let pathAndRest =
      reference.path + (reference.query.map { "?" + $0 } ?? "")
      + (reference.fragment.map { "#" + $0 } ?? "")
    if pathAndRest.contains("[") || pathAndRest.contains("]") { return false }
    if (reference.fragment ?? "").contains("#") { return false }
    return true
  }

  /// RFC 6570 URI template: literals and `{op var,var:3,var*}` expressions.
  static func uriTemplate(_ s: [Unicode.Scalar]) -> Bool {
    var i = 0
    while i < s.count {
      let c = s[i]
      if c == "{" {
        guard let close = s[i...].firstIndex(of: "}") else { return false }
        guard uriTemplateExpression(Array(s[(i + 1)..<close])) else { return false }
        i = close + 1
        continue
      }
      if c == "}" || c.value <= 0x20 || c.value == 0x7F || "\"<>\\^`|".unicodeScalars.contains(c) {
        return false
      }
      if c == "%" {
        guard i + 2 < s.count, isHex(s[i + 1]), isHex(s[i + 2]) else { return false }
      }
      i += 1
    }
    return true
  }

  static func uriTemplateExpression(_ e: [Unicode.Scalar]) -> Bool {
    var body = e[...]
    if let first = body.first, "+#./;?&=,!@|".unicodeScalars.contains(first) {
      body = body.dropFirst()
    }
    guard !body.isEmpty else { return false }
    for spec in body.split(separator: ",", omittingEmptySubsequences: false) {
      var name = spec
      if spec.last == "*" {
        name = spec.dropLast()
      } else if let colon = spec.firstIndex(of: ":") {
        let digits = spec[(colon + 1)...]
        guard !digits.isEmpty, digits.count <= 4, digits.first != "0", digits.allSatisfy(isDigit)
        else { return false }
        name = spec[..<colon]
      }
      guard !name.isEmpty, name.first != ".", name.last != "." else { return false }
      var previousDot = false
      var j = name.startIndex
      while j < name.endIndex {
        let c = name[j]
        if c == "." {
          if previousDot { return false }
          previousDot = true
        } else if c == "%" {
          guard j + 2 < name.endIndex, isHex(name[j + 1]), isHex(name[j + 2]) else { return false }
          j += 2
          previousDot = false
        } else {
          guard isAlpha(c) || isDigit(c) || c == "_" else { return false }
          previousDot = false
        }
        j += 1
      }
    }
    return true
  }
}
