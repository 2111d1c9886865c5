#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "safe-root.h"
#include "shim.h"

#define FAIL(...)                       \
  do {                                  \
    snprintf(err, errlen, __VA_ARGS__); \
    return -1;                          \
  } while (0)

/* runc's namespaced sysctls, checked again here (the agent checked them first): a conf
 * line must never reach a host-global one such as kernel/core_pattern or vm/... */
static const char *const IPC_SYSCTLS[] = {
    "kernel/msgmax", "kernel/msgmnb", "kernel/msgmni",          "kernel/sem",        "kernel/shmall",
    "kernel/shmmax", "kernel/shmmni", "kernel/shm_rmid_forced", "kernel/domainname", NULL,
};

static int sysctl_allowed(const char *path, int host_net) {
  for (const char *p = path;;) { /* no empty, "." or ".." component */
    const char *e = strchrnul(p, '/');
    size_t n = (size_t)(e - p);
    if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return 0;
    if (!*e) break;
    p = e + 1;
  }
  for (size_t i = 0; IPC_SYSCTLS[i]; i++)
    if (!strcmp(path, IPC_SYSCTLS[i])) return 1;
  if (!strncmp(path, "fs/mqueue/", 10)) return 1;
  if (!strncmp(path, "net/", 4)) return !host_net;
  return 0;
}

static int is_proc(int fd) {
  struct statfs sf;
  return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

static int write_sysctl(int sysfd, const char *path, const char *value, char *err, size_t errlen) {
  /* beneath /proc/sys, no symlink, no other mount: only the sysctl file itself */
  int fd = safe_openat2(sysfd, path, O_WRONLY, 0, SAFE_RESOLVE_BENEATH | SAFE_RESOLVE_NO_SYMLINKS | SAFE_RESOLVE_NO_MAGICLINKS | SAFE_RESOLVE_NO_XDEV);
  if (fd < 0) {
    if (errno == ENOENT) FAIL("sysctl %s: no such sysctl in the container's namespaces", path);
    FAIL("sysctl %s: %s", path, strerror(errno));
  }
  if (!is_proc(fd)) {
    close(fd);
    FAIL("sysctl %s: not a procfs file", path);
  }
  size_t len = strlen(value);
  ssize_t w = write(fd, value, len);
  int e = errno;
  close(fd);
  if (w < 0) FAIL("writing sysctl %s=%s: %s", path, value, strerror(e));
  if ((size_t)w != len) FAIL("writing sysctl %s=%s: short write", path, value);
  return 0;
}

int apply_sysctls(const struct conf *c, char *err, size_t errlen) {
  static const char *lines[MAX_LIST];
  size_t n = conf_list(c, "sysctl", lines, MAX_LIST);
  if (!n) return 0;
  const char *netns = conf_get(c, "netns");
  int host_net = netns && !strcmp(netns, "host");
  /* the container's procfs, mounted by us on an ordinary directory of the root */
  int sysfd = open("/proc/sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sysfd < 0) FAIL("opening /proc/sys: %s", strerror(errno));
  if (!is_proc(sysfd)) {
    close(sysfd);
    FAIL("/proc/sys in the container is not procfs");
  }
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++) {
    char path[512];
    const char *eq = strchr(lines[i], '=');
    size_t pl = eq ? (size_t)(eq - lines[i]) : 0;
    if (!eq || pl == 0 || pl >= sizeof path) {
      snprintf(err, errlen, "bad sysctl line: %s", lines[i]);
      r = -1;
      break;
    }
    memcpy(path, lines[i], pl);
    path[pl] = 0;
    if (!sysctl_allowed(path, host_net)) {
      snprintf(err, errlen, "sysctl %s is not in the container's own namespaces", path);
      r = -1;
      break;
    }
    r = write_sysctl(sysfd, path, eq + 1, err, errlen);
  }
  close(sysfd);
  return r;
}

static const struct {
  const char *name;
  int resource;
} RLIMITS[] = {
    {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},           {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE},           {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},     {"nofile", RLIMIT_NOFILE},         {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},         {"rtprio", RLIMIT_RTPRIO},     {"rttime", RLIMIT_RTTIME}, {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
};

static rlim_t rlim_value(const char *s) {
  long long v = strtoll(s, NULL, 10);
  return v < 0 ? RLIM_INFINITY : (rlim_t)v;
}

int apply_ulimits(const struct conf *c, char *err, size_t errlen) {
  static const char *lines[MAX_LIST];
  size_t n = conf_list(c, "ulimit", lines, MAX_LIST);
  for (size_t i = 0; i < n; i++) {
    char name[32];
    const char *a = strchr(lines[i], ':'), *b = a ? strchr(a + 1, ':') : NULL;
    if (!a || !b || (size_t)(a - lines[i]) >= sizeof name) FAIL("bad ulimit line: %s", lines[i]);
    memcpy(name, lines[i], (size_t)(a - lines[i]));
    name[a - lines[i]] = 0;
    int res = -1;
    for (size_t k = 0; k < sizeof RLIMITS / sizeof *RLIMITS; k++)
      if (!strcmp(RLIMITS[k].name, name)) res = RLIMITS[k].resource;
    if (res < 0) FAIL("unknown ulimit %s", name);
    struct rlimit rl = {.rlim_cur = rlim_value(a + 1), .rlim_max = rlim_value(b + 1)};
    if (setrlimit(res, &rl) < 0) FAIL("setting ulimit %s=%s: %s", name, a + 1, strerror(errno));
  }
  return 0;
}
