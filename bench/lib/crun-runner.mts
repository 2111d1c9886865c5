/**
 * crun refuses hosts whose cgroup v2 mount has controllers while v1 hierarchies are in use
 * ("cgroups in hybrid mode not supported"), which is this host's layout. In a private mount
 * namespace where /sys/fs/cgroup/unified/cgroup.controllers reads empty, it runs on the v1
 * hierarchies like runc does. Only that namespace sees the change; nothing on the host is
 * modified. Commands go to a runner process living in that namespace (timed-runner.mjs),
 * so crun's timings include the same spawn overhead as every other peer's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export interface TimedRunner {
  run(argv: string[]): Promise<{ ms: number; status: number | null; stderr: string }>;
  close(): void;
}

export function crunRunner(tmpDir: string): TimedRunner {
  const empty = join(tmpDir, 'empty-cgroup-controllers');
  writeFileSync(empty, '');
  const script = join(import.meta.dirname, 'timed-runner.mjs');
  const child: ChildProcess = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      `mount --bind "$0" /sys/fs/cgroup/unified/cgroup.controllers && exec "$1" "$2"`,
      empty,
      process.execPath,
      script,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((l: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  return {
    run(argv) {
      return new Promise((resolve) => {
        waiting.push((l) => resolve(JSON.parse(l)));
        child.stdin!.write(JSON.stringify(argv) + '\n');
      });
    },
    close() {
      child.stdin!.end();
    },
  };
}
