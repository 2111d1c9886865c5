#define _GNU_SOURCE
#include "device-filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* cgroup v2 has no devices.allow: the kernel asks a BPF program per device access
 * (struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; }).
 * The program is a first-match list of allow rules ending in "deny", as runc's and
 * crun's are. */

#define MAX_RULES 256
#define ANY (-1L)

struct rule {
  int type;   /* BPF_DEVCG_DEV_CHAR, BPF_DEVCG_DEV_BLOCK, 0 for any */
  long major; /* ANY or a number */
  long minor;
  unsigned access; /* BPF_DEVCG_ACC_* bits */
};

static int parse_num(const char **p, long *out) {
  if (**p == '*') {
    (*p)++;
    *out = ANY;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long v = strtoul(*p, &end, 10);
  if (end == *p || errno || v > UINT32_MAX) return -1;
  *p = end;
  *out = (long)v;
  return 0;
}

/* one line of v1 syntax: "a", or "c|b MAJ:MIN ACCESS" */
static int parse_rule(const char *line, struct rule *r) {
  const char *p = line;
  r->major = r->minor = ANY;
  r->access = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  if (*p == 'a') {
    r->type = 0;
    return p[1] == 0 || p[1] == ' ' ? 0 : -1;
  }
  if (*p == 'c') r->type = BPF_DEVCG_DEV_CHAR;
  else if (*p == 'b') r->type = BPF_DEVCG_DEV_BLOCK;
  else return -1;
  p++;
  if (*p++ != ' ') return -1;
  if (parse_num(&p, &r->major) < 0 || *p++ != ':' || parse_num(&p, &r->minor) < 0) return -1;
  if (*p == 0) return 0;
  if (*p++ != ' ') return -1;
  r->access = 0;
  for (; *p; p++) {
    if (*p == 'r') r->access |= BPF_DEVCG_ACC_READ;
    else if (*p == 'w') r->access |= BPF_DEVCG_ACC_WRITE;
    else if (*p == 'm') r->access |= BPF_DEVCG_ACC_MKNOD;
    else return -1;
  }
  return r->access ? 0 : -1;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

/* a rule's block: each failed test jumps past the block's final "return 1" */
static size_t emit_rule(struct bpf_insn *out, const struct rule *r) {
  size_t k = 0, jumps[4], nj = 0;
  if (r->type) {
    jumps[nj++] = k;
    out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0, r->type);
  }
  unsigned all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  if ((r->access & all) != all) {
    /* refused when the request asks for anything the rule does not give */
    out[k++] = INSN(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0);
    out[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, (int32_t)(~r->access & all));
    jumps[nj++] = k;
    out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 0, 0);
  }
  if (r->major != ANY) {
    jumps[nj++] = k;
    out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, (int32_t)r->major);
  }
  if (r->minor != ANY) {
    jumps[nj++] = k;
    out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (int32_t)r->minor);
  }
  out[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
  out[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  for (size_t j = 0; j < nj; j++) out[jumps[j]].off = (int16_t)(k - jumps[j] - 1);
  return k;
}

int device_filter_attach(const char *dir, const char *rules, char *err, size_t errlen) {
  static struct bpf_insn prog[8 + MAX_RULES * 8];
  size_t k = 0, n = 0;
  /* r2 = type, r3 = access, r4 = major, r5 = minor */
  prog[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
  prog[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xFFFF);
  prog[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0);
  prog[k++] = INSN(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
  prog[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0);
  prog[k++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0);
  char line[128];
  for (const char *p = rules; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (len) {
      if (len >= sizeof line || ++n > MAX_RULES) {
        snprintf(err, errlen, "device rules: too many or too long");
        return -1;
      }
      memcpy(line, p, len);
      line[len] = 0;
      struct rule r;
      if (parse_rule(line, &r) < 0) {
        snprintf(err, errlen, "device rule \"%s\": expected \"a\" or \"c|b MAJOR:MINOR [rwm]\"", line);
        return -1;
      }
      k += emit_rule(prog + k, &r);
    }
    p += len + (nl ? 1 : 0);
  }
  prog[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
  prog[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

  union bpf_attr load;
  memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (uint64_t)(uintptr_t)prog;
  load.insn_cnt = (uint32_t)k;
  load.license = (uint64_t)(uintptr_t) "Apache";
  int prog_fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
  if (prog_fd < 0) {
    snprintf(err, errlen, "loading the device filter: %s", strerror(errno));
    return -1;
  }
  int cg = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (cg < 0) {
    snprintf(err, errlen, "opening %s: %s", dir, strerror(errno));
    close(prog_fd);
    return -1;
  }
  union bpf_attr attach;
  memset(&attach, 0, sizeof attach);
  attach.target_fd = (uint32_t)cg;
  attach.attach_bpf_fd = (uint32_t)prog_fd;
  attach.attach_type = BPF_CGROUP_DEVICE;
  /* with several programs on the path each must allow: a parent's filter still holds */
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  int rc = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach);
  if (rc < 0) snprintf(err, errlen, "attaching the device filter to %s: %s", dir, strerror(errno));
  close(cg);
  close(prog_fd);
  return rc < 0 ? -1 : 0;
}
