// The lines of a `--rejects` file, one JSON object per record not written, for every command
// that writes one.
//
// `format` and `import` write `{"file","line","code","reason","record"}`
// (``appendRejectLine(to:file:line:code:reason:record:parsed:)``); `dedupe` and `split` write a
// record that failed validation as `{"file","line","reason","message","text"}`
// (``invalidRecordRejectLine(file:line:findings:record:)``). A record given as a string
// (`record` when it is not JSON, `text`) that is not valid UTF-8 shows each invalid byte as
// U+FFFD there, for people to read, and also gets `"base64"`: its exact bytes, so that nothing
// is lost and the line can be restored.

/// Appends one line of a `format` or `import` rejects file:
/// `{"file":F,"line":N,"code":C,"reason":R,"record":<the record>}`.
///
/// A record that is not JSON is written as a string, followed by `"base64"` when it is not
/// valid UTF-8.
/// - Parameters:
///   - out: the buffer.
///   - parsed: whether `record` is valid JSON (embedded as is) or not (embedded as a string).
func appendRejectLine(
  to out: inout [UInt8], file: String, line: Int, code: String, reason: String,
  record: UnsafeBufferPointer<UInt8>, parsed: Bool
) {
  out.append(literal: "{\"file\":")
  appendJSONStringLiteral(file.utf8, to: &out)
  out.append(literal: ",\"line\":")
  out.append(contentsOf: String(line).utf8)
  out.append(literal: ",\"code\":")
  appendJSONStringLiteral(code.utf8, to: &out)
  out.append(literal: ",\"reason\":")
  appendJSONStringLiteral(reason.utf8, to: &out)
  out.append(literal: ",\"record\":")
  if parsed {
    out.append(contentsOf: record)
  } else {
    appendJSONStringLiteral(String(decoding: record, as: UTF8.self).utf8, to: &out)
    if !isValidUTF8(record) {
      out.append(literal: ",\"base64\":\"")
      appendBase64(record, to: &out)
      out.append(UInt8(ascii: "\""))
    }
  }
  out.append(literal: "}\n")
}

/// The rejects line of a record that failed validation, as `dedupe` and `split` write it:
/// `{"file":F,"line":N,"reason":CODE,"message":M,"text":<the record as a string>}`, then
/// `"base64"` with the record's exact bytes when they are not valid UTF-8.
/// - Parameters:
///   - file: the input's display name.
///   - line: the record's line.
///   - findings: the record's findings; the first error (else the first finding) gives the
///     reason and the message.
///   - record: the record's bytes.
/// - Returns: the line, newline included.
func invalidRecordRejectLine(
  file: String, line: Int, findings: [Finding], record: UnsafeBufferPointer<UInt8>
) -> String {
  let first = findings.first { $0.severity == .error } ?? findings.first
  var text = "{\"file\":\(file.jsonQuoted),\"line\":\(line)"
  text += ",\"reason\":\((first?.code ?? "invalid").jsonQuoted)"
  text += ",\"message\":\((first?.message ?? "the record failed validation").jsonQuoted)"
  text += ",\"text\":\(String(decoding: record, as: UTF8.self).jsonQuoted)"
  if !isValidUTF8(record) {
    var encoded: [UInt8] = []
    appendBase64(record, to: &encoded)
    text += ",\"base64\":\"\(String(decoding: encoded, as: UTF8.self))\""
  }
  return text + "}\n"
}

/// Whether `bytes` are valid UTF-8.
func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
  String(validating: bytes, as: UTF8.self) != nil
}

/// Appends the standard base64 (RFC 4648, with `=` padding) of `bytes` to `out`.
func appendBase64(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
  let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
  out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
  var i = 0
  while i < bytes.count {
    let b0 = UInt32(bytes[i])
    let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
    let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
    let group = b0 << 16 | b1 << 8 | b2
    out.append(alphabet[Int(group >> 18 & 0x3F)])
    out.append(alphabet[Int(group >> 12 & 0x3F)])
    out.append(i + 1 < bytes.count ? alphabet[Int(group >> 6 & 0x3F)] : UInt8(ascii: "="))
    out.append(i + 2 < bytes.count ? alphabet[Int(group & 0x3F)] : UInt8(ascii: "="))
    i += 3
  }
}
