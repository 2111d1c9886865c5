// Compiles the native CLI client (native/client/skiff-client.c) to dist/skiff-client, which
// bin/skiff runs for every CLI call once it exists (it spares each call Node's start-up).
// Skipped when the binary is newer than its source.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const agentDir = fileURLToPath(new URL('..', import.meta.url));
const source = 'native/client/skiff-client.c';
const binary = 'dist/skiff-client';
const mtime = (path) => statSync(`${agentDir}${path}`, { bigint: true, throwIfNoEntry: false })?.mtimeNs;
const built = mtime(binary);
if (built !== undefined && built > mtime(source)) process.exit(0);

mkdirSync(`${agentDir}dist`, { recursive: true });
// compiled beside it, then renamed: a call starting meanwhile runs the old binary or the new one
const temp = `${binary}.${process.pid}.tmp`;
const cc = spawnSync('cc', ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-o', temp, source], { cwd: agentDir, stdio: 'inherit' });
if (cc.error || cc.status !== 0) {
  rmSync(`${agentDir}${temp}`, { force: true });
  const why = cc.error ? cc.error.message : cc.signal ? `killed by ${cc.signal}` : `exit code ${cc.status}`;
  console.error(`build-client: cc failed to compile apps/agent/${source} (${why})`);
  process.exit(1);
}
renameSync(`${agentDir}${temp}`, `${agentDir}${binary}`);
