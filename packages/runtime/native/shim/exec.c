#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
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
 * stdio are the caller's. With tty=1 and a terminal on fd 0 (the caller passed a pty
 * slave) the process makes it its controlling terminal; with tty=1 and pipes instead, a
 * pty is allocated from the container's devpts and relayed to our stdio, and fd 3 (when
 * open) carries "resize <rows> <cols>\n" lines from the caller. */

static volatile pid_t child_pid = 0;
static int have_ctl = 0; /* the caller passed fd 3 for resize lines */
static void forward(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

static const char *cmd_name(const struct conf *c) {
  const char *args[1];
  return conf_list(c, "arg", args, 1) ? args[0] : "";
}

static int fail(const struct conf *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(const struct conf *c, int code, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "skiff: exec: %s: %s\n", cmd_name(c), msg);
  return code;
}

/* /proc/<pid>/cgroup as seen from the host: "<id>:<controllers>:<path>" per hierarchy. */
static void join_cgroups(pid_t pid) {
  char path[64], line[4096];
  snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
  FILE *f = fopen(path, "re");
  if (!f) return;
  int v2_only = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *ctrls = strchr(line, ':');
    if (!ctrls) continue;
    char *cgpath = strchr(++ctrls, ':');
    if (!cgpath) continue;
    *cgpath++ = 0;
    if (strcmp(cgpath, "/") == 0) continue; /* the root: nothing to join */
    char dir[8192];
    if (!*ctrls) snprintf(dir, sizeof dir, "/sys/fs/cgroup%s%s", v2_only ? "" : "/unified", cgpath);
    else if (strncmp(ctrls, "name=", 5) == 0) snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s%s", ctrls + 5, cgpath);
    else {
      snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s%s", ctrls, cgpath);
      if (access(dir, F_OK) != 0) { /* co-mounted controllers may be mounted under one name */
        char first[256];
        snprintf(first, sizeof first, "%s", ctrls);
        first[strcspn(first, ",")] = 0;
        snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s%s", first, cgpath);
      }
    }
    join_cgroup_self(dir); /* best effort: a hierarchy may be absent on this host */
  }
  fclose(f);
}

static void apply_resize(int master, char *ctl, size_t *ctllen) {
  char *nl;
  while ((nl = memchr(ctl, '\n', *ctllen))) {
    *nl = 0;
    unsigned rows, cols;
    if (sscanf(ctl, "resize %u %u", &rows, &cols) == 2) {
      struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
      ioctl(master, TIOCSWINSZ, &ws);
    }
    size_t used = (size_t)(nl - ctl) + 1;
    memmove(ctl, nl + 1, *ctllen - used);
    *ctllen -= used;
  }
  if (*ctllen >= 255) *ctllen = 0;
}

/* Relays between our stdio and the pty master until the process closes the terminal. */
static void relay_pty(int master) {
  char buf[65536], ctl[256];
  size_t ctllen = 0;
  int in_open = 1, ctl_open = have_ctl;
  for (;;) {
    struct pollfd p[3];
    int n = 0, i_in = -1, i_ctl = -1;
    p[n++] = (struct pollfd){master, POLLIN, 0};
    if (in_open) i_in = n, p[n++] = (struct pollfd){0, POLLIN, 0};
    if (ctl_open) i_ctl = n, p[n++] = (struct pollfd){3, POLLIN, 0};
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[0].revents) {
      ssize_t r = read(master, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return; /* EIO: every slave is closed, the process is gone */
      if (write_all(1, buf, (size_t)r) < 0) return;
    }
    if (i_in >= 0 && p[i_in].revents) {
      ssize_t r = read(0, buf, sizeof buf);
      if (r <= 0) in_open = 0;
      else write_all(master, buf, (size_t)r);
    }
    if (i_ctl >= 0 && p[i_ctl].revents) {
      ssize_t r = read(3, ctl + ctllen, sizeof ctl - 1 - ctllen);
      if (r <= 0) ctl_open = 0;
      else {
        ctllen += (size_t)r;
        apply_resize(master, ctl, &ctllen);
      }
    }
  }
}

static void child(const struct conf *c, int tty, int slave) {
  char err[2048];
  reset_signals();
  close(3);
  if (tty) {
    setsid();
    if (slave >= 0) {
      dup2(slave, 0);
      dup2(slave, 1);
      dup2(slave, 2);
      if (slave > 2) close(slave);
    }
    /* the caller's slave may still be the controlling terminal of our own session:
     * take it over (force=1 works for root before the capabilities are dropped) */
    if (ioctl(0, TIOCSCTTY, 0) < 0) ioctl(0, TIOCSCTTY, 1);
  }
  const char *cwd = conf_get(c, "cwd");
  if (cwd && *cwd && chdir(cwd) < 0) _exit(fail(c, 126, "chdir to %s: %s", cwd, strerror(errno)));
  char path[4096];
  int code = resolve_executable(c, path, sizeof path, err, sizeof err);
  if (!code) code = apply_identity_and_security(c, err, sizeof err);
  if (!code) code = exec_process(c, path, err, sizeof err);
  /* "exec: \"cmd\": reason" from the helpers: keep only the reason */
  const char *reason = err;
  if (strncmp(reason, "exec: \"", 7) == 0 && strstr(reason, "\": ")) reason = strstr(reason, "\": ") + 3;
  _exit(fail(c, code == 127 ? 127 : 126, "%s", reason));
}

int shim_exec(const char *conf_path) {
  static struct conf c;
  char err[2048];
  close_fds_from(4); /* 0-2 stdio, 3 the resize channel */
  have_ctl = reserve_fd3();
  if (conf_load(&c, conf_path, err, sizeof err) < 0 || conf_check_version(&c, conf_path, err, sizeof err) < 0) {
    fprintf(stderr, "skiff: exec: %s\n", err);
    return 126;
  }
  pid_t target = (pid_t)conf_long(&c, "pid", 0);
  if (target <= 0) return fail(&c, 126, "exec conf has no pid");
  /* user-less: the container has no user namespace. cgroup first (so the cgroup
   * namespace's root is the container's cgroup), mount last (it changes our root) */
  static const struct {
    const char *name;
    int type;
  } order[] = {
      {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}, {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS},
  };
  int fds[6];
  for (int i = 0; i < 6; i++) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/ns/%s", target, order[i].name);
    fds[i] = open(p, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) return fail(&c, 126, "container is not running (%s)", strerror(errno));
  }
  join_cgroups(target);
  for (int i = 0; i < 6; i++) {
    if (setns(fds[i], order[i].type) < 0) return fail(&c, 126, "joining the %s namespace: %s", order[i].name, strerror(errno));
    close(fds[i]);
  }

  int tty = conf_flag(&c, "tty");
  int master = -1, slave = -1;
  if (tty && !isatty(0) && open_container_pty(&master, &slave, err, sizeof err) < 0) return fail(&c, 126, "%s", err);

  signal(SIGPIPE, SIG_IGN);
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t pid = fork(); /* the first process of the container's pid namespace we join */
  if (pid < 0) return fail(&c, 126, "fork: %s", strerror(errno));
  if (pid == 0) {
    if (master >= 0) close(master);
    child(&c, tty, slave);
  }
  child_pid = pid;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sa.sa_flags = SA_RESTART;
  static const int fwd[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++) sigaction(fwd[i], &sa, NULL);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (master >= 0) {
    close(slave);
    relay_pty(master);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return 126;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
