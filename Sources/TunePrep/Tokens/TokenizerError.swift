/// Why a tokenizer could not be loaded.
///
/// Messages are lowercase, carry the path involved and say what to do.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The vocabulary file of an encoding is in none of the searched folders.
  case vocabularyMissing(encoding: String, searched: [String])
  /// A file could not be read.
  case unreadable(path: String, reason: String)
  /// A vocabulary or `tokenizer.json` file is larger than `limit` bytes.
  case tooLarge(path: String, limit: Int)
  /// A `.tiktoken` file is not the published file of its encoding: its sha256 differs.
  case checksumMismatch(path: String, encoding: String, expected: String, actual: String)
  /// A `.tiktoken` file has a bad line, or not the number of ranks the encoding has.
  case malformedVocabulary(path: String, line: Int, reason: String)
  /// A `tokenizer.json` uses something this engine does not implement.
  case unsupportedTokenizer(path: String, reason: String)
  /// A `tokenizer.json` is not valid JSON or lacks a required member.
  case malformedTokenizer(path: String, reason: String)
  /// No encoding has this name.
  case unknownEncoding(String)
  /// No encoding is known for this model name.
  case unknownModel(String)

  /// The command that downloads the vocabularies.
  public static let fetchCommand = "make vocab"

  /// A one-line, lowercase message.
  public var description: String {
    switch self {
    case .vocabularyMissing(let encoding, let searched):
      let places = searched.isEmpty ? "no folder given" : searched.joined(separator: ", ")
      return
        "vocabulary for \(encoding) not found (looked in \(places)); run `\(Self.fetchCommand)` "
        + "to download it, or point --vocab-dir or TUNEPREP_VOCAB_DIR at the folder holding "
        + "\(encoding).tiktoken"
    case .unreadable(let path, let reason):
      return "\(path): cannot read: \(reason)"
    case .tooLarge(let path, let limit):
      return
        "\(path): cannot read: larger than \(limit >> 20) MB, the most a vocabulary or "
        + "tokenizer.json may be; check the path (a real tokenizer.json is a few tens of MB)"
    case .checksumMismatch(let path, let encoding, let expected, let actual):
      return
        "\(path): not the published \(encoding) vocabulary: sha256 is \(actual), expected "
        + "\(expected) (the file is altered or incomplete); run `\(Self.fetchCommand)` to "
        + "download a verified copy"
    case .malformedVocabulary(let path, let line, let reason):
      return
        "\(path):\(line): not a valid .tiktoken vocabulary: \(reason); run `\(Self.fetchCommand)` "
        + "to download a verified copy"
    case .unsupportedTokenizer(let path, let reason):
      return "\(path): unsupported tokenizer.json: \(reason)"
    case .malformedTokenizer(let path, let reason):
      return
        "\(path): invalid tokenizer.json: \(reason); use the model's own tokenizer.json "
        + "(or `tokenizer.save()` of the Hugging Face tokenizers library)"
    case .unknownEncoding(let name):
      let known = TokenEncoding.allCases.map(\.rawValue).joined(separator: ", ")
      return "unknown encoding '\(name)' (known: \(known))"
    case .unknownModel(let name):
      let known = TokenEncoding.allCases.map(\.rawValue).joined(separator: ", ")
      return "no tokenizer known for model '\(name)'; pass --encoding (\(known)) or --tokenizer "
        + "path/to/tokenizer.json"
    }
  }
}
