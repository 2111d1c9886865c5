#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/* /sys/fs/cgroup inside the container: its own cgroups, read-only, as Docker's private
 * cgroup namespace gives (so a JVM, Node or Go runtime sizes itself from its limits).
 * The init joined its cgroups and then unshared the cgroup namespace, so a cgroup
 * filesystem mounted now has the container's own cgroup as its root: no sibling,
 * parent or host cgroup is reachable through it, ".." at its root included.
 * A v2-only host gets cgroup2 right at /sys/fs/cgroup. A v1 (or hybrid) host gets
 * runc's layout: a tmpfs there with one mount per hierarchy, named as on the host, and
 * symlinks for co-mounted controllers (cpu -> cpu,cpuacct). Only hierarchies the
 * container has its own cgroup in (the conf's `cgroupMount` lines) are mounted: in any other
 * (name=systemd, a hybrid's unified) its namespace root is the agent's cgroup.
 * With `cgroupns=host` a fresh mount would show the whole host hierarchy: the
 * container's own cgroup directories are bind-mounted instead (runc without cgroupns). */

#define MAX_HIER 32

struct hierarchy {
  char name[256]; /* the host mount's last component: "memory", "cpu,cpuacct", "unified" */
  char opts[512]; /* v1: the controllers (and name=) to mount with; v2: "" */
  int v2;
  int at_root;        /* v2 mounted on /sys/fs/cgroup itself (a v2-only host) */
  char dir[PATH_MAX]; /* the container's own cgroup in it, on the host */
};

int cgroupns_host(const struct conf *c) {
  const char *v = conf_get(c, "cgroupns");
  return v && !strcmp(v, "host");
}

#define FAIL(...)                       \
  do {                                  \
    snprintf(err, errlen, __VA_ARGS__); \
    return -1;                          \
  } while (0)

/* ends the tab-separated field `f` and returns the next one (NULL past the last) */
static char *next_field(char *f) {
  char *tab = f ? strchr(f, '\t') : NULL;
  if (!tab) return NULL;
  *tab = 0;
  return tab + 1;
}

/* The conf's `cgroupMount` lines, one per hierarchy the container has a cgroup in:
 * "mountpoint\tcgroup|cgroup2\tcontrollers\tdir". The agent reads the host's mountinfo
 * once (cgroup/cgroup-mounts.ts): reading it here cost 0.25-0.9 ms a start. */
static size_t conf_hierarchies(const struct conf *c, struct hierarchy *out, size_t max) {
  static const char *lines[MAX_HIER];
  size_t n = conf_list(c, "cgroupMount", lines, MAX_HIER), count = 0;
  for (size_t i = 0; i < n && count < max; i++) {
    char buf[PATH_MAX + 1024];
    snprintf(buf, sizeof buf, "%s", lines[i]);
    char *mnt = buf, *fstype = next_field(mnt), *opts = next_field(fstype), *dir = next_field(opts);
    if (!mnt || !fstype || !opts || !dir || *dir != '/') continue;
    struct hierarchy *h = &out[count++];
    const char *base = strrchr(mnt, '/');
    snprintf(h->name, sizeof h->name, "%.255s", base ? base + 1 : mnt);
    snprintf(h->opts, sizeof h->opts, "%s", opts);
    snprintf(h->dir, sizeof h->dir, "%s", dir);
    h->v2 = !strcmp(fstype, "cgroup2");
    h->at_root = h->v2 && !strcmp(mnt, "/sys/fs/cgroup");
  }
  return count;
}

static const unsigned long RO = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

/* The hierarchy on `fd` (the directory reached from `parentfd` as `name`): a fresh cgroup mount rooted at the namespace's cgroup, or with
 * `host` a bind of the container's own directory, remounted read-only by name. */
static int mount_one(int parentfd, const char *name, int fd, const struct hierarchy *h, int host, char *err, size_t errlen) {
  if (!host) {
    if (mount_on_fd(h->v2 ? "cgroup2" : "cgroup", fd, h->v2 ? "cgroup2" : "cgroup", RO, h->v2 ? NULL : h->opts) < 0)
      FAIL("mounting the %s cgroup at /sys/fs/cgroup/%s: %s", h->v2 ? "v2" : h->opts, h->name, strerror(errno));
    return 0;
  }
  int src = open(h->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (src < 0) FAIL("opening cgroup %s: %s", h->dir, strerror(errno));
  char spath[32];
  snprintf(spath, sizeof spath, "/proc/self/fd/%d", src);
  int r = mount_on_fd(spath, fd, NULL, MS_BIND, NULL), e = errno;
  close(src);
  if (r < 0) FAIL("bind-mounting cgroup %s: %s", h->dir, strerror(e));
  int top = openat(parentfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (top < 0) FAIL("opening /sys/fs/cgroup/%s: %s", h->name, strerror(errno));
  r = mount_on_fd(NULL, top, NULL, MS_REMOUNT | MS_BIND | RO, NULL), e = errno;
  close(top);
  if (r < 0) FAIL("remounting /sys/fs/cgroup/%s read-only: %s", h->name, strerror(e));
  return 0;
}

/* One hierarchy under the tmpfs `cgfd`; co-mounted controllers get their symlinks. */
static int mount_hierarchy(int cgfd, const struct hierarchy *h, int host, char *err, size_t errlen) {
  if (mkdirat(cgfd, h->name, 0755) < 0 && errno != EEXIST) FAIL("creating /sys/fs/cgroup/%s: %s", h->name, strerror(errno));
  int fd = openat(cgfd, h->name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) FAIL("opening /sys/fs/cgroup/%s: %s", h->name, strerror(errno));
  int r = mount_one(cgfd, h->name, fd, h, host, err, errlen);
  close(fd);
  if (r < 0) return -1;
  if (!strchr(h->name, ',')) return 0;
  char names[sizeof h->name];
  memcpy(names, h->name, sizeof names);
  char *save = NULL;
  for (char *ctrl = strtok_r(names, ",", &save); ctrl; ctrl = strtok_r(NULL, ",", &save))
    if (symlinkat(h->name, cgfd, ctrl) < 0 && errno != EEXIST) FAIL("linking /sys/fs/cgroup/%s: %s", ctrl, strerror(errno));
  return 0;
}

/* `sysfd`: the container's freshly mounted /sys (its root), before pivot_root. */
int mount_cgroupfs(const struct conf *c, int sysfd, char *err, size_t errlen) {
  struct hierarchy hs[MAX_HIER];
  size_t n = conf_hierarchies(c, hs, MAX_HIER);
  int fd = openat(sysfd, "fs/cgroup", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) FAIL("opening /sys/fs/cgroup: %s", strerror(errno));
  int host = cgroupns_host(c);
  if (n == 1 && hs[0].at_root) {
    int r = mount_one(sysfd, "fs/cgroup", fd, &hs[0], host, err, errlen);
    close(fd);
    return r;
  }
  int r = mount_on_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k"), e = errno;
  close(fd);
  if (r < 0) FAIL("mounting a tmpfs at /sys/fs/cgroup: %s", strerror(e));
  /* opened again: the fd now reaches the tmpfs, not the sysfs directory under it */
  int cgfd = openat(sysfd, "fs/cgroup", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (cgfd < 0) FAIL("opening the /sys/fs/cgroup tmpfs: %s", strerror(errno));
  r = 0;
  for (size_t i = 0; r == 0 && i < n; i++) r = mount_hierarchy(cgfd, &hs[i], host, err, errlen);
  if (r == 0 && mount_on_fd(NULL, cgfd, NULL, MS_REMOUNT | MS_BIND | RO, NULL) < 0) {
    snprintf(err, errlen, "remounting /sys/fs/cgroup read-only: %s", strerror(errno));
    r = -1;
  }
  close(cgfd);
  return r;
}
