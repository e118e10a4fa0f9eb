/// Chat token counts under OpenAI's published convention.
///
/// The convention is the OpenAI cookbook's `num_tokens_from_messages` ("How to count tokens
/// with tiktoken", also used by the fine-tuning data-preparation notebook) for gpt-3.5-turbo,
/// gpt-4 and gpt-4o models:
///
/// ```text
/// tokens = 3                                   // reply priming: <|start|>assistant<|message|>
/// for each message:
///   tokens += 3                                // tokens_per_message
///   tokens += count(role) + count(content)     // every string value of the message
///   if the message has a name:
///     tokens += count(name) + 1                // tokens_per_name
/// ```
///
/// Text is counted with special-token text as ordinary text (tiktoken would refuse it). The rule
/// is OpenAI's estimate; the exact server-side formatting is not public. Tool definitions and
/// tool calls are not part of the cookbook rule: ``count(jsonText:tokenizer:)`` counts the
/// tokens of their compact JSON text, which is the approximation `token_reference.py` uses.
public enum TokenCounter {
  /// Tokens added for each message.
  public static let tokensPerMessage = 3
  /// Tokens added for a message that has a `name`.
  public static let tokensPerName = 1
  /// Tokens added once per example for the reply priming.
  public static let replyPriming = 3

  /// The cookbook token count of one chat example.
  /// - Parameters:
  ///   - messages: the messages in order; `name` is `nil` when the message has none.
  ///   - tokenizer: the model's tokenizer.
  /// - Returns: the tokens of the example, reply priming included.
  public static func count(
    messages: [(role: String, content: String, name: String?)], tokenizer: Tokenizer
  ) -> Int {
    var total = replyPriming
    for message in messages {
      total += count(
        role: message.role, content: message.content, name: message.name,
        tokenizer: tokenizer)
    }
    return total
  }

  /// The cookbook token count of one message (`tokensPerMessage` included, reply priming not).
  /// - Parameters:
  ///   - role: the role string.
  ///   - content: the content text (`""` for a message without text content).
  ///   - name: the optional `name`.
  ///   - tokenizer: the model's tokenizer.
  /// - Returns: the message's tokens.
  public static func count(role: String, content: String, name: String?, tokenizer: Tokenizer)
    -> Int
  {
    var total = tokensPerMessage + tokenizer.count(role) + tokenizer.count(content)
    if let name { total += tokenizer.count(name) + tokensPerName }
    return total
  }

  /// The tokens of a JSON text such as a `tools` array or a message's `tool_calls`, counted as
  /// plain text.
  ///
  /// Pass compact JSON (no spaces after `,` and `:`) to match the reference counter.
  /// - Parameters:
  ///   - jsonText: the JSON text.
  ///   - tokenizer: the model's tokenizer.
  /// - Returns: the token count (an approximation of what the provider bills).
  public static func count(jsonText: String, tokenizer: Tokenizer) -> Int {
    tokenizer.count(jsonText)
  }
}
