#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "shim.h"

/* `skiff-shim exec <conf>`: run a process inside a running container (docker exec).
 * stdio are the caller's; with tty=1 the pty comes from the container's devpts and this
 * process relays it to its own stdin/stdout. fd 3, when open, carries control lines
 * "resize <rows> <cols>\n" from the caller. */

static pid_t child_pid = 0;
static void forward(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

static int join_cgroups(pid_t pid) {
  char path[64], line[4096];
  snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  int v2_only = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *ctrls = strchr(line, ':');
    if (!ctrls) continue;
    char *cgpath = strchr(++ctrls, ':');
    if (!cgpath) continue;
    *cgpath++ = 0;
    if (strcmp(cgpath, "/") == 0) continue;
    char dir[8192], procs[8300];
    if (!*ctrls) snprintf(dir, sizeof dir, "/sys/fs/cgroup%s%s", v2_only ? "" : "/unified", cgpath);
    else if (strncmp(ctrls, "name=", 5) == 0) snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s%s", ctrls + 5, cgpath);
    else {
      snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s%s", ctrls, cgpath);
      if (access(dir, F_OK) != 0) {
        char first[256];
        snprintf(first, sizeof first, "%s", ctrls);
        first[strcspn(first, ",")] = 0;
        snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s%s", first, cgpath);
      }
    }
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    write_file_str(procs, "0"); /* best effort: a hierarchy may be absent on this host */
  }
  fclose(f);
  return 0;
}

static void relay(int master, int child_exited_fd) {
  (void)child_exited_fd;
  char buf[65536], ctl[256];
  size_t ctllen = 0;
  int in_open = 1, ctl_open = fcntl(3, F_GETFD) >= 0;
  for (;;) {
    struct pollfd p[3];
    int n = 0;
    p[n++] = (struct pollfd){master, POLLIN, 0};
    int i_in = -1, i_ctl = -1;
    if (in_open) { i_in = n; p[n++] = (struct pollfd){0, POLLIN, 0}; }
    if (ctl_open) { i_ctl = n; p[n++] = (struct pollfd){3, POLLIN, 0}; }
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[0].revents) {
      ssize_t r = read(master, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        return; /* EIO: every slave is closed, the process is gone */
      }
      if (write_all(1, buf, (size_t)r) < 0) return;
    }
    if (i_in >= 0 && p[i_in].revents) {
      ssize_t r = read(0, buf, sizeof buf);
      if (r <= 0) in_open = 0;
      else write_all(master, buf, (size_t)r);
    }
    if (i_ctl >= 0 && p[i_ctl].revents) {
      ssize_t r = read(3, ctl + ctllen, sizeof ctl - 1 - ctllen);
      if (r <= 0) {
        ctl_open = 0;
        continue;
      }
      ctllen += (size_t)r;
      ctl[ctllen] = 0;
      char *nl;
      while ((nl = strchr(ctl, '\n'))) {
        *nl = 0;
        unsigned rows, cols;
        if (sscanf(ctl, "resize %u %u", &rows, &cols) == 2) {
          struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
          ioctl(master, TIOCSWINSZ, &ws);
        }
        size_t used = (size_t)(nl - ctl) + 1;
        memmove(ctl, nl + 1, ctllen - used + 1);
        ctllen -= used;
      }
      if (ctllen >= sizeof ctl - 1) ctllen = 0;
    }
  }
}

int shim_exec(const char *conf_path) {
  static struct conf c;
  char err[2048];
  if (conf_load(&c, conf_path, err, sizeof err) < 0) {
    fprintf(stderr, "skiff: exec: %s\n", err);
    return 125;
  }
  pid_t target = (pid_t)conf_long(&c, "pid", 0);
  const char *args[1];
  const char *cmd = conf_list(&c, "arg", args, 1) ? args[0] : "";
  static const struct { const char *name; int type; } order[] = {
      {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
      {"net", CLONE_NEWNET}, {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS},
  };
  int fds[6];
  for (int i = 0; i < 6; i++) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/ns/%s", target, order[i].name);
    fds[i] = open(p, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) {
      fprintf(stderr, "skiff: exec: %s: container is not running (%s)\n", cmd, strerror(errno));
      return 125;
    }
  }
  join_cgroups(target);
  for (int i = 0; i < 6; i++) {
    /* the shared net namespace (--network host) is our own: setns to it is a no-op */
    if (setns(fds[i], order[i].type) < 0) {
      fprintf(stderr, "skiff: exec: %s: joining %s namespace: %s\n", cmd, order[i].name, strerror(errno));
      return 125;
    }
    close(fds[i]);
  }

  int tty = conf_flag(&c, "tty");
  int master = -1, slave = -1;
  if (tty && open_container_pty(&master, &slave, err, sizeof err) < 0) {
    fprintf(stderr, "skiff: exec: %s\n", err);
    return 125;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  child_pid = fork();
  if (child_pid < 0) {
    fprintf(stderr, "skiff: exec: fork: %s\n", strerror(errno));
    return 125;
  }
  if (child_pid == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fcntl(3, F_GETFD) >= 0) close(3);
    if (tty) {
      setsid();
      ioctl(slave, TIOCSCTTY, 0);
      dup2(slave, 0);
      dup2(slave, 1);
      dup2(slave, 2);
      if (slave > 2) close(slave);
      close(master);
    }
    const char *cwd = conf_get(&c, "cwd");
    if (cwd && *cwd && chdir(cwd) < 0) {
      fprintf(stderr, "skiff: exec: %s: chdir %s: %s\n", cmd, cwd, strerror(errno));
      _exit(126);
    }
    char path[4096];
    int code = resolve_executable(&c, path, sizeof path, err, sizeof err);
    if (!code) code = apply_identity_and_security(&c, err, sizeof err);
    if (!code) code = exec_process(&c, path, err, sizeof err);
    fprintf(stderr, "skiff: %s\n", err);
    _exit(code);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  int fwd[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++) sigaction(fwd[i], &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (tty) {
    close(slave);
    relay(master, -1);
  }
  int st;
  while (waitpid(child_pid, &st, 0) < 0)
    if (errno != EINTR) return 125;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
