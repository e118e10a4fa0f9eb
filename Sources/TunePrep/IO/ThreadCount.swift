/// How many worker threads a run may use.
///
/// The records pipeline keeps up to `2 × threads + 2` blocks in flight (512 KiB each, 4 MiB for
/// `split`), and every thread reserves a stack and a few memory mappings. More threads than
/// cores only add that cost: the work is CPU-bound and the output never depends on the count.
public enum ThreadCount {
  /// The most worker threads a run starts: 256, above the core count of nearly every machine,
  /// with at most about 2 GiB of blocks in flight (`split`'s 4 MiB blocks).
  public static let maximum = 256

  /// The threads a run uses for a requested count: the default when nil, clamped to
  /// 1...``maximum``, so a library caller cannot ask for more than the system can start.
  /// - Parameter requested: the `threads` option, nil for one per core.
  /// - Returns: a count in 1...``maximum``.
  static func resolve(_ requested: Int?) -> Int {
    min(max(1, requested ?? RecordPipeline.defaultThreads), maximum)
  }
}
