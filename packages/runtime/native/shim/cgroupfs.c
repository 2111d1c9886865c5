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
 * container has its own cgroup in (the conf's `cgroup` dirs) are mounted: in any other
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

/* v1 superblock options that are flags, not the controllers a mount must name */
static int is_v1_flag(const char *o) {
  static const char *const flags[] = {"rw", "ro", "none", "all", "noprefix", "clone_children", "cpuset_v2_mode", "xattr", "favordynmods", NULL};
  for (size_t i = 0; flags[i]; i++)
    if (!strcmp(o, flags[i])) return 1;
  return !strncmp(o, "release_agent=", 14);
}

static void v1_controllers(const char *superopts, char *out, size_t outlen) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", superopts);
  out[0] = 0;
  char *save = NULL;
  for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    if (is_v1_flag(o)) continue;
    size_t l = strlen(out);
    snprintf(out + l, outlen - l, "%s%s", l ? "," : "", o);
  }
}

/* The cgroup mount of the host (this mount namespace's /proc/self/mountinfo) that holds
 * `dir`: the longest cgroup mount point that is a prefix of it. */
static int hierarchy_of(const char *dir, struct hierarchy *h) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) return -1;
  char line[4096];
  size_t best = 0;
  while (fgets(line, sizeof line, f)) {
    char mnt[PATH_MAX], fstype[64], superopts[512];
    /* "id parent maj:min root mountpoint opts [optional...] - fstype source superopts" */
    const char *sep = strstr(line, " - ");
    if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1) continue;
    if (sscanf(sep + 3, "%63s %*s %511s", fstype, superopts) != 2) continue;
    int v2 = !strcmp(fstype, "cgroup2");
    if (!v2 && strcmp(fstype, "cgroup") != 0) continue;
    size_t l = strlen(mnt);
    if (l <= best || strncmp(dir, mnt, l) != 0 || (dir[l] != '/' && dir[l] != 0)) continue;
    const char *base = strrchr(mnt, '/');
    snprintf(h->name, sizeof h->name, "%s", base ? base + 1 : mnt);
    h->v2 = v2;
    h->at_root = v2 && !strcmp(mnt, "/sys/fs/cgroup");
    if (v2) h->opts[0] = 0;
    else v1_controllers(superopts, h->opts, sizeof h->opts);
    best = l;
  }
  fclose(f);
  return best ? 0 : -1;
}

/* the distinct hierarchies of the conf's cgroup dirs (cpu and cpuacct may be one) */
static size_t joined_hierarchies(const struct conf *c, struct hierarchy *out, size_t max) {
  static const char *dirs[MAX_LIST];
  size_t n = conf_list(c, "cgroup", dirs, MAX_LIST), count = 0;
  for (size_t i = 0; i < n && count < max; i++) {
    char real[PATH_MAX];
    struct hierarchy h;
    if (!realpath(dirs[i], real) || hierarchy_of(real, &h) < 0) continue;
    snprintf(h.dir, sizeof h.dir, "%s", real);
    int dup = 0;
    for (size_t k = 0; k < count; k++) dup |= !strcmp(out[k].name, h.name);
    if (!dup) out[count++] = h;
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
  size_t n = joined_hierarchies(c, hs, MAX_HIER);
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
