#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

#define FAIL(...)                       \
  do {                                  \
    snprintf(err, errlen, __VA_ARGS__); \
    return -1;                          \
  } while (0)

/* The container's /dev: a small tmpfs with the host's harmless device nodes bind-mounted
 * in, its own devpts instance (so ptys inside are /dev/pts/N of the container), shm and
 * mqueue, and the usual /proc/self/fd symlinks. */
int mount_dev(const char *root, char *err, size_t errlen) {
  char p[4096];
  snprintf(p, sizeof p, "%s/dev", root);
  if (mkdir(p, 0755) < 0 && errno != EEXIST) FAIL("creating /dev: %s", strerror(errno));
  if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0) FAIL("mounting /dev: %s", strerror(errno));

  static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
    char host[64];
    snprintf(host, sizeof host, "/dev/%s", nodes[i]);
    snprintf(p, sizeof p, "%s/dev/%s", root, nodes[i]);
    int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) FAIL("creating /dev/%s: %s", nodes[i], strerror(errno));
    close(fd);
    if (mount(host, p, NULL, MS_BIND, NULL) < 0) FAIL("bind-mounting %s: %s", host, strerror(errno));
  }

  snprintf(p, sizeof p, "%s/dev/pts", root);
  mkdir(p, 0755);
  if (mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0)
    FAIL("mounting /dev/pts: %s", strerror(errno));
  snprintf(p, sizeof p, "%s/dev/ptmx", root);
  if (symlink("pts/ptmx", p) < 0) FAIL("linking /dev/ptmx: %s", strerror(errno));

  snprintf(p, sizeof p, "%s/dev/shm", root);
  mkdir(p, 01777);
  if (mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
    FAIL("mounting /dev/shm: %s", strerror(errno));
  snprintf(p, sizeof p, "%s/dev/mqueue", root);
  mkdir(p, 0755);
  if (mount("mqueue", p, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) rmdir(p); /* optional */

  static const char *const links[][2] = {
      {"/proc/self/fd", "fd"},         {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
  };
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
    snprintf(p, sizeof p, "%s/dev/%s", root, links[i][1]);
    symlink(links[i][0], p);
  }
  return 0;
}

/* A pty from the container's own devpts instance, so `tty` inside says /dev/pts/N.
 * Must run after pivot_root (or setns into the container's mount namespace). */
int open_container_pty(int *master, int *slave, char *err, size_t errlen) {
  int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) FAIL("open /dev/ptmx: %s", strerror(errno));
  char name[128];
  if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0) {
    close(m);
    FAIL("allocating a pty: %s", strerror(errno));
  }
  int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) {
    close(m);
    FAIL("open %s: %s", name, strerror(errno));
  }
  *master = m;
  *slave = s;
  return 0;
}
