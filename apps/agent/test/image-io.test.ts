import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIFF, type AgentHarness } from './agent-harness.js';
import { useAgent } from './use-agent.js';

let agent: AgentHarness;
let image: string;
let dir: string;

/** the CLI with binary stdin/stdout */
function skiffBin(args: string[], input?: Buffer): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(SKIFF, args, { env: agent.env, input: input ?? Buffer.alloc(0), timeout: 60_000, maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

useAgent({ pull: true }, (ctx) => ({ agent, image } = ctx));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-imgio-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('save / load / export / import through the agent', () => {
  it('save | load through stdout and stdin, and with -o / -i', () => {
    const id = agent.cli(['inspect', '-f', '{{.Id}}', image]).stdout.trim();
    const saved = skiffBin(['save', image]);
    expect(saved.code).toBe(0);
    expect(saved.stdout.length).toBeGreaterThan(100_000);
    expect(agent.cli(['rmi', image]).code).toBe(0);
    const loaded = skiffBin(['load'], saved.stdout);
    expect(loaded).toMatchObject({ code: 0, stderr: '' });
    expect(loaded.stdout.toString()).toBe(`Loaded image: ${image}\n`);
    expect(agent.cli(['inspect', '-f', '{{.Id}}', image]).stdout.trim()).toBe(id);
    expect(agent.cli(['run', '--rm', image, 'echo', 'runs']).stdout).toBe('runs\n');

    const file = join(dir, 'busybox.tar');
    expect(agent.cli(['save', '-o', file, image]).code).toBe(0);
    expect(readFileSync(file).equals(saved.stdout)).toBe(true);
    expect(agent.cli(['image', 'load', '-q', '-i', file])).toMatchObject({ code: 0, stdout: `Loaded image: ${image}\n` });
    // by id: no names in the archive, loaded as an id
    const byId = skiffBin(['save', id]);
    expect(skiffBin(['load'], byId.stdout).stdout.toString()).toBe(`Loaded image ID: ${id}\n`);
  });

  it('errors are one line with the agent message; nothing half-written', () => {
    const missing = agent.cli(['save', '-o', join(dir, 'missing.tar'), 'no/such:image']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toBe('skiff: no such image: no/such:image\n');
    expect(spawnSync('ls', [join(dir, 'missing.tar')]).status).not.toBe(0);
    const garbage = skiffBin(['load'], Buffer.from('not a tar file at all '.repeat(100)));
    expect(garbage.code).toBe(125);
    expect(garbage.stderr).toMatch(/^skiff: cannot read the image archive: it is truncated or not a tar file/);
    // a terminal on stdout is refused like docker does (script gives the CLI a pty)
    const tty = spawnSync('script', ['-qec', `${SKIFF} save ${image}`, '/dev/null'], { env: agent.env, encoding: 'utf8' });
    expect(tty.stdout).toMatch(/cowardly refusing to save to a terminal/);
  });

  it('export of a container with changes; import of it runs (skiff run --rm imported cat /thatfile)', () => {
    const run = agent.cli(['run', '--name', 'exp', image, 'sh', '-c', 'echo from-export > /thatfile && rm /etc/group']);
    expect(run.code).toBe(0);
    const file = join(dir, 'exp.tar');
    expect(agent.cli(['export', '-o', file, 'exp']).code).toBe(0);
    const list = spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.split('\n');
    expect(list).toContain('thatfile');
    expect(list).not.toContain('etc/group');
    const imp = agent.cli(['import', '-m', 'exported', '-c', 'ENV IMPORTED=yes', file, 'imported:latest']);
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(agent.cli(['run', '--rm', 'imported', 'cat', '/thatfile'])).toMatchObject({ code: 0, stdout: 'from-export\n' });
    expect(agent.cli(['run', '--rm', 'imported', 'sh', '-c', 'echo $IMPORTED; ls /etc/group'])).toMatchObject({ stdout: 'yes\n' });
    // export to stdout, import from stdin
    const streamed = skiffBin(['export', 'exp']);
    expect(streamed.code).toBe(0);
    const fromStdin = skiffBin(['import', '-', 'imported:stdin'], streamed.stdout);
    expect(fromStdin.code).toBe(0);
    expect(agent.cli(['run', '--rm', 'imported:stdin', 'cat', '/thatfile']).stdout).toBe('from-export\n');
    expect(agent.cli(['export', '-o', join(dir, 'x.tar'), 'ghost']).stderr).toMatch(/no such container: ghost/);
    agent.cli(['rm', 'exp']);
  });

  it('HTTP endpoints: roles, status codes and JSON errors', async () => {
    const viewer = agent.token('read');
    const operator = agent.token('operate');
    const get = (path: string, token?: string) => fetch(`${agent.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const post = (path: string, body: Buffer, token?: string) =>
      fetch(`${agent.url}${path}`, {
        method: 'POST',
        body: new Uint8Array(body),
        headers: { 'content-type': 'application/x-tar', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
    const q = `/api/images/get?names=${encodeURIComponent(image)}`;

    expect((await get(q)).status).toBe(401);
    const ok = await get(q, viewer);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-tar');
    const archive = Buffer.from(await ok.arrayBuffer());
    const notFound = await get('/api/images/get?names=nope:1', viewer);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ message: 'no such image: nope:1' });

    const denied = await post('/api/images/load', archive, viewer);
    expect(denied.status).toBe(403);
    expect((await denied.json()).message).toMatch(/needs the operator role/);
    const loaded = await post('/api/images/load', archive, operator);
    expect(loaded.status).toBe(200);
    expect(await loaded.json()).toEqual({ loaded: [image] });
    const bad = await post('/api/images/load', archive.subarray(0, 3000), operator);
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/truncated/);
    const badRef = await post('/api/images/import?ref=UPPER:case', archive, operator);
    expect(badRef.status).toBe(400);
    expect((await get('/api/containers/ghost/export', viewer)).status).toBe(404);
    expect((await get('/api/images/load', operator)).status).toBe(405);
  });
});
