#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "shim.h"

/* Skiff's default profile: Docker's default seccomp profile expressed as a deny list.
 * Every syscall Docker refuses to a default container fails with EPERM here; a syscall
 * Docker gates on a capability is allowed when that capability is kept (any of `caps`). */
struct gated {
  const char *name;
  uint64_t caps; /* 0: always refused */
};

#define ADMIN CAP_BIT(CAP_SYS_ADMIN)

static const struct gated DENIED[] = {
    /* kernel keyring, module loading, kexec, obsolete or unsafe interfaces: never */
    {"add_key", 0},
    {"keyctl", 0},
    {"request_key", 0},
    {"create_module", 0},
    {"get_kernel_syms", 0},
    {"query_module", 0},
    {"kexec_load", 0},
    {"kexec_file_load", 0},
    {"nfsservctl", 0},
    {"sysfs", 0},
    {"_sysctl", 0},
    {"uselib", 0},
    {"ustat", 0},
    {"userfaultfd", 0},
    {"vm86", 0},
    {"vm86old", 0},
    {"move_pages", 0},
    /* io_uring: a large kernel attack surface that bypasses this filter (Docker >= 25) */
    {"io_uring_setup", 0},
    {"io_uring_enter", 0},
    {"io_uring_register", 0},
    /* capability-gated, as in Docker's profile */
    {"init_module", CAP_BIT(CAP_SYS_MODULE)},
    {"finit_module", CAP_BIT(CAP_SYS_MODULE)},
    {"delete_module", CAP_BIT(CAP_SYS_MODULE)},
    {"acct", CAP_BIT(CAP_SYS_PACCT)},
    {"reboot", CAP_BIT(CAP_SYS_BOOT)},
    {"open_by_handle_at", CAP_BIT(CAP_DAC_READ_SEARCH)},
    {"iopl", CAP_BIT(CAP_SYS_RAWIO)},
    {"ioperm", CAP_BIT(CAP_SYS_RAWIO)},
    {"settimeofday", CAP_BIT(CAP_SYS_TIME)},
    {"stime", CAP_BIT(CAP_SYS_TIME)},
    {"clock_settime", CAP_BIT(CAP_SYS_TIME)},
    {"clock_settime64", CAP_BIT(CAP_SYS_TIME)},
    {"clock_adjtime", CAP_BIT(CAP_SYS_TIME)},
    {"clock_adjtime64", CAP_BIT(CAP_SYS_TIME)},
    {"vhangup", CAP_BIT(CAP_SYS_TTY_CONFIG)},
    {"get_mempolicy", CAP_BIT(CAP_SYS_NICE)},
    {"set_mempolicy", CAP_BIT(CAP_SYS_NICE)},
    {"mbind", CAP_BIT(CAP_SYS_NICE)},
    {"kcmp", CAP_BIT(CAP_SYS_PTRACE)},
    {"pidfd_getfd", CAP_BIT(CAP_SYS_PTRACE)},
    {"process_madvise", CAP_BIT(CAP_SYS_PTRACE)},
    {"syslog", CAP_BIT(CAP_SYSLOG)},
    {"chroot", CAP_BIT(CAP_SYS_CHROOT)},
    {"bpf", ADMIN | CAP_BIT(CAP_BPF)},
    {"perf_event_open", ADMIN | CAP_BIT(CAP_PERFMON)},
    {"lookup_dcookie", ADMIN},
    {"quotactl", ADMIN},
    {"quotactl_fd", ADMIN},
    {"mount", ADMIN},
    {"umount", ADMIN},
    {"umount2", ADMIN},
    {"mount_setattr", ADMIN},
    {"fsopen", ADMIN},
    {"fsconfig", ADMIN},
    {"fsmount", ADMIN},
    {"fspick", ADMIN},
    {"move_mount", ADMIN},
    {"open_tree", ADMIN},
    {"pivot_root", ADMIN},
    {"swapon", ADMIN},
    {"swapoff", ADMIN},
    {"unshare", ADMIN},
    {"setns", ADMIN},
    {"name_to_handle_at", ADMIN},
    {"sethostname", ADMIN},
    {"setdomainname", ADMIN},
    {"fanotify_init", ADMIN},
};

static int deny(scmp_filter_ctx ctx, const char *name) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR || nr < 0) return 0; /* not on this architecture */
  return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
}

/* personality(2): Docker allows only PER_LINUX (0), PER_LINUX32 (8), UNAME26 (0x20000),
 * UNAME26|PER_LINUX32 (0x20008) and the query 0xffffffff. libseccomp takes one comparison
 * per argument and rule, so the complement is spelled out as single-mask rules:
 *   bit 31 clear and any bit outside {3, 17} set      -> not allowed
 *   bit 31 set and any bit 0..30 clear (not 0xffffffff) -> not allowed
 *   anything above 32 bits                              -> not allowed */
static int restrict_personality(scmp_filter_ctx ctx) {
  const unsigned long b31 = 1UL << 31;
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_GT, 0xffffffffUL));
  for (int i = 0; i < 31 && rc == 0; i++) {
    unsigned long bit = 1UL << i;
    if (i != 3 && i != 17) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, bit | b31, bit));
    if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, bit | b31, b31));
  }
  return rc;
}

static int restrict_namespaces(scmp_filter_ctx ctx) {
  /* clone(2) creating namespaces needs CAP_SYS_ADMIN; clone3 hides its flags in memory,
   * so it answers ENOSYS and libc falls back to clone, as with Docker */
  static const unsigned long NS_FLAGS[] = {CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET};
  int rc = 0;
  for (size_t i = 0; i < sizeof NS_FLAGS / sizeof *NS_FLAGS && rc == 0; i++)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, NS_FLAGS[i], NS_FLAGS[i]));
  int nr = seccomp_syscall_resolve_name("clone3");
  if (rc == 0 && nr >= 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
  return rc;
}

int apply_default_seccomp(uint64_t keep_caps, char *err, size_t errlen) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) {
    snprintf(err, errlen, "seccomp_init failed");
    return -1;
  }
  /* no_new_privs is the conf's decision, not libseccomp's (we still hold CAP_SYS_ADMIN here) */
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  for (size_t i = 0; i < sizeof DENIED / sizeof *DENIED && rc == 0; i++)
    if (!(DENIED[i].caps & keep_caps)) rc = deny(ctx, DENIED[i].name);
  if (rc == 0) rc = restrict_personality(ctx);
  if (rc == 0 && !(keep_caps & ADMIN)) rc = restrict_namespaces(ctx);
  if (rc == 0) rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) {
    snprintf(err, errlen, "loading the seccomp profile: %s", strerror(-rc));
    return -1;
  }
  return 0;
}
