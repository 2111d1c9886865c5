#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* Why not child_process.spawn: libuv forks, and fork copies the page tables of the whole
 * agent (tens of ms for a few hundred MiB of heap). posix_spawn uses CLONE_VM|CLONE_VFORK,
 * whose cost does not depend on the parent's size.
 *
 * Children spawned here are not libuv's, so nobody else reaps them: each one's pidfd goes
 * to one epoll set, watched by one thread that reaps exactly those pids. libuv only ever
 * waits for its own pids, so the two never steal each other's exit statuses. */

static int reaper_epoll = -1;
static pthread_once_t reaper_once = PTHREAD_ONCE_INIT;

static void *reaper_main(void *arg) {
  (void)arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  for (;;) {
    struct epoll_event ev[64];
    int n = epoll_wait(reaper_epoll, ev, 64, -1);
    for (int i = 0; i < n; i++) {
      int fd = ev[i].data.fd;
      siginfo_t si;
      if (syscall(SYS_waitid, P_PIDFD, fd, &si, WEXITED | WNOHANG, NULL) == 0 || errno == ECHILD) {
        epoll_ctl(reaper_epoll, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
      }
    }
  }
  return NULL;
}

static void reaper_start(void) {
  reaper_epoll = epoll_create1(EPOLL_CLOEXEC);
  if (reaper_epoll < 0) return;
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  if (pthread_create(&t, &attr, reaper_main, NULL) != 0) {
    close(reaper_epoll);
    reaper_epoll = -1;
  }
  pthread_attr_destroy(&attr);
}

/* Hands a child to the reaper; without a pidfd (very old kernel) it becomes a zombie
 * until the agent exits, which is still correct, only untidy. */
static void reap_later(pid_t pid) {
  pthread_once(&reaper_once, reaper_start);
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0 || reaper_epoll < 0) {
    if (fd >= 0) close(fd);
    return;
  }
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  if (epoll_ctl(reaper_epoll, EPOLL_CTL_ADD, fd, &ev) < 0) close(fd);
}

static size_t read_to_eof(int fd, char *buf, size_t cap) {
  size_t n = 0;
  char sink[4096];
  for (;;) {
    char *dst = n < cap ? buf + n : sink;
    size_t room = n < cap ? cap - n : sizeof sink;
    ssize_t r = read(fd, dst, room);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (n < cap) n += (size_t)r;
  }
  return n;
}

int spawn_reported(const char *path, char *const argv[], struct spawn_result *out, char *err, size_t errlen) {
  int report[2] = {-1, -1}, errp[2] = {-1, -1};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  memset(out, 0, sizeof *out);
  if (pipe2(report, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    goto fail_pipes;
  }
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
  posix_spawn_file_actions_adddup2(&fa, report[1], 3);
  posix_spawnattr_init(&attr);
  /* a clean signal state: Node blocks and handles signals the shim must see as default */
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  extern char **environ;
  pid_t pid;
  int rc = posix_spawn(&pid, path, &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(report[1]);
  close(errp[1]);
  if (rc != 0) {
    snprintf(err, errlen, "spawn %s: %s", path, strerror(rc));
    close(report[0]);
    close(errp[0]);
    return -1;
  }
  out->pid = pid;
  reap_later(pid);
  /* the report pipe closes once the child has reported (or died); its stderr closes once
   * it has redirected stdio, which it does right after reporting */
  out->report_len = read_to_eof(report[0], out->report, sizeof out->report - 1);
  out->report[out->report_len] = 0;
  out->stderr_len = read_to_eof(errp[0], out->stderr_text, sizeof out->stderr_text - 1);
  out->stderr_text[out->stderr_len] = 0;
  close(report[0]);
  close(errp[0]);
  return 0;

fail_pipes:
  for (int i = 0; i < 2; i++) {
    if (report[i] >= 0) close(report[i]);
    if (errp[i] >= 0) close(errp[i]);
  }
  return -1;
}
