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

struct stream_buf {
  char data[MAX_LINE];
  size_t len;
};

struct logfile {
  char path[4096];
  int fd;
  long size;
  long max_size;
  int max_files;
  struct stream_buf out, err;
};

struct logfile *logfile_open(const char *path, long max_size, int max_files) {
  struct logfile *lf = calloc(1, sizeof *lf);
  snprintf(lf->path, sizeof lf->path, "%s", path);
  lf->max_size = max_size;
  lf->max_files = max_files < 1 ? 1 : max_files;
  lf->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  struct stat st;
  lf->size = lf->fd >= 0 && fstat(lf->fd, &st) == 0 ? st.st_size : 0;
  return lf;
}

static void rotate(struct logfile *lf) {
  char from[4200], to[4200];
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

/* JSON string escaping; bytes that are not valid UTF-8 become U+FFFD, as Go's encoder does. */
static size_t json_escape(char *out, const unsigned char *s, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    unsigned char ch = s[i];
    if (ch == '"' || ch == '\\') { out[o++] = '\\'; out[o++] = (char)ch; i++; continue; }
    if (ch == '\n') { out[o++] = '\\'; out[o++] = 'n'; i++; continue; }
    if (ch == '\r') { out[o++] = '\\'; out[o++] = 'r'; i++; continue; }
    if (ch == '\t') { out[o++] = '\\'; out[o++] = 't'; i++; continue; }
    if (ch < 0x20 || ch == 0x7f) { o += (size_t)sprintf(out + o, "\\u%04x", ch); i++; continue; }
    if (ch < 0x80) { out[o++] = (char)ch; i++; continue; }
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

static void emit(struct logfile *lf, const char *stream, const char *data, size_t len) {
  if (lf->fd < 0) return;
  static char line[MAX_LINE * 6 + 256];
  char ts[64];
  format_rfc3339nano(ts, sizeof ts);
  size_t o = (size_t)snprintf(line, sizeof line, "{\"log\":\"");
  o += json_escape(line + o, (const unsigned char *)data, len);
  o += (size_t)snprintf(line + o, sizeof line - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, ts);
  if (lf->max_size > 0 && lf->size + (long)o > lf->max_size && lf->size > 0) rotate(lf);
  if (write_all(lf->fd, line, o) == 0) lf->size += (long)o;
}

void logfile_write(struct logfile *lf, const char *stream, const char *data, size_t len) {
  struct stream_buf *b = strcmp(stream, "stderr") == 0 ? &lf->err : &lf->out;
  for (size_t i = 0; i < len; i++) {
    b->data[b->len++] = data[i];
    if (data[i] == '\n' || b->len == MAX_LINE) {
      emit(lf, stream, b->data, b->len);
      b->len = 0;
    }
  }
}

void logfile_flush(struct logfile *lf) {
  if (lf->out.len) emit(lf, "stdout", lf->out.data, lf->out.len);
  if (lf->err.len) emit(lf, "stderr", lf->err.data, lf->err.len);
  lf->out.len = lf->err.len = 0;
}

void logfile_close(struct logfile *lf) {
  logfile_flush(lf);
  if (lf->fd >= 0) close(lf->fd);
  free(lf);
}
