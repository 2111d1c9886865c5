import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// the attacker's tool in race tests: exchanges pairs of names with renameat2(RENAME_EXCHANGE) as fast as it can
const SWAP_C = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
int main(int argc, char **argv) {
  if (argc < 3 || argc % 2 == 0) return 2;
  for (;;)
    for (int i = 1; i + 1 < argc; i += 2) renameat2(AT_FDCWD, argv[i], AT_FDCWD, argv[i + 1], RENAME_EXCHANGE);
}
`;

/** builds the static `swap` binary into `dir` (bind it read-only into the attacking container) */
export function buildSwapTool(dir: string): string {
  writeFileSync(join(dir, 'swap.c'), SWAP_C);
  execFileSync('gcc', ['-static', '-O2', '-o', join(dir, 'swap'), join(dir, 'swap.c')]);
  return join(dir, 'swap');
}
