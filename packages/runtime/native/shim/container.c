#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/* The container side of `start`: runs as PID 1 of the new namespaces, builds the
 * container around itself and execs the command. Any failure goes back to the shim as
 * "E <code> <message>" on the status pipe. */

int send_fd(int sock, int fd) {
  char dummy = 'p';
  struct iovec iov = {&dummy, 1};
  char ctrl[CMSG_SPACE(sizeof(int))];
  memset(ctrl, 0, sizeof ctrl);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  return sendmsg(sock, &msg, 0) < 0 ? -1 : 0;
}

int recv_fd(int sock) {
  char dummy;
  struct iovec iov = {&dummy, 1};
  char ctrl[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0) return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof(int));
  return fd;
}

static int loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int r = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    r = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  close(s);
  return r;
}

static void join_network(const struct conf *c, int status_w) {
  const char *netns = conf_get(c, "netns");
  if (!netns || !*netns || strcmp(netns, "new") == 0) {
    if (loopback_up() < 0) die_report(status_w, 125, "bringing up lo: %s", strerror(errno));
  } else if (strcmp(netns, "host") != 0) {
    int fd = open(netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) die_report(status_w, 125, "joining network namespace %s: %s", netns, strerror(errno));
    close(fd);
  }
}

/* Joined before the cgroup namespace exists, so the container sees its cgroups as "/".
 * `cgroupns=host` (Docker's CgroupnsMode) keeps the host's namespace. */
static void join_cgroups(const struct conf *c, int status_w) {
  static const char *dirs[MAX_LIST];
  size_t n = conf_list(c, "cgroup", dirs, MAX_LIST);
  for (size_t i = 0; i < n; i++) /* the clone's only thread */
    if (join_cgroup_self(dirs[i]) < 0) die_report(status_w, 125, "joining cgroup %s: %s", dirs[i], strerror(errno));
  if (cgroupns_host(c)) return;
  if (unshare(CLONE_NEWCGROUP) < 0) die_report(status_w, 125, "cgroup namespace: %s", strerror(errno));
}

static void setup_stdio(struct child_args *a, int tty) {
  char err[2048];
  if (tty) {
    int m, s;
    if (open_container_pty(&m, &s, err, sizeof err) < 0) die_report(a->status_w, 125, "%s", err);
    /* ConsoleSize: the process sees its terminal's size from its first instruction, before any resize */
    unsigned rows, cols;
    const char *size = conf_get(a->c, "consoleSize");
    if (size && sscanf(size, "%u %u", &rows, &cols) == 2) {
      struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
      if (ioctl(s, TIOCSWINSZ, &ws) < 0) die_report(a->status_w, 125, "setting the console size: %s", strerror(errno));
    }
    if (send_fd(a->pty_sock, m) < 0) die_report(a->status_w, 125, "passing the pty to the shim: %s", strerror(errno));
    close(m);
    dup2(s, 0);
    dup2(s, 1);
    dup2(s, 2);
    if (s > 2) close(s);
  } else {
    int in = a->stdin_r >= 0 ? a->stdin_r : open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0) die_report(a->status_w, 125, "open /dev/null: %s", strerror(errno));
    /* dup2 clears CLOEXEC on the copies: they are what the process keeps */
    dup2(in, 0);
    dup2(a->stdout_w, 1);
    dup2(a->stderr_w, 2);
    if (in > 2) close(in);
    if (a->stdout_w > 2) close(a->stdout_w);
    if (a->stderr_w > 2) close(a->stderr_w);
  }
  close(a->pty_sock);
}

int container_main(void *arg) {
  struct child_args *a = arg;
  struct conf *c = a->c;
  char err[2048];
  trace_mark(TR_CHILD);
  reset_signals();
  close(REPORT_FD); /* the agent waits for EOF on the report pipe */
  for (int i = 0; i < a->nclose; i++)
    if (a->close_fds[i] >= 0) close(a->close_fds[i]);
  umask(022);

  join_network(c, a->status_w);
  trace_mark(TR_NET);
  join_cgroups(c, a->status_w);
  trace_mark(TR_CGROUP);
  if (setup_rootfs(c, err, sizeof err) < 0) die_report(a->status_w, 125, "%s", err);
  trace_mark(TR_ROOTFS);
  const char *hostname = conf_get(c, "hostname");
  if (hostname && *hostname && sethostname(hostname, strlen(hostname)) < 0) die_report(a->status_w, 125, "sethostname: %s", strerror(errno));

  int tty = conf_flag(c, "tty");
  setup_stdio(a, tty);

  const char *cwd = conf_get(c, "cwd");
  if (!cwd || !*cwd) cwd = "/";
  if (chdir(cwd) < 0) die_report(a->status_w, 125, "chdir to cwd (\"%s\") set in config.json failed: %s", cwd, strerror(errno));

  char path[4096];
  int code = resolve_executable(c, path, sizeof path, err, sizeof err);
  if (code) die_report(a->status_w, code, "%s", err);
  code = apply_identity_and_security(c, err, sizeof err);
  if (code) die_report(a->status_w, code, "%s", err);
  trace_mark(TR_SECURITY);

  if (a->go_r >= 0) {
    /* waitAttach: the shim reports ok now; exec only once the first client is there */
    write_all(a->status_w, "R\n", 2);
    char g;
    ssize_t r;
    while ((r = read(a->go_r, &g, 1)) < 0 && errno == EINTR) {}
    if (r != 1) _exit(125);
    close(a->go_r);
  }
  if (conf_flag(c, "init")) run_init(c, path, tty, a->status_w);
  if (tty) {
    setsid();
    ioctl(0, TIOCSCTTY, 0);
  }
  code = exec_process(c, path, err, sizeof err);
  die_report(a->status_w, code, "%s", err);
}
