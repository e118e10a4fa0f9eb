// System calls that Swift's Glibc module does not export (they need _GNU_SOURCE), and a
// compiler built-in Swift cannot reach.
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

#endif
