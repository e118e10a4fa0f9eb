// Times read(2) of a page-cached file into a buffer placed `shift` bytes past a page boundary.
// On the project's AMD EPYC VM the kernel's copy (rep movsb) runs 4-5x slower when the
// destination sits 1-31 bytes past the source modulo 4096, which is why ByteBlock places its
// bytes at their input offset modulo 64.
//
//   mkdir -p .build && cc -O2 -o .build/copy_alignment Benchmarks/io/copy_alignment.c
//   for s in 0 16 32 64; do .build/copy_alignment FILE $s; done
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s FILE SHIFT [READ_SIZE]\n", argv[0]);
    return 64;
  }
  size_t shift = strtoul(argv[2], NULL, 10);
  size_t chunk = argc > 3 ? strtoul(argv[3], NULL, 10) : 1 << 20;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    perror(argv[1]);
    return 66;
  }
  size_t window = 4 * chunk;
  char *base = mmap(NULL, window + chunk + 8192, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *buffer = base + shift;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  size_t at = 0, total = 0;
  ssize_t n;
  while ((n = read(fd, buffer + at, chunk)) > 0) {
    total += (size_t)n;
    at += (size_t)n;
    if (at + chunk > window) at = 0;  // keep the destination's offset from the source fixed
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
  printf("shift %4zu: %zu bytes in %.3f s (%.0f MB/s)\n", shift, total, seconds, total / seconds / 1e6);
  return 0;
}
