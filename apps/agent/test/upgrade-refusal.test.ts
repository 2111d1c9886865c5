import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMAT } from '../../../packages/runtime/src/store/format-version.js';
import { SKIFF } from './agent-harness.js';

/** every path under `dir` with its mode, mtime and content */
function snapshot(dir: string, out: Record<string, string> = {}): Record<string, string> {
  const st = statSync(dir);
  out[dir] = `${st.mode} ${st.mtimeMs}`;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) snapshot(p, out);
    else out[p] = `${statSync(p).mode} ${statSync(p).mtimeMs} ${readFileSync(p, 'utf8')}`;
  }
  return out;
}

describe('skiff daemon on a root a newer release wrote', () => {
  it('refuses to start with the file, its version and the supported one, and changes nothing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'skiff-newer-root-'));
    const tag = randomBytes(3).toString('hex');
    try {
      const newer = FORMAT.root + 1;
      writeFileSync(join(root, 'format'), `${JSON.stringify({ version: newer, futureField: true })}\n`, { mode: 0o644 });
      mkdirSync(join(root, 'containers', 'c1'), { recursive: true, mode: 0o755 });
      writeFileSync(join(root, 'containers', 'c1', 'config.json'), '{"version":9,"id":"c1"}');
      const before = snapshot(root);
      const socket = join(root, '..', `skiff-newer-${tag}.sock`);
      const r = spawnSync(SKIFF, ['daemon', '--root', root, '--socket', socket, '--docker-socket', `${socket}.docker`, '--http', '127.0.0.1:0'], {
        env: { ...process.env, SKIFF_BRIDGE: `skt${tag}`, SKIFF_NFT_TABLE: `skiff_t${tag}`, SKIFF_CGROUP_PARENT: `skiff-test-${tag}` },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`skiff: ${join(root, 'format')} has format version ${newer}, but this Skiff understands version ${FORMAT.root} at most`);
      expect(snapshot(root)).toEqual(before);
      expect(existsSync(socket)).toBe(false);
      expect(existsSync(`/sys/class/net/skt${tag}`)).toBe(false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 90_000);
});
