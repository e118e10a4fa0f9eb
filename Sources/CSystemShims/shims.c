#define _GNU_SOURCE
#include "CSystemShims.h"

#include <errno.h>
#include <fcntl.h>

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
