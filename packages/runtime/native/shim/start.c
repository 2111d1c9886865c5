#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

#define REPORT_FD 3
#define MAX_CLIENTS 64
#define CLIENT_QUEUE_LIMIT (1 << 20)
#define MAX_CGROUPS 16

enum { F_STDIN = 0, F_STDOUT = 1, F_STDERR = 2, F_RESIZE = 3, F_CLOSE_STDIN = 4, F_EXIT = 5 };

struct child_args {
  struct conf *c;
  int status_w, go_r, pty_sock;
  int stdin_r, stdout_w, stderr_w;
};

/* ------------------------------------------------------------------------------------ */
/* the container side (runs as PID 1 of the new namespaces)                             */

static void send_fd(int sock, int fd) {
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
  sendmsg(sock, &msg, 0);
}

static int recv_fd(int sock) {
  char dummy;
  struct iovec iov = {&dummy, 1};
  char ctrl[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
  if (recvmsg(sock, &msg, 0) <= 0) return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof(int));
  return fd;
}

static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  close(s);
}

static pid_t init_child = 0;
static void init_forward(int sig) {
  if (init_child > 0) kill(init_child, sig);
}

/* --init: a minimal PID 1 that forwards signals and reaps every orphan. */
static void run_init(struct child_args *a, const char *path, int tty) {
  pid_t pid = fork();
  if (pid < 0) die_report(a->status_w, 125, "fork: %s", strerror(errno));
  if (pid == 0) {
    if (tty) {
      setsid();
      ioctl(0, TIOCSCTTY, 0);
    }
    char err[2048];
    int code = exec_process(a->c, path, err, sizeof err);
    dprintf(2, "skiff: %s\n", err);
    _exit(code);
  }
  close(a->status_w);
  init_child = pid;
  /* inside the container PID 1 shows as "/sbin/skiff-init", not as the shim's host command line */
  if (shim_argv_area && shim_argv_len > 16) {
    memset(shim_argv_area, 0, shim_argv_len);
    snprintf(shim_argv_area, shim_argv_len, "/sbin/skiff-init");
  }
  prctl(PR_SET_NAME, "skiff-init", 0, 0, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = init_forward;
  for (int s = 1; s < 32; s++)
    if (s != SIGCHLD && s != SIGKILL && s != SIGSTOP) sigaction(s, &sa, NULL);
  for (;;) {
    int st;
    pid_t r = wait(&st);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) _exit(0);
    if (r == pid) _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  }
}

static int child_main(void *arg) {
  struct child_args *a = arg;
  struct conf *c = a->c;
  char err[2048];
  close(REPORT_FD);
  umask(022);

  const char *netns = conf_get(c, "netns");
  if (netns && strcmp(netns, "new") != 0 && strcmp(netns, "host") != 0) {
    int fd = open(netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) die_report(a->status_w, 125, "joining network namespace %s: %s", netns, strerror(errno));
    close(fd);
  }
  if (!netns || strcmp(netns, "new") == 0) loopback_up();

  const char *cgroups[MAX_CGROUPS];
  size_t ncg = conf_list(c, "cgroup", cgroups, MAX_CGROUPS);
  for (size_t i = 0; i < ncg; i++) {
    char p[4096];
    snprintf(p, sizeof p, "%s/cgroup.procs", cgroups[i]);
    if (write_file_str(p, "0") < 0) die_report(a->status_w, 125, "joining cgroup %s: %s", cgroups[i], strerror(errno));
  }
  if (unshare(CLONE_NEWCGROUP) < 0) die_report(a->status_w, 125, "cgroup namespace: %s", strerror(errno));

  if (setup_rootfs(c, err, sizeof err) < 0) die_report(a->status_w, 125, "%s", err);
  const char *hostname = conf_get(c, "hostname");
  if (hostname && *hostname && (!netns || strcmp(netns, "host") != 0) && sethostname(hostname, strlen(hostname)) < 0)
    die_report(a->status_w, 125, "sethostname: %s", strerror(errno));

  int tty = conf_flag(c, "tty");
  if (tty) {
    int m, s;
    if (open_container_pty(&m, &s, err, sizeof err) < 0) die_report(a->status_w, 125, "%s", err);
    send_fd(a->pty_sock, m);
    close(m);
    dup2(s, 0);
    dup2(s, 1);
    dup2(s, 2);
    if (s > 2) close(s);
  } else {
    int in = a->stdin_r >= 0 ? a->stdin_r : open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(a->stdout_w, 1);
    dup2(a->stderr_w, 2);
  }
  close(a->pty_sock);

  const char *cwd = conf_get(c, "cwd");
  if (!cwd || !*cwd) cwd = "/";
  if (mkdir_p(cwd, 0755) < 0 && errno != EROFS) die_report(a->status_w, 125, "creating working directory %s: %s", cwd, strerror(errno));
  if (chdir(cwd) < 0) die_report(a->status_w, 125, "chdir to cwd (\"%s\") set in config.json failed: %s", cwd, strerror(errno));

  char path[4096];
  int code = resolve_executable(c, path, sizeof path, err, sizeof err);
  if (code) die_report(a->status_w, code, "%s", err);
  code = apply_identity_and_security(c, err, sizeof err);
  if (code) die_report(a->status_w, code, "%s", err);

  if (a->go_r >= 0) {
    dprintf(a->status_w, "R\n");
    char g;
    if (read(a->go_r, &g, 1) != 1) _exit(125);
    close(a->go_r);
  }
  if (conf_flag(c, "init")) run_init(a, path, tty);
  if (tty) {
    setsid();
    ioctl(0, TIOCSCTTY, 0);
  }
  code = exec_process(c, path, err, sizeof err);
  die_report(a->status_w, code, "%s", err);
}

/* ------------------------------------------------------------------------------------ */
/* the shim side                                                                         */

struct client {
  int fd;
  char *q;
  size_t qlen, qcap;
  unsigned char in[65536 + 5];
  size_t inlen;
};

static struct client clients[MAX_CLIENTS];
static int nclients = 0;

static void client_drop(int i) {
  close(clients[i].fd);
  free(clients[i].q);
  clients[i] = clients[--nclients];
}

static void client_queue(struct client *cl, int type, const void *data, size_t len) {
  size_t need = cl->qlen + 5 + len;
  if (need > cl->qcap) {
    cl->qcap = need * 2;
    cl->q = realloc(cl->q, cl->qcap);
  }
  unsigned char h[5] = {(unsigned char)type, (unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len};
  memcpy(cl->q + cl->qlen, h, 5);
  memcpy(cl->q + cl->qlen + 5, data, len);
  cl->qlen = need;
}

static void broadcast(int type, const void *data, size_t len) {
  for (int i = 0; i < nclients; i++) {
    client_queue(&clients[i], type, data, len);
    /* a client that cannot keep up is cut off; the container never waits for it */
    if (clients[i].qlen > CLIENT_QUEUE_LIMIT) client_drop(i--);
  }
}

static int client_flush(struct client *cl) {
  while (cl->qlen) {
    ssize_t w = write(cl->fd, cl->q, cl->qlen);
    if (w < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
    memmove(cl->q, cl->q + w, cl->qlen - (size_t)w);
    cl->qlen -= (size_t)w;
  }
  return 0;
}

static void write_input(int fd, const unsigned char *p, size_t len) {
  /* non-blocking target: wait briefly when the container is not reading, then drop */
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EAGAIN) {
      struct pollfd pf = {fd, POLLOUT, 0};
      if (poll(&pf, 1, 100) <= 0) return;
      continue;
    }
    if (w <= 0) return;
    p += w;
    len -= (size_t)w;
  }
}

static void rm_cgroups(const struct conf *c) {
  const char *cgroups[MAX_CGROUPS];
  size_t n = conf_list(c, "cgroup", cgroups, MAX_CGROUPS);
  for (int attempt = 0; attempt < 100; attempt++) {
    int left = 0;
    for (size_t i = 0; i < n; i++)
      if (cgroups[i] && rmdir(cgroups[i]) < 0 && errno != ENOENT) left++;
      else cgroups[i] = NULL;
    if (!left) return;
    usleep(20000);
  }
}

static int oom_killed(const struct conf *c) {
  const char *path = conf_get(c, "oomFile");
  if (!path) return 0;
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  char line[256];
  long n = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "oom_kill %ld", &n) == 1) break;
  fclose(f);
  return n > 0;
}

int shim_start(const char *dir) {
  static struct conf conf;
  char err[2048], confpath[4096];
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  setsid();
  snprintf(confpath, sizeof confpath, "%s/shim.conf", dir);
  if (conf_load(&conf, confpath, err, sizeof err) < 0) {
    dprintf(REPORT_FD, "error 125 %s\n", err);
    return 125;
  }
  if (chdir(dir) < 0) {
    dprintf(REPORT_FD, "error 125 chdir %s: %s\n", dir, strerror(errno));
    return 125;
  }
  int tty = conf_flag(&conf, "tty"), want_stdin = conf_flag(&conf, "stdin"), wait_attach = conf_flag(&conf, "waitAttach");

  int status[2], go[2] = {-1, -1}, ptys[2], in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
  if (pipe2(status, O_CLOEXEC) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ptys) < 0) {
    dprintf(REPORT_FD, "error 125 pipe: %s\n", strerror(errno));
    return 125;
  }
  if (wait_attach && pipe2(go, O_CLOEXEC) < 0) return 125;
  if (!tty) {
    if ((want_stdin && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) return 125;
  }

  /* the child's stdio pipes must survive its exec: dup2 in the child clears CLOEXEC */
  struct child_args a = {&conf, status[1], go[0], ptys[1], in[0], out[1], errp[1]};
  int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
  const char *netns = conf_get(&conf, "netns");
  if (!netns || strcmp(netns, "new") == 0) flags |= CLONE_NEWNET;
  size_t stack_size = 1 << 20;
  char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  pid_t pid = clone(child_main, stack + stack_size, flags, &a);
  if (pid < 0) {
    dprintf(REPORT_FD, "error 125 clone: %s\n", strerror(errno));
    return 125;
  }
  close(status[1]);
  close(ptys[1]);
  if (go[0] >= 0) close(go[0]);
  if (in[0] >= 0) close(in[0]);
  if (out[1] >= 0) close(out[1]);
  if (errp[1] >= 0) close(errp[1]);

  int master = -1;
  if (tty) master = recv_fd(ptys[0]);
  close(ptys[0]);

  /* wait for: EOF (exec'd), "R" (ready, waiting for the first attach), or "E code msg" */
  char sbuf[4096];
  size_t slen = 0;
  for (;;) {
    ssize_t r = read(status[0], sbuf + slen, sizeof sbuf - 1 - slen);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    slen += (size_t)r;
    sbuf[slen] = 0;
    if (strchr(sbuf, '\n')) break;
  }
  sbuf[slen] = 0;
  if (slen && sbuf[0] == 'E') {
    int code = 125;
    char msg[4000] = "";
    sscanf(sbuf, "E %d %3999[^\n]", &code, msg);
    waitpid(pid, NULL, 0);
    rm_cgroups(&conf);
    dprintf(REPORT_FD, "error %d %s\n", code, msg);
    return code;
  }
  int status_open = slen && sbuf[0] == 'R';
  if (!status_open) close(status[0]);

  char pidbuf[32];
  snprintf(pidbuf, sizeof pidbuf, "%d\n", getpid());
  write_file_atomic("shim.pid", pidbuf);
  snprintf(pidbuf, sizeof pidbuf, "%d\n", pid);
  write_file_atomic("init.pid", pidbuf);

  unlink("attach.sock");
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  strcpy(sa.sun_path, "attach.sock");
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 16) < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    rm_cgroups(&conf);
    dprintf(REPORT_FD, "error 125 attach socket: %s\n", strerror(errno));
    return 125;
  }
  chmod("attach.sock", 0600);

  struct logfile *lf = logfile_open(conf_get(&conf, "logPath") ? conf_get(&conf, "logPath") : "container.log",
                                    conf_long(&conf, "logMaxSize", 0), (int)conf_long(&conf, "logMaxFiles", 1));

  dprintf(REPORT_FD, "ok %d\n", pid);
  close(REPORT_FD);
  int devnull = open("/dev/null", O_RDWR);
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  if (devnull > 2) close(devnull);

  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  int out_fd = tty ? master : out[0];
  int err_fd = tty ? -1 : errp[0];
  int stdin_fd = tty ? (want_stdin ? master : -1) : in[1];
  if (stdin_fd >= 0) fcntl(stdin_fd, F_SETFL, fcntl(stdin_fd, F_GETFL) | O_NONBLOCK);
  int go_w = go[1];
  int exited = 0, exit_code = 0, exit_signal = 0;
  struct timespec exit_at = {0, 0};
  char buf[65536];

  for (;;) {
    struct pollfd pfd[MAX_CLIENTS + 8];
    int n = 0;
    int i_out = -1, i_err = -1, i_lfd, i_sfd, i_status = -1;
    if (out_fd >= 0) { i_out = n; pfd[n++] = (struct pollfd){out_fd, POLLIN, 0}; }
    if (err_fd >= 0) { i_err = n; pfd[n++] = (struct pollfd){err_fd, POLLIN, 0}; }
    i_lfd = n; pfd[n++] = (struct pollfd){lfd, POLLIN, 0};
    i_sfd = n; pfd[n++] = (struct pollfd){sfd, POLLIN, 0};
    if (status_open) { i_status = n; pfd[n++] = (struct pollfd){status[0], POLLIN, 0}; }
    int i_cl = n;
    for (int i = 0; i < nclients; i++) pfd[n++] = (struct pollfd){clients[i].fd, (short)(POLLIN | (clients[i].qlen ? POLLOUT : 0)), 0};

    int timeout = -1;
    if (exited) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long ms = (now.tv_sec - exit_at.tv_sec) * 1000 + (now.tv_nsec - exit_at.tv_nsec) / 1000000;
      if ((out_fd < 0 && err_fd < 0) || ms > 2000) break;
      timeout = (int)(2000 - ms);
    }
    int pr = poll(pfd, (nfds_t)n, timeout);
    if (pr < 0 && errno != EINTR) break;
    if (pr <= 0) continue;

    if (i_out >= 0 && pfd[i_out].revents) {
      ssize_t r = read(out_fd, buf, sizeof buf);
      if (r > 0) {
        logfile_write(lf, "stdout", buf, (size_t)r);
        broadcast(F_STDOUT, buf, (size_t)r);
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        if (stdin_fd == out_fd) stdin_fd = -1;
        close(out_fd);
        out_fd = -1;
      }
    }
    if (i_err >= 0 && pfd[i_err].revents) {
      ssize_t r = read(err_fd, buf, sizeof buf);
      if (r > 0) {
        logfile_write(lf, "stderr", buf, (size_t)r);
        broadcast(F_STDERR, buf, (size_t)r);
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(err_fd);
        err_fd = -1;
      }
    }
    if (i_status >= 0 && pfd[i_status].revents) {
      /* after "R": EOF means exec happened; "E ..." is a late exec failure */
      char sb[4096];
      ssize_t r = read(status[0], sb, sizeof sb - 1);
      if (r > 0) {
        sb[r] = 0;
        int code;
        char msg[4000];
        if (sscanf(sb, "E %d %3999[^\n]", &code, msg) == 2) {
          char line[4100];
          int l = snprintf(line, sizeof line, "skiff: %s\n", msg);
          logfile_write(lf, "stderr", line, (size_t)l);
          broadcast(tty ? F_STDOUT : F_STDERR, line, (size_t)l);
        }
      } else {
        close(status[0]);
        status_open = 0;
      }
    }
    if (pfd[i_lfd].revents & POLLIN) {
      int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (cfd >= 0 && nclients < MAX_CLIENTS) {
        clients[nclients++] = (struct client){.fd = cfd};
        if (go_w >= 0) {
          write_all(go_w, "g", 1);
          close(go_w);
          go_w = -1;
        }
      } else if (cfd >= 0) {
        close(cfd);
      }
    }
    if (pfd[i_sfd].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
      int st;
      while (!exited && waitpid(pid, &st, WNOHANG) == pid) {
        exited = 1;
        clock_gettime(CLOCK_MONOTONIC, &exit_at);
        if (WIFEXITED(st)) exit_code = WEXITSTATUS(st);
        else if (WIFSIGNALED(st)) {
          exit_signal = WTERMSIG(st);
          exit_code = 128 + exit_signal;
        }
      }
    }
    for (int k = nclients - 1; k >= 0; k--) {
      short rev = pfd[i_cl + k].revents;
      if (k >= nclients || !rev) continue;
      struct client *cl = &clients[k];
      int drop = 0;
      if (rev & POLLOUT) drop = client_flush(cl) < 0;
      if (!drop && (rev & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t r = read(cl->fd, cl->in + cl->inlen, sizeof cl->in - cl->inlen);
        if (r <= 0) drop = !(r < 0 && (errno == EAGAIN || errno == EINTR));
        else {
          cl->inlen += (size_t)r;
          size_t off = 0;
          while (cl->inlen - off >= 5) {
            unsigned char *f = cl->in + off;
            size_t len = ((size_t)f[1] << 24) | ((size_t)f[2] << 16) | ((size_t)f[3] << 8) | f[4];
            if (len > 65536) { drop = 1; break; }
            if (cl->inlen - off < 5 + len) break;
            if (f[0] == F_STDIN && stdin_fd >= 0 && want_stdin) write_input(stdin_fd, f + 5, len);
            else if (f[0] == F_RESIZE && len >= 4 && master >= 0) {
              struct winsize ws = {.ws_row = (unsigned short)((f[5] << 8) | f[6]), .ws_col = (unsigned short)((f[7] << 8) | f[8])};
              ioctl(master, TIOCSWINSZ, &ws);
            } else if (f[0] == F_CLOSE_STDIN && stdin_fd >= 0) {
              if (tty) write_input(stdin_fd, (const unsigned char *)"\x04", 1);
              else {
                close(stdin_fd);
                stdin_fd = -1;
              }
            }
            off += 5 + len;
          }
          memmove(cl->in, cl->in + off, cl->inlen - off);
          cl->inlen -= off;
        }
      }
      if (drop) client_drop(k);
    }
  }

  logfile_close(lf);
  int oom = oom_killed(&conf);
  char ts[64], json[512];
  format_rfc3339nano(ts, sizeof ts);
  snprintf(json, sizeof json, "{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\",\"oomKilled\":%s}\n", exit_code, exit_signal, ts,
           oom ? "true" : "false");
  rm_cgroups(&conf);
  write_file_atomic("exit.json", json);
  unsigned char code_be[4] = {(unsigned char)(exit_code >> 24), (unsigned char)(exit_code >> 16), (unsigned char)(exit_code >> 8), (unsigned char)exit_code};
  broadcast(F_EXIT, code_be, 4);
  /* give attached clients up to a second to receive the tail and the exit frame */
  for (int round = 0; round < 50 && nclients; round++) {
    for (int k = nclients - 1; k >= 0; k--) {
      if (client_flush(&clients[k]) < 0 || clients[k].qlen == 0) client_drop(k);
    }
    if (nclients) usleep(20000);
  }
  unlink("attach.sock");
  return 0;
}
