internal import CSystemShims

#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// The files `split` writes, all opened before any reading starts, and how they are published.
///
/// The split files and the manifest are written into a staging folder beside the out-dir,
/// `PARENT/.NAME.tuneprep-XXXXXX`. Once all of them are complete and on disk, ``commit()``
/// publishes them with one rename: the staging folder becomes the out-dir, or is exchanged
/// with the existing one (`renameat2` with `RENAME_EXCHANGE`), whose old files are then
/// removed. So at every moment, `kill -9` included, the out-dir holds what it held before or
/// the complete new set, and never a file of an earlier split beside the new ones.
///
/// Where the folder cannot be replaced as a whole (it is the current folder or `/`, a mount
/// point, or its parent cannot be written), the files are written in the out-dir under
/// temporary names instead, all finished before the first is renamed, the manifest last.
///
/// A `--rejects` file in the out-dir is staged with the split files; one elsewhere is an
/// ordinary atomic output, renamed just before the folder is published.
final class SplitOutputs {
  let splits: [OutputStream]
  let manifest: OutputStream
  let rejects: OutputStream?
  private let placement: Placement
  /// The out-dir as given, for messages.
  private let directory: String
  /// The split files' names, then the manifest's.
  private let names: [String]
  /// The rejects file's name when it is written in the staging folder with the split files.
  private let stagedRejectsName: String?
  /// The out-dir's parent folders that this run created, outermost first (removed again if
  /// the run fails).
  private let createdParents: [String]
  /// Set once the out-dir shows the new files: nothing of the staging folder is removed then.
  private var published = false
  /// The folders registered for removal on a signal (the output files register themselves).
  private var signalEntries: [SignalCleanup.Entry?]

  /// Where the outputs are written and how they reach the out-dir.
  private enum Placement {
    /// In `staging`, renamed to `target`, which does not exist.
    case create(staging: String, target: String)
    /// In `staging`, exchanged with `target`, the existing `folder`.
    case replace(staging: String, target: String, folder: SplitOutputFolder)
    /// In `target` under temporary names; `folder` is what it held, nil when this run created
    /// it.
    case inPlace(target: String, folder: SplitOutputFolder?)
  }

  private init(
    splits: [OutputStream], manifest: OutputStream, rejects: OutputStream?, names: [String],
    stagedRejectsName: String?, placement: Placement, directory: String, createdParents: [String],
    signalEntries: [SignalCleanup.Entry?]
  ) {
    self.createdParents = createdParents
    self.signalEntries = signalEntries
    self.splits = splits
    self.manifest = manifest
    self.rejects = rejects
    self.names = names
    self.stagedRejectsName = stagedRejectsName
    self.placement = placement
    self.directory = directory
  }

  /// Checks the out-dir and opens every output.
  ///
  /// An existing out-dir must be empty (temporary files of interrupted runs aside) unless
  /// `force`. With `force`, a folder replaced as a whole may hold only what a split writes
  /// (``SplitOutputFolder``): anything else is refused before anything is written, since it
  /// would be lost. No file that `force` would remove may be an input.
  /// - Parameters:
  ///   - names: the split files' names, then the manifest's.
  ///   - directory: the output folder (`--out-dir`).
  ///   - force: allow a folder that is not empty, and replace the split files in it.
  ///   - rejects: the rejects file, if any.
  ///   - inputs: the files the run reads.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)`` when the folder cannot be made or
  ///   written, ``TunePrepError/failed(_:)`` for a folder that may not be replaced.
  static func open(
    names: [String], directory: String, force: Bool, rejects: String?, inputs: OverwriteGuard
  ) throws(TunePrepError) -> SplitOutputs {
    var path = directory
    while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    // A link to a folder is followed, as for a file: the folder it names is replaced.
    path = followingLinks(path)
    var info = stat()
    var exists = stat(path, &info) == 0
    var createdParents: [String] = []
    if !exists {
      createdParents = try makeDirectories(parentPath(of: path), for: directory)
      exists = stat(path, &info) == 0
    }
    /// Removes the parent folders this run created, if still empty.
    func removeCreatedParents() {
      for folder in createdParents.reversed() { rmdir(folder) }
    }
    if exists && (info.st_mode & S_IFMT) != S_IFDIR {
      removeCreatedParents()
      throw .writeFailed(
        path: directory, reason: "it exists and is not a folder: name a folder for --out-dir")
    }
    let parentResolved = resolvedPath(parentPath(of: path))
    guard
      let target = exists
        ? resolvedPath(path) : parentResolved.map({ joinPath($0, lastComponent(of: path)) })
    else {
      removeCreatedParents()
      throw .writeFailed(
        path: directory, reason: "cannot find the folder: \(systemErrorMessage(errno))")
    }
    let parent = parentPath(of: target)
    let rejectsName = rejects.flatMap { name(in: target, of: $0) }
    var fileNames = Set(names)
    if let rejectsName { fileNames.insert(rejectsName) }

    var folder: SplitOutputFolder?
    var whole = canReplaceWhole(target, parent: parent, info: exists ? info : nil)
    if exists {
      if access(target, W_OK | X_OK) != 0 {
        throw .writeFailed(path: directory, reason: systemErrorMessage(errno))
      }
      let existing = try SplitOutputFolder(path: target, info: info, writing: fileNames)
      try refuse(existing, directory: directory, force: force, whole: whole, inputs: inputs)
      folder = existing
    }

    var staging: String?
    var signalEntries: [SignalCleanup.Entry?] = []
    if whole {
      staging = makeTemporaryFolder(beside: target)
      whole = staging != nil
    }
    if let staging {
      if !exists {
        // mkdtemp makes 0700; a new out-dir gets what `mkdir` would give it.
        let mask = umask(0)
        umask(mask)
        chmod(staging, 0o777 & ~mask)
      }
      signalEntries.append(SignalCleanup.register(staging, .folder))
    } else if !exists {
      if mkdir(target, 0o777) != 0 {
        removeCreatedParents()
        throw .writeFailed(
          path: directory,
          reason: "cannot create the folder \(directory): \(systemErrorMessage(errno))")
      }
    }
    let placement: Placement =
      if let staging, let folder {
        .replace(staging: staging, target: target, folder: folder)
      } else if let staging {
        .create(staging: staging, target: target)
      } else {
        .inPlace(target: target, folder: folder)
      }

    var streams: [OutputStream] = []
    var rejectsStream: OutputStream?
    do throws(TunePrepError) {
      // Messages name every file where it ends up, as the user spelled the folder.
      let folderPath = staging ?? target
      for name in names {
        streams.append(
          try OutputStream.file(
            joinPath(folderPath, name), overwrite: true, shownAs: joinPath(directory, name)))
      }
      if let rejects {
        let path = staging.flatMap { staging in rejectsName.map { joinPath(staging, $0) } }
        rejectsStream = try OutputStream.file(path ?? rejects, overwrite: true, shownAs: rejects)
      }
      guard let manifest = streams.popLast() else {
        throw .failed("split needs at least one output")
      }
      let stagedRejectsName = staging == nil ? nil : rejectsName
      // A signal removes the temporary files (each output registered its own, the staging
      // folder is already registered), and then the out-dir if this run made it.
      if staging == nil && !exists {
        signalEntries.append(SignalCleanup.register(target, .emptyFolder))
      }
      for folder in createdParents.reversed() {
        signalEntries.append(SignalCleanup.register(folder, .emptyFolder))
      }
      return SplitOutputs(
        splits: streams, manifest: manifest, rejects: rejectsStream, names: names,
        stagedRejectsName: stagedRejectsName, placement: placement, directory: directory,
        createdParents: createdParents, signalEntries: signalEntries)
    } catch {
      signalEntries.forEach(SignalCleanup.unregister)
      for stream in streams { stream.discard() }
      rejectsStream?.discard()
      if let staging {
        removeFolder(staging)
      } else if !exists {
        rmdir(target)
      }
      removeCreatedParents()
      throw error
    }
  }

  /// Publishes every output: the split files and the manifest in the out-dir, and the rejects
  /// file.
  ///
  /// Every file is written to disk before the first visible rename. Through a staging folder,
  /// the rejects file (outside the out-dir) is renamed first and the folder last; in place,
  /// with `--force`, the old manifest and the earlier split files this run does not write are
  /// removed first, then the split files are renamed, the manifest last.
  /// - Throws: ``TunePrepError/writeFailed(path:reason:)``.
  func commit() throws(TunePrepError) {
    switch placement {
    case .create(let staging, let target):
      try finishStaged(staging)
      try publish(staging, as: target)
    case .replace(let staging, let target, let folder):
      try finishStaged(staging)
      try publish(staging, replacing: folder, at: target)
    case .inPlace(let target, let folder):
      for stream in splits + [manifest] { try stream.finish() }
      try rejects?.finish()
      keepOnSignal()
      try rejects?.moveIntoPlace()
      try moveIntoPlaceOneByOne(
        splits.map { .stream($0) }, manifest: .stream(manifest), in: target, replacing: folder)
    }
  }

  /// Removes every file not yet published, and the staging folder (or the out-dir, if this
  /// run made it and it is empty).
  func discard() {
    keepOnSignal()
    for stream in splits + [manifest] { stream.discard() }
    rejects?.discard()
    guard !published else { return }
    switch placement {
    case .create(let staging, _), .replace(let staging, _, _):
      Self.removeFolder(staging)
    case .inPlace(let target, let folder):
      if folder == nil { rmdir(target) }
    }
    for folder in createdParents.reversed() { rmdir(folder) }
  }

  /// Stops removing split's files and folders on a signal.
  ///
  /// From here a signal leaves them as `kill -9` would. Other temporary files (the report's)
  /// are still removed.
  private func keepOnSignal() {
    signalEntries.forEach(SignalCleanup.unregister)
    signalEntries = []
    for stream in splits + [manifest] { stream.keepOnSignal() }
    rejects?.keepOnSignal()
  }

  // MARK: Publishing

  /// Completes every staged file (written, on disk, under its name in the staging folder) and
  /// the rejects file outside it, then renames the rejects file: all that is left is the
  /// folder's rename.
  private func finishStaged(_ staging: String) throws(TunePrepError) {
    // Inside the staging folder a rename is invisible: each file is committed on its own.
    for stream in splits + [manifest] { try stream.commit() }
    if stagedRejectsName != nil {
      try rejects?.commit()
    } else {
      try rejects?.finish()
    }
    let code = syncFolder(staging)
    if code != 0 {
      throw .writeFailed(path: directory, reason: systemErrorMessage(code))
    }
    // From here a signal leaves things as `kill -9` would: the old folder or the new one.
    keepOnSignal()
    if stagedRejectsName == nil { try rejects?.moveIntoPlace() }
  }

  /// Renames the staging folder to the new out-dir `target`.
  private func publish(_ staging: String, as target: String) throws(TunePrepError) {
    var code = tuneprep_rename_noreplace(staging, target)
    if code == EINVAL || code == ENOSYS || code == EOPNOTSUPP {
      code = rename(staging, target) == 0 ? 0 : errno
    }
    guard code == 0 else {
      throw .writeFailed(
        path: directory,
        reason: code == EEXIST || code == ENOTEMPTY
          ? "the folder was created by another program while split was running; nothing was written to it: run split again"
          : "cannot rename the finished split folder to it: \(systemErrorMessage(code))")
    }
    published = true
    syncFolder(parentPath(of: target))
  }

  /// Puts the staging folder in place of the existing out-dir `target` and removes the old one.
  ///
  /// The new folder gets the old one's permissions (and owner, where allowed). Without
  /// `RENAME_EXCHANGE` the old folder is first renamed aside: the out-dir is then missing for a
  /// moment, but never holds a mix. Where the folder turns out not to be replaceable (`EXDEV`,
  /// `EBUSY`), the files are moved into it one by one.
  private func publish(
    _ staging: String, replacing folder: SplitOutputFolder, at target: String
  ) throws(TunePrepError) {
    chmod(staging, folder.info.st_mode & 0o7777)
    if folder.info.st_uid != geteuid() || folder.info.st_gid != getegid() {
      _ = chown(staging, folder.info.st_uid, folder.info.st_gid)
    }
    var old = staging
    var code = tuneprep_rename_exchange(staging, target)
    if code == EINVAL || code == ENOSYS || code == EOPNOTSUPP || code == ENOTSUP {
      guard let aside = Self.makeTemporaryFolder(beside: target) else {
        throw .writeFailed(
          path: directory, reason: "cannot replace the folder: \(systemErrorMessage(errno))")
      }
      // Renaming a folder over an empty one replaces it.
      if rename(target, aside) != 0 {
        code = errno
        rmdir(aside)
      } else if rename(staging, target) != 0 {
        code = errno
        if rename(aside, target) != 0 {
          throw .writeFailed(
            path: directory,
            reason:
              "cannot rename the finished split folder to it (\(systemErrorMessage(code))), and the old folder could not be put back: it is at \(aside)"
          )
        }
      } else {
        code = 0
        old = aside
      }
    }
    if code == EXDEV || code == EBUSY {
      try moveFilesOneByOne(from: staging, into: folder, at: target)
      return
    }
    guard code == 0 else {
      throw .writeFailed(
        path: directory,
        reason: "cannot replace the folder with the finished one: \(systemErrorMessage(code))")
    }
    published = true
    syncFolder(parentPath(of: target))
    folder.removeReplaced(at: old, carryingOtherTemporariesTo: target)
  }

  /// Moves the finished files from the staging folder into the out-dir when the folder itself
  /// cannot be replaced: first each under a temporary name in the out-dir (a failure there
  /// leaves the out-dir as it was), then as in ``moveIntoPlaceOneByOne(_:manifest:in:replacing:)``.
  private func moveFilesOneByOne(
    from staging: String, into folder: SplitOutputFolder, at target: String
  ) throws(TunePrepError) {
    // The manifest is last in `names`, so it is renamed last.
    var files = names
    if let stagedRejectsName { files.insert(stagedRejectsName, at: 0) }
    let suffix = lastComponent(of: staging).split(separator: "-").last.map(String.init) ?? "0"
    var moved: [(temporary: String, final: String)] = []
    for name in files {
      let temporary = joinPath(target, ".\(name).tuneprep-\(suffix)")
      if rename(joinPath(staging, name), temporary) != 0 {
        let code = errno
        for file in moved { unlink(file.temporary) }
        throw .writeFailed(
          path: directory,
          reason: "cannot move the finished files into it: \(systemErrorMessage(code))")
      }
      moved.append((temporary, joinPath(target, name)))
    }
    rmdir(staging)
    published = true
    let renames = moved.map { Move.file(from: $0.temporary, to: $0.final) }
    try moveIntoPlaceOneByOne(
      Array(renames.dropLast()), manifest: renames[renames.count - 1], in: target,
      replacing: folder)
  }

  /// A finished file to rename to its final name.
  private enum Move {
    /// An output still under its temporary name.
    case stream(OutputStream)
    /// A file already moved into the out-dir under a temporary name.
    case file(from: String, to: String)

    func perform() throws(TunePrepError) {
      switch self {
      case .stream(let stream):
        try stream.moveIntoPlace()
      case .file(let from, let to):
        if rename(from, to) != 0 {
          let code = errno
          unlink(from)
          throw .writeFailed(path: to, reason: systemErrorMessage(code))
        }
      }
    }
  }

  /// Renames finished files into the out-dir one at a time, the manifest last.
  ///
  /// With `--force`, the old manifest goes first and the earlier split files this run does not
  /// write next, so a manifest never sits beside files it does not describe; an interruption
  /// can still leave some new split files without a manifest.
  private func moveIntoPlaceOneByOne(
    _ files: [Move], manifest: Move, in target: String, replacing folder: SplitOutputFolder?
  ) throws(TunePrepError) {
    if let folder {
      if folder.outputs.contains("manifest.json") { unlink(joinPath(target, "manifest.json")) }
      for name in folder.stale { unlink(joinPath(target, name)) }
    }
    for file in files { try file.perform() }
    try manifest.perform()
    syncFolder(target)
  }

  // MARK: Checks and folders

  /// Refuses an existing out-dir that this run may not write: not empty without `force`,
  /// holding anything split does not write when it is replaced as a whole, or holding an input
  /// that `force` would remove.
  private static func refuse(
    _ folder: SplitOutputFolder, directory: String, force: Bool, whole: Bool,
    inputs: OverwriteGuard
  ) throws(TunePrepError) {
    if !force && !folder.isEmpty {
      if whole, let name = folder.foreign.first {
        throw .failed(
          "\(directory) already exists and holds \(name), which split does not write: name a new or empty folder for --out-dir"
        )
      }
      throw .failed(
        "\(directory) already exists and is not empty: pass --force to replace the split files and manifest in it, or name a new folder"
      )
    }
    // Everything split removes from the folder: with a staging folder the old folder goes
    // whole, in place only the earlier split files this run does not write (the files it does
    // write were checked against the inputs before).
    let removed =
      whole ? folder.outputs + folder.leftovers.filter(folder.isSplitTemporary) : folder.stale
    for name in removed {
      let path = joinPath(directory, name)
      if let input = inputs.input(namedBy: path) {
        throw .failed(
          "\(input) is an input, and --force would remove \(path) (a file of the split in \(directory) that this run does not write): inputs are never modified; copy it elsewhere, or choose another --out-dir"
        )
      }
    }
    if whole, let name = folder.foreign.first {
      throw .failed(
        "\(directory) holds \(name), which split does not write, and --force replaces the whole folder: move \(name) out of it, or choose another --out-dir"
      )
    }
  }

  /// Whether the folder `target` (existing when `info` is given) can be replaced by renaming
  /// another folder onto it.
  ///
  /// Not `/`, the current folder or one holding it (its name would then lead to the old folder
  /// for this process), a mount point (the rename fails), or a folder whose parent cannot be
  /// written or keeps others' entries (sticky, like `/tmp`).
  private static func canReplaceWhole(_ target: String, parent: String, info: stat?) -> Bool {
    if target == parent || target == "/" { return false }
    var up = stat()
    guard stat(parent, &up) == 0, access(parent, W_OK | X_OK) == 0 else { return false }
    guard let info else { return true }
    if let current = resolvedPath("."), current == target || current.hasPrefix(target + "/") {
      return false
    }
    if up.st_dev != info.st_dev { return false }
    var mount: UInt64 = 0
    var parentMount: UInt64 = 0
    if tuneprep_mount_id(target, &mount) == 0 && tuneprep_mount_id(parent, &parentMount) == 0
      && mount != parentMount
    {
      return false
    }
    let user = geteuid()
    if up.st_mode & S_ISVTX != 0 && user != 0 && info.st_uid != user && up.st_uid != user {
      return false
    }
    return true
  }

  /// A new folder `.NAME.tuneprep-XXXXXX` beside `path` (mode 0700), or nil when it cannot be
  /// made.
  private static func makeTemporaryFolder(beside path: String) -> String? {
    let template = joinPath(parentPath(of: path), ".\(lastComponent(of: path)).tuneprep-XXXXXX")
    var bytes = Array(template.utf8CString)
    let made = bytes.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress.map { mkdtemp($0) != nil } ?? false
    }
    guard made else { return nil }
    return String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Removes a folder holding only files (a staging folder), files first.
  private static func removeFolder(_ path: String) {
    for name in SplitOutputFolder.list(path) ?? [] { unlink(joinPath(path, name)) }
    rmdir(path)
  }

  /// The name of `file` in the folder `target` when `file` is written directly in it, else nil.
  private static func name(in target: String, of file: String) -> String? {
    guard file != "-", descriptorNamed(by: file) == nil else { return nil }
    let followed = followingLinks(file)
    guard let resolved = resolvedOutputPath(followed) ?? resolvedFuturePath(followed),
      parentPath(of: resolved) == target
    else { return nil }
    return lastComponent(of: resolved)
  }

  /// `mkdir -p`: creates the folder and any missing parents.
  /// - Parameters:
  ///   - path: the folder to create.
  ///   - directory: the out-dir as given, for messages.
  /// - Returns: the folders created, outermost first.
  private static func makeDirectories(_ path: String, for directory: String)
    throws(TunePrepError) -> [String]
  {
    var prefix = path.hasPrefix("/") ? "/" : ""
    var created: [String] = []
    for part in path.split(separator: "/") {
      prefix += part
      if mkdir(prefix, 0o777) == 0 {
        created.append(prefix)
      } else if errno != EEXIST {
        let code = errno
        for folder in created.reversed() { rmdir(folder) }
        throw .writeFailed(
          path: directory,
          reason: "cannot create the folder \(prefix): \(systemErrorMessage(code))")
      }
      prefix += "/"
    }
    var info = stat()
    if stat(path, &info) != 0 || (info.st_mode & S_IFMT) != S_IFDIR {
      for folder in created.reversed() { rmdir(folder) }
      throw .writeFailed(
        path: directory,
        reason: "cannot create the folder \(directory): \(path) is not a folder")
    }
    return created
  }
}

/// The folder part of a path: `a` for `a/b`, `.` for `b`, `/` for `/b` and `/`.
func parentPath(of path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// The last component of a path: `b` for `a/b`.
func lastComponent(of path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return path }
  return String(path[path.index(after: slash)...])
}
