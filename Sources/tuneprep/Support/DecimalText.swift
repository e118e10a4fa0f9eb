/// Numbers typed as option values, read in decimal notation only.
///
/// Swift's `Double(_:)` and `Int(_:)` also read a leading `+`, hexadecimal (`0x10`), `inf` and
/// `nan`; an option value of that kind is almost always a typo, so it is refused and gets the
/// option's own message. A `-` in front is read, so that a negative value reaches the option's
/// range check and its message rather than a parse error.
enum DecimalText {
  /// A decimal number such as `80`, `0.8`, `.5` or `1e3`, or nil for anything else.
  /// - Parameter text: the value as typed.
  /// - Returns: its value.
  static func number(_ text: Substring) -> Double? {
    let signless = text.first == "-" ? text.dropFirst() : text
    let exponentAt = signless.firstIndex { $0 == "e" || $0 == "E" }
    let mantissa = signless[..<(exponentAt ?? signless.endIndex)]
    let digits = { (part: Substring) in part.allSatisfy { ("0"..."9").contains($0) } }
    let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.contains(where: { !$0.isEmpty }), parts.allSatisfy(digits) else { return nil }
    if let exponentAt {
      var exponent = signless[signless.index(after: exponentAt)...]
      if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
      guard !exponent.isEmpty, digits(exponent) else { return nil }
    }
    return Double(text)
  }

  /// A whole number of decimal digits, or nil for anything else (fractions included).
  ///
  /// Digits past `Int`'s range give `Int.max` (or `Int.min`), which a range check refuses.
  /// - Parameter text: the value as typed.
  /// - Returns: its value.
  static func wholeNumber(_ text: Substring) -> Int? {
    let negative = text.first == "-"
    let digits = negative ? text.dropFirst() : text
    guard !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
    return Int(text) ?? (negative ? Int.min : Int.max)
  }
}
