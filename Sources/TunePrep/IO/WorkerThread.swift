#if canImport(Glibc)
  internal import Glibc
#elseif canImport(Musl)
  internal import Musl
#elseif canImport(Darwin)
  internal import Darwin
#endif

/// A plain POSIX thread for the pipeline's long-running, blocking tasks (reader, workers).
///
/// Dispatch sizes its pool by the CPUs the process may use and only slowly adds threads when
/// tasks block on semaphores; with one CPU (`taskset -c 0`) the reader and a worker then took
/// turns and the run stalled. Dedicated threads always run side by side.
final class WorkerThread {
  private final class Body {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
  }

  private var thread: pthread_t?

  /// Starts `body` on a new thread.
  /// - Returns: nil if the system refused to create a thread (the caller runs `body` itself).
  static func start(_ body: @escaping () -> Void) -> WorkerThread? {
    let box = Unmanaged.passRetained(Body(body))
    var handle = pthread_t()
    let status = pthread_create(
      &handle, nil,
      { argument in
        guard let argument else { return nil }
        let body = Unmanaged<Body>.fromOpaque(argument).takeRetainedValue()
        body.run()
        return nil
      }, box.toOpaque())
    guard status == 0 else {
      box.release()
      return nil
    }
    let thread = WorkerThread()
    thread.thread = handle
    return thread
  }

  /// Waits for the thread to finish.
  func join() {
    guard let thread else { return }
    pthread_join(thread, nil)
    self.thread = nil
  }
}
