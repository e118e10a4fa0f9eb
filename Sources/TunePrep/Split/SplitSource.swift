#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// The input of `split`, readable twice: the file itself, or for an input that can be read
/// only once (standard input, a named pipe, a process substitution) a spooled copy in `$TMPDIR`
/// (unlinked as soon as it is open, so nothing is left behind).
///
/// Record offsets from the first pass are offsets into this file, and the second pass reads it
/// again from the start.
final class SplitSource {
  /// The name in findings and the manifest.
  let name: InputName
  /// The reader for the first pass.
  let firstPass: InputFile
  /// The reader for the second pass.
  let secondPass: InputFile
  /// Random access for verifying near duplicates (only when asked for).
  let records: RecordFile?
  /// The file's size in bytes when it was opened (for sizing the record table).
  let size: Int

  private init(
    name: InputName, firstPass: InputFile, secondPass: InputFile, records: RecordFile?, size: Int
  ) {
    self.name = name
    self.size = size
    self.firstPass = firstPass
    self.secondPass = secondPass
    self.records = records
  }

  /// Opens `name`, spooling it first when it can be read only once.
  /// - Parameters:
  ///   - name: the input.
  ///   - keepRecordFile: also open it for random access (near-duplicate verification).
  /// - Throws: ``TunePrepError`` when it cannot be opened, is a JSON array file, or the spool
  ///   cannot be written.
  static func open(_ name: InputName, keepRecordFile: Bool) throws(TunePrepError) -> SplitSource {
    if let path = name.path, !name.isReadOnce {
      let first = try InputFile(name)
      try refuseJSONArray(path)
      let second = try InputFile(name)
      let records = keepRecordFile ? try RecordFile.open(path: path) : nil
      return SplitSource(
        name: name, firstPass: first, secondPass: second, records: records, size: fileSize(path))
    }
    let spool = try spoolCopy(of: InputFile(name), prefix: "tuneprep-split-stdin")
    defer { spool.remove() }
    let first = try InputFile(name, openingPath: spool.path)
    let second = try InputFile(name, openingPath: spool.path)
    let records = keepRecordFile ? try RecordFile.open(path: spool.path) : nil
    return SplitSource(
      name: name, firstPass: first, secondPass: second, records: records,
      size: fileSize(spool.path))
  }

  /// A `.json` file holding one array is framed by elements, not lines, so offsets would not
  /// point into the file and records could span lines: ask for JSONL instead.
  private static func refuseJSONArray(_ path: String) throws(TunePrepError) {
    guard path.lowercased().hasSuffix(".json") else { return }
    let fd = openForReading(path)
    guard fd >= 0 else { return }
    defer { close(fd) }
    var head = [UInt8](repeating: 0, count: 4096)
    let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard n > 0 else { return }
    var k = 0
    if n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF { k = 3 }
    while k < n && isJSONWhitespace(head[k]) { k += 1 }
    if k < n && head[k] == UInt8(ascii: "[") {
      throw .failed(
        "\(path) holds a JSON array; split reads JSONL (one record per line): convert it first, for example with `jq -c '.[]' \(path) > data.jsonl`"
      )
    }
  }

}

/// `open(2)` for reading, outside ``SplitSource`` whose `open(_:keepRecordFile:)` would shadow it.
private func openForReading(_ path: String) -> Int32 {
  open(path, O_RDONLY | O_CLOEXEC)
}

/// The size of the file at `path`, or 0 when it cannot be read.
private func fileSize(_ path: String) -> Int {
  var info = stat()
  return stat(path, &info) == 0 ? Int(info.st_size) : 0
}
