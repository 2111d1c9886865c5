#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "shim.h"

#define MAX_LIST 256

static const char *const DEFAULT_MASKED[] = {
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};
static const char *const DEFAULT_READONLY[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

#define FAIL(...)                          \
  do {                                     \
    snprintf(err, errlen, __VA_ARGS__);    \
    return -1;                             \
  } while (0)

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data, char *err, size_t errlen) {
  if (mount(src, dst, type, flags, data) < 0) FAIL("mount %s on %s (%s): %s", src ? src : "none", dst, type ? type : "bind", strerror(errno));
  return 0;
}

/* A bind target must exist and be of the same kind (file or directory) as the source. */
static int ensure_target(const char *target, int is_dir) {
  struct stat st;
  if (lstat(target, &st) == 0) return 0;
  char parent[4096];
  snprintf(parent, sizeof parent, "%s", target);
  char *slash = strrchr(parent, '/');
  if (slash && slash != parent) {
    *slash = 0;
    mkdir_p(parent, 0755);
  }
  if (is_dir) return mkdir(target, 0755) < 0 && errno != EEXIST ? -1 : 0;
  int fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

static int mount_dev(const char *root, char *err, size_t errlen) {
  char p[4096], q[4096];
  snprintf(p, sizeof p, "%s/dev", root);
  ensure_target(p, 1);
  if (do_mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", err, errlen) < 0) return -1;
  static const struct { const char *name; unsigned maj, min; } devs[] = {
      {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
  };
  for (size_t i = 0; i < sizeof devs / sizeof *devs; i++) {
    snprintf(p, sizeof p, "%s/dev/%s", root, devs[i].name);
    if (mknod(p, S_IFCHR | 0666, makedev(devs[i].maj, devs[i].min)) < 0) FAIL("mknod %s: %s", p, strerror(errno));
    chmod(p, 0666); /* mknod honours the umask */
  }
  snprintf(p, sizeof p, "%s/dev/pts", root);
  mkdir(p, 0755);
  if (do_mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", err, errlen) < 0) return -1;
  snprintf(p, sizeof p, "%s/dev/ptmx", root);
  symlink("pts/ptmx", p);
  snprintf(p, sizeof p, "%s/dev/shm", root);
  mkdir(p, 01777);
  if (do_mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k", err, errlen) < 0) return -1;
  snprintf(p, sizeof p, "%s/dev/mqueue", root);
  mkdir(p, 0755);
  mount("mqueue", p, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL); /* optional */
  static const char *const links[][2] = {
      {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
  };
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
    snprintf(q, sizeof q, "%s/dev/%s", root, links[i][1]);
    symlink(links[i][0], q);
  }
  return 0;
}

static unsigned long parse_mount_options(char *opts, char *data, size_t datalen, int *bind) {
  unsigned long flags = 0;
  data[0] = 0;
  *bind = 0;
  char *save = NULL;
  for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
    if (!strcmp(o, "bind")) { flags |= MS_BIND; *bind = 1; }
    else if (!strcmp(o, "rbind")) { flags |= MS_BIND | MS_REC; *bind = 1; }
    else if (!strcmp(o, "ro")) flags |= MS_RDONLY;
    else if (!strcmp(o, "rw")) {}
    else if (!strcmp(o, "nosuid")) flags |= MS_NOSUID;
    else if (!strcmp(o, "nodev")) flags |= MS_NODEV;
    else if (!strcmp(o, "noexec")) flags |= MS_NOEXEC;
    else if (!strcmp(o, "private") || !strcmp(o, "rprivate") || !strcmp(o, "shared") || !strcmp(o, "slave")) {}
    else {
      size_t l = strlen(data);
      snprintf(data + l, datalen - l, "%s%s", l ? "," : "", o);
    }
  }
  return flags;
}

static int apply_extra_mounts(const struct conf *c, const char *root, char *err, size_t errlen) {
  const char *mounts[MAX_LIST];
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
    if (opts) *opts++ = 0; else opts = (char *)"";
    char data[4096], path[4096];
    int bind;
    unsigned long flags = parse_mount_options(opts, data, sizeof data, &bind);
    snprintf(path, sizeof path, "%s%s", root, target);
    struct stat st;
    int is_dir = !bind || (stat(src, &st) == 0 && S_ISDIR(st.st_mode));
    if (ensure_target(path, is_dir) < 0) FAIL("creating mount point %s: %s", target, strerror(errno));
    if (bind) {
      if (do_mount(src, path, NULL, flags & (MS_BIND | MS_REC), NULL, err, errlen) < 0) return -1;
      if (flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC))
        if (do_mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | (flags & ~(MS_BIND | MS_REC)), NULL, err, errlen) < 0) return -1;
    } else {
      if (do_mount(src, path, type, flags, data[0] ? data : NULL, err, errlen) < 0) return -1;
    }
  }
  return 0;
}

static int bind_file(const char *src, const char *root, const char *target, char *err, size_t errlen) {
  if (!src || !*src) return 0;
  char path[4096];
  snprintf(path, sizeof path, "%s%s", root, target);
  if (ensure_target(path, 0) < 0) FAIL("creating %s: %s", target, strerror(errno));
  return do_mount(src, path, NULL, MS_BIND, NULL, err, errlen);
}

static void mask_paths(const struct conf *c) {
  const char *list[MAX_LIST];
  size_t n = conf_list(c, "maskedPath", list, MAX_LIST);
  const char *const *paths = n ? list : DEFAULT_MASKED;
  if (n) list[n] = NULL;
  for (size_t i = 0; paths[i]; i++) {
    struct stat st;
    if (stat(paths[i], &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) mount("tmpfs", paths[i], "tmpfs", MS_RDONLY, "size=0");
    else mount("/dev/null", paths[i], NULL, MS_BIND, NULL);
  }
}

static void readonly_paths(const struct conf *c) {
  const char *list[MAX_LIST];
  size_t n = conf_list(c, "readonlyPath", list, MAX_LIST);
  const char *const *paths = n ? list : DEFAULT_READONLY;
  if (n) list[n] = NULL;
  for (size_t i = 0; paths[i]; i++) {
    if (mount(paths[i], paths[i], NULL, MS_BIND | MS_REC, NULL) < 0) continue;
    mount(NULL, paths[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  }
}

/* Runs in the container's fresh mount namespace, before pivot_root. */
int setup_rootfs(const struct conf *c, char *err, size_t errlen) {
  const char *root = conf_get(c, "rootfs");
  if (!root) FAIL("shim.conf has no rootfs");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) FAIL("making mounts private: %s", strerror(errno));

  const char *lowers[MAX_LIST];
  size_t nl = conf_list(c, "lower", lowers, MAX_LIST);
  if (nl) {
    static char data[65536];
    size_t off = (size_t)snprintf(data, sizeof data, "lowerdir=");
    for (size_t i = 0; i < nl; i++) off += (size_t)snprintf(data + off, sizeof data - off, "%s%s", i ? ":" : "", lowers[i]);
    snprintf(data + off, sizeof data - off, ",upperdir=%s,workdir=%s", conf_get(c, "upper"), conf_get(c, "work"));
    if (do_mount("overlay", root, "overlay", 0, data, err, errlen) < 0) return -1;
  } else if (do_mount(root, root, NULL, MS_BIND | MS_REC, NULL, err, errlen) < 0) {
    return -1;
  }

  char p[4096];
  snprintf(p, sizeof p, "%s/proc", root);
  ensure_target(p, 1);
  if (do_mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err, errlen) < 0) return -1;
  if (mount_dev(root, err, errlen) < 0) return -1;

  snprintf(p, sizeof p, "%s/sys", root);
  ensure_target(p, 1);
  const char *netns = conf_get(c, "netns");
  unsigned long roflags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (netns && strcmp(netns, "host") == 0) {
    /* sysfs can't be mounted fresh while sharing the host's net namespace: bind it */
    if (do_mount("/sys", p, NULL, MS_BIND | MS_REC, NULL, err, errlen) < 0) return -1;
    mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | roflags, NULL);
  } else if (do_mount("sysfs", p, "sysfs", roflags, NULL, err, errlen) < 0) {
    return -1;
  }

  if (bind_file(conf_get(c, "hostsFile"), root, "/etc/hosts", err, errlen) < 0) return -1;
  if (bind_file(conf_get(c, "hostnameFile"), root, "/etc/hostname", err, errlen) < 0) return -1;
  if (bind_file(conf_get(c, "resolvFile"), root, "/etc/resolv.conf", err, errlen) < 0) return -1;
  if (apply_extra_mounts(c, root, err, errlen) < 0) return -1;

  /* pivot_root(".", ".") then detach the old root: no put_old directory needed */
  if (chdir(root) < 0) FAIL("chdir %s: %s", root, strerror(errno));
  if (syscall(SYS_pivot_root, ".", ".") < 0) FAIL("pivot_root: %s", strerror(errno));
  if (umount2(".", MNT_DETACH) < 0) FAIL("detaching the old root: %s", strerror(errno));
  if (chdir("/") < 0) FAIL("chdir /: %s", strerror(errno));

  mask_paths(c);
  readonly_paths(c);
  if (conf_flag(c, "readonly") && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
    FAIL("remounting / read-only: %s", strerror(errno));
  return 0;
}

/* A pty from the container's own devpts instance, so `tty` inside says /dev/pts/N. */
int open_container_pty(int *master, int *slave, char *err, size_t errlen) {
  int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) FAIL("open /dev/ptmx: %s", strerror(errno));
  if (grantpt(m) < 0 || unlockpt(m) < 0) FAIL("unlockpt: %s", strerror(errno));
  char name[128];
  if (ptsname_r(m, name, sizeof name) != 0) FAIL("ptsname: %s", strerror(errno));
  int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) FAIL("open %s: %s", name, strerror(errno));
  *master = m;
  *slave = s;
  return 0;
}
