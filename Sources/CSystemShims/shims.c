#define _GNU_SOURCE
#include "CSystemShims.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

int tuneprep_reserve_space(int fd, int64_t length) {
#if defined(__linux__)
  // Not posix_fallocate: where the file system cannot reserve space, glibc emulates it by
  // writing every block, which would double the cost of the writes it is meant to speed up.
  return fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)length) == 0 ? 0 : errno;
#else
  (void)fd;
  (void)length;
  return ENOSYS;
#endif
}

#if defined(__linux__) && defined(SYS_renameat2)
// The system call itself, not the C library's wrapper: glibc before 2.28 and musl before
// 1.2.5 have none.
static int rename2(const char *from, const char *to, unsigned int flags) {
  return syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags) == 0 ? 0 : errno;
}
#endif

int tuneprep_rename_exchange(const char *a, const char *b) {
#if defined(__linux__) && defined(SYS_renameat2)
  return rename2(a, b, 1u << 1);  // RENAME_EXCHANGE
#else
  (void)a;
  (void)b;
  return ENOSYS;
#endif
}

int tuneprep_rename_noreplace(const char *from, const char *to) {
#if defined(__linux__) && defined(SYS_renameat2)
  return rename2(from, to, 1u << 0);  // RENAME_NOREPLACE
#else
  (void)from;
  (void)to;
  return ENOSYS;
#endif
}

int tuneprep_mount_id(const char *path, uint64_t *id) {
#if defined(__GLIBC__) && defined(STATX_MNT_ID)
  struct statx info;
  if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &info) != 0) return errno;
  if (!(info.stx_mask & STATX_MNT_ID)) return ENOSYS;  // a kernel before 5.8
  *id = info.stx_mnt_id;
  return 0;
#else
  (void)path;
  (void)id;
  return ENOSYS;
#endif
}

// Removal on a signal. The handler may run on any thread at any moment, so it touches only
// these fixed arrays and calls only async-signal-safe functions (unlink, rmdir, open, close,
// the getdents64 system call, sigaction, raise). `removal_count` is written last when adding
// and first when clearing, so the handler never reads a half-written entry.
#define REMOVAL_SLOTS 16
#define REMOVAL_PATH 4096
static char removal_paths[REMOVAL_SLOTS][REMOVAL_PATH];
static int removal_kinds[REMOVAL_SLOTS];
static volatile sig_atomic_t removal_count = 0;
static int removal_installed = 0;
static const int removal_signals[] = {SIGINT, SIGTERM, SIGHUP};

/// Unlinks every entry of the folder `path` (files only: split's folders hold nothing else).
static void remove_folder_entries(const char *path) {
#if defined(__linux__) && defined(SYS_getdents64)
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  static char buffer[8192];
  // Unlinking while listing may hide entries from the same listing: list again until a pass
  // finds nothing to remove (bounded, in case one cannot be removed).
  for (int pass = 0; pass < 4; pass++) {
    int removed = 0;
    lseek(fd, 0, SEEK_SET);
    long n;
    while ((n = syscall(SYS_getdents64, fd, buffer, sizeof buffer)) > 0) {
      for (long offset = 0; offset < n;) {
        // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name.
        unsigned short length;
        memcpy(&length, buffer + offset + 16, sizeof length);
        const char *name = buffer + offset + 19;
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && unlinkat(fd, name, 0) == 0) {
          removed++;
        }
        offset += length;
      }
    }
    if (removed == 0) break;
  }
  close(fd);
#else
  (void)path;
#endif
}

static void remove_on_signal(int signal_number) {
  int saved = errno;
  int count = removal_count;
  for (int i = 0; i < count; i++) {
    switch (removal_kinds[i]) {
    case TUNEPREP_REMOVE_FILE:
      unlink(removal_paths[i]);
      break;
    case TUNEPREP_REMOVE_FOLDER:
      remove_folder_entries(removal_paths[i]);
      rmdir(removal_paths[i]);
      break;
    default:
      rmdir(removal_paths[i]);
      break;
    }
  }
  // End as the signal would have ended the process: it is blocked while this handler runs,
  // so it is delivered, with its default action, as soon as the handler returns.
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(signal_number, &action, NULL);
  raise(signal_number);
  errno = saved;
}

int tuneprep_remove_on_signal_add(const char *path, int kind) {
  int count = removal_count;
  if (count >= REMOVAL_SLOTS) return ENOSPC;
  size_t length = strlen(path);
  if (length >= REMOVAL_PATH) return ENAMETOOLONG;
  memcpy(removal_paths[count], path, length + 1);
  removal_kinds[count] = kind;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  removal_count = count + 1;
  if (!removal_installed) {
    removal_installed = 1;
    for (size_t i = 0; i < sizeof removal_signals / sizeof removal_signals[0]; i++) {
      struct sigaction old;
      if (sigaction(removal_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL) continue;
      struct sigaction action;
      memset(&action, 0, sizeof action);
      action.sa_handler = remove_on_signal;
      sigemptyset(&action.sa_mask);
      for (size_t j = 0; j < sizeof removal_signals / sizeof removal_signals[0]; j++) {
        sigaddset(&action.sa_mask, removal_signals[j]);
      }
      sigaction(removal_signals[i], &action, NULL);
    }
  }
  return 0;
}

void tuneprep_remove_on_signal_clear(void) {
  removal_count = 0;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
}
