/// Extra speaker names for formats that name speakers freely (sharegpt's `from`), mapped to
/// canonical roles: `--role-map human=user,gpt=assistant,bot=assistant`.
public struct RoleMap: Sendable, Equatable {
  /// The mappings in the order given.
  public private(set) var entries: [Entry] = []

  /// One `name=role` mapping.
  public struct Entry: Sendable, Equatable {
    /// The speaker name as written in the input.
    public var name: String
    /// The canonical role it stands for.
    public var role: Role
  }

  /// Creates an empty map.
  public init() {}

  /// Parses `name=role[,name=role...]`; roles are `system`, `user`, `assistant`, `tool`, or the
  /// sharegpt and gemini names `human`, `gpt`, `model`, `observation`.
  /// - Parameter text: the option value.
  /// - Throws: a message saying which entry is wrong, or which name is mapped to two roles.
  public init(parsing text: String) throws(RoleMapError) {
    for item in text.split(separator: ",", omittingEmptySubsequences: true) {
      let parts = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces() }
      guard parts.count == 2, !parts[0].isEmpty else {
        throw RoleMapError(message: "'\(item)' is not name=role (e.g. human=user,bot=assistant)")
      }
      guard let role = Self.roleNames[parts[1].lowercased()] else {
        throw RoleMapError(
          message: "'\(parts[1])' in '\(item)' is not a role: use system, user, assistant or tool")
      }
      if let earlier = entries.first(where: { $0.name == parts[0] }) {
        // The same mapping twice is harmless; two roles for one name would leave the answer
        // to whichever entry the lookup meets first.
        guard earlier.role == role else {
          throw RoleMapError(
            message:
              "'\(parts[0])' is mapped twice, to \(earlier.role.name) and to \(role.name): give each speaker name one role"
          )
        }
        continue
      }
      entries.append(Entry(name: parts[0], role: role))
    }
  }

  /// Whether the map has no entries (the decoder then skips the lookup).
  public var isEmpty: Bool { entries.isEmpty }

  /// The role for speaker `name`, if the map names it.
  public func role(for name: String) -> Role? {
    entries.first { $0.name == name }?.role
  }

  private static let roleNames: [String: Role] = [
    "system": .system, "user": .user, "human": .user, "assistant": .assistant, "gpt": .assistant,
    "model": .assistant, "tool": .tool, "observation": .tool,
  ]
}

/// A `--role-map` value that cannot be parsed.
public struct RoleMapError: Error, Sendable, CustomStringConvertible {
  /// What is wrong.
  public var message: String
  /// The message.
  public var description: String { message }
}

extension String {
  /// The string without leading and trailing spaces and tabs.
  func trimmingSpaces() -> String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" { s.removeLast() }
    return String(s)
  }
}
