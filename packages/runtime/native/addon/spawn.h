#ifndef SKIFF_ADDON_SPAWN_H
#define SKIFF_ADDON_SPAWN_H

#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct spawn_result {
  pid_t pid;
  char report[4096];
  size_t report_len;
  char stderr_text[4096];
  size_t stderr_len;
};

/* Spawns `path argv` in a new session with stdin/stdout on /dev/null, stderr and fd 3
 * (the report pipe) captured, and blocks until both pipes reach EOF. The child is reaped
 * by the addon's reaper thread whenever it exits. Returns -1 with err set if it could not
 * be spawned at all. */
int spawn_reported(const char *path, char *const argv[], struct spawn_result *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
