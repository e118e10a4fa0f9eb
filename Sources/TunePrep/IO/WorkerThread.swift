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

  /// Why the system refused a thread: the `pthread_create` error code.
  struct StartError: Error, Equatable {
    /// The error number: `EAGAIN` when the process is out of threads or memory maps.
    var code: Int32

    /// The C library's text for ``code``, lowercased.
    var message: String { systemErrorMessage(code) }
  }

  private var thread: pthread_t?

  /// Starts `body` on a new thread.
  /// - Returns: the thread, or the error if the system refused to create one (then `body`
  ///   never runs, and the caller runs it itself or gives up).
  static func start(_ body: @escaping () -> Void) -> Result<WorkerThread, StartError> {
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
      return .failure(StartError(code: status))
    }
    let thread = WorkerThread()
    thread.thread = handle
    return .success(thread)
  }

  /// Waits for the thread to finish.
  func join() {
    guard let thread else { return }
    pthread_join(thread, nil)
    self.thread = nil
  }
}
