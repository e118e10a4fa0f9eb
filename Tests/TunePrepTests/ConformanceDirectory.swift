import Foundation

/// Where the shared conformance suites live: `TUNEPREP_CONFORMANCE_DIR`, else `../shared/conformance`
/// relative to the package root.
enum ConformanceDirectory {
  static var url: URL {
    if let override = ProcessInfo.processInfo.environment["TUNEPREP_CONFORMANCE_DIR"],
      !override.isEmpty
    {
      return URL(fileURLWithPath: override)
    }
    return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/conformance")
  }

  /// The package root, found from this source file's location.
  static var packageRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
  }
}
