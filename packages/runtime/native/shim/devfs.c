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

static int mount_dev_dir(int devfd, const char *name, mode_t mode, const char *src, const char *type, unsigned long flags, const char *data) {
  if (mkdirat(devfd, name, mode) < 0 && errno != EEXIST) return -1;
  int fd = openat(devfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = mount_on_fd(src, fd, type, flags, data), e = errno;
  close(fd);
  errno = e;
  return r;
}

static int mount_dev_fd(int devfd, long shm_size, char *err, size_t errlen) {
  static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
    char host[64];
    snprintf(host, sizeof host, "/dev/%s", nodes[i]);
    int fd = openat(devfd, nodes[i], O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) FAIL("creating /dev/%s: %s", nodes[i], strerror(errno));
    int r = mount_on_fd(host, fd, NULL, MS_BIND, NULL), e = errno;
    close(fd);
    if (r < 0) FAIL("bind-mounting %s: %s", host, strerror(e));
  }

  if (mount_dev_dir(devfd, "pts", 0755, "devpts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0)
    FAIL("mounting /dev/pts: %s", strerror(errno));
  if (symlinkat("pts/ptmx", devfd, "ptmx") < 0) FAIL("linking /dev/ptmx: %s", strerror(errno));
  char shm_data[64];
  /* --shm-size; Docker's default is 64 MiB */
  snprintf(shm_data, sizeof shm_data, "mode=1777,size=%ld", shm_size > 0 ? shm_size : 64L * 1024 * 1024);
  if (mount_dev_dir(devfd, "shm", 01777, "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm_data) < 0) FAIL("mounting /dev/shm: %s", strerror(errno));
  if (mount_dev_dir(devfd, "mqueue", 0755, "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    unlinkat(devfd, "mqueue", AT_REMOVEDIR); /* optional */

  static const char *const links[][2] = {
      {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
  };
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) symlinkat(links[i][0], devfd, links[i][1]);
  return 0;
}

/* The container's /dev: a small tmpfs with the host's harmless device nodes bind-mounted
 * in, its own devpts instance (so ptys inside are /dev/pts/N of the container), shm and
 * mqueue, and the usual /proc/self/fd symlinks. Everything is made relative to the fresh
 * tmpfs's fd, so nothing in the image decides where it lands. */
int mount_dev(int rootfd, long shm_size, char *err, size_t errlen) {
  int fd = open_root_dir(rootfd, "dev", err, errlen);
  if (fd < 0) return -1;
  int r = mount_on_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"), e = errno;
  close(fd);
  if (r < 0) FAIL("mounting /dev: %s", strerror(e));
  /* by name again: the old fd still sees the image's directory under the tmpfs */
  int devfd = open_root_dir(rootfd, "dev", err, errlen);
  if (devfd < 0) return -1;
  r = mount_dev_fd(devfd, shm_size, err, errlen);
  close(devfd);
  return r;
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
