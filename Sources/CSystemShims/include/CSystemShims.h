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

/// What ``tuneprep_remove_on_signal_add`` removes.
enum {
  /// A file: `unlink`.
  TUNEPREP_REMOVE_FILE = 0,
  /// A folder of files: every entry in it, then the folder.
  TUNEPREP_REMOVE_FOLDER = 1,
  /// A folder, only if it is empty: `rmdir`.
  TUNEPREP_REMOVE_EMPTY_FOLDER = 2,
};

/// Adds `path` to what is removed if the process gets SIGINT, SIGTERM or SIGHUP; the signal
/// then takes its default action (the process ends as it would have).
///
/// The handler is installed at the first call, for each of those signals that is not ignored
/// (a `nohup` run stays immune to SIGHUP). Entries are removed in the order added. At most 16
/// paths of up to 4095 bytes; returns 0, or `ENOSPC` / `ENAMETOOLONG` when the path was not
/// added.
int tuneprep_remove_on_signal_add(const char *path, int kind);

/// Forgets every path added with ``tuneprep_remove_on_signal_add``: a signal after this removes
/// nothing.
void tuneprep_remove_on_signal_clear(void);

#endif
