#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Finds the `.tiktoken` vocabulary files.
///
/// Search order: the `--vocab-dir` folder if given (then only it), else `TUNEPREP_VOCAB_DIR` if
/// set (then only it), else `<prefix>/share/tuneprep/vocab` for an executable installed as
/// `<prefix>/bin/tuneprep` (what `make install` fills), then `./vocab` (what `make vocab` fills
/// in a checkout).
public struct VocabularyLocator: Sendable, Equatable {
  /// The environment variable naming the vocabulary folder.
  public static let environmentVariable = "TUNEPREP_VOCAB_DIR"

  /// The folders searched, in order.
  public var directories: [String]

  /// Creates a locator with an explicit search list.
  /// - Parameter directories: folders to search, in order.
  public init(directories: [String]) {
    self.directories = directories
  }

  /// Creates the locator the command line uses.
  /// - Parameters:
  ///   - vocabDir: the `--vocab-dir` option, if given.
  ///   - environment: the environment to read ``environmentVariable`` from (default: the
  ///     process environment).
  ///   - executablePath: the running executable, for the installed default (default: this
  ///     process's executable).
  ///   - currentDirectory: the folder `./vocab` is relative to (default: the current folder).
  public init(
    vocabDir: String? = nil,
    environment: [String: String]? = nil,
    executablePath: String? = nil,
    currentDirectory: String? = nil
  ) {
    let environment = environment ?? ProcessInfo.processInfo.environment
    let executablePath = executablePath ?? Self.currentExecutablePath()
    let currentDirectory = currentDirectory ?? FileManager.default.currentDirectoryPath
    if let vocabDir, !vocabDir.isEmpty {
      directories = [vocabDir]
    } else if let fromEnvironment = environment[Self.environmentVariable], !fromEnvironment.isEmpty
    {
      directories = [fromEnvironment]
    } else {
      var list: [String] = []
      if let executablePath {
        let binDir = URL(fileURLWithPath: executablePath).deletingLastPathComponent()
        let share = binDir.deletingLastPathComponent().appendingPathComponent(
          "share/tuneprep/vocab")
        list.append(share.standardizedFileURL.path)
      }
      list.append(URL(fileURLWithPath: currentDirectory).appendingPathComponent("vocab").path)
      directories = list
    }
  }

  /// The path of the running executable (symbolic links resolved on Linux), if known.
  public static func currentExecutablePath() -> String? {
    if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      return target
    }
    return CommandLine.arguments.first.flatMap { $0.contains("/") ? $0 : nil }
  }

  /// The first existing `<name>.tiktoken` in the search folders.
  /// - Parameter encoding: the encoding.
  /// - Throws: ``TokenizerError/vocabularyMissing(encoding:searched:)``, which names `make vocab`.
  /// - Returns: the file path.
  public func path(for encoding: TokenEncoding) throws(TokenizerError) -> String {
    for directory in directories {
      let path = URL(fileURLWithPath: directory).appendingPathComponent(encoding.fileName).path
      if FileManager.default.isReadableFile(atPath: path) { return path }
    }
    throw .vocabularyMissing(encoding: encoding.rawValue, searched: directories)
  }
}
