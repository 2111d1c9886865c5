#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

static char *unescape(const char *s) {
  char *out = xmalloc(strlen(s) + 1), *o = out;
  for (; *s; s++) {
    if (*s == '\\' && s[1]) {
      s++;
      *o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
    } else {
      *o++ = *s;
    }
  }
  *o = 0;
  return out;
}

int conf_load(struct conf *c, const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "re");
  if (!f) {
    snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  c->entries = NULL;
  c->n = 0;
  size_t cap = 0;
  char *line = NULL;
  size_t len = 0;
  ssize_t r;
  // errno is cleared before each read: getline's -1 is also its ENOMEM (or EIO), not only EOF
  while ((errno = 0, r = getline(&line, &len, f)) >= 0) {
    if (r > 0 && line[r - 1] == '\n') line[--r] = 0;
    char *eq = strchr(line, '=');
    if (!eq) continue;
    *eq = 0;
    if (c->n == cap) {
      cap = cap ? cap * 2 : 64;
      c->entries = xrealloc(c->entries, cap * sizeof *c->entries);
    }
    c->entries[c->n].key = xstrdup(line);
    c->entries[c->n].value = unescape(eq + 1);
    c->n++;
  }
  int read_err = errno ? errno : (ferror(f) ? EIO : 0);
  free(line);
  fclose(f);
  if (read_err) {
    snprintf(err, errlen, "cannot read %s: %s", path, strerror(read_err));
    return -1;
  }
  return 0;
}

const char *conf_get(const struct conf *c, const char *key) {
  const char *v = NULL;
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->entries[i].key, key) == 0) v = c->entries[i].value;
  return v;
}

int conf_flag(const struct conf *c, const char *key) {
  const char *v = conf_get(c, key);
  return v && strcmp(v, "1") == 0;
}

long conf_long(const struct conf *c, const char *key, long dflt) {
  const char *v = conf_get(c, key);
  return v && *v ? strtol(v, NULL, 10) : dflt;
}

size_t conf_list(const struct conf *c, const char *key, const char **out, size_t max) {
  size_t k = 0;
  for (size_t i = 0; i < c->n && k < max; i++)
    if (strcmp(c->entries[i].key, key) == 0) out[k++] = c->entries[i].value;
  return k;
}

int conf_check_version(const struct conf *c, const char *path, char *err, size_t errlen) {
  long v = conf_long(c, "version", 1); /* no line: written before confs were versioned */
  if (v >= 1 && v <= SHIM_CONF_VERSION) return 0;
  snprintf(err, errlen, "%s has format version %ld, but this shim understands version %d at most: it was written by a newer release", path, v,
           SHIM_CONF_VERSION);
  return -1;
}
