#ifndef SKIFF_ADDON_LOG_FRAMES_H
#define SKIFF_ADDON_LOG_FRAMES_H

#include <stddef.h>
#include <stdint.h>

/* What log_frames keeps and how it writes it. */
struct log_frames_opts {
  int want_stdout, want_stderr;
  /* every line gets "<time> " in front, as `docker logs -t` prints it */
  int timestamps;
  /* no 8-byte headers: the bytes as a TTY container wrote them */
  int raw;
  /* keep lines with since <= time <= until (unix seconds); has_* = 0 means no bound */
  int has_since, has_until;
  double since, until;
};

/*
 * Turns json-file log lines (as the shim writes them) into Docker's multiplexed stream
 * (or raw bytes): in[0..in_len) holds whole lines, every one is read. Consecutive kept lines
 * of one stream share a frame. Lines that are no log entry (a torn last line) are skipped.
 * The output is never longer than the input, so `out` needs in_len bytes. Returns the
 * number of bytes written to `out`.
 */
size_t log_frames(const struct log_frames_opts *o, const uint8_t *in, size_t in_len, uint8_t *out);

#endif
