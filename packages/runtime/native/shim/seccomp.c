#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "shim.h"

/* Syscalls Docker's default profile refuses (EPERM) for an unprivileged container. The
 * first group is always refused; the second only without CAP_SYS_ADMIN. */
static const char *const ALWAYS_DENIED[] = {
    "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
    "delete_module", "finit_module", "get_kernel_syms", "get_mempolicy", "init_module",
    "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie",
    "mbind", "move_pages", "nfsservctl", "open_by_handle_at", "perf_event_open",
    "query_module", "quotactl", "reboot", "request_key", "set_mempolicy", "settimeofday",
    "stime", "swapon", "swapoff", "sysfs", "_sysctl", "uselib", "userfaultfd", "ustat",
    "vm86", "vm86old", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
    "syslog",
};
static const char *const ADMIN_ONLY[] = {
    "mount", "umount", "umount2", "pivot_root", "unshare", "setns", "name_to_handle_at",
    "setdomainname", "sethostname", "lookup_dcookie",
};

int apply_default_seccomp(int keep_sys_admin, char *err, size_t errlen) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) {
    snprintf(err, errlen, "seccomp_init failed");
    return -1;
  }
  int rc = 0;
  for (size_t i = 0; i < sizeof ALWAYS_DENIED / sizeof *ALWAYS_DENIED && rc == 0; i++) {
    int nr = seccomp_syscall_resolve_name(ALWAYS_DENIED[i]);
    if (nr != __NR_SCMP_ERROR) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
  }
  if (!keep_sys_admin) {
    for (size_t i = 0; i < sizeof ADMIN_ONLY / sizeof *ADMIN_ONLY && rc == 0; i++) {
      int nr = seccomp_syscall_resolve_name(ADMIN_ONLY[i]);
      if (nr != __NR_SCMP_ERROR) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    }
  }
  if (rc == 0) rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) {
    snprintf(err, errlen, "loading the seccomp profile: %s", strerror(-rc));
    return -1;
  }
  return 0;
}
