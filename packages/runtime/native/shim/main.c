#include <stdio.h>
#include <string.h>

#include "shim.h"

char *shim_argv_area = NULL;
size_t shim_argv_len = 0;

int main(int argc, char **argv) {
  /* the argv strings are contiguous; the init=1 process overwrites them to retitle itself */
  shim_argv_area = argv[0];
  shim_argv_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
  if (argc == 3 && strcmp(argv[1], "start") == 0) return shim_start(argv[2]);
  if (argc == 3 && strcmp(argv[1], "exec") == 0) return shim_exec(argv[2]);
  fprintf(stderr, "usage: skiff-shim start <container-dir> | exec <exec-conf>\n");
  return 125;
}
