#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

/* attach.sock: frames are `type:u8 length:u32be payload`. Output goes to every client;
 * a client more than 1 MiB behind is disconnected so the container never waits. */

#define MAX_CLIENTS 64
#define QUEUE_LIMIT (1 << 20)
#define MAX_FRAME 65536

struct client {
  int fd;
  int dead;
  unsigned char *q; /* frames not yet written */
  size_t qlen, qcap;
  unsigned char in[MAX_FRAME + 5]; /* a partial incoming frame */
  size_t inlen;
};

static struct client clients[MAX_CLIENTS];
static int nclients = 0;
static int seen_client = 0;

static void client_kill(struct client *cl) {
  if (cl->dead) return;
  close(cl->fd);
  free(cl->q);
  cl->q = NULL;
  cl->qlen = cl->qcap = 0;
  cl->dead = 1;
}

/* dropped clients leave their slot until the next poll round so slot numbers stay valid */
static void compact(void) {
  int k = 0;
  for (int i = 0; i < nclients; i++)
    if (!clients[i].dead) clients[k++] = clients[i];
  nclients = k;
}

int attach_listen(const char *name) {
  unlink(name);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", name);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  chmod(name, 0600);
  return fd;
}

int attach_pollfds(struct pollfd *pfd, int max) {
  compact();
  int n = 0;
  for (int i = 0; i < nclients && n < max; i++) pfd[n++] = (struct pollfd){clients[i].fd, (short)(POLLIN | (clients[i].qlen ? POLLOUT : 0)), 0};
  return n;
}

void attach_accept(int lfd, const struct attach_handler *h) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    compact();
    if (nclients == MAX_CLIENTS) {
      close(fd);
      continue;
    }
    memset(&clients[nclients], 0, sizeof clients[nclients]);
    clients[nclients++].fd = fd;
    if (!seen_client) {
      seen_client = 1;
      if (h->on_first_client) h->on_first_client(h->ctx);
    }
  }
}

static void enqueue(struct client *cl, int type, const void *data, size_t len) {
  size_t need = cl->qlen + 5 + len;
  if (need > cl->qcap) {
    size_t cap = need * 2;
    cl->q = xrealloc(cl->q, cap);
    cl->qcap = cap;
  }
  unsigned char *p = cl->q + cl->qlen;
  p[0] = (unsigned char)type;
  p[1] = (unsigned char)(len >> 24);
  p[2] = (unsigned char)(len >> 16);
  p[3] = (unsigned char)(len >> 8);
  p[4] = (unsigned char)len;
  if (len) memcpy(p + 5, data, len);
  cl->qlen = need;
}

static int flush(struct client *cl) {
  size_t off = 0;
  while (off < cl->qlen) {
    ssize_t w = send(cl->fd, cl->q + off, cl->qlen - off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return -1;
    }
    off += (size_t)w;
  }
  memmove(cl->q, cl->q + off, cl->qlen - off);
  cl->qlen -= off;
  return 0;
}

void attach_broadcast(int type, const void *data, size_t len) {
  for (int i = 0; i < nclients; i++) {
    struct client *cl = &clients[i];
    if (cl->dead) continue;
    enqueue(cl, type, data, len);
    if (cl->dead) continue;
    /* write at once: usually the socket takes it and nothing stays queued */
    if (flush(cl) < 0 || cl->qlen > QUEUE_LIMIT) client_kill(cl);
  }
}

static void dispatch(struct client *cl, const struct attach_handler *h) {
  size_t off = 0;
  while (cl->inlen - off >= 5) {
    unsigned char *f = cl->in + off;
    size_t len = ((size_t)f[1] << 24) | ((size_t)f[2] << 16) | ((size_t)f[3] << 8) | f[4];
    if (len > MAX_FRAME) {
      client_kill(cl);
      return;
    }
    if (cl->inlen - off < 5 + len) break;
    const unsigned char *p = f + 5;
    if (f[0] == F_STDIN && h->on_stdin) h->on_stdin(h->ctx, p, len);
    else if (f[0] == F_RESIZE && len >= 4 && h->on_resize) h->on_resize(h->ctx, (unsigned)(p[0] << 8 | p[1]), (unsigned)(p[2] << 8 | p[3]));
    else if (f[0] == F_CLOSE_STDIN && h->on_close_stdin) h->on_close_stdin(h->ctx);
    off += 5 + len;
  }
  memmove(cl->in, cl->in + off, cl->inlen - off);
  cl->inlen -= off;
}

void attach_handle(struct pollfd *pfd, int n, const struct attach_handler *h) {
  for (int i = 0; i < n && i < nclients; i++) {
    struct client *cl = &clients[i];
    short rev = pfd[i].revents;
    if (cl->dead || !rev) continue;
    if ((rev & POLLOUT) && flush(cl) < 0) {
      client_kill(cl);
      continue;
    }
    if (rev & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(cl->fd, cl->in + cl->inlen, sizeof cl->in - cl->inlen);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        client_kill(cl);
        continue;
      }
      if (r > 0) {
        cl->inlen += (size_t)r;
        dispatch(cl, h);
      }
    }
  }
}

void attach_finish(int timeout_ms) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    compact();
    struct pollfd pfd[MAX_CLIENTS];
    int n = 0;
    for (int i = 0; i < nclients; i++) {
      if (clients[i].qlen == 0) client_kill(&clients[i]);
      else pfd[n++] = (struct pollfd){clients[i].fd, POLLOUT, 0};
    }
    compact();
    if (nclients == 0) return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
    if (left <= 0) break;
    if (poll(pfd, (nfds_t)n, (int)left) < 0 && errno != EINTR) break;
    for (int i = 0; i < nclients; i++)
      if (flush(&clients[i]) < 0) client_kill(&clients[i]);
  }
  for (int i = 0; i < nclients; i++) client_kill(&clients[i]);
  compact();
}
