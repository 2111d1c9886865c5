#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

void format_rfc3339nano(char *buf, size_t len) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

int write_file_str(const char *path, const char *s) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = write_all(fd, s, strlen(s));
  int saved = errno;
  close(fd);
  errno = saved;
  return r;
}

/* A single-threaded caller moves itself through v1's `tasks`: the kernel skips the global
 * threadgroup rwsem for a thread moving itself, while `cgroup.procs` takes it for writing,
 * which waits out an RCU grace period whenever no other migration ran just before: 5-15 ms
 * per start on this host, against 0.1. cgroup v2 has no `tasks` file: `cgroup.procs` there. */
int join_cgroup_self(const char *dir) {
  char p[4200];
  snprintf(p, sizeof p, "%s/tasks", dir);
  if (write_file_str(p, "0") == 0) return 0;
  if (errno != ENOENT) return -1;
  snprintf(p, sizeof p, "%s/cgroup.procs", dir);
  return write_file_str(p, "0");
}

int write_file_atomic(const char *path, const char *s, int durable) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  if (write_all(fd, s, strlen(s)) < 0 || (durable && fsync(fd) < 0)) {
    close(fd);
    unlink(tmp);
    return -1;
  }
  close(fd);
  return rename(tmp, path);
}

int mkdir_p(const char *path, mode_t mode) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, mode) < 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(buf, mode) < 0 && errno != EEXIST) return -1;
  return 0;
}

void die_report(int fd, int code, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (char *p = msg; *p; p++)
    if (*p == '\n') *p = ' ';
  dprintf(fd, "E %d %s\n", code, msg);
  _exit(code);
}

void reset_signals(void) {
  /* ignored dispositions and the blocked mask survive execve; the shim ignores SIGPIPE
   * and SIGHUP and blocks SIGCHLD, none of which the container process should inherit */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP) sigaction(s, &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Whatever the spawner leaked to us must not reach the container (nor keep its pipes
 * open for as long as the container runs). */
void close_fds_from(int first) {
  if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0) return;
  DIR *d = opendir("/proc/self/fd");
  if (!d) return;
  int self = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d))) {
    int fd = atoi(e->d_name);
    if (fd >= first && fd != self) close(fd);
  }
  closedir(d);
}

/* fd 3 has a meaning (report pipe / resize channel); when the caller did not pass it,
 * park /dev/null there so that no later open() lands on 3 and gets mistaken for it. */
int reserve_fd3(void) {
  if (fcntl(3, F_GETFD) >= 0) return 1;
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd >= 0 && fd != 3) {
    dup3(fd, 3, O_CLOEXEC);
    close(fd);
  }
  return 0;
}

static void __attribute__((noreturn)) oom(size_t n) {
  dprintf(2, "skiff-shim: out of memory allocating %zu bytes\n", n);
  abort();
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) oom(n);
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) oom(n * size);
  return p;
}

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) oom(n);
  return q;
}

char *xstrdup(const char *s) {
  char *p = strdup(s);
  if (!p) oom(strlen(s) + 1);
  return p;
}
