/// Appends number `node` as Python writes what it reads: an integer literal as the integer
/// (`-0` is `0`; digits are kept however many), any other literal as the nearest `float` in
/// `repr` form (`1e3` is `1000.0`, `1E+2` is `100.0`, `1.50` is `1.5`), and a literal beyond
/// the `float` range as `Infinity` or `-Infinity`.
/// - Parameters:
///   - d: the parsed record.
///   - node: a number.
///   - out: the buffer to append to.
func appendPythonNumber(_ d: JSONDocument, _ node: Int, to out: inout [UInt8]) {
  let r = d.rawRange(node)
  if d.isIntegerLiteral(node) {
    if d.bytes[r].elementsEqual("-0".utf8) {
      out.append(UInt8(ascii: "0"))
    } else {
      out.append(contentsOf: d.bytes[r])
    }
    return
  }
  let value = Double(String(decoding: d.bytes[r], as: UTF8.self)) ?? .nan
  if value.isInfinite {
    out.append(contentsOf: (value < 0 ? "-Infinity" : "Infinity").utf8)
  } else {
    appendPythonFloat(value, to: &out)
  }
}

/// Appends Python's `repr` of a finite `value`.
///
/// Swift's `Double.description` is the same shortest round-trip digits, in the same form except
/// from 2^53 to 1e16, where Swift writes an exponent (`9.0e+15`) and Python fixed notation
/// (`9000000000000000.0`); that range is rewritten.
func appendPythonFloat(_ value: Double, to out: inout [UInt8]) {
  let text = Array(value.description.utf8)
  guard let e = text.firstIndex(of: UInt8(ascii: "e")), text[e + 1] == UInt8(ascii: "+"),
    let exponent = Int(String(decoding: text[(e + 2)...], as: UTF8.self)), exponent < 16
  else {
    out.append(contentsOf: text)
    return
  }
  let sign = text.first == UInt8(ascii: "-") ? 1 : 0
  if sign == 1 { out.append(UInt8(ascii: "-")) }
  let digits = text[sign..<e].filter { $0 != UInt8(ascii: ".") }
  // d.ddd × 10^exponent with exponent ≥ 15 ≥ the digits after the point: an integer.
  out.append(contentsOf: digits)
  out.append(
    contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, exponent + 1 - digits.count)))
  out.append(contentsOf: ".0".utf8)
}
