#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/* What the shim leaves behind when the container's init is gone. */

/* oom_kill counter: v1 memory.oom_control and v2 memory.events both have "oom_kill N" */
int read_oom_killed(const struct conf *c) {
  const char *path = conf_get(c, "oomFile");
  if (!path || !*path) return 0;
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  char line[256];
  long n = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "oom_kill %ld", &n) == 1) break;
  fclose(f);
  return n > 0;
}

/* The last processes may still be leaving the cgroup for a moment after the reap: retry
 * from 1 ms, doubling up to 20 ms (about 2 s in all), so the usual case costs no sleep. */
void remove_cgroups(const struct conf *c) {
  static const char *dirs[MAX_LIST];
  size_t n = conf_list(c, "cgroup", dirs, MAX_LIST);
  for (int attempt = 0; attempt < 110; attempt++) {
    int left = 0;
    for (size_t i = 0; i < n; i++) {
      if (!dirs[i]) continue;
      if (rmdir(dirs[i]) < 0 && errno != ENOENT) left++;
      else dirs[i] = NULL;
    }
    if (!left) return;
    usleep(attempt < 5 ? 1000u << attempt : 20000);
  }
}

int write_exit_record(int exit_code, int exit_signal, int oom) {
  char ts[64], json[512];
  format_rfc3339nano(ts, sizeof ts);
  snprintf(json, sizeof json, "{\"version\":%d,\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\",\"oomKilled\":%s}\n", EXIT_RECORD_VERSION, exit_code,
           exit_signal, ts, oom ? "true" : "false");
  return write_file_atomic("exit.json", json, 1);
}
