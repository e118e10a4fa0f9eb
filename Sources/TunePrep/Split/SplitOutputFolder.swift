#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// What an existing `--out-dir` holds, sorted by what `split` may do with each entry.
///
/// A split writes only regular files: its split files, `manifest.json`, `--rejects` when it is
/// in the folder, and temporary files named `.NAME.tuneprep-XXXXXX`. An entry is an *output*
/// when it is a regular file that this run writes, `manifest.json`, or a file that the old
/// manifest lists (a split file of an earlier run); a *leftover* when it is a regular file
/// named like a temporary file; *foreign* otherwise (any other file, a folder, a symbolic
/// link, a pipe), which `--force` never removes.
struct SplitOutputFolder {
  /// The folder's path.
  let path: String
  /// The folder's own `stat` (mode, owner, device).
  let info: stat
  /// Regular files split replaces or removes, by name.
  private(set) var outputs: [String] = []
  /// Temporary files, by name.
  private(set) var leftovers: [String] = []
  /// Everything else, by name, sorted.
  private(set) var foreign: [String] = []
  /// The outputs that this run does not write: split files of an earlier run that the old
  /// manifest lists (`test.jsonl` when a three-way split is replaced by a two-way one).
  private(set) var stale: [String] = []
  /// The names a split run may own in the folder: this run's files, `manifest.json` and what
  /// the old manifest lists.
  private let owned: Set<String>

  /// Lists the folder.
  /// - Parameters:
  ///   - path: an existing folder.
  ///   - info: its `stat`.
  ///   - names: the files this run writes into it.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)`` when it cannot be listed.
  init(path: String, info: stat, writing names: Set<String>) throws(TunePrepError) {
    self.path = path
    self.info = info
    let listed = Self.regularFileNamesInOldManifest(joinPath(path, "manifest.json"))
    owned = names.union(listed).union(["manifest.json"])
    guard let entries = Self.list(path) else {
      throw .writeFailed(path: path, reason: "cannot list the folder: \(systemErrorMessage(errno))")
    }
    for name in entries.sorted() {
      var entry = stat()
      let regular =
        lstat(joinPath(path, name), &entry) == 0 && (entry.st_mode & S_IFMT) == S_IFREG
      if regular && owned.contains(name) {
        outputs.append(name)
        if !names.contains(name) { stale.append(name) }
      } else if regular && Self.isTemporaryName(name) {
        leftovers.append(name)
      } else {
        foreign.append(name)
      }
    }
  }

  /// Whether the folder counts as empty: nothing but temporary files of interrupted runs.
  var isEmpty: Bool { outputs.isEmpty && foreign.isEmpty }

  /// Whether `name` is the temporary file of one of split's own outputs (an earlier split's
  /// leftover, which no other run is still writing), as opposed to one of another output that
  /// may still be in progress (`--report-file` in the folder).
  func isSplitTemporary(_ name: String) -> Bool {
    Self.isTemporaryName(name) && owned.contains { name.hasPrefix(".\($0).tuneprep-") }
  }

  /// Removes the entries of the folder at `old` (this folder, since moved there) that split
  /// owns, moves other temporary files to `target`, and removes the folder if it is then empty.
  ///
  /// Only regular files named as outputs or temporary files are removed; anything that
  /// appeared meanwhile stays, and so does the folder with it.
  /// - Parameters:
  ///   - old: where the folder is now.
  ///   - target: the folder that replaced it, where an output still being written (a
  ///     `--report-file` in the folder, opened before split replaced it) is renamed at its end.
  func removeReplaced(at old: String, carryingOtherTemporariesTo target: String) {
    for name in Self.list(old) ?? [] {
      let from = joinPath(old, name)
      var entry = stat()
      guard lstat(from, &entry) == 0, (entry.st_mode & S_IFMT) == S_IFREG else { continue }
      if owned.contains(name) || isSplitTemporary(name) {
        unlink(from)
      } else if Self.isTemporaryName(name) {
        rename(from, joinPath(target, name))
      }
    }
    rmdir(old)
  }

  /// Whether a name is a temporary file's (`.NAME.tuneprep-XXXXXX`).
  static func isTemporaryName(_ name: String) -> Bool {
    name.hasPrefix(".") && name.contains(".tuneprep-")
  }

  /// The names in a folder (without `.` and `..`), or nil when it cannot be listed.
  static func list(_ path: String) -> [String]? {
    guard let dir = opendir(path) else { return nil }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  /// The `file` of every split an old `manifest.json` lists, as names in its folder; empty when
  /// there is no manifest or it cannot be read (then only this run's names are outputs).
  private static func regularFileNamesInOldManifest(_ path: String) -> Set<String> {
    var info = stat()
    guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
      info.st_size < 64 << 20,
      let bytes = try? readSmallFile(path),
      let manifest = try? JSONValue(parsing: String(decoding: bytes, as: UTF8.self)),
      case .array(let splits)? = manifest["splits"]
    else { return [] }
    var names: Set<String> = []
    for split in splits {
      guard let file = split["file"]?.stringValue, !file.isEmpty, !file.contains("/"),
        file != ".", file != ".."
      else { continue }
      names.insert(file)
    }
    return names
  }
}

/// Writes a folder's entries to disk (`fsync` of the folder), so that files created or renamed
/// in it survive a power loss.
/// - Parameter path: the folder.
/// - Returns: 0, or the `errno` value.
@discardableResult
func syncFolder(_ path: String) -> Int32 {
  let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
  guard fd >= 0 else { return errno }
  defer { close(fd) }
  if fsync(fd) != 0 && errno != EINVAL { return errno }
  return 0
}
