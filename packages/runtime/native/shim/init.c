#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim.h"

/* init=1: a minimal PID 1 (like docker-init/tini). It forks the real process, forwards
 * every signal it receives to it, reaps every orphan that the namespace reparents to it,
 * and exits with the real process's status (128+signal when that was killed). */

static volatile pid_t main_child = 0;

static void forward(int sig) {
  if (main_child > 0) kill(main_child, sig);
}

void run_init(const struct conf *c, const char *path, int tty, int status_w) {
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &all, NULL); /* no signal may slip by before the handlers exist */

  pid_t pid = fork();
  if (pid < 0) die_report(status_w, 125, "init: fork: %s", strerror(errno));
  if (pid == 0) {
    reset_signals();
    if (tty) {
      setsid();
      ioctl(0, TIOCSCTTY, 0);
    }
    char err[2048];
    int code = exec_process(c, path, err, sizeof err);
    die_report(status_w, code, "%s", err); /* status_w is CLOEXEC: EOF there means exec'd */
  }
  close(status_w);
  main_child = pid;

  /* inside the container PID 1 shows as "/sbin/skiff-init", not the shim's host argv */
  if (shim_argv_area && shim_argv_len > 16) {
    memset(shim_argv_area, 0, shim_argv_len);
    snprintf(shim_argv_area, shim_argv_len, "/sbin/skiff-init");
  }
  prctl(PR_SET_NAME, "skiff-init", 0, 0, 0);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sa.sa_flags = SA_RESTART;
  for (int s = 1; s < NSIG; s++)
    if (s != SIGCHLD && s != SIGKILL && s != SIGSTOP) sigaction(s, &sa, NULL);
  sigprocmask(SIG_SETMASK, &none, NULL);

  for (;;) {
    int st;
    pid_t r = wait(&st);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) _exit(125);
    if (r == pid) _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  }
}
