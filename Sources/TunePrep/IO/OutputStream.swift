internal import CSystemShims

#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// A buffered byte writer to a file descriptor: appends to one buffer and writes it with
/// `write(2)` past 64 KiB and on ``flush()``.
///
/// A file output is written to a temporary name in the target folder and renamed on
/// ``commit()``, so an interrupted run never leaves a half-written file under the final name.
public final class OutputStream {
  /// The name used in error messages.
  public let name: String
  private var fd: Int32
  private var buffer: [UInt8] = []
  private let finalPath: String?
  /// The path messages name for the file: where it ends up (the file a link names), or where
  /// the caller moves it after ``moveIntoPlace()``.
  private let shownPath: String?
  /// The file being written, until ``moveIntoPlace()`` renames it or ``discard()`` removes it.
  private var temporaryPath: String?
  /// The temporary file's registration for removal on a signal.
  private var signalEntry: SignalCleanup.Entry?
  private let ownsDescriptor: Bool
  private(set) var failed: TunePrepError?
  /// Bytes written so far (including what is still buffered).
  public private(set) var bytesWritten = 0
  /// Bytes handed to the kernel so far.
  private(set) var flushedBytes = 0

  private init(
    name: String, fd: Int32, finalPath: String?, temporaryPath: String?, owns: Bool,
    shownPath: String? = nil
  ) {
    self.name = name
    self.shownPath = shownPath
    self.fd = fd
    self.finalPath = finalPath
    self.temporaryPath = temporaryPath
    self.ownsDescriptor = owns
    buffer.reserveCapacity(1 << 17)
  }

  /// Standard output.
  public static func standardOutput() -> OutputStream {
    standardStream(name: "<stdout>", fd: 1)
  }

  /// Standard error.
  public static func standardError() -> OutputStream {
    standardStream(name: "<stderr>", fd: 2)
  }

  /// Standard output or error; one the process was started without fails at the first
  /// ``flush()``, as writing to the closed descriptor would have.
  private static func standardStream(name: String, fd: Int32) -> OutputStream {
    let stream = OutputStream(name: name, fd: fd, finalPath: nil, temporaryPath: nil, owns: false)
    if standardStreamIsClosed(fd) {
      stream.failed = .writeFailed(path: name, reason: closedStreamReason(fd))
    }
    return stream
  }

  /// A file written atomically: to a temporary name beside `path`, renamed by ``commit()``.
  /// - Parameters:
  ///   - path: the final path; `-` means standard output.
  ///   - overwrite: whether an existing file may be replaced.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)`` or ``TunePrepError/outputExists(path:)``.
  public static func file(_ path: String, overwrite: Bool = true) throws(TunePrepError)
    -> OutputStream
  {
    try file(path, overwrite: overwrite, shownAs: nil)
  }

  /// A file written atomically at `path`, named `shownAs` in messages when given: split writes
  /// its files in a staging folder, and messages name them where they end up.
  /// - Parameters:
  ///   - path: the final path; `-` means standard output.
  ///   - overwrite: whether an existing file may be replaced.
  ///   - shownAs: the name for messages, else `path` (or the file a link at `path` names).
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)`` or ``TunePrepError/outputExists(path:)``.
  static func file(_ path: String, overwrite: Bool, shownAs: String?) throws(TunePrepError)
    -> OutputStream
  {
    if path == "-" { return standardOutput() }
    if let descriptor = descriptorNamed(by: path) {
      // `/dev/stdout` when stdout is redirected to a file resolves to that regular file, and
      // a temporary file plus a rename would replace the link in /dev: write to the
      // descriptor the shell gave instead, at its offset and with its flags (`>>` appends).
      guard fcntl(descriptor, F_GETFD) >= 0, !standardStreamIsClosed(descriptor) else {
        throw .writeFailed(path: path, reason: "descriptor \(descriptor) is not open")
      }
      return OutputStream(
        name: path, fd: descriptor, finalPath: nil, temporaryPath: nil, owns: false)
    }
    // A symbolic link is written through, as a shell's `>` would: the temporary file and the
    // rename go to the file it names (which may not exist yet), and the link stays.
    let name = shownAs ?? path
    let path = followingLinks(path)
    var info = stat()
    if stat(path, &info) == 0 {
      let type = info.st_mode & S_IFMT
      if type == S_IFDIR { throw .writeFailed(path: name, reason: "it is a directory") }
      // A device, FIFO or socket (/dev/null, /dev/stdout, a named pipe) is written in place:
      // renaming a temporary file over it would replace the device node itself.
      if type != S_IFREG {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw .writeFailed(path: name, reason: systemErrorMessage(errno)) }
        return OutputStream(name: name, fd: fd, finalPath: nil, temporaryPath: nil, owns: true)
      }
      if !overwrite { throw .outputExists(path: name) }
    }
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[..<$0]) } ?? "."
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let template = (directory.isEmpty ? "" : directory + "/") + ".\(base).tuneprep-XXXXXX"
    var templateBytes = Array(template.utf8CString)
    let (fd, entry) = SignalCleanup.makeTemporaryFile(&templateBytes)
    if fd < 0 {
      let code = errno
      throw .writeFailed(
        path: name,
        reason: code == ENOENT ? "the folder \(directory) does not exist" : systemErrorMessage(code)
      )
    }
    let temporary = String(
      decoding: templateBytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    // mkstemp creates 0600; give the file the usual permissions (umask applies).
    let mask = umask(0)
    umask(mask)
    fchmod(fd, 0o666 & ~mask)
    let stream = OutputStream(
      name: name, fd: fd, finalPath: path, temporaryPath: temporary, owns: true,
      shownPath: shownAs ?? path)
    stream.signalEntry = entry
    return stream
  }

  /// Appends bytes, writing through when the buffer passes 64 KiB.
  @inline(__always)
  public func write(_ bytes: some Collection<UInt8>) {
    buffer.append(contentsOf: bytes)
    bytesWritten += bytes.count
    if buffer.count >= 1 << 16 { flushBuffer() }
  }

  /// Appends raw bytes.
  public func write(_ bytes: UnsafeBufferPointer<UInt8>) {
    buffer.append(contentsOf: bytes)
    bytesWritten += bytes.count
    if buffer.count >= 1 << 16 { flushBuffer() }
  }

  /// Writes bytes after everything buffered; a large run is written straight from the
  /// caller's memory, without a copy into the buffer.
  /// - Parameter bytes: the bytes, only read during the call.
  public func writeThrough(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard bytes.count >= 1 << 14 else {
      write(bytes)
      return
    }
    flushBuffer()
    bytesWritten += bytes.count
    writeAll(UnsafeRawBufferPointer(bytes))
  }

  /// Appends a string's UTF-8 bytes.
  public func write(_ string: String) {
    write(string.utf8)
  }

  /// Writes everything buffered.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)`` if any write failed.
  public func flush() throws(TunePrepError) {
    flushBuffer()
    if let failed { throw failed }
  }

  /// ``writeThrough(_:)`` for raw bytes.
  func writeThrough(_ bytes: UnsafeRawBufferPointer) {
    writeThrough(bytes.assumingMemoryBound(to: UInt8.self))
  }

  private func flushBuffer() {
    guard !buffer.isEmpty, failed == nil else {
      buffer.removeAll(keepingCapacity: true)
      return
    }
    buffer.withUnsafeBytes { writeAll($0) }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Writes all of `raw` with `write(2)` unless an earlier write failed, or records why it
  /// could not.
  private func writeAll(_ raw: UnsafeRawBufferPointer) {
    guard failed == nil, let base = raw.baseAddress, raw.count > 0 else { return }
    var offset = 0
    while offset < raw.count {
      #if canImport(Glibc) || canImport(Musl)
        let n = Glibc.write(fd, base + offset, raw.count - offset)
      #else
        let n = Darwin.write(fd, base + offset, raw.count - offset)
      #endif
      if n < 0 {
        if errno == EINTR { continue }
        let code = errno
        failed = .writeFailed(
          path: name,
          reason: code == EPIPE
            ? "the reading end of the pipe was closed (e.g. by `head`); output is incomplete"
            : systemErrorMessage(code))
        return
      }
      offset += n
    }
    flushedBytes += raw.count
  }

  /// Starts writing the bytes in `range` back to disk and drops from the page cache those of
  /// them already written back (`posix_fadvise(DONTNEED)`; Linux only, a hint elsewhere
  /// ignored).
  ///
  /// Called every few megabytes on a large output, this streams it to disk as it is written:
  /// the page cache holds a few megabytes of it instead of all of it, its pages are reused while
  /// still warm, and the `fsync` at ``commit()`` has almost nothing left to wait for. The price:
  /// the finished file is not in the page cache (like `dd oflag=nocache`). Pages not written
  /// back yet are kept, so no data is lost. May run on another thread than the writes, but not
  /// after ``commit()`` or ``discard()``.
  /// - Parameter range: byte offsets in the file, up to ``flushedBytes``.
  func writeBack(_ range: Range<Int>) {
    #if os(Linux)
      guard fd >= 0, !range.isEmpty else { return }
      _ = posix_fadvise(fd, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_DONTNEED)
    #endif
  }

  /// Reserves disk space for the first `bytes` bytes of a file output before they are written,
  /// without changing its size (which still grows only as bytes are written).
  ///
  /// For an output whose final size is known (split's files), the file system then allocates
  /// its blocks in one call rather than at each write-back, which takes about a tenth of the
  /// kernel time off 1.5 GB of writes, and a disk too small fails at once, before anything is
  /// written. Where space cannot be reserved (a pipe, a file system without `fallocate`, not
  /// Linux) nothing happens: it only saves time.
  /// - Parameter bytes: the bytes that will be written.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)`` when the disk or the quota has less
  ///   room than `bytes`.
  func reserve(_ bytes: Int) throws(TunePrepError) {
    guard ownsDescriptor, fd >= 0, bytes > 0 else { return }
    // Ask first: fallocate takes blocks until the disk is full before it reports ENOSPC, so
    // a request the disk clearly cannot hold would fill it, for a moment, for every program.
    var disk = statvfs()
    var code: Int32 = 0
    if fstatvfs(fd, &disk) == 0 {
      let blocks = geteuid() == 0 ? UInt64(disk.f_bfree) : UInt64(disk.f_bavail)
      let (room, overflow) = blocks.multipliedReportingOverflow(by: UInt64(disk.f_frsize))
      if !overflow && UInt64(bytes) > room { code = ENOSPC }
    }
    if code == 0 { code = tuneprep_reserve_space(fd, Int64(bytes)) }
    if code == ENOSPC || code == EDQUOT {
      throw .writeFailed(
        path: shownPath ?? name,
        reason:
          "\(systemErrorMessage(code)) (it needs \(bytes) bytes): free some space, or choose a folder on another disk"
      )
    }
  }

  /// Flushes, and for a file output renames the temporary file to its final name.
  ///
  /// That is ``finish()`` then ``moveIntoPlace()``.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)``.
  public func commit() throws(TunePrepError) {
    try finish()
    try moveIntoPlace()
  }

  /// Flushes, and for a file output writes it to disk (`fsync`) and closes it, still under its
  /// temporary name.
  ///
  /// A caller with several outputs that belong together (split's files and manifest) finishes
  /// them all before it renames any, so a failure leaves none under a final name.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)``; the temporary file is removed then.
  func finish() throws(TunePrepError) {
    try flush()
    guard ownsDescriptor, fd >= 0 else { return }
    if fsync(fd) != 0 && errno != EINVAL {
      let code = errno
      discard()
      throw .writeFailed(path: name, reason: systemErrorMessage(code))
    }
    close(fd)
    fd = -1
  }

  /// Renames a finished file output (see ``finish()``) to its final name; nothing for other
  /// outputs.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)``; the temporary file is removed then.
  func moveIntoPlace() throws(TunePrepError) {
    guard let temporaryPath, let finalPath else { return }
    self.temporaryPath = nil
    defer { keepOnSignal() }
    if rename(temporaryPath, finalPath) != 0 {
      let code = errno
      unlink(temporaryPath)
      throw .writeFailed(path: shownPath ?? finalPath, reason: systemErrorMessage(code))
    }
  }

  /// Stops removing the temporary file on a signal, for a caller that from now on wants a
  /// signal to leave things as `kill -9` would (split, while it publishes its files).
  func keepOnSignal() {
    SignalCleanup.unregister(signalEntry)
    signalEntry = nil
  }

  /// The temporary file of a file output until it is renamed or removed, else nil.
  var temporaryFilePath: String? { temporaryPath }

  /// Abandons a file output: closes it and removes the temporary file (unless already renamed).
  public func discard() {
    guard ownsDescriptor else { return }
    if fd >= 0 {
      close(fd)
      fd = -1
    }
    if let temporaryPath {
      unlink(temporaryPath)
      self.temporaryPath = nil
    }
    keepOnSignal()
  }

  deinit {
    discard()
  }
}

/// The path a file written at `path` ends up at: `path` itself, or, when it is a symbolic link,
/// the path the link names (followed up to 40 links, relative ones from the link's folder),
/// whether or not that file exists yet.
func followingLinks(_ path: String) -> String {
  var current = path
  for _ in 0..<40 {
    guard let next = linkTarget(current) else { return current }
    current = next
  }
  return current
}

/// The path the symbolic link at `path` names, a relative target taken from the link's folder;
/// nil when `path` is not a symbolic link (`readlink(2)` fails).
func linkTarget(_ path: String) -> String? {
  var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
  let length = readlink(path, &target, target.count - 1)
  guard length > 0 else { return nil }
  let link = String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  if link.hasPrefix("/") { return link }
  let slash = path.lastIndex(of: "/")
  return slash.map { String(path[...$0]) + link } ?? link
}

/// The descriptor a path names when it is one of this process's open descriptors rather than
/// a file: `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`, or a symbolic link to
/// one of them; nil for any other path.
///
/// Only the names are read (`readlink(2)`, at most 8 links), never the file the descriptor
/// has open, so a descriptor redirected to a regular file is still recognised.
func descriptorNamed(by path: String) -> Int32? {
  var current = path
  for _ in 0..<8 {
    switch current {
    case "/dev/stdin": return 0
    case "/dev/stdout": return 1
    case "/dev/stderr": return 2
    default: break
    }
    for prefix in ["/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/"]
    where current.hasPrefix(prefix) {
      let digits = current.dropFirst(prefix.count)
      guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber })
      else { return nil }
      return Int32(digits)
    }
    guard let next = linkTarget(current) else { return nil }
    current = next
  }
  return nil
}

/// Makes writes to a closed pipe fail with `EPIPE` instead of killing the process, so the
/// command can say what happened and exit with the right code.
public func ignoreBrokenPipeSignal() {
  signal(SIGPIPE, SIG_IGN)
}

/// Whether standard error is a terminal (for color).
public func standardErrorIsTerminal() -> Bool {
  isatty(2) != 0
}
