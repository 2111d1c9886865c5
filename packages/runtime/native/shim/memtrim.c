#define _GNU_SOURCE
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim.h"

/* A host runs one shim per container, and a shim spends its life in poll(). Everything it
 * ran to build the container (conf parsing, clone, error paths, libc's printf and locale
 * tables, and the kernel's fault-around neighbours of each) stays mapped and counts in its
 * RSS. Once the container runs, the shim unmaps its read-only segments (text, rodata):
 * they are file pages, so nothing is lost, and what the relay loop needs faults back in.
 * Writable segments (data, relocated RELRO) are left alone: dropping a written private
 * page would revert it to the file's contents. */

#define MAX_RANGES 32

struct ranges {
  long page;
  int n;
  struct {
    uintptr_t start, end;
  } r[MAX_RANGES];
};

static int collect(struct dl_phdr_info *info, size_t size, void *data) {
  struct ranges *rs = data;
  if (info->dlpi_name && strncmp(info->dlpi_name, "linux-vdso", 10) == 0) return 0; /* the kernel's own pages */
  for (int i = 0; i < info->dlpi_phnum && rs->n < MAX_RANGES; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || !ph->p_memsz) continue;
    uintptr_t mask = (uintptr_t)rs->page - 1, a = info->dlpi_addr + ph->p_vaddr;
    rs->r[rs->n].start = a & ~mask;
    rs->r[rs->n].end = (a + ph->p_memsz + mask) & ~mask;
    rs->n++;
  }
  return 0;
}

void trim_setup_pages(void) {
  /* collected first: the program headers live in the first read-only segment */
  struct ranges rs = {.page = sysconf(_SC_PAGESIZE)};
  dl_iterate_phdr(collect, &rs);
  for (int i = 0; i < rs.n; i++) madvise((void *)rs.r[i].start, rs.r[i].end - rs.r[i].start, MADV_DONTNEED);
}
