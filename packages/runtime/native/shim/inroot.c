#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

static int force_walk = -1; /* openat2 missing (or SKIFF_SHIM_RESOLVE=walk in tests) */

/* `path` made relative and lexically clean ("", "." and ".." gone; ".." stops at /) */
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

static int openat2_in_root(int rootfd, const char *rel) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return (int)syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof how);
}

/* Creates the missing `name` in `dirfd`: a directory unless it is the last component of a
 * file target. O_EXCL|O_NOFOLLOW: never through a symlink that appeared meanwhile. */
static int create_entry(int dirfd, const char *name, int as_dir) {
  if (as_dir) return mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST ? -1 : 0;
  int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
  if (fd >= 0) return close(fd), 0;
  return errno == EEXIST ? 0 : -1;
}

/* The walk: a stack of directory fds from the root down (so ".." is the real parent and
 * never passes the root), the rest of the path in `todo`; a symlink's target replaces its
 * name in `todo`, absolute ones restart from the root. */
static int walk_in_root(int rootfd, const char *rel, int create, int last_is_dir) {
  static char todo[2][8192];
  int cur = 0, links = 0, depth = 0, fd = -1;
  static int stack[MAX_DEPTH];
  stack[0] = rootfd;
  if (snprintf(todo[cur], sizeof todo[cur], "%s", rel) >= (int)sizeof todo[cur]) return errno = ENAMETOOLONG, -1;
  char *p = todo[cur];
  for (;;) {
    while (*p == '/') p++;
    if (!*p) break;
    char *e = strchrnul(p, '/');
    char name[256];
    size_t n = (size_t)(e - p);
    if (n >= sizeof name) { errno = ENAMETOOLONG; goto fail; }
    memcpy(name, p, n);
    name[n] = 0;
    const char *rest = e;
    int last = !*e || !e[strspn(e, "/")];
    if (!strcmp(name, ".")) { p = e; continue; }
    if (!strcmp(name, "..")) {
      if (depth > 0) close(stack[depth--]);
      p = e;
      continue;
    }
    fd = openat(stack[depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (create_entry(stack[depth], name, !last || last_is_dir) < 0) goto fail;
      fd = openat(stack[depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) goto fail;
    struct stat st;
    if (fstat(fd, &st) < 0) goto fail;
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t tl = readlinkat(fd, "", target, sizeof target - 1);
      close(fd);
      fd = -1;
      if (tl < 0) goto fail;
      target[tl] = 0;
      if (++links > MAX_LINKS) { errno = ELOOP; goto fail; }
      int next = !cur;
      if (snprintf(todo[next], sizeof todo[next], "%s%s", target, rest) >= (int)sizeof todo[next]) { errno = ENAMETOOLONG; goto fail; }
      cur = next;
      p = todo[cur];
      if (target[0] == '/')
        while (depth > 0) close(stack[depth--]);
      continue;
    }
    if (last) break; /* `fd` is the answer */
    if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; goto fail; }
    if (depth + 1 >= MAX_DEPTH) { errno = ENAMETOOLONG; goto fail; }
    stack[++depth] = fd;
    fd = -1;
    p = e;
  }
  if (fd < 0) fd = depth > 0 ? stack[depth--] : openat(rootfd, ".", O_PATH | O_CLOEXEC); /* ended on a directory */
  while (depth > 0) close(stack[depth--]);
  return fd;
fail: {
    int saved = errno;
    if (fd >= 0) close(fd);
    while (depth > 0) close(stack[depth--]);
    errno = saved;
    return -1;
  }
}

static int use_walk(void) {
  if (force_walk < 0) {
    const char *v = getenv("SKIFF_SHIM_RESOLVE");
    force_walk = v && !strcmp(v, "walk");
  }
  return force_walk;
}

int open_in_root(int rootfd, const char *path, int want, int create, char *err, size_t errlen) {
  char rel[4096];
  if (clean_path(path, rel, sizeof rel) < 0) {
    snprintf(err, errlen, "mount point %s: path too long", path);
    return -1;
  }
  int fd = -1;
  if (!use_walk()) {
    for (int tries = 0; (fd = openat2_in_root(rootfd, rel)) < 0 && errno == EAGAIN && tries < 16; tries++) {} /* a rename raced a ".." */
    if (fd < 0 && (errno == ENOSYS || errno == EPERM)) force_walk = 1; /* EPERM: an older seccomp profile around us */
  }
  if (fd < 0 && (use_walk() || (errno == ENOENT && create))) fd = walk_in_root(rootfd, rel, create, want == INROOT_DIR);
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
    snprintf(err, errlen, "mount point %s in the container is %s, but the source is %s", path,
             S_ISDIR(st.st_mode) ? "a directory" : "not a directory", want == INROOT_DIR ? "a directory" : "a file");
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
  if (fd < 0) snprintf(err, errlen, "/%s in the image must be an ordinary directory: %s", name, errno == ENOTDIR ? "it is a symlink or a file" : strerror(errno));
  return fd;
}

int mount_on_fd(const char *src, int fd, const char *type, unsigned long flags, const char *data) {
  char path[32];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return mount(src, path, type, flags, data);
}
