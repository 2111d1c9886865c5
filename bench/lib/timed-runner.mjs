// Runs commands for a bench from another process (e.g. inside a private mount namespace)
// and answers how long each took: one JSON argv per line in, one JSON line out.
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const argv = JSON.parse(line);
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  process.stdout.write(JSON.stringify({ ms, status: r.status, stderr: String(r.stderr ?? '').slice(0, 500) }) + '\n');
}
