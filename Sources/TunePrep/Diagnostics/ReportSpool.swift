#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// An append-only byte store for report text that can only be written at the end of a run
/// (SARIF and JUnit), so that memory does not grow with the number of findings.
///
/// Bytes collect in a buffer; past 1 MiB they go to an unlinked temporary file in `$TMPDIR`
/// (or /tmp), which vanishes with the process. A small report never touches the disk. If the
/// file cannot be created or written, the bytes stay in memory: the report is still complete,
/// it only costs memory again.
final class ReportSpool {
  /// The bytes not (yet) in the file, which follow the file's bytes.
  private var buffer: [UInt8] = []
  private var fd: Int32 = -1
  /// Bytes in the file.
  private var fileSize = 0
  /// Whether writing to the file failed, so everything after stays in memory.
  private var fileFailed = false
  private static let flushSize = 1 << 20

  /// Bytes appended so far.
  var count: Int { fileSize + buffer.count }

  /// Bytes held in memory rather than in the file.
  var bytesInMemory: Int { buffer.count }

  deinit {
    if fd >= 0 { close(fd) }
  }

  /// Appends the UTF-8 bytes of `text`.
  func append(_ text: String) {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= Self.flushSize && !fileFailed { flush() }
  }

  /// Writes the buffer to the file, creating it on first use.
  private func flush() {
    if fd < 0 {
      guard let spool = try? makeSpoolFile(prefix: "tuneprep-report", for: "report") else {
        fileFailed = true
        return
      }
      spool.remove()
      fd = spool.fd
    }
    let written = buffer.withUnsafeBytes { raw -> Int in
      guard let base = raw.baseAddress else { return 0 }
      var done = 0
      while done < raw.count {
        let n = pwrite(fd, base + done, raw.count - done, off_t(fileSize + done))
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        done += n
      }
      return done
    }
    fileSize += written
    buffer.removeFirst(written)
    if !buffer.isEmpty { fileFailed = true }
  }

  /// Writes the bytes in `range` (offsets as counted by ``count``) to `output`.
  func copy(_ range: Range<Int>, to output: OutputStream) {
    var start = range.lowerBound
    if start < fileSize {
      let chunk = 1 << 16
      let scratch = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
      defer { scratch.deallocate() }
      while start < min(range.upperBound, fileSize) {
        let want = min(chunk, min(range.upperBound, fileSize) - start)
        let n = pread(fd, scratch, want, off_t(start))
        if n < 0 && errno == EINTR { continue }
        // The file was written by this process and is unlinked: a short read means the system
        // failed under us; what cannot be read is left out rather than made up.
        if n <= 0 { break }
        output.write(
          UnsafeBufferPointer(start: scratch.assumingMemoryBound(to: UInt8.self), count: n))
        start += n
      }
      start = max(start, min(range.upperBound, fileSize))
    }
    if start < range.upperBound {
      buffer.withUnsafeBufferPointer { p in
        output.write(
          UnsafeBufferPointer(rebasing: p[(start - fileSize)..<(range.upperBound - fileSize)]))
      }
    }
  }
}
