/// How a chat template renders a conversation into one training text (`--to text`).
///
/// Each piece is literal text in which `{content}` stands for the turn's text. Built-in
/// templates write each model family's special tokens exactly as its published chat template
/// does; a user template is a JSON object file with the same pieces (see `docs/format.md`):
///
/// ```json
/// {"begin": "<s>", "system": "<|system|>\n{content}</s>\n", "user": "<|user|>\n{content}</s>\n",
///  "assistant": "<|assistant|>\n{content}</s>\n", "end": ""}
/// ```
public struct ChatTemplate: Sendable, Equatable {
  /// The template's name (built-in name or file path), for messages.
  public var name: String
  /// Written once before the first turn (for example a BOS token).
  public var begin: String = ""
  /// A system prompt turn; nil when the family has no system role (see ``systemPlacement``).
  public var system: String?
  /// A user turn.
  public var user: String
  /// An assistant turn.
  public var assistant: String
  /// Written once after the last turn.
  public var end: String = ""
  /// Where a system prompt goes when ``system`` is nil.
  public var systemPlacement: SystemPlacement = .unsupported
  /// Whether turn texts are trimmed of leading and trailing whitespace (Jinja's `| trim`).
  public var trimContent = false
  /// Whether turns must alternate user/assistant starting with the user (the template raises
  /// an exception otherwise).
  public var requiresAlternation = false

  /// Where the system prompt goes in a family without a system turn.
  public enum SystemPlacement: String, Sendable, Equatable {
    /// The system prompt cannot be rendered: it is a lossy field.
    case unsupported
    /// Prepended to the first user turn, followed by a blank line.
    case firstUser
    /// Prepended to the last user turn, followed by a blank line.
    case lastUser
  }

  /// The built-in template names.
  public static let builtInNames = ["chatml", "llama3", "mistral", "gemma"]

  /// A built-in template by name.
  /// - Parameter name: `chatml`, `llama3`, `mistral` or `gemma`.
  public static func builtIn(_ name: String) -> ChatTemplate? {
    switch name {
    case "chatml":
      // ChatML as in OpenAI's and Qwen's templates: no BOS, one header line per turn.
      return ChatTemplate(
        name: name, system: "<|im_start|>system\n{content}<|im_end|>\n",
        user: "<|im_start|>user\n{content}<|im_end|>\n",
        assistant: "<|im_start|>assistant\n{content}<|im_end|>\n")
    case "llama3":
      // Meta-Llama-3-*-Instruct: BOS once, header ids, blank line, trimmed content, eot.
      var t = ChatTemplate(
        name: name, system: "<|start_header_id|>system<|end_header_id|>\n\n{content}<|eot_id|>",
        user: "<|start_header_id|>user<|end_header_id|>\n\n{content}<|eot_id|>",
        assistant: "<|start_header_id|>assistant<|end_header_id|>\n\n{content}<|eot_id|>")
      t.begin = "<|begin_of_text|>"
      t.trimContent = true
      return t
    case "mistral":
      // Mistral-7B-Instruct-v0.3 (tokenizer v3): BOS once, "[INST] " user "[/INST]", then
      // " " answer EOS; the system prompt is prepended to the last user message.
      var t = ChatTemplate(
        name: name, system: nil, user: "[INST] {content}[/INST]", assistant: " {content}</s>")
      t.begin = "<s>"
      t.systemPlacement = .lastUser
      t.requiresAlternation = true
      return t
    case "gemma":
      // Gemma 2/3 instruction-tuned: BOS once, "model" for the assistant, trimmed content; the
      // system prompt is prepended to the first user turn (Gemma 3's template).
      var t = ChatTemplate(
        name: name, system: nil, user: "<start_of_turn>user\n{content}<end_of_turn>\n",
        assistant: "<start_of_turn>model\n{content}<end_of_turn>\n")
      t.begin = "<bos>"
      t.trimContent = true
      t.systemPlacement = .firstUser
      t.requiresAlternation = true
      return t
    default:
      return nil
    }
  }

  /// Creates a template from its pieces.
  public init(name: String, system: String?, user: String, assistant: String) {
    self.name = name
    self.system = system
    self.user = user
    self.assistant = assistant
  }

  /// Parses a user template file: a JSON object with string members `user` and `assistant`
  /// (required), `system`, `begin`, `end` (optional), `system_placement`
  /// (`first-user`, `last-user`) and booleans `trim`, `alternate`.
  /// - Parameters:
  ///   - bytes: the file's bytes.
  ///   - path: the file's path, for messages.
  /// - Throws: ``TunePrepError/badConfig(path:line:reason:)`` naming what is wrong.
  public init(parsing bytes: [UInt8], path: String) throws(TunePrepError) {
    var parser = JSONParser()
    var document = JSONDocument()
    do throws(JSONSyntaxError) {
      try parser.parse(bytes, into: &document)
    } catch {
      throw .badConfig(
        path: path, line: nil, reason: "the template is not valid JSON: \(error.message)")
    }
    let d = document
    guard d.kind(d.root) == .object else {
      throw .badConfig(
        path: path, line: nil,
        reason: "a template file holds one JSON object with \"user\" and \"assistant\" strings")
    }
    func string(_ key: StaticString) throws(TunePrepError) -> String? {
      guard let node = d.member(d.root, key) else { return nil }
      guard d.kind(node) == .string else {
        throw .badConfig(
          path: path, line: nil,
          reason: "\"\(key)\" must be a string, found \(d.kind(node).name)")
      }
      return d.string(node)
    }
    let allowed = [
      "begin", "system", "user", "assistant", "end", "system_placement", "trim", "alternate",
    ]
    for (k, _) in d.members(d.root) where !allowed.contains(d.string(k)) {
      throw .badConfig(
        path: path, line: nil,
        reason:
          "unknown key \(d.string(k).jsonQuoted) (allowed: \(allowed.joined(separator: ", ")))")
    }
    guard let user = try string("user"), let assistant = try string("assistant") else {
      throw .badConfig(
        path: path, line: nil,
        reason: "the template needs \"user\" and \"assistant\" strings with {content}")
    }
    self.init(name: path, system: try string("system"), user: user, assistant: assistant)
    begin = try string("begin") ?? ""
    end = try string("end") ?? ""
    if let placement = try string("system_placement") {
      switch placement {
      case "first-user": systemPlacement = .firstUser
      case "last-user": systemPlacement = .lastUser
      default:
        throw .badConfig(
          path: path, line: nil,
          reason: "\"system_placement\" must be \"first-user\" or \"last-user\"")
      }
    }
    func bool(_ key: StaticString) throws(TunePrepError) -> Bool? {
      guard let node = d.member(d.root, key) else { return nil }
      switch d.kind(node) {
      case .true: return true
      case .false: return false
      default:
        throw .badConfig(
          path: path, line: nil,
          reason: "\"\(key)\" must be a boolean (true or false), found \(d.kind(node).name)")
      }
    }
    trimContent = try bool("trim") ?? false
    requiresAlternation = try bool("alternate") ?? false
    for (key, piece) in [
      ("user", user), ("assistant", assistant), ("system", system ?? "{content}"),
    ]
    where !piece.contains("{content}") {
      throw .badConfig(path: path, line: nil, reason: "\"\(key)\" has no {content} placeholder")
    }
  }
}
