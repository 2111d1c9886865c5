/* skiff-shim: the per-container parent process. See docs/architecture.md, "The shim contract". */
#ifndef SKIFF_SHIM_H
#define SKIFF_SHIM_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define REPORT_FD 3
/* flock'ed by the shim for its whole life (relative to the container dir) */
#define SHIM_LOCK "shim.lock"
/* the report's message when another shim holds the lock; the agent matches it */
#define SHIM_BUSY_MESSAGE "the container is already running: another shim holds its lock"
#define MAX_LIST 1024
/* Format versions (packages/runtime/src/store/format-version.ts, FORMAT): a conf whose
 * `version=` is above SHIM_CONF_VERSION is refused; exit.json and shim-protocol.json
 * carry the others, so an agent can tell what a shim that outlived it speaks. */
#define SHIM_CONF_VERSION 1
#define SHIM_PROTOCOL_VERSION 1
#define EXIT_RECORD_VERSION 1
/* next to attach.sock: {"version":N,"pid":shim-pid}; absent (an older shim) means 1 */
#define SHIM_PROTOCOL_FILE "shim-protocol.json"

/* ---- conf.c: shim.conf / exec conf (key=value lines, lists repeat the key) ------------ */
struct conf_entry {
  char *key;
  char *value;
};
struct conf {
  struct conf_entry *entries;
  size_t n;
};
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);
const char *conf_get(const struct conf *c, const char *key); /* last value or NULL */
int conf_flag(const struct conf *c, const char *key);        /* "1" -> 1 */
long conf_long(const struct conf *c, const char *key, long dflt);
size_t conf_list(const struct conf *c, const char *key, const char **out, size_t max);
/* -1 with a message naming `path` when its `version=` is newer than SHIM_CONF_VERSION */
int conf_check_version(const struct conf *c, const char *path, char *err, size_t errlen);

/* ---- util.c ------------------------------------------------------------------------ */
void format_rfc3339nano(char *buf, size_t len);
int write_all(int fd, const void *buf, size_t len);
int write_file_str(const char *path, const char *s);
/* moves the calling process into the cgroup at `dir`; the caller must be single-threaded */
int join_cgroup_self(const char *dir);
/* temp file + rename; `durable` fsyncs first (pid files need not survive a power loss:
 * no pid does) */
int write_file_atomic(const char *path, const char *s, int durable);
int mkdir_p(const char *path, mode_t mode);
void close_fds_from(int first); /* close_range(first, ~0) */
int reserve_fd3(void);          /* 1 if the caller passed fd 3 */
void reset_signals(void);       /* default dispositions, nothing blocked: what an exec'd process expects */
/* Container-side failure before exec: "E <code> <msg>" on the status pipe, then _exit(code). */
void die_report(int fd, int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
/* The shim's one allocation-failure policy (as crun's xmalloc): a failed allocation aborts
 * with a message; the agent then sees the shim die and kills and reports its container. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* ---- process.c: what start and exec share (lookup, user, caps, nnp, seccomp, exec) ---- */
/* Each returns 0 or the Docker exit code (126 / 127 / 125) with a message in err. */
int resolve_executable(const struct conf *c, char *out, size_t outlen, char *err, size_t errlen);
int apply_identity_and_security(const struct conf *c, char *err, size_t errlen);
int exec_process(const struct conf *c, const char *path, char *err, size_t errlen);

/* ---- seccomp.c --------------------------------------------------------------------- */
int apply_default_seccomp(uint64_t keep_caps, char *err, size_t errlen);

/* ---- caps.c ------------------------------------------------------------------------ */
/* The kept capability set: the conf's `cap` lines, or Docker's 14 defaults when absent. */
int caps_from_conf(const struct conf *c, uint64_t *keep, char *err, size_t errlen);
int drop_bounding_caps(uint64_t keep, char *err, size_t errlen);
int apply_capabilities(uint64_t keep, uid_t uid, char *err, size_t errlen);
#define CAP_BIT(n) (1ULL << (n))

/* ---- rootfs.c / devfs.c: the container's mount namespace --------------------------- */
int setup_rootfs(const struct conf *c, char *err, size_t errlen);
int mount_dev(int rootfd, long shm_size, char *err, size_t errlen);

/* ---- kernel.c: `sysctl=` and `ulimit=` lines ---------------------------------------- */
/* After pivot_root, before /proc/sys turns read-only: each value written through the
 * container's own procfs, so it lands in the container's net/ipc/uts namespaces. */
int apply_sysctls(const struct conf *c, char *err, size_t errlen);
/* setrlimit for each `ulimit=name:soft:hard`, while the caller still has CAP_SYS_RESOURCE */
int apply_ulimits(const struct conf *c, char *err, size_t errlen);
/* cgroupfs.c: the container's own cgroups, read-only, at /sys/fs/cgroup of `sysfd` */
int mount_cgroupfs(const struct conf *c, int sysfd, char *err, size_t errlen);
/* conf `cgroupns=host`: the container shares the host's cgroup namespace */
int cgroupns_host(const struct conf *c);

/* ---- inroot.c: paths inside the container root before pivot_root -------------------- */
enum { INROOT_ANY, INROOT_DIR, INROOT_FILE };
/* An O_PATH fd of `path` resolved with the root dir `rootfd` as "/" (symlinks and ".."
 * never leave it); `create` makes missing components (the last one a file for
 * INROOT_FILE). The resolved type must match `want`. */
int open_in_root(int rootfd, const char *path, int want, int create, char *err, size_t errlen);
int open_root_dir(int rootfd, const char *name, char *err, size_t errlen);
int mount_on_fd(const char *src, int fd, const char *type, unsigned long flags, const char *data);
int open_container_pty(int *master, int *slave, char *err, size_t errlen);

/* ---- logfile.c: Docker json-file log with rotation ---------------------------------- */
struct logfile;
struct logfile *logfile_open(const char *path, long max_size, int max_files);
void logfile_write(struct logfile *lf, const char *stream, const char *data, size_t len);
void logfile_close(struct logfile *lf);                          /* writes pending partial lines */
size_t json_escape(char *out, const unsigned char *s, size_t n); /* out: 6*n bytes */

/* ---- attach.c: attach.sock clients ------------------------------------------------- */
enum { F_STDIN = 0, F_STDOUT = 1, F_STDERR = 2, F_RESIZE = 3, F_CLOSE_STDIN = 4, F_EXIT = 5 };
struct attach_handler {
  void (*on_stdin)(void *ctx, const unsigned char *data, size_t len);
  void (*on_resize)(void *ctx, unsigned rows, unsigned cols);
  void (*on_close_stdin)(void *ctx);
  void (*on_first_client)(void *ctx);
  void *ctx;
};
int attach_listen(const char *name);             /* relative name, bound in the cwd (sun_path is 108 bytes) */
int attach_pollfds(struct pollfd *pfd, int max); /* fills client fds, returns the count */
void attach_accept(int lfd, const struct attach_handler *h);
void attach_handle(struct pollfd *pfd, int n, const struct attach_handler *h); /* the slots from attach_pollfds */
void attach_broadcast(int type, const void *data, size_t len);
void attach_finish(int timeout_ms); /* flushes queued frames, then disconnects everyone */

/* ---- exitrec.c: oom counter, cgroup removal, exit.json (relative to the cwd) -------- */
int read_oom_killed(const struct conf *c);
void remove_cgroups(const struct conf *c);
int write_exit_record(int exit_code, int exit_signal, int oom);

/* ---- memtrim.c: drop the setup code's pages once the container runs ---------------- */
void trim_setup_pages(void);

/* ---- init.c: the optional minimal PID 1 --------------------------------------------- */
void run_init(const struct conf *c, const char *path, int tty, int status_w) __attribute__((noreturn));

/* ---- container.c / start.c / exec.c ------------------------------------------------- */
struct child_args {
  struct conf *c;
  int status_w; /* CLOEXEC: EOF = exec'd, "R" = waiting for attach, "E ..." = failed */
  int go_r;     /* waitAttach: one byte arrives when the first client connects */
  int pty_sock; /* tty: the pty master travels back to the shim over this socket */
  int stdin_r, stdout_w, stderr_w;
  int close_fds[8]; /* the shim's ends of the pipes, closed in the container */
  int nclose;
};
int container_main(void *arg);

/* trace.c: start-phase timestamps, reported only with trace=1 */
enum trace_point { TR_MAIN, TR_CONF, TR_CLONE, TR_CHILD, TR_NET, TR_CGROUP, TR_ROOTFS, TR_SECURITY, TR_EXEC, TR_REPORT, TR_COUNT };
void trace_begin(void);
void trace_enable(void);
void trace_mark(enum trace_point p);
void trace_format(char *buf, size_t len); /* " trace=main:NS,..." or "" */
int send_fd(int sock, int fd);
int recv_fd(int sock);

extern char *shim_argv_area;
extern size_t shim_argv_len;

int shim_start(const char *dir);
int shim_exec(const char *conf_path);

#endif
