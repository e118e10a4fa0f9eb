#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// An input named on the command line: a file path, or `-` for standard input.
public struct InputName: Sendable, Equatable, Hashable {
  /// The path as given, or nil for standard input.
  public let path: String?

  /// Creates an input name; `-` means standard input.
  /// - Parameter argument: the command-line argument.
  public init(_ argument: String) {
    path = argument == "-" ? nil : argument
  }

  /// Standard input.
  public static let stdin = InputName("-")

  /// The name used in findings: the path, or `<stdin>`.
  public var displayName: String { path ?? "<stdin>" }

  /// Whether the input is a `.json` file (which may hold one array of records).
  var isJSONFile: Bool { path?.lowercased().hasSuffix(".json") ?? false }

  /// Whether the input can be read only once, from start to end.
  ///
  /// Standard input, and a path that names anything but a regular file or a folder: a named
  /// pipe, a process substitution such as `<(zcat data.jsonl.gz)`, a character device.
  /// Commands that read their input twice or at random offsets spool such an input to a
  /// temporary file first. A path that cannot be examined counts as a regular file, so that
  /// opening it reports the real problem (no such file, permission denied).
  var isReadOnce: Bool {
    guard let path else { return true }
    var info = stat()
    guard stat(path, &info) == 0 else { return false }
    let type = info.st_mode & S_IFMT
    return type != S_IFREG && type != S_IFDIR
  }
}

/// What tells a regular file that was written to from one that was not: its size and its
/// modification time (nanoseconds), as `fstat(2)` gives them.
struct FileState: Equatable {
  private let size: Int64
  private let modified: [Int]

  /// The state of the regular file open as `fd`; nil for anything else (a pipe's times change
  /// as it is written, which is how it is read).
  init?(fd: Int32) {
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    size = Int64(info.st_size)
    // Not the change time: unlinking a spooled copy, or linking the file elsewhere, sets it.
    modified = [info.st_mtim.tv_sec, info.st_mtim.tv_nsec]
  }

  /// Throws when the file open as `fd` no longer has this state.
  /// - Throws: ``TunePrepError/readFailed(path:byteOffset:reason:)`` naming `path`.
  func check(fd: Int32, path: String, byteOffset: Int) throws(TunePrepError) {
    guard FileState(fd: fd) != self else { return }
    throw .readFailed(
      path: path, byteOffset: byteOffset,
      reason:
        "the file was written to while tuneprep was reading it, so its records may mix old and new bytes: run again on a stable copy"
    )
  }
}

/// An open input file descriptor that reads in chunks with `read(2)`.
final class InputFile {
  let name: InputName
  private let fd: Int32
  private let ownsDescriptor: Bool
  /// Whether this reads a standard stream the process was started without (see
  /// ``occupyClosedStandardStreams()``): every read fails as it would have on the closed one.
  private let isClosedStream: Bool
  private(set) var bytesRead = 0
  /// The file's state when opened (nil unless it is a regular file).
  private var openedState: FileState?

  /// Opens `name` for reading.
  /// - Throws: ``TunePrepError/cannotOpen(path:reason:)`` or ``TunePrepError/isDirectory(path:)``.
  convenience init(_ name: InputName) throws(TunePrepError) {
    try self.init(name, openingPath: name.path)
  }

  /// Opens `path` (standard input when nil) but names it `name` in findings and errors; for
  /// a spooled copy of standard input that must still read as `<stdin>`.
  /// - Throws: ``TunePrepError/cannotOpen(path:reason:)`` or ``TunePrepError/isDirectory(path:)``.
  init(_ name: InputName, openingPath: String?) throws(TunePrepError) {
    self.name = name
    guard let path = openingPath else {
      fd = 0
      ownsDescriptor = false
      isClosedStream = standardStreamIsClosed(0)
      openedState = FileState(fd: 0)
      return
    }
    // `/dev/stdin`, `/dev/fd/0`: the descriptor, which may be one the process was started
    // without (now /dev/null, which would read as an empty file).
    if let descriptor = descriptorNamed(by: path), standardStreamIsClosed(descriptor) {
      throw .cannotOpen(path: path, reason: closedStreamReason(descriptor))
    }
    isClosedStream = false
    let opened = open(path, O_RDONLY | O_CLOEXEC)
    if opened < 0 {
      let code = errno
      let hint: String
      switch code {
      case ENOENT: hint = "no such file (check the path and the current directory)"
      case EACCES: hint = "permission denied (check the file's read permission)"
      default: hint = systemErrorMessage(code)
      }
      throw .cannotOpen(path: path, reason: hint)
    }
    var info = stat()
    if fstat(opened, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
      close(opened)
      throw .isDirectory(path: path)
    }
    fd = opened
    ownsDescriptor = true
    openedState = FileState(fd: opened)
  }

  /// Throws when the file was written to since it was opened: a run that read it must not
  /// commit outputs made of old and new bytes.
  /// - Throws: ``TunePrepError/readFailed(path:byteOffset:reason:)``.
  func checkUnchanged() throws(TunePrepError) {
    try openedState?.check(fd: fd, path: name.displayName, byteOffset: bytesRead)
  }

  deinit {
    if ownsDescriptor { close(fd) }
  }

  /// Reads up to `count` bytes into `buffer`, retrying on `EINTR`.
  /// - Returns: the number of bytes read; 0 at end of file.
  /// - Throws: ``TunePrepError/readFailed(path:byteOffset:reason:)``.
  func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(TunePrepError) -> Int {
    if isClosedStream {
      throw .readFailed(path: name.displayName, byteOffset: 0, reason: closedStreamReason(0))
    }
    while true {
      #if canImport(Glibc) || canImport(Musl)
        let n = Glibc.read(fd, buffer, count)
      #else
        let n = Darwin.read(fd, buffer, count)
      #endif
      if n >= 0 {
        bytesRead += n
        return n
      }
      if errno == EINTR { continue }
      let code = errno
      throw .readFailed(
        path: name.displayName, byteOffset: bytesRead,
        reason: code == EISDIR ? "it is a directory" : systemErrorMessage(code))
    }
  }
}
