#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

/* `skiff-shim start <dir>`: the shim side. Clones the container init, reports on fd 3,
 * then relays I/O (log file + attach clients), reaps, and records the exit. */

#define STDIN_QUEUE_LIMIT (8 << 20)
#define DRAIN_MS 2000
#define MAX_POLL 80

struct io {
  int tty, want_stdin;
  int out_fd, err_fd; /* pipes, or the pty master as out_fd */
  int master;         /* tty: for resize */
  int stdin_fd;       /* pipe write end, or the pty master; -1 when stdin is closed */
  unsigned char *inq; /* stdin bytes the container has not read yet */
  size_t inlen;
  int close_stdin_pending;
  int go_w; /* waitAttach */
  struct logfile *log;
};

static void stdin_close(struct io *io) {
  if (!io->tty && io->stdin_fd >= 0) close(io->stdin_fd);
  io->stdin_fd = -1;
  io->inlen = 0;
}

static void stdin_flush(struct io *io) {
  size_t off = 0;
  while (io->stdin_fd >= 0 && off < io->inlen) {
    ssize_t w = write(io->stdin_fd, io->inq + off, io->inlen - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) stdin_close(io); /* the reader is gone */
      break;
    }
    off += (size_t)w;
  }
  if (io->stdin_fd < 0) return;
  memmove(io->inq, io->inq + off, io->inlen - off);
  io->inlen -= off;
  if (!io->inlen && io->close_stdin_pending && !io->tty) stdin_close(io);
}

static void on_stdin(void *ctx, const unsigned char *data, size_t len) {
  struct io *io = ctx;
  if (!io->want_stdin || io->stdin_fd < 0 || io->close_stdin_pending) return;
  if (io->inlen + len > STDIN_QUEUE_LIMIT) return; /* the container is not reading: drop */
  io->inq = xrealloc(io->inq, io->inlen + len);
  memcpy(io->inq + io->inlen, data, len);
  io->inlen += len;
  stdin_flush(io);
}

static void on_resize(void *ctx, unsigned rows, unsigned cols) {
  struct io *io = ctx;
  if (io->master < 0) return;
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  ioctl(io->master, TIOCSWINSZ, &ws);
}

static void on_close_stdin(void *ctx) {
  struct io *io = ctx;
  if (!io->want_stdin || io->stdin_fd < 0) return;
  if (io->tty) {
    /* a terminal has no half-close: send the EOF character, as a typing user would */
    on_stdin(ctx, (const unsigned char *)"\x04", 1);
    return;
  }
  io->close_stdin_pending = 1;
  stdin_flush(io);
}

static void on_first_client(void *ctx) {
  struct io *io = ctx;
  if (io->go_w < 0) return;
  write_all(io->go_w, "g", 1);
  close(io->go_w);
  io->go_w = -1;
}

static void output(struct io *io, int *fd, const char *stream, int frame) {
  char buf[65536];
  ssize_t r = read(*fd, buf, sizeof buf);
  if (r > 0) {
    logfile_write(io->log, stream, buf, (size_t)r);
    attach_broadcast(frame, buf, (size_t)r);
    return;
  }
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  /* EOF, or EIO from a pty master whose slaves are all closed */
  if (*fd == io->stdin_fd) io->stdin_fd = -1;
  close(*fd);
  *fd = -1;
}

/* After "R" the status pipe still carries a late exec failure ("E code msg"); the
 * container's init exits with that code, and the message goes to the log. */
static int status_late(struct io *io, int status_r) {
  char sb[4096];
  ssize_t r = read(status_r, sb, sizeof sb - 1);
  if (r < 0 && errno == EINTR) return 0;
  if (r <= 0) return -1;
  sb[r] = 0;
  int code;
  char msg[4000];
  if (sscanf(sb, "E %d %3999[^\n]", &code, msg) == 2) {
    char line[4100];
    int l = snprintf(line, sizeof line, "skiff: %s\n", msg);
    logfile_write(io->log, io->tty ? "stdout" : "stderr", line, (size_t)l);
    attach_broadcast(io->tty ? F_STDOUT : F_STDERR, line, (size_t)l);
  }
  return 0;
}

static long ms_since(const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Relays until the init is reaped and its output drained; returns its wait status. */
static int relay(struct io *io, pid_t pid, int lfd, int sfd, int status_r) {
  const struct attach_handler h = {on_stdin, on_resize, on_close_stdin, on_first_client, io};
  int exited = 0, wstatus = 0;
  struct timespec exit_at;
  for (;;) {
    struct pollfd pfd[MAX_POLL];
    int n = 0, i_out = -1, i_err = -1, i_in = -1, i_status = -1, i_lfd, i_sfd;
    if (io->out_fd >= 0) i_out = n, pfd[n++] = (struct pollfd){io->out_fd, POLLIN, 0};
    if (io->err_fd >= 0) i_err = n, pfd[n++] = (struct pollfd){io->err_fd, POLLIN, 0};
    if (io->stdin_fd >= 0 && io->inlen) i_in = n, pfd[n++] = (struct pollfd){io->stdin_fd, POLLOUT, 0};
    if (status_r >= 0) i_status = n, pfd[n++] = (struct pollfd){status_r, POLLIN, 0};
    i_lfd = n, pfd[n++] = (struct pollfd){lfd, POLLIN, 0};
    i_sfd = n, pfd[n++] = (struct pollfd){sfd, POLLIN, 0};
    int i_cl = n;
    n += attach_pollfds(pfd + n, MAX_POLL - n);

    int timeout = -1;
    if (exited) {
      long ms = ms_since(&exit_at);
      if ((io->out_fd < 0 && io->err_fd < 0) || ms >= DRAIN_MS) return wstatus;
      timeout = (int)(DRAIN_MS - ms);
    }
    int pr = poll(pfd, (nfds_t)n, timeout);
    if (pr < 0 && errno != EINTR) return exited ? wstatus : 0;
    if (pr <= 0) continue;

    if (i_out >= 0 && pfd[i_out].revents) output(io, &io->out_fd, "stdout", F_STDOUT);
    if (i_err >= 0 && pfd[i_err].revents) output(io, &io->err_fd, "stderr", F_STDERR);
    if (i_in >= 0 && pfd[i_in].revents) stdin_flush(io);
    if (i_status >= 0 && pfd[i_status].revents && status_late(io, status_r) < 0) {
      close(status_r);
      status_r = -1;
    }
    if (pfd[i_lfd].revents & POLLIN) attach_accept(lfd, &h);
    attach_handle(pfd + i_cl, n - i_cl, &h);
    if (pfd[i_sfd].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
      if (!exited && waitpid(pid, &wstatus, WNOHANG) == pid) {
        exited = 1;
        clock_gettime(CLOCK_MONOTONIC, &exit_at);
      }
    }
  }
}

/* Reads the child's first status line: EOF (exec'd), "R" (waiting for attach) or "E". */
static int read_status(int fd, char *buf, size_t len) {
  size_t n = 0;
  while (n < len - 1) {
    ssize_t r = read(fd, buf + n, len - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (memchr(buf, '\n', n)) break;
  }
  buf[n] = 0;
  return (int)n;
}

static int fail(int code, const char *fmt, const char *detail) {
  char msg[4096];
  snprintf(msg, sizeof msg, fmt, detail);
  for (char *p = msg; *p; p++)
    if (*p == '\n') *p = ' ';
  dprintf(REPORT_FD, "error %d %s\n", code, msg);
  return code;
}

int shim_start(const char *dir) {
  static struct conf conf;
  char err[2048], path[4096];
  trace_begin();
  close_fds_from(REPORT_FD + 1);
  reserve_fd3();
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  setsid(); /* fails harmlessly when the agent already made us a session leader */
  snprintf(path, sizeof path, "%s/shim.conf", dir);
  if (conf_load(&conf, path, err, sizeof err) < 0 || conf_check_version(&conf, path, err, sizeof err) < 0) return fail(125, "%s", err);
  if (chdir(dir) < 0) return fail(125, "chdir to the container dir: %s", strerror(errno));
  /* One shim per container dir: the lock is held for the shim's whole life, so a second
   * start on the same upper dir (an agent that lost track of this one) is refused. */
  int lock_fd = open(SHIM_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return fail(125, "opening the container lock: %s", strerror(errno));
  if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
    return fail(125, errno == EWOULDBLOCK ? "%s" : "locking the container dir: %s", errno == EWOULDBLOCK ? SHIM_BUSY_MESSAGE : strerror(errno));
  if (conf_flag(&conf, "trace")) trace_enable();
  trace_mark(TR_CONF);

  struct io io = {.out_fd = -1, .err_fd = -1, .master = -1, .stdin_fd = -1, .go_w = -1};
  io.tty = conf_flag(&conf, "tty");
  io.want_stdin = conf_flag(&conf, "stdin");
  int wait_attach = conf_flag(&conf, "waitAttach");

  int status[2], go[2] = {-1, -1}, ptys[2], in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
  if (pipe2(status, O_CLOEXEC) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ptys) < 0 || (wait_attach && pipe2(go, O_CLOEXEC) < 0) ||
      (!io.tty && ((io.want_stdin && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)))
    return fail(125, "creating pipes: %s", strerror(errno));

  struct child_args a = {
      .c = &conf,
      .status_w = status[1],
      .go_r = go[0],
      .pty_sock = ptys[1],
      .stdin_r = in[0],
      .stdout_w = out[1],
      .stderr_w = errp[1],
      .close_fds = {status[0], go[1], ptys[0], in[1], out[0], errp[0], lock_fd},
      .nclose = 7,
  };
  int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
  const char *netns = conf_get(&conf, "netns");
  if (!netns || !*netns || strcmp(netns, "new") == 0) flags |= CLONE_NEWNET;
  /* the cgroup namespace is unshared by the child after it joined its cgroups */

  size_t stack_size = 1 << 20;
  char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return fail(125, "allocating the clone stack: %s", strerror(errno));
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  trace_mark(TR_CLONE);
  pid_t pid = clone(container_main, stack + stack_size, flags, &a);
  if (pid < 0) return fail(125, "clone: %s", strerror(errno));
  close(status[1]);
  close(ptys[1]);
  if (go[0] >= 0) close(go[0]);
  if (in[0] >= 0) close(in[0]);
  if (out[1] >= 0) close(out[1]);
  if (errp[1] >= 0) close(errp[1]);

  char sbuf[4096];
  int slen = read_status(status[0], sbuf, sizeof sbuf);
  if (slen && sbuf[0] == 'E') {
    int code = 125;
    char msg[4000] = "";
    sscanf(sbuf, "E %d %3999[^\n]", &code, msg);
    waitpid(pid, NULL, 0);
    return fail(code, "%s", msg);
  }
  int status_r = -1;
  if (slen && sbuf[0] == 'R') status_r = status[0];
  else close(status[0]);

  if (io.tty) {
    /* the master was sent before exec (or before "R"), so it is already queued here */
    io.master = recv_fd(ptys[0]);
    if (io.master < 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      return fail(125, "%s", "receiving the container's pty failed");
    }
    fcntl(io.master, F_SETFL, fcntl(io.master, F_GETFL) | O_NONBLOCK);
    io.out_fd = io.master;
    if (io.want_stdin) io.stdin_fd = io.master;
  } else {
    io.out_fd = out[0];
    io.err_fd = errp[0];
    io.stdin_fd = in[1];
    if (io.stdin_fd >= 0) fcntl(io.stdin_fd, F_SETFL, fcntl(io.stdin_fd, F_GETFL) | O_NONBLOCK);
  }
  close(ptys[0]);
  io.go_w = go[1];

  char pidbuf[32];
  snprintf(pidbuf, sizeof pidbuf, "%d\n", getpid());
  int pw = write_file_atomic("shim.pid", pidbuf, 0);
  snprintf(pidbuf, sizeof pidbuf, "%d\n", pid);
  if (pw == 0) pw = write_file_atomic("init.pid", pidbuf, 0);
  /* what this shim speaks on attach.sock, for an agent that adopts it after an upgrade;
   * the pid tells it from a file an earlier shim of the same container left */
  char proto[96];
  snprintf(proto, sizeof proto, "{\"version\":%d,\"pid\":%d}\n", SHIM_PROTOCOL_VERSION, getpid());
  if (pw == 0) pw = write_file_atomic(SHIM_PROTOCOL_FILE, proto, 0);
  int lfd = pw == 0 ? attach_listen("attach.sock") : -1;
  if (lfd < 0) {
    int e = errno;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink("attach.sock");
    return fail(125, pw ? "writing pid files: %s" : "creating attach.sock: %s", strerror(e));
  }
  const char *log_path = conf_get(&conf, "logPath");
  io.log = logfile_open(log_path && *log_path ? log_path : "container.log", conf_long(&conf, "logMaxSize", 0), (int)conf_long(&conf, "logMaxFiles", 1));
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);

  trace_mark(TR_REPORT);
  char trace[512];
  trace_format(trace, sizeof trace);
  dprintf(REPORT_FD, "ok %d%s\n", pid, trace);
  close(REPORT_FD);
  int devnull = open("/dev/null", O_RDWR);
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  if (devnull > 2) close(devnull);

  trim_setup_pages();
  int ws = relay(&io, pid, lfd, sfd, status_r);
  int exit_code = 0, exit_signal = 0;
  if (WIFEXITED(ws)) exit_code = WEXITSTATUS(ws);
  else if (WIFSIGNALED(ws)) exit_signal = WTERMSIG(ws), exit_code = 128 + exit_signal;

  logfile_close(io.log);
  int oom = read_oom_killed(&conf);
  /* cgroups and the socket go before exit.json: once it exists the agent may start the
   * container again in this same directory with the same cgroup paths */
  remove_cgroups(&conf);
  close(lfd);
  unlink("attach.sock");
  /* released before exit.json: from then on the agent may start the next instance */
  unlink(SHIM_LOCK);
  close(lock_fd);
  write_exit_record(exit_code, exit_signal, oom);
  unsigned char be[4] = {(unsigned char)(exit_code >> 24), (unsigned char)(exit_code >> 16), (unsigned char)(exit_code >> 8), (unsigned char)exit_code};
  attach_broadcast(F_EXIT, be, 4);
  attach_finish(1000);
  return 0;
}
