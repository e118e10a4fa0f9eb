#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// Random and sequential access to the records of one input for dedupe's later passes: the
/// input file itself, or a spooled copy of its records (standard input, JSON array files).
///
/// `pread(2)` keeps no file position, so several threads may read one file at once, each with
/// its own ``RecordFile/Cursor``.
final class RecordFile: @unchecked Sendable {
  /// The name used in findings.
  let displayName: String
  private let fd: Int32
  /// Whether the file is an unlinked temporary spool owned by this object.
  let isSpool: Bool
  private var spoolBuffer: [UInt8] = []
  private(set) var spoolSize: Int64 = 0
  /// The input file's state when opened (nil for a spool).
  private let openedState: FileState?

  private init(displayName: String, fd: Int32, isSpool: Bool) {
    self.displayName = displayName
    self.fd = fd
    self.isSpool = isSpool
    openedState = isSpool ? nil : FileState(fd: fd)
  }

  /// Throws when the input file was written to since it was opened (see
  /// ``InputFile/checkUnchanged()``).
  /// - Throws: ``TunePrepError/readFailed(path:byteOffset:reason:)``.
  func checkUnchanged() throws(TunePrepError) {
    try openedState?.check(fd: fd, path: displayName, byteOffset: 0)
  }

  /// Opens an input file for reading records back.
  /// - Throws: ``TunePrepError/cannotOpen(path:reason:)``.
  static func open(path: String) throws(TunePrepError) -> RecordFile {
    let fd = openReadOnly(path)
    if fd < 0 { throw .cannotOpen(path: path, reason: systemErrorMessage(errno)) }
    return RecordFile(displayName: path, fd: fd, isSpool: false)
  }

  /// Creates an empty spool file in `$TMPDIR` (or /tmp), unlinked at once so it vanishes
  /// with the process.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)``.
  static func spool(for displayName: String) throws(TunePrepError) -> RecordFile {
    let spool = try makeSpoolFile(prefix: "tuneprep-dedupe-spool", for: displayName)
    spool.remove()
    return RecordFile(displayName: displayName, fd: spool.fd, isSpool: true)
  }

  deinit {
    close(fd)
  }

  /// The file's size in bytes, for a regular file (not a spool).
  var regularFileSize: Int64? {
    guard !isSpool else { return nil }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int64(info.st_size)
  }

  /// Appends bytes to the spool (buffered).
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)``.
  func appendToSpool(_ bytes: UnsafeBufferPointer<UInt8>) throws(TunePrepError) {
    spoolBuffer.append(contentsOf: bytes)
    spoolSize += Int64(bytes.count)
    if spoolBuffer.count >= 1 << 22 { try flushSpool() }
  }

  /// Writes the buffered spool bytes.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)``.
  func flushSpool() throws(TunePrepError) {
    var failure: Int32 = 0
    spoolBuffer.withUnsafeBytes { raw in
      guard let base = raw.baseAddress else { return }
      var done = 0
      while done < raw.count {
        let n = write(fd, base + done, raw.count - done)
        if n < 0 {
          if errno == EINTR { continue }
          failure = errno
          return
        }
        done += n
      }
    }
    spoolBuffer.removeAll(keepingCapacity: true)
    if failure != 0 {
      throw .writeFailed(
        path: "the spool file for \(displayName)", reason: systemErrorMessage(failure))
    }
  }

  /// Reads exactly `count` bytes at `offset` into `buffer`.
  fileprivate func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64)
    throws(TunePrepError) -> Int
  {
    var done = 0
    while done < count {
      let n = pread(fd, buffer + done, count - done, off_t(offset) + off_t(done))
      if n < 0 {
        if errno == EINTR { continue }
        throw .readFailed(
          path: displayName, byteOffset: Int(offset) + done, reason: systemErrorMessage(errno))
      }
      if n == 0 { break }
      done += n
    }
    return done
  }

  /// A reader with its own buffer.
  ///
  /// Sequential cursors read ahead in large chunks, so visiting records in file order reads the
  /// file once.
  final class Cursor {
    let file: RecordFile
    private let chunk: Int
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start: Int64 = 0
    private var count = 0

    /// Creates a cursor; `readAhead` is the chunk size (0: read each record alone).
    init(_ file: RecordFile, readAhead: Int) {
      self.file = file
      self.chunk = readAhead
      capacity = max(readAhead, 1 << 16)
      buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
      buffer.deallocate()
    }

    /// Calls `body` with the bytes of the record at `offset`.
    /// - Throws: ``TunePrepError/readFailed(path:byteOffset:reason:)``, also when the file is
    ///   shorter than when it was first read (it changed during the run).
    func withRecord<R>(
      at offset: Int64, length: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R
    ) throws(TunePrepError) -> R {
      if offset < start || offset + Int64(length) > start + Int64(count) {
        let want = max(length, chunk)
        if want > capacity {
          buffer.deallocate()
          capacity = want
          buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }
        start = offset
        count = try file.read(into: buffer, count: want, at: offset)
        if count < length {
          throw .readFailed(
            path: file.displayName, byteOffset: Int(offset) + count,
            reason:
              "the file changed while dedupe was running (it is shorter now): run again on a stable copy"
          )
        }
      }
      let p = (buffer + Int(offset - start)).assumingMemoryBound(to: UInt8.self)
      return body(UnsafeBufferPointer(start: p, count: length))
    }
  }
}

/// `open(2)` for reading, outside ``RecordFile`` whose `open(path:)` would shadow it.
private func openReadOnly(_ path: String) -> Int32 {
  open(path, O_RDONLY | O_CLOEXEC)
}

/// A temporary file in `$TMPDIR` (or /tmp), removed on a signal until ``remove()``.
struct SpoolFile {
  /// The open descriptor (read and write), closed by the owner.
  let fd: Int32
  /// The file's path.
  let path: String
  /// The file's registration for removal on a signal.
  let signalEntry: SignalCleanup.Entry?

  /// Unlinks the file (the descriptor still reads and writes it) and forgets its registration.
  func remove() {
    unlink(path)
    SignalCleanup.unregister(signalEntry)
  }
}

/// Creates an empty temporary file in `$TMPDIR` (or /tmp) for a spooled copy of `displayName`,
/// registered for removal on a signal.
/// - Parameters:
///   - prefix: the start of the file's name; `mkstemp(3)` adds six random characters.
///   - displayName: the input being spooled, for the error message.
/// - Returns: the file; the caller closes it and calls ``SpoolFile/remove()``.
/// - Throws: ``TunePrepError/writeFailed(path:reason:)`` when the folder does not take it.
func makeSpoolFile(prefix: String, for displayName: String) throws(TunePrepError) -> SpoolFile {
  var directory = "/tmp"
  if let env = getenv("TMPDIR"), env.pointee != 0 { directory = String(cString: env) }
  var template = Array(joinPath(directory, prefix + "-XXXXXX").utf8CString)
  let (fd, entry) = SignalCleanup.makeTemporaryFile(&template)
  if fd < 0 {
    throw .writeFailed(
      path: directory,
      reason:
        "cannot create a spool file for \(displayName) (\(systemErrorMessage(errno))): set TMPDIR to a writable folder"
    )
  }
  return SpoolFile(
    fd: fd,
    path: String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self),
    signalEntry: entry)
}

/// Copies `input` to a new file in `$TMPDIR` (or /tmp) and returns it (closed, still
/// registered for removal on a signal), for an input that can be read only once.
func spoolCopy(of input: InputFile, prefix: String) throws(TunePrepError) -> SpoolFile {
  let name = input.name.displayName
  let spool = try makeSpoolFile(prefix: prefix, for: name)
  let (fd, path) = (spool.fd, spool.path)
  defer { close(fd) }
  let size = 1 << 20
  let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
  defer { buffer.deallocate() }
  while true {
    let n: Int
    do throws(TunePrepError) {
      n = try input.read(into: buffer, count: size)
    } catch {
      spool.remove()
      throw error
    }
    if n == 0 { break }
    var done = 0
    while done < n {
      let w = write(fd, buffer + done, n - done)
      if w < 0 {
        if errno == EINTR { continue }
        let code = errno
        spool.remove()
        throw .writeFailed(
          path: path, reason: "spooling \(name): \(systemErrorMessage(code))")
      }
      done += w
    }
  }
  return spool
}
