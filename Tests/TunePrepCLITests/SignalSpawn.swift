import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension CLIRunner {
  /// Starts tuneprep in `directory` with SIGINT, SIGTERM and SIGHUP unblocked and at their
  /// default action; stderr (and, with `stdin` given, stdout) discarded.
  ///
  /// Not with `Process`: its children inherit the test thread's signal mask, in which these
  /// signals are blocked, so they would never arrive.
  /// - Parameters:
  ///   - stdin: a descriptor to read as standard input (for example a pipe held open and
  ///     empty, so the run waits), or nil to inherit the test's.
  ///   - environment: `NAME=value` settings added for the run (through `env`).
  static func spawnWithSignals(
    _ arguments: [String], in directory: URL, stdin: Int32? = nil, environment: [String] = []
  ) throws -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let stdin {
      posix_spawn_file_actions_adddup2(&actions, stdin, 0)
      posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    }
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    // The shell only changes folder, then becomes tuneprep (the mask survives exec).
    let settings = environment + vocabularySetting
    let argv =
      ["/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory.path]
      + (settings.isEmpty ? [] : ["/usr/bin/env"] + settings) + [binary.path] + arguments
    let cArguments = argv.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    var pid = pid_t()
    let code = posix_spawn(&pid, "/bin/sh", &actions, &attributes, cArguments, environ)
    try #require(code == 0, "posix_spawn: \(code)")
    return pid
  }

  /// `TUNEPREP_VOCAB_DIR` pointing at the package's `vocab/` (where `make vocab` puts the
  /// files) unless the environment sets it: a run in another folder does not find `./vocab`.
  static var vocabularySetting: [String] {
    if ProcessInfo.processInfo.environment["TUNEPREP_VOCAB_DIR"] != nil { return [] }
    return ["TUNEPREP_VOCAB_DIR=" + packageRoot.appendingPathComponent("vocab").path]
  }
}
