/// Structures the canonical model keeps opaque (tool declarations, file and image parts) are
/// still checked here as `schemas/` defines them, so validate reports what a provider rejects.
/// `SchemaDecoderAgreementTests` keeps these checks and the schema files in step.
extension RecordContext {
  private static let toolKeys = KeySet(["type", "function"])
  private static let functionDefinitionKeys = KeySet([
    "name", "description", "parameters", "strict",
  ])
  private static let geminiPartKeys = KeySet(["text", "fileData"])
  private static let fileDataKeys = KeySet(["mimeType", "fileUri"])
  private static let bedrockBlockKeys = KeySet(["text", "image"])
  private static let imageKeys = KeySet(["format", "source"])
  private static let sourceKeys = KeySet(["s3Location"])
  private static let s3Keys = KeySet(["uri", "bucketOwner"])

  /// OpenAI `tools`: `{"type": "function", "function": {"name", "description", "parameters", "strict"}}`.
  mutating func checkOpenAITools(_ tools: Int) {
    let d = document
    for tool in d.elements(tools) {
      guard expect(tool, .object, "a tool") else { continue }
      let slots = d.slots(tool, Self.toolKeys)
      rejectUnknownKeys(slots, allowed: Self.toolKeys, in: "the tool")
      if let type = slots[0] {
        if !d.stringEquals(type, "function") {
          report(.schemaEnum, at: type, "the tool's \"type\" must be \"function\"")
        }
      } else {
        report(.schemaRequired, at: tool, "the tool has no \"type\" (always \"function\")")
      }
      guard let function = slots[1] else {
        report(.schemaRequired, at: tool, "the tool has no \"function\" declaration")
        continue
      }
      guard expect(function, .object, "the tool's \"function\"") else { continue }
      let f = d.slots(function, Self.functionDefinitionKeys)
      rejectUnknownKeys(f, allowed: Self.functionDefinitionKeys, in: "the function declaration")
      if let name = f[0] {
        if expect(name, .string, "the function's \"name\"") && !isFunctionName(d.string(name)) {
          report(
            .schemaInvalid, at: name,
            "the function's \"name\" must be 1 to 64 letters, digits, underscores or dashes")
        }
      } else {
        report(.schemaRequired, at: function, "the function declaration has no \"name\"")
      }
      if let description = f[1] {
        _ = expect(description, .string, "the function's \"description\"")
      }
      if let parameters = f[2] { _ = expect(parameters, .object, "the function's \"parameters\"") }
      if let strict = f[3], d.kind(strict) != .null {
        _ = expect(strict, .true, "the function's \"strict\"")
      }
    }
  }

  /// A Gemini part: exactly one of `text` (not empty) or `fileData` `{mimeType, fileUri}`.
  /// - Returns: the text node, if the part is text.
  mutating func checkGeminiPart(_ part: Int) -> Int? {
    let d = document
    guard expect(part, .object, "a part") else { return nil }
    let slots = d.slots(part, Self.geminiPartKeys)
    rejectUnknownKeys(slots, allowed: Self.geminiPartKeys, in: "the part")
    let present = (slots[0] == nil ? 0 : 1) + (slots[1] == nil ? 0 : 1)
    if present + slots.unknownCount == 0 {
      report(
        .schemaEmpty, at: part, "the part is empty: give {\"text\": ...} or {\"fileData\": ...}")
    } else if present + slots.unknownCount > 1 {
      report(.schemaInvalid, at: part, "a part holds exactly one of \"text\" or \"fileData\"")
    }
    if let file = slots[1], expect(file, .object, "\"fileData\"") {
      let f = d.slots(file, Self.fileDataKeys)
      rejectUnknownKeys(f, allowed: Self.fileDataKeys, in: "\"fileData\"")
      for (i, key) in ["mimeType", "fileUri"].enumerated() {
        requireText(f[i], owner: file, key: key)
      }
    }
    guard let text = slots[0], expect(text, .string, "\"text\"") else { return nil }
    if d.isBlankString(text) {
      report(.formatEmptyContent, at: text, "the part's \"text\" is empty")
    }
    return text
  }

  /// A Bedrock content block: exactly one of `text` (not empty) or an S3 `image`.
  /// - Returns: the text node, if the block is text.
  mutating func checkBedrockBlock(_ block: Int) -> Int? {
    let d = document
    guard expect(block, .object, "a content block") else { return nil }
    let slots = d.slots(block, Self.bedrockBlockKeys)
    rejectUnknownKeys(slots, allowed: Self.bedrockBlockKeys, in: "the content block")
    let present = (slots[0] == nil ? 0 : 1) + (slots[1] == nil ? 0 : 1)
    if present + slots.unknownCount == 0 {
      report(
        .schemaEmpty, at: block,
        "the content block is empty: give {\"text\": ...} or {\"image\": ...}")
    } else if present + slots.unknownCount > 1 {
      report(
        .schemaInvalid, at: block, "a content block holds exactly one of \"text\" or \"image\"")
    }
    if let image = slots[1], expect(image, .object, "\"image\"") {
      let i = d.slots(image, Self.imageKeys)
      rejectUnknownKeys(i, allowed: Self.imageKeys, in: "the image")
      if let format = i[0] {
        if !(d.stringEquals(format, "png") || d.stringEquals(format, "jpeg")
          || d.stringEquals(format, "gif")
          || d.stringEquals(format, "webp"))
        {
          report(
            .schemaEnum, at: format,
            "the image \"format\" must be one of \"png\", \"jpeg\", \"gif\", \"webp\"")
        }
      } else {
        report(.schemaRequired, at: image, "the image has no \"format\"")
      }
      if let source = i[1], expect(source, .object, "the image \"source\"") {
        let s = d.slots(source, Self.sourceKeys)
        rejectUnknownKeys(s, allowed: Self.sourceKeys, in: "the image source")
        if let location = s[0], expect(location, .object, "\"s3Location\"") {
          let l = d.slots(location, Self.s3Keys)
          rejectUnknownKeys(l, allowed: Self.s3Keys, in: "\"s3Location\"")
          if let uri = l[0] {
            if expect(uri, .string, "the image \"uri\""), !d.string(uri).hasPrefix("s3://") {
              report(.schemaInvalid, at: uri, "the image \"uri\" must be an s3:// URI")
            }
          } else {
            report(.schemaRequired, at: location, "\"s3Location\" has no \"uri\"")
          }
          if let owner = l[1] { _ = expect(owner, .string, "\"bucketOwner\"") }
        } else if s[0] == nil {
          report(.schemaRequired, at: source, "the image source has no \"s3Location\"")
        }
      } else if i[1] == nil {
        report(.schemaRequired, at: image, "the image has no \"source\"")
      }
    }
    guard let text = slots[0], expect(text, .string, "\"text\"") else { return nil }
    if d.isBlankString(text) {
      report(.formatEmptyContent, at: text, "the block's \"text\" is empty")
    }
    return text
  }

  /// An OpenAI image part: `{"type": "image_url", "image_url": {"url", "detail"}}`.
  mutating func checkImagePart(_ part: Int) {
    let d = document
    rejectUnknownKeys(part, allowed: ["type", "image_url"], in: "the image part")
    guard let image = d.member(part, "image_url") else {
      report(.schemaRequired, at: part, "the image part has no \"image_url\"")
      return
    }
    guard expect(image, .object, "\"image_url\"") else { return }
    rejectUnknownKeys(image, allowed: ["url", "detail"], in: "\"image_url\"")
    requireText(d.member(image, "url"), owner: image, key: "url")
    if let detail = d.member(image, "detail"),
      !(d.stringEquals(detail, "auto") || d.stringEquals(detail, "low")
        || d.stringEquals(detail, "high"))
    {
      report(
        .schemaEnum, at: detail, "the image \"detail\" must be one of \"auto\", \"low\", \"high\"")
    }
  }

  /// A required, non-empty string member.
  private mutating func requireText(_ node: Int?, owner: Int, key: String) {
    guard let node else {
      report(.schemaRequired, at: owner, "missing the required \"\(key)\" field")
      return
    }
    if expect(node, .string, "\"\(key)\""), document.isBlankString(node) {
      report(.formatEmptyContent, at: node, "\"\(key)\" is empty")
    }
  }

  private func isFunctionName(_ name: String) -> Bool {
    guard (1...64).contains(name.utf8.count) else { return false }
    return name.utf8.allSatisfy { b in
      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
        || b == 0x2D
    }
  }
}
