/* skiff-shim: the per-container parent process. See docs/architecture.md, "The shim contract". */
#ifndef SKIFF_SHIM_H
#define SKIFF_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- conf.c: shim.conf / exec conf ------------------------------------------------ */
struct conf_entry {
  char *key;
  char *value;
};
struct conf {
  struct conf_entry *entries;
  size_t n;
};
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);
const char *conf_get(const struct conf *c, const char *key);          /* last value or NULL */
int conf_flag(const struct conf *c, const char *key);                /* "1" -> 1 */
long conf_long(const struct conf *c, const char *key, long dflt);
size_t conf_list(const struct conf *c, const char *key, const char **out, size_t max); /* all values */
size_t conf_count(const struct conf *c, const char *key);

/* ---- util.c -------------------------------------------------------------------- */
void format_rfc3339nano(char *buf, size_t len);
int write_all(int fd, const void *buf, size_t len);
int write_file_str(const char *path, const char *s);
int write_file_atomic(const char *path, const char *s);
int mkdir_p(const char *path, mode_t mode);
void die_report(int fd, int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));

/* ---- process.c: what start and exec share (user, caps, nnp, seccomp, exec) ---------- */
/* Applies user/groups, capabilities, no-new-privs and seccomp from conf, then execs
 * arg[] with env[]. On failure writes "<code> <message>" into err and returns the Docker
 * exit code (126 / 127 / 125). */
int resolve_executable(const struct conf *c, char *out, size_t outlen, char *err, size_t errlen);
int apply_identity_and_security(const struct conf *c, char *err, size_t errlen);
int exec_process(const struct conf *c, const char *path, char *err, size_t errlen);

/* ---- seccomp.c ----------------------------------------------------------------- */
int apply_default_seccomp(int keep_sys_admin, char *err, size_t errlen);

/* ---- caps.c ---------------------------------------------------------------------- */
int cap_from_name(const char *name);
int drop_bounding_caps(const char **names, size_t n, char *err, size_t errlen);
int apply_capabilities(const char **names, size_t n, uid_t uid, char *err, size_t errlen);

/* ---- rootfs.c: the container's mount namespace ----------------------------------------- */
int setup_rootfs(const struct conf *c, char *err, size_t errlen);
int open_container_pty(int *master, int *slave, char *err, size_t errlen);

/* ---- logfile.c ---------------------------------------------------------------------- */
struct logfile;
struct logfile *logfile_open(const char *path, long max_size, int max_files);
void logfile_write(struct logfile *lf, const char *stream, const char *data, size_t len);
void logfile_flush(struct logfile *lf); /* writes pending partial lines */
void logfile_close(struct logfile *lf);

extern char *shim_argv_area;
extern size_t shim_argv_len;

/* ---- start.c / exec.c -------------------------------------------------------------- */
int shim_start(const char *dir);
int shim_exec(const char *conf_path);

#endif
