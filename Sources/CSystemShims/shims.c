#define _GNU_SOURCE
#include "CSystemShims.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
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
// the getdents64 system call, sigaction, raise) and lock-free atomics. Each slot has a state:
// registering claims a free slot (FREE -> WRITING), writes the path, then publishes it (-> LIVE);
// unregistering frees a live slot (LIVE -> FREE); the handler takes a live slot for good
// (LIVE -> TAKEN) before it reads the path, so nobody rewrites a path while it is read, and a
// taken slot is never reused.
#define REMOVAL_SLOTS 256
#define REMOVAL_PATH 4096
enum { SLOT_FREE = 0, SLOT_WRITING = 1, SLOT_LIVE = 2, SLOT_TAKEN = 3 };
static char removal_paths[REMOVAL_SLOTS][REMOVAL_PATH];
static int removal_kinds[REMOVAL_SLOTS];
static unsigned long removal_order[REMOVAL_SLOTS];
static int removal_states[REMOVAL_SLOTS];
static unsigned long removal_next_order = 1;
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
  // The live entries, oldest first: a folder is registered after the files in it.
  for (;;) {
    int oldest = -1;
    unsigned long oldest_order = 0;
    for (int i = 0; i < REMOVAL_SLOTS; i++) {
      if (__atomic_load_n(&removal_states[i], __ATOMIC_ACQUIRE) != SLOT_LIVE) continue;
      unsigned long order = __atomic_load_n(&removal_order[i], __ATOMIC_RELAXED);
      if (oldest < 0 || order < oldest_order) {
        oldest = i;
        oldest_order = order;
      }
    }
    if (oldest < 0) break;
    int expected = SLOT_LIVE;
    if (!__atomic_compare_exchange_n(
          &removal_states[oldest], &expected, SLOT_TAKEN, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      continue;  // unregistered meanwhile on another thread
    }
    const char *path = removal_paths[oldest];
    switch (removal_kinds[oldest]) {
    case TUNEPREP_REMOVE_FILE:
      unlink(path);
      break;
    case TUNEPREP_REMOVE_FOLDER:
      remove_folder_entries(path);
      rmdir(path);
      break;
    default:
      rmdir(path);
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

static pthread_once_t removal_once = PTHREAD_ONCE_INIT;

static void install_removal_handler(void) {
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

int tuneprep_remove_on_signal_register(const char *path, int kind) {
  size_t length = strlen(path);
  if (length >= REMOVAL_PATH) return -ENAMETOOLONG;
  pthread_once(&removal_once, install_removal_handler);
  for (int i = 0; i < REMOVAL_SLOTS; i++) {
    int expected = SLOT_FREE;
    if (!__atomic_compare_exchange_n(
          &removal_states[i], &expected, SLOT_WRITING, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
      continue;
    }
    memcpy(removal_paths[i], path, length + 1);
    removal_kinds[i] = kind;
    __atomic_store_n(
      &removal_order[i], __atomic_fetch_add(&removal_next_order, 1, __ATOMIC_RELAXED),
      __ATOMIC_RELAXED);
    __atomic_store_n(&removal_states[i], SLOT_LIVE, __ATOMIC_RELEASE);
    return i;
  }
  return -ENOSPC;
}

/// Blocks the signals that remove files (in this thread), storing the old mask in `old`.
static void block_removal_signals(sigset_t *old) {
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof removal_signals / sizeof removal_signals[0]; i++) {
    sigaddset(&set, removal_signals[i]);
  }
  pthread_sigmask(SIG_BLOCK, &set, old);
}

int tuneprep_make_temporary_file(char *template_path, int *handle) {
  sigset_t old;
  block_removal_signals(&old);
#if defined(__linux__) || defined(__APPLE__)
  int fd = mkostemp(template_path, O_CLOEXEC);
#else
  int fd = mkstemp(template_path);
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
  int saved = errno;
  *handle = fd >= 0 ? tuneprep_remove_on_signal_register(template_path, TUNEPREP_REMOVE_FILE) : -1;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = saved;
  return fd;
}

void tuneprep_remove_on_signal_unregister(int handle) {
  if (handle < 0 || handle >= REMOVAL_SLOTS) return;
  int expected = SLOT_LIVE;
  // Fails only when the handler has taken the slot: the process is ending anyway.
  __atomic_compare_exchange_n(
    &removal_states[handle], &expected, SLOT_FREE, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

// The standard streams the process was started without (bit `fd` set).
static int closed_standard_streams = 0;

void tuneprep_standard_stream_set_closed(int fd) {
  if (fd >= 0 && fd <= 2) __atomic_or_fetch(&closed_standard_streams, 1 << fd, __ATOMIC_SEQ_CST);
}

int tuneprep_standard_stream_is_closed(int fd) {
  if (fd < 0 || fd > 2) return 0;
  return (__atomic_load_n(&closed_standard_streams, __ATOMIC_SEQ_CST) >> fd) & 1;
}

void tuneprep_occupy_closed_standard_streams(void) {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    // open returns the lowest free number: `fd` itself, since the lower ones are taken.
    int opened = open("/dev/null", (fd == 0 ? O_RDONLY : O_WRONLY));
    if (opened < 0) continue;
    if (opened != fd) {
      dup2(opened, fd);
      close(opened);
    }
    tuneprep_standard_stream_set_closed(fd);
  }
}
