#ifndef SKIFF_ADDON_SAFE_ROOT_H
#define SKIFF_ADDON_SAFE_ROOT_H

#include <stdint.h>
#include <sys/types.h>

// resolve flags, as linux/openat2.h (kept here so the fallback builds on old headers too)
#define SAFE_RESOLVE_NO_XDEV 0x01
#define SAFE_RESOLVE_NO_MAGICLINKS 0x02
#define SAFE_RESOLVE_NO_SYMLINKS 0x04
#define SAFE_RESOLVE_BENEATH 0x08
#define SAFE_RESOLVE_IN_ROOT 0x10

/*
 * openat2(dirfd, path, {flags, mode, resolve}); on kernels without openat2 (ENOSYS) an
 * emulation that walks the path one component at a time from dirfd with O_PATH|O_NOFOLLOW
 * fds and resolves symlinks by hand (crun's safe_openat, libpathrs' fallback), honouring
 * RESOLVE_IN_ROOT, RESOLVE_BENEATH and RESOLVE_NO_SYMLINKS; magic links are never followed
 * by the emulation (their text is resolved like any symlink, inside the root).
 * Returns an O_CLOEXEC fd, or -1 with errno set.
 */
int safe_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve);

#define SAFE_MKDIRS_FILE 1
#define SAFE_MKDIRS_DIR 2
/*
 * An O_PATH fd of `path` resolved inside `dirfd` as RESOLVE_IN_ROOT does, creating every
 * missing component on the way (0755 directories; the last one an empty 0644 file for
 * SAFE_MKDIRS_FILE): `mkdir -p` that cannot leave the root (runc's securejoin.MkdirAll).
 */
int safe_mkdirs_in_root(int dirfd, const char *path, int mkdirs);

/* forces the emulation (tests); returns the previous setting */
int safe_root_force_fallback(int on);

#endif
