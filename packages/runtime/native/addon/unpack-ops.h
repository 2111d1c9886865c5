#ifndef SKIFF_UNPACK_OPS_H
#define SKIFF_UNPACK_OPS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A layer unpacker's filesystem work, encoded by the JS side (layer-unpack.ts) as a list of
 * ops and run here on a worker thread in order, many per call: one libuv round trip per
 * op (open, write, close, chown, chmod, utimes are each one in Node's fs) cost more than
 * the syscalls. The JS side keeps the model of what the layer has created and decides
 * every op, so nothing here follows a path the layer could have redirected.
 *
 * Op record (little-endian, 8-byte aligned): see OP_* in unpack-ops.c and encodeOp in
 * layer-unpack.ts.
 */

struct unpack_ctx {
  int fd; /* the regular file being written across ops (and calls), or -1 */
};

struct unpack_error {
  uint32_t index; /* the failing op */
  int err;        /* errno */
  char syscall[16];
};

/* Runs every op of `ops` (data offsets point into `data`); 0, or -1 with `e` set. */
int unpack_run(struct unpack_ctx *ctx, const uint8_t *ops, size_t ops_len, const uint8_t *data, size_t data_len, struct unpack_error *e);

#endif
