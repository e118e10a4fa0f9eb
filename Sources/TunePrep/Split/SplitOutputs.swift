#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// The files `split` writes, all opened under temporary names before any reading starts.
///
/// A bad destination fails at once and an interrupted run leaves nothing under a final name.
/// ``commit()`` renames the split files and the rejects file first and the manifest last, so
/// a manifest always describes complete files.
final class SplitOutputs {
  let splits: [OutputStream]
  let manifest: OutputStream
  let rejects: OutputStream?
  /// The folder, when this run created it (removed again if the run fails).
  private let createdDirectory: String?

  private init(
    splits: [OutputStream], manifest: OutputStream, rejects: OutputStream?,
    createdDirectory: String?
  ) {
    self.splits = splits
    self.manifest = manifest
    self.rejects = rejects
    self.createdDirectory = createdDirectory
  }

  /// Checks the folder and opens every output.
  /// - Parameters:
  ///   - paths: the split files, then the manifest.
  ///   - directory: the output folder.
  ///   - force: allow a folder that is not empty, and replace files in it.
  ///   - rejects: the rejects file, if any.
  /// - Throws: ``TunePrepError/outputExists(path:)`` for a non-empty folder without `force`,
  ///   ``TunePrepError/writeFailed(path:reason:)`` when the folder cannot be made or written.
  static func open(paths: [String], directory: String, force: Bool, rejects: String?)
    throws(TunePrepError) -> SplitOutputs
  {
    var info = stat()
    var created: String?
    if stat(directory, &info) == 0 {
      guard (info.st_mode & S_IFMT) == S_IFDIR else {
        throw .writeFailed(
          path: directory, reason: "it exists and is not a folder: name a folder for --out-dir")
      }
      if !force && !isEmptyDirectory(directory) {
        throw .failed(
          "\(directory) already exists and is not empty: pass --force to replace the split files and manifest in it, or name a new folder"
        )
      }
    } else {
      try makeDirectories(directory)
      created = directory
    }
    var streams: [OutputStream] = []
    do throws(TunePrepError) {
      for path in paths {
        streams.append(try OutputStream.file(path, overwrite: true))
      }
      let rejectsStream = try rejects.map { (path) throws(TunePrepError) in
        try OutputStream.file(path, overwrite: true)
      }
      guard let manifest = streams.popLast() else {
        throw .failed("split needs at least one output")
      }
      return SplitOutputs(
        splits: streams, manifest: manifest, rejects: rejectsStream, createdDirectory: created)
    } catch {
      for stream in streams { stream.discard() }
      if let created { rmdir(created) }
      throw error
    }
  }

  /// Renames every output to its final name, the manifest last.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)``.
  func commit() throws(TunePrepError) {
    for stream in splits { try stream.commit() }
    try rejects?.commit()
    try manifest.commit()
  }

  /// Removes every temporary file (and the folder, if this run made it and it is empty).
  func discard() {
    for stream in splits { stream.discard() }
    rejects?.discard()
    manifest.discard()
    if let createdDirectory { rmdir(createdDirectory) }
  }

  /// Whether the folder holds nothing but leftovers of an interrupted run.
  private static func isEmptyDirectory(_ path: String) -> Bool {
    guard let dir = opendir(path) else { return false }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      // Temporary files of an interrupted run (`.train.jsonl.tuneprep-XXXXXX`) do not count.
      if name == "." || name == ".." || (name.hasPrefix(".") && name.contains(".tuneprep-")) {
        continue
      }
      return false
    }
    return true
  }

  /// `mkdir -p`: creates the folder and any missing parents.
  private static func makeDirectories(_ path: String) throws(TunePrepError) {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
      prefix += part
      if mkdir(prefix, 0o777) != 0 && errno != EEXIST {
        throw .writeFailed(
          path: path, reason: "cannot create the folder \(prefix): \(systemErrorMessage(errno))")
      }
      prefix += "/"
    }
  }
}
