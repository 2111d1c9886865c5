#include <stdio.h>
#include <string.h>

#include "shim.h"

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "start") == 0) return shim_start(argv[2]);
  if (argc == 3 && strcmp(argv[1], "exec") == 0) return shim_exec(argv[2]);
  fprintf(stderr, "usage: skiff-shim start <container-dir> | exec <exec-conf>\n");
  return 125;
}
