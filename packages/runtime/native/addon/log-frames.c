/* The log follower's hot loop: json-file lines straight into Docker frames, without turning
 * every line into a JavaScript string first (that, and the garbage it made, held a follow
 * to ~100 MB/s). Plain text with only the final "\n" escaped is one memcpy. */
#include "log-frames.h"

#include <string.h>

static const char PREFIX[] = "{\"log\":\"";          /* 8 */
static const char STREAM_KEY[] = "\",\"stream\":\""; /* 12 */
static const char TIME_KEY[] = "\",\"time\":\"";     /* 10 */
#define PREFIX_LEN 8
#define STREAM_KEY_LEN 12
#define TIME_KEY_LEN 10
#define STREAM_LEN 6 /* "stdout" / "stderr" */

static int digits(const uint8_t *p, int n, int *v) {
  int x = 0;
  for (int i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return 0;
    x = x * 10 + (p[i] - '0');
  }
  *v = x;
  return 1;
}

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil) */
static long days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* RFC 3339 (what the shim writes: 2006-01-02T15:04:05.999999999Z) to unix seconds; 0 if it is none */
static int parse_time(const uint8_t *p, size_t n, double *out) {
  int y, mo, d, h, mi, s;
  if (n < 20 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't') || p[13] != ':' || p[16] != ':') return 0;
  if (!digits(p, 4, &y) || !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d) || !digits(p + 11, 2, &h) || !digits(p + 14, 2, &mi) || !digits(p + 17, 2, &s))
    return 0;
  size_t i = 19;
  double frac = 0, scale = 0.1;
  if (i < n && p[i] == '.') {
    for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, scale /= 10) frac += (p[i] - '0') * scale;
  }
  long offset = 0;
  if (i < n && (p[i] == 'Z' || p[i] == 'z')) i++;
  else if (i + 6 == n && (p[i] == '+' || p[i] == '-') && p[i + 3] == ':') {
    int oh, om;
    if (!digits(p + i + 1, 2, &oh) || !digits(p + i + 4, 2, &om)) return 0;
    offset = (p[i] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    i += 6;
  } else return 0;
  if (i != n) return 0;
  *out = (double)(days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L + s - offset) + frac;
  return 1;
}

static int hex4(const uint8_t *p, unsigned *v) {
  unsigned x = 0;
  for (int i = 0; i < 4; i++) {
    uint8_t c = p[i];
    x <<= 4;
    if (c >= '0' && c <= '9') x |= c - '0';
    else if (c >= 'a' && c <= 'f') x |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') x |= c - 'A' + 10;
    else return 0;
  }
  *v = x;
  return 1;
}

static size_t put_utf8(uint8_t *out, unsigned cp) {
  if (cp < 0x80) return out[0] = (uint8_t)cp, 1;
  if (cp < 0x800) return out[0] = 0xc0 | (cp >> 6), out[1] = 0x80 | (cp & 0x3f), 2;
  if (cp < 0x10000) return out[0] = 0xe0 | (cp >> 12), out[1] = 0x80 | ((cp >> 6) & 0x3f), out[2] = 0x80 | (cp & 0x3f), 3;
  out[0] = 0xf0 | (cp >> 18), out[1] = 0x80 | ((cp >> 12) & 0x3f), out[2] = 0x80 | ((cp >> 6) & 0x3f), out[3] = 0x80 | (cp & 0x3f);
  return 4;
}

/* JSON string contents p[0..n) decoded into out; -1 if it is not a valid JSON string body.
 * A lone surrogate becomes U+FFFD, as it does once JSON.parse's string is written as UTF-8. */
static long unescape(const uint8_t *p, size_t n, uint8_t *out) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    const uint8_t *bs = memchr(p + i, '\\', n - i);
    size_t plain = bs ? (size_t)(bs - (p + i)) : n - i;
    /* an unescaped quote would have ended the string */
    if (memchr(p + i, '"', plain)) return -1;
    memcpy(out + o, p + i, plain);
    o += plain;
    i += plain;
    if (i == n) break;
    if (i + 1 >= n) return -1;
    uint8_t e = p[i + 1];
    i += 2;
    switch (e) {
      case '"': out[o++] = '"'; break;
      case '\\': out[o++] = '\\'; break;
      case '/': out[o++] = '/'; break;
      case 'b': out[o++] = '\b'; break;
      case 'f': out[o++] = '\f'; break;
      case 'n': out[o++] = '\n'; break;
      case 'r': out[o++] = '\r'; break;
      case 't': out[o++] = '\t'; break;
      case 'u': {
        unsigned cp, lo;
        if (i + 4 > n || !hex4(p + i, &cp)) return -1;
        i += 4;
        if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= n && p[i] == '\\' && p[i + 1] == 'u' && hex4(p + i + 2, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          i += 6;
        } else if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
        o += put_utf8(out + o, cp);
        break;
      }
      default: return -1;
    }
  }
  return (long)o;
}

size_t log_frames(const struct log_frames_opts *o, const uint8_t *in, size_t in_len, uint8_t *out) {
  size_t w = 0;
  uint8_t *header = NULL; /* the open frame's header */
  int frame_stream = 0;
  /* lines read together share a timestamp: parse each one once */
  const uint8_t *last_time = NULL;
  size_t last_time_len = 0;
  int last_in_range = 1;
  const int times = o->has_since || o->has_until;

  for (size_t pos = 0; pos < in_len;) {
    const uint8_t *nl = memchr(in + pos, '\n', in_len - pos);
    size_t end = nl ? (size_t)(nl - in) : in_len;
    const uint8_t *line = in + pos;
    size_t len = end - pos;
    pos = end + 1;

    if (len < PREFIX_LEN + STREAM_KEY_LEN + STREAM_LEN + TIME_KEY_LEN + 2) continue;
    if (memcmp(line, PREFIX, PREFIX_LEN) != 0 || line[len - 1] != '}' || line[len - 2] != '"') continue;
    /* the time holds no quote: the last quote before the closing one ends TIME_KEY */
    size_t q = len - 3;
    while (q > 0 && line[q] != '"') q--;
    if (q + 1 < TIME_KEY_LEN || memcmp(line + q + 1 - TIME_KEY_LEN, TIME_KEY, TIME_KEY_LEN) != 0) continue;
    size_t t = q + 1 - TIME_KEY_LEN; /* where TIME_KEY starts */
    if (t < PREFIX_LEN + STREAM_KEY_LEN + STREAM_LEN) continue;
    size_t s = t - STREAM_LEN - STREAM_KEY_LEN; /* where STREAM_KEY starts */
    if (memcmp(line + s, STREAM_KEY, STREAM_KEY_LEN) != 0) continue;
    const uint8_t *sv = line + s + STREAM_KEY_LEN;
    int stream = memcmp(sv, "stdout", STREAM_LEN) == 0 ? 1 : memcmp(sv, "stderr", STREAM_LEN) == 0 ? 2 : 0;
    if (!stream || (stream == 1 && !o->want_stdout) || (stream == 2 && !o->want_stderr)) continue;
    const uint8_t *time = line + q + 1;
    size_t time_len = len - 2 - (q + 1);
    if (times) {
      if (time_len != last_time_len || !last_time || memcmp(time, last_time, time_len) != 0) {
        double at;
        /* a time that does not parse is kept, as Date.parse's NaN is in the JS reader */
        last_in_range = !parse_time(time, time_len, &at) || !((o->has_since && at < o->since) || (o->has_until && at > o->until));
        last_time = time;
        last_time_len = time_len;
      }
      if (!last_in_range) continue;
    }

    size_t start = w;
    if (!o->raw && (!header || frame_stream != stream)) {
      header = out + w;
      frame_stream = stream;
      w += 8;
    }
    if (o->timestamps) {
      memcpy(out + w, time, time_len);
      w += time_len;
      out[w++] = ' ';
    }
    const uint8_t *text = line + PREFIX_LEN;
    size_t text_len = s - PREFIX_LEN;
    /* the common line: no escape but the final \n */
    if (text_len >= 2 && text[text_len - 2] == '\\' && text[text_len - 1] == 'n' && !memchr(text, '\\', text_len - 2) && !memchr(text, '"', text_len - 2)) {
      memcpy(out + w, text, text_len - 2);
      w += text_len - 2;
      out[w++] = '\n';
    } else {
      long n = unescape(text, text_len, out + w);
      if (n < 0) {
        /* not a log entry after all: drop what was written for it */
        if (header == out + start) header = NULL;
        w = start;
        continue;
      }
      w += (size_t)n;
    }
    if (header) {
      size_t payload = (size_t)(out + w - header) - 8;
      header[0] = (uint8_t)stream, header[1] = header[2] = header[3] = 0;
      header[4] = (uint8_t)(payload >> 24), header[5] = (uint8_t)(payload >> 16), header[6] = (uint8_t)(payload >> 8), header[7] = (uint8_t)payload;
    }
  }
  return w;
}
