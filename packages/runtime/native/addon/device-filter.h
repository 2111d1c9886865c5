#ifndef SKIFF_DEVICE_FILTER_H
#define SKIFF_DEVICE_FILTER_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Attaches a BPF_CGROUP_DEVICE program to the cgroup v2 directory `dir` that allows
 * exactly the devices in `rules` (cgroup v1 syntax, one per line: "c 1:3 rwm",
 * "b *:* m", "a"). Everything else is refused. Returns 0, or -1 with `err` set. */
int device_filter_attach(const char *dir, const char *rules, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
