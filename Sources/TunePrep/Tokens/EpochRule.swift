/// How many epochs a provider trains for when the job does not say.
///
/// OpenAI's rule, as the OpenAI cookbook's "Data preparation and analysis for chat model
/// fine-tuning" notebook (`examples/Chat_finetuning_data_prep.ipynb`) estimates it: 3 epochs,
/// unless examples × 3 falls outside 100...25,000; then ⌊100 / examples⌋ capped at 25, or
/// ⌊25,000 / examples⌋ but at least 1.
public enum EpochRule: String, Sendable, CaseIterable {
  /// OpenAI's default `n_epochs`.
  case openai

  /// The default epochs for a training set of `examples` examples.
  /// - Parameter examples: the number of training examples (0 gives the target).
  public func defaultEpochs(examples: Int) -> Int {
    switch self {
    case .openai:
      let target = 3
      let minExamples = 100
      let maxExamples = 25_000
      guard examples > 0 else { return target }
      if examples * target < minExamples { return Swift.min(25, minExamples / examples) }
      if examples * target > maxExamples { return Swift.max(1, maxExamples / examples) }
      return target
    }
  }
}
