/*
 * skiff-client: the `skiff` CLI without starting Node (~78 ms a call). It hands the call
 * (argv, cwd, environment, terminal) to the agent over its unix socket; the agent runs the
 * same TypeScript CLI in-process and streams the output and the exit code back. Whenever the
 * agent cannot take the call (not a unix SKIFF_HOST, no agent, an agent without /cli, an `F`
 * frame) and nothing has been written or read yet, the Node CLI runs it instead, so every
 * error message stays the Node CLI's.
 *
 * Protocol: `GET /cli` upgraded to skiff-cli/1, then frames both ways: 1 byte type, u32
 * big-endian payload length, payload. bin/skiff runs this when it is built (`npm run build`).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define MAX_PAYLOAD (16u << 20)
#define CHUNK 65536

extern char **environ;

static char **g_argv;
static const char *g_host;                       /* SKIFF_HOST as shown in messages */
static int g_sock = -1, g_sendfail, g_committed; /* committed: output written or stdin read */
static int g_sigpipe[2] = {-1, -1};
static struct termios g_saved;
static volatile sig_atomic_t g_raw; /* the handlers read it: fd 0 must be restored */

struct buf {
  char *p;
  size_t len, cap;
};

static void restore_tty(void) {
  if (g_raw) {
    while (tcsetattr(0, TCSADRAIN, &g_saved) < 0 && errno == EINTR) {}
    g_raw = 0;
  }
}

static _Noreturn void die(const char *msg) {
  restore_tty();
  fprintf(stderr, "skiff: %s\n", msg);
  exit(125);
}

/* The Node CLI next to this binary: dist/skiff-client -> bin/skiff. /proc/self/exe has no
 * symlinks or dots, so dropping "dist" is exact and spares the wrapper a readlink. */
static _Noreturn void fallback(void) {
  char path[PATH_MAX + 16] = "/proc/self/exe";
  if (g_sock >= 0) close(g_sock);
  restore_tty();
  ssize_t n = readlink("/proc/self/exe", path, PATH_MAX);
  if (n >= 0) {
    path[n] = 0;
    char *slash = strrchr(path, '/'); /* ".../dist/skiff-client (deleted)" after a rebuild */
    if (slash) *slash = 0;
    slash = strrchr(path, '/');
    if (slash && slash != path) strcpy(slash, "/bin/skiff");
    else strcat(path, "/../bin/skiff");
    setenv("SKIFF_CLIENT", "node", 1);
    execv(path, g_argv);
  }
  fprintf(stderr, "skiff: cannot run the Node CLI at %s: %s\n", path, strerror(errno));
  exit(125);
}

/* The client's one allocation-failure policy (the shim's xrealloc, as crun's): a client
 * that cannot grow a frame buffer has nothing useful left to do, so it says so and exits. */
static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) die("out of memory");
  return q;
}

static void reserve(struct buf *b, size_t n) {
  if (b->cap - b->len >= n) return;
  size_t cap = b->cap ? b->cap : CHUNK;
  while (cap - b->len < n) cap *= 2;
  b->p = xrealloc(b->p, cap);
  b->cap = cap;
}

static void put_be(char *p, uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; i--, v >>= 8) p[i] = (char)(v & 0xff);
}

static void frame(struct buf *b, char type, const void *data, size_t n) {
  reserve(b, 5 + n);
  b->p[b->len] = type;
  put_be(b->p + b->len + 1, (uint32_t)n, 4);
  if (n) memcpy(b->p + b->len + 5, data, n);
  b->len += 5 + n;
}

/* A failed send is not fatal: the agent may have closed after its X frame, which is still
 * to be read. The reads end it (X, or EOF -> "lost the connection"). */
static void send_all(const char *p, size_t n) {
  while (n && !g_sendfail) {
    ssize_t w = send(g_sock, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) g_sendfail = 1;
    else p += w, n -= (size_t)w;
  }
}

/* Blocking on a slow reader of our stdout is the intended backpressure: we stop reading the
 * socket and the agent sees it. */
static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      restore_tty();
      if (fd != 2) fprintf(stderr, "skiff: cannot write to stdout: %s\n", strerror(errno));
      exit(125);
    }
    p += w, n -= (size_t)w;
  }
}

static void winsize(char out[4]) {
  struct winsize ws = {0};
  if (ioctl(1, TIOCGWINSZ, &ws) < 0) ws.ws_col = ws.ws_row = 0;
  put_be(out, ws.ws_col, 2);
  put_be(out + 2, ws.ws_row, 2);
}

static void on_winch(int sig) {
  int saved = errno;
  char c = (char)sig;
  (void)!write(g_sigpipe[1], &c, 1);
  errno = saved;
}

/* Dying with raw mode on would leave the user's terminal unusable. */
static void on_fatal(int sig) {
  if (g_raw) tcsetattr(0, TCSANOW, &g_saved);
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  sigaction(sig, &dfl, NULL);
  raise(sig); /* blocked until this handler returns, then the default action */
}

static void handle(int sig, void (*fn)(int)) {
  struct sigaction old, sa = {.sa_handler = fn, .sa_flags = SA_RESTART};
  sigemptyset(&sa.sa_mask);
  /* a signal ignored by whoever started us (nohup, `&` in scripts) stays ignored */
  if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN) return;
  sigaction(sig, &sa, NULL);
}

/* Node's setRawMode (libuv UV_TTY_MODE_RAW), not cfmakeraw: output processing (OPOST, ONLCR)
 * stays on, so the CLI's "\n" still returns the carriage in raw mode, as it does under Node. */
static void set_raw(int on) {
  static int handlers;
  if (!on || g_raw || tcgetattr(0, &g_saved) < 0) {
    if (!on) restore_tty();
    return;
  }
  if (!handlers++) {
    int fatal[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGPIPE};
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++) handle(fatal[i], on_fatal);
  }
  struct termios t = g_saved;
  t.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
  t.c_oflag |= ONLCR;
  t.c_cflag |= CS8;
  t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  int rc;
  while ((rc = tcsetattr(0, TCSADRAIN, &t)) < 0 && errno == EINTR) {}
  if (rc == 0) g_raw = 1;
}

int main(int argc, char **argv) {
  g_argv = argv;
  /* the agent itself never runs through an agent */
  if (argc > 1 && strcmp(argv[1], "daemon") == 0) fallback();
  const char *host = getenv("SKIFF_HOST");
  const char *path = "/run/skiff/skiff.sock";
  g_host = "unix:///run/skiff/skiff.sock";
  if (host && *host) {
    if (strncmp(host, "unix://", 7) != 0) fallback(); /* tcp/http: the Node CLI's job */
    path = host + 7;
    g_host = host;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) fallback();
  strcpy(addr.sun_path, path);
  /* As Node does: a closed fd 0-2 becomes /dev/null, or the socket would take its number
   * (`skiff x <&-` would read the socket as stdin). */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) fallback();
  g_sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* any failure: the Node CLI prints the canonical "cannot connect" message */
  if (g_sock < 0 || connect(g_sock, (struct sockaddr *)&addr, sizeof addr) < 0) fallback();

  int tty1 = isatty(1);
  if (tty1) { /* before the T frame's size is taken, so no resize is missed */
    if (pipe2(g_sigpipe, O_CLOEXEC | O_NONBLOCK) < 0) fallback();
    handle(SIGWINCH, on_winch);
  }

  /* Request and hello in one write: the agent reads the bytes after the headers, so the
   * call costs one round trip. */
  static const char req[] = "GET /cli HTTP/1.1\r\nHost: skiff\r\nConnection: Upgrade\r\nUpgrade: skiff-cli/1\r\n\r\n";
  struct buf out = {0};
  reserve(&out, sizeof req);
  memcpy(out.p, req, sizeof req - 1);
  out.len = sizeof req - 1;
  for (int i = 1; i < argc; i++) frame(&out, 'A', argv[i], strlen(argv[i]));
  char *cwd = getcwd(NULL, 0); /* a deleted cwd: sent empty, the agent decides */
  frame(&out, 'D', cwd ? cwd : "", cwd ? strlen(cwd) : 0);
  free(cwd);
  for (char **e = environ; *e; e++) frame(&out, 'N', *e, strlen(*e));
  char term[7] = {(char)isatty(0), (char)tty1, (char)isatty(2)};
  if (tty1) winsize(term + 3);
  frame(&out, 'T', term, sizeof term);
  frame(&out, 'G', NULL, 0);
  send_all(out.p, out.len);
  free(out.p);

  /* The response head. Anything but 101 (an agent without /cli, a proxy, EOF) goes to the
   * Node CLI, which has nothing written yet. */
  struct buf in = {0};
  char *end;
  for (;;) {
    reserve(&in, CHUNK);
    ssize_t n = read(g_sock, in.p + in.len, in.cap - in.len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fallback();
    in.len += (size_t)n;
    if ((end = memmem(in.p, in.len, "\r\n\r\n", 4))) break;
    if (in.len > CHUNK) fallback();
  }
  if (in.len < 12 || memcmp(in.p, "HTTP/1.1 101", 12) != 0) fallback();
  end += 4;
  in.len -= (size_t)(end - in.p);
  memmove(in.p, end, in.len);

  /* Stdin is read only between S and P: a command that takes no input must leave it to the
   * next one (`while read l; do skiff ps; done < file`). */
  int reading = 0, in_eof = 0;
  static char ibuf[5 + CHUNK];
  for (;;) {
    size_t off = 0;
    while (in.len - off >= 5) {
      const unsigned char *h = (const unsigned char *)in.p + off;
      uint32_t len = (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 8 | h[4];
      if (len > MAX_PAYLOAD) die("protocol error from the agent");
      if (in.len - off - 5 < len) {
        reserve(&in, 5 + len - (in.len - off)); /* room for the whole frame */
        break;
      }
      const char *p = in.p + off + 5;
      off += 5 + len;
      switch (h[0]) {
        case 'O':
          g_committed = 1;
          write_all(1, p, len);
          continue;
        case 'E':
          g_committed = 1;
          write_all(2, p, len);
          continue;
        case 'S':
          if (len == 0) {
            reading = !in_eof;
            continue;
          }
          break;
        case 'P':
          if (len == 0) {
            reading = 0;
            continue;
          }
          break;
        case 'R':
          if (len == 1) {
            g_committed = 1;
            set_raw(p[0] == 1);
            continue;
          }
          break;
        case 'X':
          if (len == 4) {
            const unsigned char *c = (const unsigned char *)p;
            restore_tty();
            exit((int32_t)((uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3]));
          }
          break;
        case 'F':
          if (len == 0 && !g_committed) fallback();
          break;
      }
      die("protocol error from the agent");
    }
    if (off) {
      in.len -= off;
      memmove(in.p, in.p + off, in.len);
    }

    struct pollfd pfd[3] = {{g_sock, POLLIN, 0}, {g_sigpipe[0], POLLIN, 0}, {0, POLLIN, 0}};
    int nfds = reading && !g_sendfail ? 3 : 2;
    if (poll(pfd, (nfds_t)nfds, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll failed");
    }
    if (pfd[1].revents) {
      char drain[64];
      while (read(g_sigpipe[0], drain, sizeof drain) > 0) {}
      char w[4];
      winsize(w);
      struct buf f = {0};
      frame(&f, 'W', w, 4);
      send_all(f.p, f.len);
      free(f.p);
    }
    if (pfd[0].revents) {
      reserve(&in, CHUNK);
      ssize_t n = read(g_sock, in.p + in.len, in.cap - in.len);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        restore_tty();
        fprintf(stderr, "skiff: lost the connection to the agent at %s\n", g_host);
        exit(125);
      }
      in.len += (size_t)n;
      continue; /* frames first: an S/P/X in them decides whether stdin is still wanted */
    }
    if (nfds == 3 && pfd[2].revents) {
      ssize_t n = read(0, ibuf + 5, CHUNK);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      g_committed = 1;
      if (n > 0) {
        ibuf[0] = 'I';
        put_be(ibuf + 1, (uint32_t)n, 4);
        send_all(ibuf, 5 + (size_t)n);
      } else { /* EOF or a read error: either way no more input */
        char eof[5] = {'i'};
        send_all(eof, 5);
        reading = 0, in_eof = 1;
      }
    }
  }
}
