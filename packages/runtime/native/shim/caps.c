#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

static const char *const CAP_NAMES[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
#define NCAPS ((int)(sizeof CAP_NAMES / sizeof CAP_NAMES[0]))

static int cap_from_name(const char *name) {
  const char *n = strncmp(name, "CAP_", 4) == 0 ? name + 4 : name;
  for (int i = 0; i < NCAPS; i++)
    if (strcasecmp(CAP_NAMES[i] + 4, n) == 0) return i;
  return -1;
}

/* What this process can still hand on: its bounding set and its permitted set. A host (or
 * an outer container) that lacks a capability makes capset fail for the whole list, so
 * the missing ones are left out, as runc does with capabilities the host does not know. */
static uint64_t available_caps(void) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  uint64_t permitted = ~0ULL, out = 0;
  if (syscall(SYS_capget, &hdr, data) == 0) permitted = data[0].permitted | ((uint64_t)data[1].permitted << 32);
  for (int c = 0; c < NCAPS; c++)
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 && (permitted & CAP_BIT(c))) out |= CAP_BIT(c);
  return out;
}

int caps_from_conf(const struct conf *c, uint64_t *keep, char *err, size_t errlen) {
  const char *names[MAX_LIST];
  /* Fail closed: the agent always lists the set it wants (Docker's defaults are resolved
   * in TypeScript), so a conf without `cap` lines means "none", never "some default". */
  size_t n = conf_list(c, "cap", names, MAX_LIST);
  *keep = 0;
  for (size_t i = 0; i < n; i++) {
    if (!names[i][0]) continue; /* `cap=` alone: an explicitly empty set */
    int bit = cap_from_name(names[i]);
    if (bit < 0) {
      snprintf(err, errlen, "unknown capability %s", names[i]);
      return -1;
    }
    *keep |= CAP_BIT(bit);
  }
  *keep &= available_caps();
  return 0;
}

static int last_cap(void) {
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int n = NCAPS - 1;
  if (f) {
    if (fscanf(f, "%d", &n) != 1) n = NCAPS - 1;
    fclose(f);
  }
  return n;
}

/* Bounding set first, while still root with CAP_SETPCAP: only the kept list survives. */
int drop_bounding_caps(uint64_t keep, char *err, size_t errlen) {
  int last = last_cap();
  for (int c = 0; c <= last; c++) {
    if (keep & CAP_BIT(c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
      snprintf(err, errlen, "dropping capability %d from the bounding set: %s", c, strerror(errno));
      return -1;
    }
  }
  return 0;
}

/* After setuid. Root keeps the list as effective/permitted/inheritable/ambient (what
 * Docker gives it); for any other uid setuid has already emptied the permitted and
 * effective sets, so exec leaves it without capabilities, as in Docker. */
int apply_capabilities(uint64_t keep, uid_t uid, char *err, size_t errlen) {
  if (uid != 0) {
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    return 0;
  }
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  data[0].effective = data[0].permitted = data[0].inheritable = (uint32_t)keep;
  data[1].effective = data[1].permitted = data[1].inheritable = (uint32_t)(keep >> 32);
  if (syscall(SYS_capset, &hdr, data) < 0) {
    snprintf(err, errlen, "capset: %s", strerror(errno));
    return -1;
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  int last = last_cap();
  for (int c = 0; c <= last; c++)
    if (keep & CAP_BIT(c)) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0); /* best effort: old kernels */
  return 0;
}
