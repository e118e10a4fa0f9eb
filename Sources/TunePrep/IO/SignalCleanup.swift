internal import CSystemShims

/// The temporary files and folders removed if the process gets SIGINT, SIGTERM or SIGHUP.
///
/// Every temporary a command creates is registered here as soon as it exists and unregistered
/// once it is renamed into place or removed: an output's temporary name, a report's, a spool,
/// split's staging folder. The handler (plain C, async-signal-safe) removes what is registered,
/// oldest first, and the signal then ends the process as it would have (exit status 128 + the
/// signal's number).
enum SignalCleanup {
  /// What a registration removes.
  enum Kind {
    /// A file.
    case file
    /// A folder of files: every entry in it, then the folder.
    case folder
    /// A folder, only if it is empty.
    case emptyFolder

    var code: Int32 {
      switch self {
      case .file: Int32(TUNEPREP_REMOVE_FILE)
      case .folder: Int32(TUNEPREP_REMOVE_FOLDER)
      case .emptyFolder: Int32(TUNEPREP_REMOVE_EMPTY_FOLDER)
      }
    }
  }

  /// One registration; pass it to ``unregister(_:)``.
  struct Entry: Sendable {
    fileprivate let handle: Int32
  }

  /// Creates and registers a temporary file from `template` (a NUL-terminated `mkstemp(3)`
  /// template, replaced by the file's path).
  ///
  /// The signals are blocked in between, so none finds the file unregistered. The descriptor
  /// is closed on `exec`.
  /// - Returns: the descriptor (-1 with `errno` set on failure) and the registration (nil when
  ///   the table is full or the path too long: a signal then leaves the file behind).
  static func makeTemporaryFile(_ template: inout [CChar]) -> (fd: Int32, entry: Entry?) {
    var handle: Int32 = -1
    let fd = template.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress.map { tuneprep_make_temporary_file($0, &handle) } ?? -1
    }
    return (fd, handle >= 0 ? Entry(handle: handle) : nil)
  }

  /// Registers `path` for removal on a signal.
  /// - Returns: the registration, or nil when the table is full or the path too long (the
  ///   path is then left behind by a signal).
  @discardableResult
  static func register(_ path: String, _ kind: Kind = .file) -> Entry? {
    let handle = path.withCString { tuneprep_remove_on_signal_register($0, kind.code) }
    return handle >= 0 ? Entry(handle: handle) : nil
  }

  /// Forgets a registration: a signal after this leaves the path alone.
  static func unregister(_ entry: Entry?) {
    guard let entry else { return }
    tuneprep_remove_on_signal_unregister(entry.handle)
  }
}
