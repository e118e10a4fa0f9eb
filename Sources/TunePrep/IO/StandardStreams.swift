internal import CSystemShims

/// Takes every standard stream (descriptor 0, 1 or 2) the process was started without with
/// `/dev/null`, and remembers it was closed.
///
/// Without this, the first file the command opens gets the free number: a spool file becomes
/// "standard input" and reads as empty, an output file receives what was meant for standard
/// output. Reading standard input or writing standard output then fails as it would have on
/// the closed descriptor (`bad file descriptor`, exit 2). Call it first thing in `main`.
public func occupyClosedStandardStreams() {
  tuneprep_occupy_closed_standard_streams()
}

/// Whether `fd` is a standard stream the process was started without.
func standardStreamIsClosed(_ fd: Int32) -> Bool {
  tuneprep_standard_stream_is_closed(fd) != 0
}

/// Why reading or writing the closed standard stream `fd` fails, and what to do.
func closedStreamReason(_ fd: Int32) -> String {
  let stream = ["standard input", "standard output", "standard error"][Int(fd)]
  let advice =
    fd == 0
    ? "give a file, or redirect standard input (< FILE)"
    : "redirect it to a file, or give an output file"
  return "bad file descriptor (\(stream) is closed): \(advice)"
}
