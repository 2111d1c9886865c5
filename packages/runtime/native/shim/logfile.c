#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/* Docker json-file format: one {"log","stream","time"} object per line; a line longer than
 * 16 KiB is split into several entries; size-based rotation to <path>.1 ... <path>.N. */

#define MAX_LINE (16 * 1024)
#define OUT_FLUSH (256 * 1024)

struct stream_buf {
  char data[MAX_LINE];
  size_t len;
};

struct logfile {
  char path[4096];
  int fd;
  long size; /* of the current file, including what is still in `out` */
  long max_size;
  int max_files;
  struct stream_buf stdout_buf, stderr_buf;
  char ts[64]; /* one timestamp per chunk read from the container, as Docker does */
  size_t ts_len;
  char *out; /* encoded entries not yet written: one write per chunk, not per line */
  size_t outlen, outcap;
};

struct logfile *logfile_open(const char *path, long max_size, int max_files) {
  struct logfile *lf = xcalloc(1, sizeof *lf);
  snprintf(lf->path, sizeof lf->path, "%s", path);
  lf->max_size = max_size;
  lf->max_files = max_files < 1 ? 1 : max_files;
  lf->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  struct stat st;
  lf->size = lf->fd >= 0 && fstat(lf->fd, &st) == 0 ? st.st_size : 0;
  return lf;
}

static void flush_out(struct logfile *lf) {
  if (lf->outlen && lf->fd >= 0) write_all(lf->fd, lf->out, lf->outlen);
  lf->outlen = 0;
}

static void rotate(struct logfile *lf) {
  char from[4200], to[4200];
  flush_out(lf);
  if (lf->max_files <= 1) {
    if (ftruncate(lf->fd, 0) == 0) lf->size = 0;
    return;
  }
  for (int i = lf->max_files - 1; i >= 1; i--) {
    snprintf(to, sizeof to, "%s.%d", lf->path, i);
    if (i == 1) snprintf(from, sizeof from, "%s", lf->path);
    else snprintf(from, sizeof from, "%s.%d", lf->path, i - 1);
    rename(from, to);
  }
  close(lf->fd);
  lf->fd = open(lf->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  lf->size = 0;
}

/* what a byte needs in a JSON string: 0 nothing, 1 an escape, 2 a UTF-8 check */
static unsigned char byte_class[256];

static void init_byte_class(void) {
  if (byte_class['"']) return;
  for (int c = 0; c < 0x20; c++) byte_class[c] = 1;
  byte_class['"'] = byte_class['\\'] = byte_class[0x7f] = 1;
  for (int c = 0x80; c < 0x100; c++) byte_class[c] = 2;
}

/* JSON string escaping; bytes that are not valid UTF-8 become U+FFFD, as Go's encoder does.
 * Runs of plain bytes go out with one memcpy: the shim's log hot loop. */
size_t json_escape(char *out, const unsigned char *s, size_t n) {
  init_byte_class();
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t run = i;
    while (run < n && !byte_class[s[run]]) run++;
    memcpy(out + o, s + i, run - i);
    o += run - i;
    i = run;
    if (i == n) break;
    unsigned char ch = s[i];
    if (ch == '"' || ch == '\\') {
      out[o++] = '\\';
      out[o++] = (char)ch;
      i++;
      continue;
    }
    if (ch == '\n') {
      out[o++] = '\\';
      out[o++] = 'n';
      i++;
      continue;
    }
    if (ch == '\r') {
      out[o++] = '\\';
      out[o++] = 'r';
      i++;
      continue;
    }
    if (ch == '\t') {
      out[o++] = '\\';
      out[o++] = 't';
      i++;
      continue;
    }
    if (ch < 0x20 || ch == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      memcpy(out + o, "\\u00", 4);
      out[o + 4] = hex[ch >> 4];
      out[o + 5] = hex[ch & 15];
      o += 6;
      i++;
      continue;
    }
    size_t len = (ch & 0xe0) == 0xc0 ? 2 : (ch & 0xf0) == 0xe0 ? 3 : (ch & 0xf8) == 0xf0 ? 4 : 0;
    int valid = len && i + len <= n;
    for (size_t k = 1; valid && k < len; k++) valid = (s[i + k] & 0xc0) == 0x80;
    if (valid) {
      memcpy(out + o, s + i, len);
      o += len;
      i += len;
    } else {
      memcpy(out + o, "\xef\xbf\xbd", 3);
      o += 3;
      i++;
    }
  }
  return o;
}

#define PUT(lit) (memcpy(line + o, lit, sizeof lit - 1), o += sizeof lit - 1)

static void emit(struct logfile *lf, const char *stream, const char *data, size_t len) {
  if (lf->fd < 0) return;
  size_t need = len * 6 + 64 + lf->ts_len;
  if (lf->outlen + need > lf->outcap) {
    size_t cap = (lf->outlen + need) * 2;
    lf->out = xrealloc(lf->out, cap);
    lf->outcap = cap;
  }
  char *line = lf->out + lf->outlen;
  size_t o = 0;
  PUT("{\"log\":\"");
  o += json_escape(line + o, (const unsigned char *)data, len);
  PUT("\",\"stream\":\"");
  memcpy(line + o, stream, 6); /* "stdout" / "stderr" */
  o += 6;
  PUT("\",\"time\":\"");
  memcpy(line + o, lf->ts, lf->ts_len);
  o += lf->ts_len;
  PUT("\"}\n");
  if (lf->max_size > 0 && lf->size > 0 && lf->size + (long)o > lf->max_size) {
    /* the entry goes to the fresh file: write what precedes it, rotate, keep it queued */
    size_t before = lf->outlen;
    if (before && lf->fd >= 0) write_all(lf->fd, lf->out, before);
    memmove(lf->out, line, o);
    lf->outlen = 0;
    rotate(lf);
    line = lf->out;
  }
  lf->outlen += o;
  lf->size += (long)o;
  if (lf->outlen >= OUT_FLUSH) flush_out(lf);
}

static void append(struct logfile *lf, const char *stream, struct stream_buf *b, const char *data, size_t len) {
  while (len) {
    const char *nl = memchr(data, '\n', len);
    size_t take = nl ? (size_t)(nl - data) + 1 : len;
    if (!b->len && nl && take <= MAX_LINE) {
      /* a whole line with nothing held before it: encoded from where it is */
      emit(lf, stream, data, take);
      data += take;
      len -= take;
      continue;
    }
    if (take > MAX_LINE - b->len) take = MAX_LINE - b->len;
    memcpy(b->data + b->len, data, take);
    b->len += take;
    data += take;
    len -= take;
    if (b->data[b->len - 1] == '\n' || b->len == MAX_LINE) {
      emit(lf, stream, b->data, b->len);
      b->len = 0;
    }
  }
}

static void stamp(struct logfile *lf) {
  format_rfc3339nano(lf->ts, sizeof lf->ts);
  lf->ts_len = strlen(lf->ts);
}

void logfile_write(struct logfile *lf, const char *stream, const char *data, size_t len) {
  stamp(lf);
  append(lf, stream, strcmp(stream, "stderr") == 0 ? &lf->stderr_buf : &lf->stdout_buf, data, len);
  flush_out(lf);
}

void logfile_close(struct logfile *lf) {
  stamp(lf);
  if (lf->stdout_buf.len) emit(lf, "stdout", lf->stdout_buf.data, lf->stdout_buf.len);
  if (lf->stderr_buf.len) emit(lf, "stderr", lf->stderr_buf.data, lf->stderr_buf.len);
  flush_out(lf);
  if (lf->fd >= 0) close(lf->fd);
  free(lf->out);
  free(lf);
}
