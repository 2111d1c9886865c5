#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe-root.h"
#include "shim.h"

/* Paths inside the container's root, resolved before pivot_root from a directory fd of
 * that root: an image's symlinks (absolute or `..` chains) resolve as if the root were
 * `/`, never against the host's tree. The kernel does it with openat2(RESOLVE_IN_ROOT);
 * kernels without openat2 (< 5.6) get the same semantics from a component walk that
 * opens every name with O_NOFOLLOW and expands symlinks itself (crun's safe_openat,
 * runc's securejoin). Mounts then go onto /proc/self/fd/N of the opened target, so
 * they land exactly on the inode that was checked. */

#define MAX_LINKS 40  /* the kernel's MAXSYMLINKS */
#define MAX_DEPTH 256 /* directories deep */

static int force_walk = -1; /* SKIFF_SHIM_RESOLVE=walk in tests: the emulation without openat2 */

/* `path` made relative and lexically clean ("", "." and ".." gone; ".." stops at /), as
 * runc cleans a mount destination before it joins it to the root */
static int clean_path(const char *path, char *out, size_t outlen) {
  size_t len = 0;
  for (const char *p = path; *p;) {
    while (*p == '/') p++;
    const char *e = strchrnul(p, '/');
    size_t n = (size_t)(e - p);
    if (n == 0 || (n == 1 && p[0] == '.')) {
    } else if (n == 2 && p[0] == '.' && p[1] == '.') {
      while (len > 0 && out[len - 1] != '/') len--;
      if (len > 0) len--;
    } else {
      if (len + n + 2 > outlen) return -1;
      if (len) out[len++] = '/';
      memcpy(out + len, p, n);
      len += n;
    }
    p = e;
  }
  out[len] = 0;
  return 0;
}

int open_in_root(int rootfd, const char *path, int want, int create, char *err, size_t errlen) {
  char rel[4096];
  if (clean_path(path, rel, sizeof rel) < 0) {
    snprintf(err, errlen, "mount point %s: path too long", path);
    return -1;
  }
  if (force_walk < 0) {
    const char *v = getenv("SKIFF_SHIM_RESOLVE");
    force_walk = v && !strcmp(v, "walk");
    if (force_walk) safe_root_force_fallback(1);
  }
  const char *at = *rel ? rel : ".";
  int fd = safe_openat2(rootfd, at, O_PATH, 0, SAFE_RESOLVE_IN_ROOT | SAFE_RESOLVE_NO_MAGICLINKS);
  if (fd < 0 && errno == ENOENT && create) fd = safe_mkdirs_in_root(rootfd, at, want == INROOT_DIR ? SAFE_MKDIRS_DIR : SAFE_MKDIRS_FILE);
  if (fd < 0) {
    snprintf(err, errlen, "%s mount point %s in the container: %s", create ? "creating" : "opening", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) < 0) {
    snprintf(err, errlen, "mount point %s: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  if ((want == INROOT_DIR && !S_ISDIR(st.st_mode)) || (want == INROOT_FILE && S_ISDIR(st.st_mode))) {
    snprintf(err, errlen, "mount point %s in the container is %s, but the source is %s", path, S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
             want == INROOT_DIR ? "a directory" : "a file");
    close(fd);
    return -1;
  }
  return fd;
}

/* /proc, /sys, /dev: an ordinary directory right under the root (created if missing),
 * never a symlink to follow (runc's rule for proc and sysfs). */
int open_root_dir(int rootfd, const char *name, char *err, size_t errlen) {
  if (mkdirat(rootfd, name, 0755) < 0 && errno != EEXIST) {
    snprintf(err, errlen, "creating /%s: %s", name, strerror(errno));
    return -1;
  }
  int fd = openat(rootfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    snprintf(err, errlen, "/%s in the image must be an ordinary directory: %s", name, errno == ENOTDIR ? "it is a symlink or a file" : strerror(errno));
  return fd;
}

int mount_on_fd(const char *src, int fd, const char *type, unsigned long flags, const char *data) {
  char path[32];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return mount(src, path, type, flags, data);
}
