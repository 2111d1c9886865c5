// Path lookups that cannot leave a directory: openat2(2) with RESOLVE_IN_ROOT and friends,
// and for kernels without openat2 a component-by-component walk over O_PATH|O_NOFOLLOW fds
// (the approach of crun's safe_openat and libpathrs' fallback resolver). One copy for the
// addon (the agent's file operations) and the shim (mount targets before pivot_root).
#define _GNU_SOURCE
#include "safe-root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct safe_open_how {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};

#define MAX_SYMLINKS 40
#define MAX_REST (4 * PATH_MAX)

static int force_fallback = -1;  // -1: not decided yet (SKIFF_NO_OPENAT2 in the environment forces it)
static int have_openat2 = 1;

int safe_root_force_fallback(int on) {
  int prev = force_fallback > 0;
  force_fallback = on ? 1 : 0;
  return prev;
}

// the walk's directory fds, the root at the bottom; `..` pops (never past the root)
struct dir_stack {
  int *fds;
  size_t depth, cap;
};

static int stack_push(struct dir_stack *s, int fd) {
  if (s->depth == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    int *n = realloc(s->fds, cap * sizeof *n);
    if (!n) return -1;
    s->fds = n, s->cap = cap;
  }
  s->fds[s->depth++] = fd;
  return 0;
}

static void stack_pop_to(struct dir_stack *s, size_t depth) {
  while (s->depth > depth) close(s->fds[--s->depth]);
}

// `rest` becomes target + "/" + rest[pos..] (keeping a trailing slash, which asks for a directory)
static int splice_link(char **rest, size_t pos, const char *target, bool slash) {
  size_t tl = strlen(target), rl = strlen(*rest + pos);
  if (tl + rl + 2 > MAX_REST) return errno = ENAMETOOLONG, -1;
  char *n = malloc(tl + rl + 2);
  if (!n) return -1;
  memcpy(n, target, tl);
  size_t k = tl;
  if (rl || slash) n[k++] = '/';
  memcpy(n + k, *rest + pos, rl + 1);
  free(*rest);
  *rest = n;
  return 0;
}

// Creates the missing `name` in `dirfd`: a directory, or an empty file. O_EXCL|O_NOFOLLOW:
// never through a symlink that appeared meanwhile (EEXIST then, and the walk re-reads it).
static int create_entry(int dirfd, const char *name, bool as_dir) {
  if (as_dir) return mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST ? -1 : 0;
  int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
  if (fd >= 0) return close(fd), 0;
  return errno == EEXIST ? 0 : -1;
}

// `mkdirs`: SAFE_MKDIRS_FILE/DIR create every missing component on the way (a dangling
// symlink's target too), the last one as a file or a directory
static int emulate(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve, int mkdirs) {
  const bool in_root = resolve & SAFE_RESOLVE_IN_ROOT, beneath = resolve & SAFE_RESOLVE_BENEATH;
  const bool no_symlinks = resolve & SAFE_RESOLVE_NO_SYMLINKS;
  if ((resolve & SAFE_RESOLVE_NO_XDEV) || !(in_root || beneath)) return errno = EINVAL, -1;  // not needed, not emulated
  if (beneath && path[0] == '/') return errno = EXDEV, -1;
  struct dir_stack st = {0};
  char *rest = strdup(path);
  char name[NAME_MAX + 1], target[PATH_MAX + 1];
  int result = -1, err = 0, links = 0;
  int root = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (!rest || root < 0 || stack_push(&st, root) < 0) {
    err = errno;
    if (root >= 0 && st.depth == 0) close(root);
    goto out;
  }
  size_t pos = 0;
  for (;;) {
    while (rest[pos] == '/') pos++;
    int top = st.fds[st.depth - 1];
    if (!rest[pos]) {  // resolved to a directory of the walk itself ("", ".", "..", "dir/")
      if ((flags & O_CREAT) && (flags & O_EXCL)) {
        err = EEXIST;
        goto out;
      }
      result = openat(top, ".", (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
      if (result < 0) err = errno;
      goto out;
    }
    size_t end = pos;
    while (rest[end] && rest[end] != '/') end++;
    size_t len = end - pos, next = end;
    while (rest[next] == '/') next++;
    const bool last = !rest[next], slash = next > end;
    if (len > NAME_MAX) {
      err = ENAMETOOLONG;
      goto out;
    }
    memcpy(name, rest + pos, len);
    name[len] = 0;
    pos = next;
    if (!strcmp(name, ".")) continue;
    if (!strcmp(name, "..")) {
      if (st.depth > 1) stack_pop_to(&st, st.depth - 1);
      else if (beneath) {
        err = EXDEV;
        goto out;
      }
      continue;  // `..` at the root stays at the root, as RESOLVE_IN_ROOT does
    }
    int fd = openat(top, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && mkdirs) {
      if (create_entry(top, name, !last || slash || mkdirs == SAFE_MKDIRS_DIR) < 0) {
        err = errno;
        goto out;
      }
      fd = openat(top, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      err = errno;
      if (err == ENOENT && last && (flags & O_CREAT)) {
        if (slash) {
          err = EISDIR;
          goto out;
        }
        // a symlink planted between the two calls is refused (O_NOFOLLOW), never followed
        result = openat(top, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
        err = result < 0 ? errno : 0;
      }
      goto out;
    }
    struct stat sb;
    if (fstatat(fd, "", &sb, AT_EMPTY_PATH) < 0) {
      err = errno;
      close(fd);
      goto out;
    }
    // a final symlink is followed unless O_NOFOLLOW, or O_CREAT|O_EXCL (which never follows: EEXIST)
    const bool follow_last = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
    if (S_ISLNK(sb.st_mode) && (!last || slash || follow_last)) {
      ssize_t n = no_symlinks ? -1 : readlinkat(fd, "", target, PATH_MAX);
      err = no_symlinks ? ELOOP : errno;
      close(fd);
      if (n < 0) goto out;
      if (++links > MAX_SYMLINKS) {
        err = ELOOP;
        goto out;
      }
      target[n] = 0;
      if (n == 0) {
        err = ENOENT;
        goto out;
      }
      if (target[0] == '/') {
        if (beneath) {
          err = EXDEV;
          goto out;
        }
        stack_pop_to(&st, 1);
      }
      if (splice_link(&rest, pos, target, slash) < 0) {
        err = errno;
        goto out;
      }
      pos = 0;
      continue;
    }
    if (!last) {
      if (!S_ISDIR(sb.st_mode)) {
        close(fd);
        err = ENOTDIR;
        goto out;
      }
      if (stack_push(&st, fd) < 0) {
        err = errno;
        close(fd);
        goto out;
      }
      continue;
    }
    if ((slash || (flags & O_DIRECTORY)) && !S_ISDIR(sb.st_mode)) {
      close(fd);
      err = S_ISLNK(sb.st_mode) && !slash ? ELOOP : ENOTDIR;
      goto out;
    }
    if ((flags & O_CREAT) && (flags & O_EXCL)) {
      close(fd);
      err = EEXIST;
      goto out;
    }
    if (flags & O_PATH) {
      result = fd;
      goto out;
    }
    close(fd);
    // reopened by name with O_NOFOLLOW: whatever is there now, a symlink is not followed
    result = openat(top, name, (flags & ~O_CREAT) | O_NOFOLLOW | O_CLOEXEC);
    if (result < 0) err = errno;
    goto out;
  }
out:
  stack_pop_to(&st, 0);
  free(st.fds);
  free(rest);
  if (result < 0) errno = err ? err : EIO;
  return result;
}

int safe_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve) {
  if (force_fallback < 0) force_fallback = getenv("SKIFF_NO_OPENAT2") != NULL;
  if (!force_fallback && have_openat2) {
    struct safe_open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0, .resolve = resolve};
    for (int tries = 0; tries < 64; tries++) {
      long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
      if (fd >= 0) return (int)fd;
      // EAGAIN: a rename raced the `..` check; the kernel asks to retry
      if (errno != EAGAIN) break;
    }
    // EPERM: a seccomp profile older than openat2 around us; the walk gives the same answer
    if (errno == EPERM) return emulate(dirfd, path, flags, mode, resolve, 0);
    if (errno != ENOSYS) return -1;
    have_openat2 = 0;
  }
  return emulate(dirfd, path, flags, mode, resolve, 0);
}

int safe_mkdirs_in_root(int dirfd, const char *path, int mkdirs) {
  return emulate(dirfd, path, O_PATH, 0, SAFE_RESOLVE_IN_ROOT | SAFE_RESOLVE_NO_MAGICLINKS, mkdirs);
}
