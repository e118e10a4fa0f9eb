extension DefaultStringInterpolation {
  /// Appends a count and its noun in the right number: `1 record`, `0 records`, `2 records`.
  ///
  /// Written `"\(counting: n, "record")"`; the plural is the singular plus "s" unless given
  /// (`"\(counting: n, "property", plural: "properties")"`).
  /// - Parameters:
  ///   - count: the number.
  ///   - singular: the noun (with any words before it) for exactly one.
  ///   - plural: the form for any other number, when it is not `singular` + "s".
  mutating func appendInterpolation(counting count: Int, _ singular: String, plural: String? = nil)
  {
    appendLiteral(String(count))
    appendLiteral(" ")
    appendLiteral(count == 1 ? singular : plural ?? singular + "s")
  }
}
