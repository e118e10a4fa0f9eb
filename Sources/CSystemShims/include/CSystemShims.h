// System calls that Swift's Glibc module does not export (they need _GNU_SOURCE), a compiler
// built-in Swift cannot reach, and a signal handler (which must be plain C to be
// async-signal-safe).
#ifndef TUNEPREP_CSYSTEMSHIMS_H
#define TUNEPREP_CSYSTEMSHIMS_H

#include <stdint.h>

/// Reserves `length` bytes of disk space at the start of the open file `fd` without changing
/// its size (Linux `fallocate` with `FALLOC_FL_KEEP_SIZE`).
///
/// Returns 0 on success, else the `errno` value (`ENOSPC`: the disk is too small;
/// `EOPNOTSUPP` or `ENOSYS`: the file system or the platform cannot reserve space).
int tuneprep_reserve_space(int fd, int64_t length);

/// Asks the CPU to start loading the cache line at `address` for a read soon (the compiler's
/// prefetch built-in, which Swift cannot call). A hint only: it never faults.
static inline void tuneprep_prefetch(const void *address) {
  __builtin_prefetch(address, 0, 3);
}

/// Swaps the two existing paths `a` and `b` in one step (Linux `renameat2` with
/// `RENAME_EXCHANGE`): each then names what the other named, and nobody ever sees either name
/// missing.
///
/// Returns 0 on success, else the `errno` value (`EINVAL`, `ENOSYS` or `EOPNOTSUPP`: the file
/// system, the kernel or the platform cannot exchange).
int tuneprep_rename_exchange(const char *a, const char *b);

/// Renames `from` to `to` unless `to` exists (Linux `renameat2` with `RENAME_NOREPLACE`).
///
/// Returns 0 on success, else the `errno` value (`EEXIST`: `to` exists; `EINVAL`, `ENOSYS` or
/// `EOPNOTSUPP`: not supported here, so the caller may use `rename`).
int tuneprep_rename_noreplace(const char *from, const char *to);

/// Stores in `id` the id of the mount that `path` is on (Linux `statx` with `STATX_MNT_ID`),
/// which tells a bind mount from its parent folder even on one file system.
///
/// Returns 0 on success, else the `errno` value (`ENOSYS`: not available here).
int tuneprep_mount_id(const char *path, uint64_t *id);

/// Creates a temporary file from `template_path` (`mkstemp(3)`, its descriptor closed on `exec`)
/// and registers it with ``tuneprep_remove_on_signal_register``, with SIGINT, SIGTERM and SIGHUP
/// blocked in between, so a signal never finds the file created but not registered.
///
/// Returns the descriptor, or -1 with `errno` set; `*handle` is the registration (negative
/// when the path could not be registered).
int tuneprep_make_temporary_file(char *template_path, int *handle);


/// What ``tuneprep_remove_on_signal_register`` removes.
enum {
  /// A file: `unlink`.
  TUNEPREP_REMOVE_FILE = 0,
  /// A folder of files: every entry in it, then the folder.
  TUNEPREP_REMOVE_FOLDER = 1,
  /// A folder, only if it is empty: `rmdir`.
  TUNEPREP_REMOVE_EMPTY_FOLDER = 2,
};

/// Adds `path` to what is removed if the process gets SIGINT, SIGTERM or SIGHUP; the signal
/// then takes its default action (the process ends as it would have, exit status 128 + the
/// signal's number in a shell).
///
/// The handler is installed at the first call, for each of those signals that is not ignored
/// (a `nohup` run stays immune to SIGHUP). Entries are removed in the order registered. Any
/// thread may register and unregister. At most 256 paths at once, each up to 4095 bytes.
///
/// Returns a handle (0 or more) for ``tuneprep_remove_on_signal_unregister``, or a negated
/// `errno` value (`-ENOSPC`, `-ENAMETOOLONG`) when the path was not added.
int tuneprep_remove_on_signal_register(const char *path, int kind);

/// Forgets the path registered under `handle` (a file renamed into place or removed): a signal
/// after this leaves it alone. A negative handle is ignored.
void tuneprep_remove_on_signal_unregister(int handle);

/// Marks descriptor `fd` (0, 1 or 2) as one the process was started without; it must already be
/// taken by `/dev/null` so that no file opened later gets its number.
void tuneprep_standard_stream_set_closed(int fd);

/// Whether ``tuneprep_standard_stream_set_closed`` marked `fd`.
int tuneprep_standard_stream_is_closed(int fd);

/// Takes every one of descriptors 0, 1 and 2 that is closed with `/dev/null` (read-only for 0,
/// write-only for 1 and 2) and marks it closed. Call it first thing in `main`, before anything
/// opens a file that could take one of those numbers.
void tuneprep_occupy_closed_standard_streams(void);

#endif
