#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Finds the documents that `$ref`s point to, without any network access.
///
/// The draft meta-schemas are built in. Other absolute URLs resolve only through mappings from a
/// URL prefix to a local directory (`--ref-base https://example.com/schemas/=./schemas`); `file:`
/// URLs are read directly. Anything else is an error that says how to map it.
public struct SchemaResolver: Sendable {
  /// A URL prefix and the directory whose files stand for the URLs under it.
  public struct Mapping: Sendable, Equatable {
    /// An absolute URL prefix, such as `http://localhost:1234/`.
    public var prefix: String
    /// A local directory path.
    public var directory: String
    /// Creates a mapping.
    public init(prefix: String, directory: String) {
      self.prefix = prefix
      self.directory = directory
    }
  }

  /// The mappings, tried longest prefix first.
  public var mappings: [Mapping]

  /// Creates a resolver with the given mappings.
  public init(mappings: [Mapping] = []) {
    self.mappings = mappings
  }

  /// Parses a `URL=DIR` argument (the `--ref-base` syntax).
  /// - Returns: nil when there is no `=` or either side is empty.
  public static func mapping(parsing argument: String) -> Mapping? {
    guard let eq = argument.firstIndex(of: "=") else { return nil }
    let prefix = String(argument[..<eq])
    let directory = String(argument[argument.index(after: eq)...])
    guard !prefix.isEmpty, !directory.isEmpty else { return nil }
    return Mapping(prefix: prefix, directory: directory)
  }

  /// The text of the document at `uri` (no fragment).
  /// - Throws: ``SchemaCompileError`` when the URI is not built in, not mapped, or the file is missing.
  func load(_ uri: String) throws(SchemaCompileError) -> [UInt8] {
    if let builtin = MetaSchemas.documents[uri] {
      return Array(builtin.utf8)
    }
    let sorted = mappings.sorted { $0.prefix.count > $1.prefix.count }
    var path: String?
    for mapping in sorted where uri.hasPrefix(mapping.prefix) {
      let rest = String(uri.dropFirst(mapping.prefix.count))
      var dir = mapping.directory
      if !dir.hasSuffix("/") && !rest.hasPrefix("/") && !rest.isEmpty { dir += "/" }
      path = dir + percentDecoded(rest)
      break
    }
    if path == nil, uri.hasPrefix("file://") {
      path = percentDecoded(URIReference(uri).path)
    }
    guard let path else {
      throw SchemaCompileError(
        "cannot resolve \(uri): remote references are never fetched; map its URL prefix to a local directory with --ref-base URL=DIR"
      )
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw SchemaCompileError("cannot read \(path) (for \(uri))")
    }
    return Array(data)
  }
}
