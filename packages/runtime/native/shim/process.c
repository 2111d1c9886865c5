#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_lookup(const struct conf *c, const char *name) {
  static const char *env[MAX_LIST];
  size_t n = conf_list(c, "env", env, MAX_LIST), nl = strlen(name);
  const char *v = NULL;
  for (size_t i = 0; i < n; i++)
    if (strncmp(env[i], name, nl) == 0 && env[i][nl] == '=') v = env[i] + nl + 1;
  return v;
}

/* execvp's rule: a PATH entry counts when it is a regular file with an execute bit */
static int is_executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* arg[0] is looked up in the container's PATH (from its env), inside the container root. */
int resolve_executable(const struct conf *c, char *out, size_t outlen, char *err, size_t errlen) {
  const char *args[1];
  if (conf_list(c, "arg", args, 1) == 0 || !args[0][0]) {
    snprintf(err, errlen, "no command specified");
    return 125;
  }
  const char *cmd = args[0];
  if (strchr(cmd, '/')) {
    struct stat st;
    if (stat(cmd, &st) < 0) {
      snprintf(err, errlen, "exec: \"%s\": stat %s: %s", cmd, cmd, errno == ENOENT ? "no such file or directory" : strerror(errno));
      return errno == ENOENT || errno == ENOTDIR ? 127 : 126;
    }
    if (S_ISDIR(st.st_mode)) {
      snprintf(err, errlen, "exec: \"%s\": is a directory", cmd);
      return 126;
    }
    snprintf(out, outlen, "%s", cmd);
    return 0;
  }
  const char *path = env_lookup(c, "PATH");
  if (!path) path = DEFAULT_PATH;
  char *dup = xstrdup(path), *save = NULL;
  for (char *dir = strtok_r(dup, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    snprintf(out, outlen, "%s/%s", *dir ? dir : ".", cmd);
    if (is_executable_file(out)) {
      free(dup);
      return 0;
    }
  }
  free(dup);
  snprintf(err, errlen, "exec: \"%s\": executable file not found in $PATH", cmd);
  return 127;
}

/* Order matters: seccomp while still privileged, bounding set while CAP_SETPCAP is held,
 * then groups/gid/uid, then the final capability sets (setuid to non-root clears them). */
int apply_identity_and_security(const struct conf *c, char *err, size_t errlen) {
  uid_t uid = (uid_t)conf_long(c, "uid", 0);
  gid_t gid = (gid_t)conf_long(c, "gid", 0);
  static const char *groups_s[MAX_LIST];
  static gid_t groups[MAX_LIST];
  size_t ng = conf_list(c, "group", groups_s, MAX_LIST);
  for (size_t i = 0; i < ng; i++) groups[i] = (gid_t)strtoul(groups_s[i], NULL, 10);
  uint64_t keep;
  if (caps_from_conf(c, &keep, err, errlen) < 0) return 125;
  if (apply_ulimits(c, err, errlen) < 0) return 125;

  if (conf_flag(c, "noNewPrivileges") && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
    return 125;
  }
  const char *sc = conf_get(c, "seccomp");
  if (!sc || strcmp(sc, "unconfined") != 0) {
    if (apply_default_seccomp(keep, err, errlen) < 0) return 125;
  }
  if (drop_bounding_caps(keep, err, errlen) < 0) return 125;
  if (setgroups(ng, groups) < 0) {
    snprintf(err, errlen, "setgroups: %s", strerror(errno));
    return 125;
  }
  if (setresgid(gid, gid, gid) < 0) {
    snprintf(err, errlen, "setgid %u: %s", gid, strerror(errno));
    return 125;
  }
  if (setresuid(uid, uid, uid) < 0) {
    snprintf(err, errlen, "setuid %u: %s", uid, strerror(errno));
    return 125;
  }
  if (apply_capabilities(keep, uid, err, errlen) < 0) return 125;
  return 0;
}

int exec_process(const struct conf *c, const char *path, char *err, size_t errlen) {
  static const char *argv[MAX_LIST + 1], *envp[MAX_LIST + 1];
  size_t na = conf_list(c, "arg", argv, MAX_LIST);
  argv[na] = NULL;
  size_t ne = conf_list(c, "env", envp, MAX_LIST);
  envp[ne] = NULL;
  trace_mark(TR_EXEC);
  execve(path, (char *const *)argv, (char *const *)envp);
  int e = errno;
  snprintf(err, errlen, "exec: \"%s\": %s", argv[0], e == ENOENT ? "no such file or directory" : e == EACCES ? "permission denied" : strerror(e));
  return e == ENOENT ? 127 : 126;
}
