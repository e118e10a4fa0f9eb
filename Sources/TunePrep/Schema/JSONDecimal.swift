/// An exact decimal number read from the digits of a JSON number literal.
///
/// The value is `digits × 10^exponent` with the sign of `negative`. `digits` has neither leading
/// nor trailing zeros, so two equal numbers (`1`, `1.0`, `10e-1`) have equal representations and
/// `==` is JSON equality. Comparison and `multipleOf` work on the digits, never through `Double`,
/// so `0.0075` is a multiple of `0.0001` and 30-digit numbers compare exactly.
struct JSONDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// True for a value below zero.
  ///
  /// Zero is never negative.
  var negative: Bool
  /// The significant digits (values 0–9), most significant first; empty for zero.
  var digits: [UInt8]
  /// The power of ten that `digits` is scaled by.
  var exponent: Int

  /// Reads a JSON number literal (already validated by ``JSONParser``).
  /// - Parameter literal: the bytes of the literal, e.g. `-12.5e3`.
  init(literal: some Collection<UInt8>) {
    var negative = false
    var digits: [UInt8] = []
    digits.reserveCapacity(literal.count)
    var exponent = 0
    var inFraction = false
    var inExponent = false
    var exponentNegative = false
    var exponentValue = 0
    for b in literal {
      switch b {
      case UInt8(ascii: "-"):
        if inExponent { exponentNegative = true } else { negative = true }
      case UInt8(ascii: "+"):
        break
      case UInt8(ascii: "."):
        inFraction = true
      case UInt8(ascii: "e"), UInt8(ascii: "E"):
        inExponent = true
      default:
        let d = b &- UInt8(ascii: "0")
        if inExponent {
          // Saturate: exponents past a billion are out of any meaningful range anyway.
          if exponentValue < 1_000_000_000 { exponentValue = exponentValue * 10 + Int(d) }
        } else {
          digits.append(d)
          if inFraction { exponent -= 1 }
        }
      }
    }
    exponent += exponentNegative ? -exponentValue : exponentValue
    self.init(negative: negative, rawDigits: digits, exponent: exponent)
  }

  /// Creates a decimal from digits that may have leading or trailing zeros.
  init(negative: Bool, rawDigits: [UInt8], exponent: Int) {
    var first = 0
    while first < rawDigits.count && rawDigits[first] == 0 { first += 1 }
    var last = rawDigits.count
    var exponent = exponent
    while last > first && rawDigits[last - 1] == 0 {
      last -= 1
      exponent += 1
    }
    if first == last {
      self.negative = false
      self.digits = []
      self.exponent = 0
    } else {
      self.negative = negative
      self.digits = Array(rawDigits[first..<last])
      self.exponent = exponent
    }
  }

  /// Creates a decimal from an integer.
  init(_ value: Int) {
    let magnitude = value.magnitude
    self.init(
      negative: value < 0, rawDigits: String(magnitude).utf8.map { $0 - UInt8(ascii: "0") },
      exponent: 0)
  }

  /// True for zero.
  var isZero: Bool { digits.isEmpty }

  /// True when the value has no fractional part (`1.0` and `1e2` are integers).
  var isInteger: Bool { exponent >= 0 || digits.isEmpty }

  /// The value as an `Int64` when it is an integer of at most 18 digits.
  var int64: Int64? {
    guard isInteger, digits.count + exponent <= 18 else { return nil }
    var value: Int64 = 0
    for d in digits { value = value * 10 + Int64(d) }
    for _ in 0..<exponent { value *= 10 }
    return negative ? -value : value
  }

  /// The nearest `Double` (infinite when out of range).
  var double: Double {
    Double(description) ?? (negative ? -.infinity : .infinity)
  }

  /// The value written in scientific-free form where short, such as `0.0075` or `12`.
  var description: String {
    if digits.isEmpty { return "0" }
    let body = String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
    let sign = negative ? "-" : ""
    if exponent >= 0 {
      if exponent <= 21 { return sign + body + String(repeating: "0", count: exponent) }
      return "\(sign)\(body)e\(exponent)"
    }
    let point = digits.count + exponent
    if point > 0 {
      return sign + String(body.prefix(point)) + "." + String(body.dropFirst(point))
    }
    if point > -7 {
      return sign + "0." + String(repeating: "0", count: -point) + body
    }
    return "\(sign)\(body)e\(exponent)"
  }

  static func < (a: JSONDecimal, b: JSONDecimal) -> Bool {
    if a.negative != b.negative { return a.negative }
    let magnitudeOrder = compareMagnitude(a, b)
    return a.negative ? magnitudeOrder > 0 : magnitudeOrder < 0
  }

  /// Compares absolute values: -1, 0 or 1.
  static func compareMagnitude(_ a: JSONDecimal, _ b: JSONDecimal) -> Int {
    if a.digits.isEmpty || b.digits.isEmpty {
      return a.digits.isEmpty ? (b.digits.isEmpty ? 0 : -1) : 1
    }
    let ma = a.digits.count + a.exponent
    let mb = b.digits.count + b.exponent
    if ma != mb { return ma < mb ? -1 : 1 }
    let n = min(a.digits.count, b.digits.count)
    for i in 0..<n where a.digits[i] != b.digits[i] {
      return a.digits[i] < b.digits[i] ? -1 : 1
    }
    if a.digits.count == b.digits.count { return 0 }
    return a.digits.count < b.digits.count ? -1 : 1
  }

  /// Whether `self` divided by `divisor` is an integer, computed exactly.
  ///
  /// Falls back to `Double` only for divisors of more than 18 significant digits.
  /// - Parameter divisor: a positive number.
  func isMultiple(of divisor: JSONDecimal) -> Bool {
    if digits.isEmpty { return true }
    if divisor.digits.isEmpty { return false }
    // self = A·10^ea, divisor = B·10^eb, and neither A nor B ends in zero.
    if exponent < divisor.exponent {
      // A / (B·10^k) with k ≥ 1 cannot be an integer, because 10 does not divide A.
      return false
    }
    guard divisor.digits.count <= 18 else {
      let q = double / divisor.double
      return q.isFinite && q == q.rounded()
    }
    var b: UInt64 = 0
    for d in divisor.digits { b = b * 10 + UInt64(d) }
    var r: UInt64 = 0
    for d in digits { r = (r * 10 + UInt64(d)) % b }
    // Past 60 extra zeros, 10^k holds every factor 2 and 5 of B, so the answer no longer changes.
    let zeros = min(exponent - divisor.exponent, 64)
    for _ in 0..<zeros where r != 0 { r = (r * 10) % b }
    return r == 0
  }
}
