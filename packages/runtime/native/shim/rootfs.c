#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

/* Docker's defaults (moby oci/defaults.go) */
static const char *const DEFAULT_MASKED[] = {
    "/proc/asound",      "/proc/acpi",        "/proc/kcore", "/proc/keys",    "/proc/latency_stats",           "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",  "/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};
static const char *const DEFAULT_READONLY[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

#define FAIL(...)                       \
  do {                                  \
    snprintf(err, errlen, __VA_ARGS__); \
    return -1;                          \
  } while (0)

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data, char *err, size_t errlen) {
  if (mount(src, dst, type, flags, data) < 0) FAIL("mount %s on %s (%s): %s", src ? src : "none", dst, type ? type : "bind", strerror(errno));
  return 0;
}

/* Overlay options must fit in one page; a deep image with long layer paths overflows
 * it. Then every dir is opened and named by its fd number relative to /proc/self/fd
 * (overlayfs resolves the options against the cwd at mount time): ~4 bytes a layer. */
static int mount_overlay(const struct conf *c, const char *root, const char **lowers, size_t nl, char *err, size_t errlen) {
  const char *upper = conf_get(c, "upper"), *work = conf_get(c, "work");
  if (!upper || !work) FAIL("shim.conf has lower dirs but no upper/work");
  static const char *paths[MAX_LIST + 2];
  static char names[MAX_LIST + 2][16];
  static int fds[MAX_LIST + 2];
  size_t n = nl + 2, total = 64;
  for (size_t i = 0; i < nl; i++) paths[i] = lowers[i];
  paths[nl] = upper;
  paths[nl + 1] = work;
  for (size_t i = 0; i < n; i++) total += strlen(paths[i]) + 1;
  int by_fd = total > 4000;
  for (size_t i = 0; i < n; i++) fds[i] = -1;
  if (by_fd) {
    for (size_t i = 0; i < n; i++) {
      fds[i] = open(paths[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fds[i] < 0) {
        snprintf(err, errlen, "opening overlay dir %s: %s", paths[i], strerror(errno));
        for (size_t k = 0; k < i; k++) close(fds[k]);
        return -1;
      }
      snprintf(names[i], sizeof names[i], "%d", fds[i]);
      paths[i] = names[i];
    }
    if (chdir("/proc/self/fd") < 0) FAIL("chdir /proc/self/fd: %s", strerror(errno));
  }
  static char data[65536];
  size_t off = (size_t)snprintf(data, sizeof data, "lowerdir=");
  for (size_t i = 0; i < nl; i++) off += (size_t)snprintf(data + off, sizeof data - off, "%s%s", i ? ":" : "", paths[i]);
  snprintf(data + off, sizeof data - off, ",upperdir=%s,workdir=%s", paths[nl], paths[nl + 1]);
  int r = do_mount("overlay", root, "overlay", 0, data, err, errlen);
  if (by_fd) {
    for (size_t i = 0; i < n; i++) close(fds[i]);
    if (chdir("/") < 0) {}
  }
  return r;
}

static unsigned long parse_mount_options(char *opts, char *data, size_t datalen, int *bind) {
  unsigned long flags = 0;
  data[0] = 0;
  *bind = 0;
  char *save = NULL;
  for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    if (!strcmp(o, "bind")) {
      flags |= MS_BIND;
      *bind = 1;
    } else if (!strcmp(o, "rbind")) {
      flags |= MS_BIND | MS_REC;
      *bind = 1;
    } else if (!strcmp(o, "ro")) flags |= MS_RDONLY;
    else if (!strcmp(o, "rw")) {
    } else if (!strcmp(o, "nosuid")) flags |= MS_NOSUID;
    else if (!strcmp(o, "nodev")) flags |= MS_NODEV;
    else if (!strcmp(o, "noexec")) flags |= MS_NOEXEC;
    else if (!strcmp(o, "private") || !strcmp(o, "rprivate") || !strcmp(o, "shared") || !strcmp(o, "rshared") || !strcmp(o, "slave") || !strcmp(o, "rslave")) {
    } else {
      size_t l = strlen(data);
      snprintf(data + l, datalen - l, "%s%s", l ? "," : "", o);
    }
  }
  return flags;
}

/* runc's list: the only /proc files a mount may cover (lxcfs and friends); a symlink in
 * the image must not turn /data into a mount over /proc/sys or /proc/sysrq-trigger */
static const char *const PROC_MOUNT_OK[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps", "/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev", NULL,
};

static int proc_target_allowed(int fd, const char *target) {
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) return 1;
  char clean[4096];
  snprintf(clean, sizeof clean, "%s", target);
  for (size_t l = strlen(clean); l > 1 && clean[l - 1] == '/'; l--) clean[l - 1] = 0;
  for (size_t i = 0; PROC_MOUNT_OK[i]; i++)
    if (!strcmp(clean, PROC_MOUNT_OK[i])) return 1;
  return 0;
}

/* A mount point opened (made when missing) inside the root, never one that lands in /proc. */
static int open_mount_point(int rootfd, const char *target, int want, char *err, size_t errlen) {
  int fd = open_in_root(rootfd, target, want, 1, err, errlen);
  if (fd >= 0 && !proc_target_allowed(fd, target)) {
    snprintf(err, errlen, "mount point %s resolves into /proc, which a mount may not cover", target);
    close(fd);
    return -1;
  }
  return fd;
}

/* A bind mount: source and target both by fd; ro/nosuid/... need a remount of the new
 * mount, reached by resolving the target again and checked to be the source's inode. */
static int bind_mount(int rootfd, const char *src, const char *target, unsigned long flags, char *err, size_t errlen) {
  int sfd = open(src, O_PATH | O_CLOEXEC);
  if (sfd < 0) FAIL("bind source %s: %s", src, strerror(errno));
  struct stat sst;
  int want = fstat(sfd, &sst) == 0 && S_ISDIR(sst.st_mode) ? INROOT_DIR : INROOT_FILE;
  int tfd = open_mount_point(rootfd, target, want, err, errlen);
  int r = -1;
  char spath[32];
  snprintf(spath, sizeof spath, "/proc/self/fd/%d", sfd);
  if (tfd < 0) goto out;
  if (mount_on_fd(spath, tfd, NULL, flags & (MS_BIND | MS_REC), NULL) < 0) {
    snprintf(err, errlen, "bind-mounting %s on %s: %s", src, target, strerror(errno));
    goto out;
  }
  r = 0;
  if (flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) {
    close(tfd);
    r = -1;
    tfd = open_in_root(rootfd, target, want, 0, err, errlen);
    struct stat tst;
    if (tfd < 0) goto out;
    if (fstat(tfd, &tst) < 0 || tst.st_dev != sst.st_dev || tst.st_ino != sst.st_ino) {
      snprintf(err, errlen, "mount point %s changed while it was being mounted", target);
      goto out;
    }
    if (mount_on_fd(NULL, tfd, NULL, MS_BIND | MS_REMOUNT | (flags & ~(MS_BIND | MS_REC)), NULL) < 0) {
      snprintf(err, errlen, "remounting %s: %s", target, strerror(errno));
      goto out;
    }
    r = 0;
  }
out:
  if (tfd >= 0) close(tfd);
  close(sfd);
  return r;
}

/* `mount=type\tsource\ttarget\toptions` lines, in order. */
static int apply_extra_mounts(const struct conf *c, int rootfd, char *err, size_t errlen) {
  static const char *mounts[MAX_LIST];
  size_t n = conf_list(c, "mount", mounts, MAX_LIST);
  for (size_t i = 0; i < n; i++) {
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", mounts[i]);
    char *type = buf, *src = strchr(type, '\t');
    if (!src) FAIL("bad mount line: %s", mounts[i]);
    *src++ = 0;
    char *target = strchr(src, '\t');
    if (!target) FAIL("bad mount line: %s", mounts[i]);
    *target++ = 0;
    char *opts = strchr(target, '\t');
    if (opts) *opts++ = 0;
    else opts = (char *)"";
    if (target[0] != '/' || strchr(opts, '\t')) FAIL("bad mount line: %s", mounts[i]);
    char data[4096];
    int bind;
    unsigned long flags = parse_mount_options(opts, data, sizeof data, &bind);
    if (!strcmp(type, "bind")) bind = 1, flags |= MS_BIND;
    if (bind) {
      if (bind_mount(rootfd, src, target, flags, err, errlen) < 0) return -1;
      continue;
    }
    int fd = open_mount_point(rootfd, target, INROOT_DIR, err, errlen);
    if (fd < 0) return -1;
    int r = mount_on_fd(src, fd, type, flags, data[0] ? data : NULL), e = errno;
    close(fd);
    if (r < 0) FAIL("mount %s on %s (%s): %s", src, target, type, strerror(e));
  }
  return 0;
}

static int bind_file(const char *src, int rootfd, const char *target, char *err, size_t errlen) {
  if (!src || !*src) return 0;
  int fd = open_mount_point(rootfd, target, INROOT_FILE, err, errlen);
  if (fd < 0) return -1;
  int r = mount_on_fd(src, fd, NULL, MS_BIND, NULL), e = errno;
  close(fd);
  if (r < 0) FAIL("bind-mounting %s on %s: %s", src, target, strerror(e));
  return 0;
}

static const char *const *path_list(const struct conf *c, const char *key, const char *const *dflt, const char **buf) {
  size_t n = conf_list(c, key, buf, MAX_LIST - 1);
  if (!n) return dflt;
  buf[n] = NULL;
  return buf;
}

/* Files get /dev/null bound over them, directories an empty read-only tmpfs. */
static void mask_paths(const struct conf *c) {
  static const char *buf[MAX_LIST];
  const char *const *paths = path_list(c, "maskedPath", DEFAULT_MASKED, buf);
  for (size_t i = 0; paths[i]; i++) {
    struct stat st;
    if (!paths[i][0] || stat(paths[i], &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) mount("tmpfs", paths[i], "tmpfs", MS_RDONLY, "size=0");
    else mount("/dev/null", paths[i], NULL, MS_BIND, NULL);
  }
}

static void readonly_paths(const struct conf *c) {
  static const char *buf[MAX_LIST];
  const char *const *paths = path_list(c, "readonlyPath", DEFAULT_READONLY, buf);
  for (size_t i = 0; paths[i]; i++) {
    if (!paths[i][0] || mount(paths[i], paths[i], NULL, MS_BIND | MS_REC, NULL) < 0) continue;
    mount(NULL, paths[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  }
}

static int mount_proc(int rootfd, char *err, size_t errlen) {
  int fd = open_root_dir(rootfd, "proc", err, errlen);
  if (fd < 0) return -1;
  int r = mount_on_fd("proc", fd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), e = errno;
  close(fd);
  if (r < 0) FAIL("mounting /proc: %s", strerror(e));
  return 0;
}

static int mount_sys(const struct conf *c, int rootfd, char *err, size_t errlen) {
  int fd = open_root_dir(rootfd, "sys", err, errlen);
  if (fd < 0) return -1;
  const char *netns = conf_get(c, "netns");
  unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  int r;
  if (netns && strcmp(netns, "host") == 0) {
    /* a fresh sysfs is refused while sharing the host's network namespace: bind it, then
     * remount the new mount (reached by name again: the fd still sees the directory under it).
     * Not recursive: the host's mounts under /sys (its cgroup hierarchies, read-write)
     * stay out; the container's own cgroups are mounted below. */
    r = mount_on_fd("/sys", fd, NULL, MS_BIND, NULL);
    close(fd);
    if (r < 0) FAIL("bind-mounting /sys: %s", strerror(errno));
    if ((fd = open_root_dir(rootfd, "sys", err, errlen)) < 0) return -1;
    r = mount_on_fd(NULL, fd, NULL, MS_BIND | MS_REMOUNT | ro, NULL);
  } else {
    r = mount_on_fd("sysfs", fd, "sysfs", ro, NULL);
  }
  int e = errno;
  close(fd);
  if (r < 0) FAIL("mounting /sys: %s", strerror(e));
  /* the new mount's root, not the directory under it */
  if ((fd = open_root_dir(rootfd, "sys", err, errlen)) < 0) return -1;
  r = mount_cgroupfs(c, fd, err, errlen);
  close(fd);
  return r;
}

/* Everything mounted inside the root before pivot_root, each target opened from `rootfd`. */
static int mount_inside(const struct conf *c, int rootfd, char *err, size_t errlen) {
  if (mount_proc(rootfd, err, errlen) < 0) return -1;
  if (mount_dev(rootfd, conf_long(c, "shmSize", 0), err, errlen) < 0) return -1;
  if (mount_sys(c, rootfd, err, errlen) < 0) return -1;
  if (bind_file(conf_get(c, "hostsFile"), rootfd, "/etc/hosts", err, errlen) < 0) return -1;
  if (bind_file(conf_get(c, "hostnameFile"), rootfd, "/etc/hostname", err, errlen) < 0) return -1;
  if (bind_file(conf_get(c, "resolvFile"), rootfd, "/etc/resolv.conf", err, errlen) < 0) return -1;
  return apply_extra_mounts(c, rootfd, err, errlen);
}

/* Runs in the container's fresh mount namespace; ends inside the new root. */
int setup_rootfs(const struct conf *c, char *err, size_t errlen) {
  const char *root = conf_get(c, "rootfs");
  if (!root || !*root) FAIL("shim.conf has no rootfs");
  /* nothing we mount may leak back to the host */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) FAIL("making mounts private: %s", strerror(errno));

  static const char *lowers[MAX_LIST];
  size_t nl = conf_list(c, "lower", lowers, MAX_LIST);
  if (nl) {
    if (mount_overlay(c, root, lowers, nl, err, errlen) < 0) return -1;
  } else if (do_mount(root, root, NULL, MS_BIND | MS_REC, NULL, err, errlen) < 0) {
    return -1; /* pivot_root needs a mount point */
  }

  /* opened after the root mount: the fd is the mount's root, not the directory under it */
  int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) FAIL("opening the root %s: %s", root, strerror(errno));
  int r = mount_inside(c, rootfd, err, errlen);
  /* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves
   * only the container's mounts (no put_old directory needed) */
  if (r == 0 && fchdir(rootfd) < 0) {
    snprintf(err, errlen, "chdir %s: %s", root, strerror(errno));
    r = -1;
  }
  close(rootfd);
  if (r < 0) return -1;
  if (syscall(SYS_pivot_root, ".", ".") < 0) FAIL("pivot_root: %s", strerror(errno));
  if (umount2(".", MNT_DETACH) < 0) FAIL("detaching the old root: %s", strerror(errno));
  if (chdir("/") < 0) FAIL("chdir /: %s", strerror(errno));

  mask_paths(c);
  /* through the container's own /proc, while /proc/sys is still writable */
  if (apply_sysctls(c, err, errlen) < 0) return -1;
  readonly_paths(c);
  /* Docker creates a missing working dir; it has to happen before / turns read-only */
  const char *cwd = conf_get(c, "cwd");
  if (cwd && *cwd && mkdir_p(cwd, 0755) < 0) FAIL("creating working directory %s: %s", cwd, strerror(errno));
  if (conf_flag(c, "readonly") && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) FAIL("remounting / read-only: %s", strerror(errno));
  return 0;
}
