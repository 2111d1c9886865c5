#define _GNU_SOURCE
#include "unpack-ops.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* keep in sync with OP in layer-unpack.ts */
enum {
  OP_MKDIR = 1,   /* path, mode */
  OP_OPEN = 2,    /* path: the next WRITEs and CLOSE go to it */
  OP_WRITE = 3,   /* data */
  OP_CLOSE = 4,   /* uid, gid, mode, mtime */
  OP_SYMLINK = 5, /* path -> arg, uid, gid, mtime */
  OP_LINK = 6,    /* path = hard link to arg */
  OP_MKNOD = 7,   /* path, mode with type bits, major, minor, uid, gid, mtime */
  OP_XATTR = 8,   /* path, name = arg, value = data */
  OP_DIRMETA = 9, /* path, mode, mtime: a directory's metadata, set last */
  OP_CHOWN = 10,  /* path, uid, gid */
};
enum { F_MTIME = 1, F_TOLERANT = 2, F_CHOWN = 4 };

#define HEADER 56

static inline uint32_t u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static int fail(struct unpack_error *e, uint32_t index, const char *syscall) {
  e->index = index;
  e->err = errno;
  snprintf(e->syscall, sizeof e->syscall, "%s", syscall);
  return -1;
}

static int write_all_fd(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int unpack_run(struct unpack_ctx *ctx, const uint8_t *ops, size_t ops_len, const uint8_t *data, size_t data_len, struct unpack_error *e) {
  uint32_t index = 0;
  for (size_t off = 0; off + HEADER <= ops_len; index++) {
    const uint8_t *h = ops + off;
    uint8_t type = h[0], flags = h[1];
    uint32_t mode = u32(h + 4), uid = u32(h + 8), gid = u32(h + 12);
    double sec;
    memcpy(&sec, h + 16, 8);
    uint32_t nsec = u32(h + 24), major = u32(h + 28), minor = u32(h + 32);
    uint32_t path_len = u32(h + 36), arg_len = u32(h + 40), dlen = u32(h + 44), doff = u32(h + 48);
    /* path and arg each end in a NUL the encoder wrote */
    const char *path = (const char *)h + HEADER;
    const char *arg = path + path_len + 1;
    size_t rec = HEADER + (size_t)path_len + 1 + arg_len + 1;
    if (rec > ops_len - off || (size_t)doff + dlen > data_len || path[path_len] || arg[arg_len]) {
      errno = EINVAL;
      return fail(e, index, "decode");
    }
    off += (rec + 7) & ~(size_t)7;
    const uint8_t *d = data + doff;
    struct timespec ts[2] = {{(time_t)sec, nsec}, {(time_t)sec, nsec}};

    switch (type) {
      case OP_MKDIR:
        if (mkdir(path, mode) < 0) return fail(e, index, "mkdir");
        break;
      case OP_OPEN:
        if (ctx->fd >= 0) close(ctx->fd);
        /* O_EXCL: never through a symlink that appeared at the target */
        ctx->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (ctx->fd < 0) return fail(e, index, "open");
        break;
      case OP_WRITE:
        if (ctx->fd < 0) {
          errno = EBADF;
          return fail(e, index, "write");
        }
        if (write_all_fd(ctx->fd, d, dlen) < 0) return fail(e, index, "write");
        break;
      case OP_CLOSE: {
        int fd = ctx->fd;
        ctx->fd = -1;
        if (fd < 0) {
          errno = EBADF;
          return fail(e, index, "close");
        }
        /* chown first: it clears set-id bits the chmod then sets */
        if (fchown(fd, uid, gid) < 0) return close(fd), fail(e, index, "fchown");
        if (fchmod(fd, mode) < 0) return close(fd), fail(e, index, "fchmod");
        if (flags & F_MTIME) futimens(fd, ts);
        if (close(fd) < 0) return fail(e, index, "close");
        break;
      }
      case OP_SYMLINK:
        if (symlink(arg, path) < 0) return fail(e, index, "symlink");
        if (lchown(path, uid, gid) < 0) return fail(e, index, "lchown");
        if (flags & F_MTIME) utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
        break;
      case OP_LINK:
        if (link(arg, path) < 0) return fail(e, index, "link");
        break;
      case OP_MKNOD:
        if (mknod(path, mode, makedev(major, minor)) < 0) return fail(e, index, "mknod");
        if (flags & F_CHOWN) {
          if (lchown(path, uid, gid) < 0) return fail(e, index, "lchown");
          if (fchmodat(AT_FDCWD, path, mode & 07777, 0) < 0) return fail(e, index, "chmod");
        }
        if (flags & F_MTIME) utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
        break;
      case OP_XATTR:
        if (lsetxattr(path, arg, d, dlen, 0) < 0) {
          if ((flags & F_TOLERANT) && (errno == EOPNOTSUPP || errno == ENOTSUP || errno == EPERM)) break;
          return fail(e, index, "lsetxattr");
        }
        break;
      case OP_DIRMETA:
        if (fchmodat(AT_FDCWD, path, mode, 0) < 0) return fail(e, index, "chmod");
        if (flags & F_MTIME) utimensat(AT_FDCWD, path, ts, 0);
        break;
      case OP_CHOWN:
        if (lchown(path, uid, gid) < 0) return fail(e, index, "lchown");
        break;
      default: errno = EINVAL; return fail(e, index, "decode");
    }
  }
  return 0;
}
