import ArgumentParser
import TunePrep

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a path argument names, for the advice in its usage error.
enum PathRole {
  /// A file that is read: it may come on standard input instead.
  case input
  /// A file that is written: the output may go to standard output instead.
  case output
  /// A file that is only written, or read, by name.
  case file
  /// A folder.
  case folder
}

/// Refuses, as a usage error (exit 64) before any work, a path argument that cannot name the
/// file the user meant: an empty one, or one whose bytes are not valid UTF-8.
///
/// Swift decodes the command line with every invalid byte replaced by U+FFFD, so such a path
/// would open, or replace, a different file (`caf\xE9.jsonl` becomes `caf\u{FFFD}.jsonl`).
/// The raw `argv` tells them apart: a U+FFFD the user typed is valid UTF-8.
/// - Parameters:
///   - value: the argument as parsed; nil when not given.
///   - option: how the message names it: `--out-dir`, or `INPUT` for a positional one.
///   - role: what it names, for the advice.
/// - Throws: `ValidationError`.
func checkPathArgument(_ value: String?, option: String, role: PathRole) throws {
  guard let value else { return }
  if value.isEmpty {
    let advice =
      switch role {
      case .input: "give a file, or '-' (or nothing) for standard input"
      case .output: "give a file, or '-' for standard output (\(option) -)"
      case .file: "give a file"
      case .folder: "give a folder"
      }
    throw ValidationError("\(option) is empty: \(advice)")
  }
  guard value.unicodeScalars.contains("\u{FFFD}"), let bytes = rawArgument(decodedAs: value)
  else { return }
  let advice =
    switch role {
    case .input:
      "rename the file to a UTF-8 name, or pass it on standard input (`tuneprep ... - < FILE`)"
    case .output:
      "choose a UTF-8 name, or write to standard output (\(option) -) and redirect it (`> FILE`)"
    case .file:
      "rename the file to a UTF-8 name"
    case .folder:
      "rename the folder to a UTF-8 name"
    }
  throw ValidationError(
    "\(option) is not valid UTF-8: \(escapingInvalidUTF8(bytes)) (tuneprep would open a different file under the repaired name): \(advice)"
  )
}

/// Refuses, as a usage error, an environment variable holding a path whose bytes are not
/// valid UTF-8 (see ``checkPathArgument(_:option:role:)``).
/// - Parameter name: the variable, such as `TMPDIR`.
/// - Throws: `ValidationError`.
func checkPathVariable(_ name: String) throws {
  guard let value = getenv(name) else { return }
  let bytes = cStringBytes(value)
  guard firstInvalidUTF8Byte(bytes) != nil else { return }
  throw ValidationError(
    "the environment variable \(name) is not valid UTF-8: \(escapingInvalidUTF8(bytes)): set it to a folder whose name is valid UTF-8, or unset it"
  )
}

/// The raw bytes of the command-line argument that was decoded as `value`, alone or as the
/// value of `--option=value`, when they are not valid UTF-8; else nil.
private func rawArgument(decodedAs value: String) -> [UInt8]? {
  for index in 1..<Int(CommandLine.argc) {
    guard let argument = CommandLine.unsafeArgv[index] else { continue }
    var bytes = cStringBytes(argument)
    guard firstInvalidUTF8Byte(bytes) != nil else { continue }
    if String(decoding: bytes, as: UTF8.self) == value { return bytes }
    if bytes.first == UInt8(ascii: "-"), let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
      bytes.removeSubrange(...equals)
      if String(decoding: bytes, as: UTF8.self) == value { return bytes }
    }
  }
  return nil
}

/// The bytes of a NUL-terminated C string.
private func cStringBytes(_ pointer: UnsafePointer<CChar>) -> [UInt8] {
  Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map {
    UInt8(bitPattern: $0)
  }
}

/// `bytes` as text, each byte that is not part of a UTF-8 character shown as `\xE9` and
/// control characters escaped, so the message stays one readable line.
func escapingInvalidUTF8(_ bytes: [UInt8]) -> String {
  var out = ""
  var rest = bytes[...]
  while !rest.isEmpty {
    guard let bad = firstInvalidUTF8Byte(Array(rest)) else {
      out += String(decoding: rest, as: UTF8.self)
      break
    }
    let badIndex = rest.startIndex + bad
    out += String(decoding: rest[..<badIndex], as: UTF8.self)
    let hex = String(rest[badIndex], radix: 16, uppercase: true)
    out += "\\x" + (hex.count == 1 ? "0" : "") + hex
    rest = rest[(badIndex + 1)...]
  }
  return out.escapingControlCharacters
}
