/// The character classes the pre-tokenizer patterns test, as bits of one byte per scalar.
///
/// `\p{L}` is `letterUpper | letterLower | letterOther`; `\s` is `space` (the Unicode
/// `White_Space` property, as the Rust `regex` crate and Oniguruma read `\s`); a scalar with
/// none of `letters | number | space` is what `[^\s\p{L}\p{N}]` matches (marks included).
enum ScalarClass {
  /// `Lu` and `Lt`.
  static let letterUpper: UInt8 = 0x01
  /// `Ll`.
  static let letterLower: UInt8 = 0x02
  /// `Lm` and `Lo`.
  static let letterOther: UInt8 = 0x04
  /// `Mn`, `Mc` and `Me` (`\p{M}`).
  static let mark: UInt8 = 0x08
  /// `Nd`, `Nl` and `No` (`\p{N}`).
  static let number: UInt8 = 0x10
  /// `White_Space`.
  static let space: UInt8 = 0x20
  /// `\r` or `\n`.
  static let newline: UInt8 = 0x40
  /// `/` (o200k lets slashes follow a punctuation run's newlines).
  static let slash: UInt8 = 0x80

  /// `\p{L}`.
  static let letter: UInt8 = letterUpper | letterLower | letterOther
  /// o200k's `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`.
  static let upperish: UInt8 = letterUpper | letterOther | mark
  /// o200k's `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`.
  static let lowerish: UInt8 = letterLower | letterOther | mark
  /// The complement of `[^\s\p{L}\p{N}]`: a scalar is "other" when `cls & notOther == 0`.
  static let notOther: UInt8 = letter | number | space
  /// The complement of `[^\r\n\p{L}\p{N}]`: a scalar may prefix a word when `cls & notPrefix == 0`.
  static let notPrefix: UInt8 = letter | number | newline

  /// The Unicode version of tiktoken's character tables: its regex engine (`fancy-regex` over
  /// `regex-syntax`) is built with Unicode 16.0 data.
  static let unicodeVersion: Unicode.Version = (major: 16, minor: 0)

  /// The class bits of one scalar, from its general category and `White_Space`.
  ///
  /// The properties come from the Swift runtime, which may know a newer Unicode than tiktoken
  /// does; a scalar assigned after ``unicodeVersion`` (Unicode 17's CJK Extension J, for one)
  /// is unassigned (`Cn`) to tiktoken, so it classifies as unassigned here too, and the counts
  /// do not depend on the machine's Swift runtime. (A runtime older than Unicode 16 would still
  /// differ on the scalars it does not know.)
  /// - Parameter scalar: the scalar to classify.
  /// - Returns: the class bits.
  static func classify(_ scalar: Unicode.Scalar) -> UInt8 {
    let properties = scalar.properties
    guard let age = properties.age,
      age.major < unicodeVersion.major
        || (age.major == unicodeVersion.major && age.minor <= unicodeVersion.minor)
    else { return 0 }
    var bits: UInt8 = properties.isWhitespace ? space : 0
    if scalar == "\r" || scalar == "\n" { bits |= newline }
    if scalar == "/" { bits |= slash }
    switch properties.generalCategory {
    case .uppercaseLetter, .titlecaseLetter: bits |= letterUpper
    case .lowercaseLetter: bits |= letterLower
    case .modifierLetter, .otherLetter: bits |= letterOther
    case .nonspacingMark, .spacingMark, .enclosingMark: bits |= mark
    case .decimalNumber, .letterNumber, .otherNumber: bits |= number
    default: break
    }
    return bits
  }

  /// The classes of every scalar of the Basic Multilingual Plane (surrogates classify as 0),
  /// built once per process; scalars above U+FFFF are classified on the fly.
  static let basicPlane: [UInt8] = {
    var table = [UInt8](repeating: 0, count: 0x10000)
    for value in 0..<UInt32(0x10000) {
      if let scalar = Unicode.Scalar(value) { table[Int(value)] = classify(scalar) }
    }
    return table
  }()
}
