#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// Decides whether a path a command is about to write names the same file as one of its
/// inputs, so that the command can refuse before it opens or replaces anything.
///
/// Every command checks every file it writes (`--output`, `--rejects`, `--report-file`, split's
/// files and manifest, ...) against every file it reads (the inputs, and files such as
/// `--against`, `--schema` or `--template`) with one guard, because inputs are never modified.
///
/// Two paths name the same file when:
/// - the output exists: it is a regular file with the device and inode of an input (`stat(2)`,
///   which follows symbolic links), so `./data.jsonl`, a symbolic link, a hard link or a path
///   through a linked folder all count;
/// - it does not exist yet: its resolved path (`realpath(3)` of its folder, then its last
///   component) equals an input's resolved path.
///
/// Standard output (`-`) and outputs that are not regular files (`/dev/null`, `/dev/stdout`, a
/// named pipe) are written in place and never count. Standard input counts only when it is
/// redirected from a regular file (`tuneprep dedupe < data.jsonl -o data.jsonl`).
public struct OverwriteGuard: Sendable {
  /// One input: the name to show in messages, its identity and its resolved path.
  private struct Input: Sendable {
    let name: String
    let identity: FileIdentity?
    let resolved: String?
  }

  private let inputs: [Input]

  /// Records the inputs a command reads.
  ///
  /// Each is examined now, so the guard compares against the files as they are before the
  /// command writes anything.
  /// - Parameter inputs: input paths as given on the command line; `-` is standard input.
  public init(inputs: [String]) {
    self.inputs = inputs.map { path in
      if path == "-" {
        return Input(name: "<stdin>", identity: FileIdentity(descriptor: 0), resolved: nil)
      }
      return Input(
        name: path, identity: FileIdentity(path: path), resolved: resolvedOutputPath(path))
    }
  }

  /// Records the inputs a command reads.
  /// - Parameter inputs: the inputs; standard input is included.
  public init(inputs: [InputName]) {
    self.init(inputs: inputs.map { $0.path ?? "-" })
  }

  /// The input that `output` names, if any.
  /// - Parameter output: a path the command would write; `-` is standard output.
  /// - Returns: the input's name as given (`<stdin>` for standard input), or nil.
  public func input(namedBy output: String) -> String? {
    // A device or pipe is written in place (no target), and a folder is refused elsewhere.
    switch OutputTarget(output) {
    case .existing(let identity): inputs.first { $0.identity == identity }?.name
    case .new(let resolved): inputs.first { $0.resolved == resolved }?.name
    case nil: nil
    }
  }

  /// Refuses an output that names an input.
  /// - Parameters:
  ///   - output: a path the command would write, or nil when the option is not given.
  ///   - option: the option that names it, for the message (`--output`, `--out-dir`, ...).
  /// - Throws: ``TunePrepError/outputIsInput(input:output:option:)``.
  public func check(_ output: String?, option: String) throws(TunePrepError) {
    guard let output, let input = input(namedBy: output) else { return }
    throw .outputIsInput(input: input, output: output, option: option)
  }

  /// Refuses any of `outputs` that names an input, checked in order, then any two of them that
  /// name one file (`-o x --rejects x`), since the one written last would silently replace the
  /// other.
  /// - Parameter outputs: each path with the option that names it; nil paths are skipped.
  /// - Throws: ``TunePrepError/outputIsInput(input:output:option:)`` for the first that names
  ///   an input, else ``TunePrepError/outputsCollide(first:firstOption:second:secondOption:)``.
  public func check(_ outputs: [(path: String?, option: String)]) throws(TunePrepError) {
    for (path, option) in outputs { try check(path, option: option) }
    var seen: [(target: OutputTarget, path: String, option: String)] = []
    for case (let path?, let option) in outputs {
      guard let target = OutputTarget(path) else { continue }
      if let earlier = seen.first(where: { $0.target == target }) {
        throw .outputsCollide(
          first: earlier.path, firstOption: earlier.option, second: path, secondOption: option)
      }
      seen.append((target, path, option))
    }
  }
}

/// The file an output path would write, as far as it can be compared with an input or another
/// output.
///
/// An existing regular file is compared by identity, a new file by its resolved path. Standard
/// output, devices and pipes have none (they are written in place, and `/dev/null` twice is
/// fine).
private enum OutputTarget: Equatable {
  case existing(FileIdentity)
  case new(String)

  init?(_ path: String) {
    guard path != "-" else { return nil }
    // Outputs are written through symbolic links (``OutputStream/file(_:overwrite:)``), so a
    // link to a file that does not exist yet is that file.
    let path = followingLinks(path)
    var info = stat()
    if stat(path, &info) == 0 {
      guard info.st_mode & S_IFMT == S_IFREG else { return nil }
      self = .existing(FileIdentity(info))
    } else if let resolved = resolvedOutputPath(path) ?? resolvedFuturePath(path) {
      self = .new(resolved)
    } else {
      return nil
    }
  }
}

/// The absolute path `path` would have once its missing folders are created.
///
/// That is the longest existing ancestor with symbolic links resolved, then the rest as written,
/// with `.` dropped and `..` taking away the component before it (no component past the
/// existing ancestor can be a link). Split's `--out-dir` is such a folder. Nil when no ancestor
/// resolves.
func resolvedFuturePath(_ path: String) -> String? {
  var base = path.hasPrefix("/") ? "/" : "."
  var rest: [Substring] = []
  var existing = ""
  for component in path.split(separator: "/") {
    if rest.isEmpty {
      let candidate = joinPath(existing.isEmpty ? base : existing, String(component))
      if resolvedPath(candidate) != nil {
        existing = candidate
        continue
      }
    }
    rest.append(component)
  }
  if !existing.isEmpty { base = existing }
  guard var resolved = resolvedPath(base) else { return nil }
  for component in rest where component != "." {
    if component == ".." {
      if let slash = resolved.lastIndex(of: "/"), resolved != "/" {
        resolved = slash == resolved.startIndex ? "/" : String(resolved[..<slash])
      }
    } else {
      resolved = joinPath(resolved, String(component))
    }
  }
  return resolved
}

/// A file's device and inode: equal for every path that reaches the same file.
private struct FileIdentity: Sendable, Equatable {
  let device: UInt64
  let inode: UInt64

  init(_ info: stat) {
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
  }

  /// The identity of the regular file at `path`, or nil when there is none.
  init?(path: String) {
    var info = stat()
    guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
    self.init(info)
  }

  /// The identity of the regular file open as `descriptor`, or nil when it is not one.
  init?(descriptor: Int32) {
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
    self.init(info)
  }
}

/// The absolute path `path` would have once created: its folder with symbolic links resolved,
/// then its last component; nil when the folder does not exist.
///
/// The last component is kept as written, so a path whose last component is itself a link is
/// compared by identity (it exists), not here.
func resolvedOutputPath(_ path: String) -> String? {
  var trimmed = Substring(path)
  while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
  let slash = trimmed.lastIndex(of: "/")
  let folder = slash.map { $0 == trimmed.startIndex ? "/" : String(trimmed[..<$0]) } ?? "."
  let name = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? String(trimmed)
  guard !name.isEmpty, name != ".", name != "..", let real = resolvedPath(folder) else {
    return resolvedPath(path)
  }
  return joinPath(real, name)
}

/// The absolute path with symbolic links resolved, or nil when it does not exist.
func resolvedPath(_ path: String) -> String? {
  guard let resolved = realpath(path, nil) else { return nil }
  defer { free(resolved) }
  return String(cString: resolved)
}

/// `directory/name`, without doubling a trailing slash.
func joinPath(_ directory: String, _ name: String) -> String {
  directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
