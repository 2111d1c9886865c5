#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "shim.h"

/* Start-phase timestamps for benchmarks (`trace=1` in shim.conf). They live in a shared
 * page so the container child's marks are visible to the shim after the clone; the
 * clock is CLOCK_MONOTONIC, the clock Node's process.hrtime reads, so the agent can put
 * them on its own timeline. Without `trace` every mark is a no-op. */

static uint64_t *marks;
static uint64_t main_ns;

static const char *const names[TR_COUNT] = {"main", "conf", "clone", "child", "net", "cgroup", "rootfs", "security", "exec", "report"};

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void trace_begin(void) { main_ns = now_ns(); }

void trace_enable(void) {
  void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  marks = p;
  marks[TR_MAIN] = main_ns;
}

void trace_mark(enum trace_point p) {
  if (marks) marks[p] = now_ns();
}

void trace_format(char *buf, size_t len) {
  buf[0] = 0;
  if (!marks) return;
  size_t off = (size_t)snprintf(buf, len, " trace=");
  for (int i = 0; i < TR_COUNT && off < len; i++)
    off += (size_t)snprintf(buf + off, len - off, "%s%s:%llu", i ? "," : "", names[i], (unsigned long long)marks[i]);
}
