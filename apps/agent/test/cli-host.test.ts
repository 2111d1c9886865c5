/**
 * The agent's side of the native client's protocol (daemon/cli-host.ts), spoken frame by
 * frame: what the C client relies on beyond what a whole CLI call shows (cli-native.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCliCall } from '../src/daemon/cli-host.js';

let dir: string;
let server: Server;
let path: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-cli-host-'));
  path = join(dir, 'cli.sock');
  // the call's own connections would go to this (absent) agent socket
  server = createServer((s) => serveCliCall(s, Buffer.alloc(0), join(dir, 'no-agent.sock')));
  await new Promise<void>((r) => server.listen(path, r));
});

afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const frame = (type: string, payload: Buffer | string = '') => {
  const p = Buffer.from(payload);
  const h = Buffer.alloc(5);
  h[0] = type.charCodeAt(0);
  h.writeUInt32BE(p.length, 1);
  return Buffer.concat([h, p]);
};

/** one call: hello with argv, then every frame the agent sends until it closes */
function call(argv: string[]): Promise<{ type: string; payload: Buffer }[]> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    const hello = [...argv.map((a) => frame('A', a)), frame('D', ''), frame('N', 'SKIFF_HOST=unix:///elsewhere.sock'), frame('T', Buffer.alloc(7)), frame('G')];
    s.write(Buffer.concat(hello));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => {
      let buf = Buffer.concat(chunks);
      const head = buf.indexOf('\r\n\r\n');
      expect(buf.subarray(0, head).toString()).toMatch(/^HTTP\/1\.1 101 /);
      buf = buf.subarray(head + 4);
      const frames: { type: string; payload: Buffer }[] = [];
      while (buf.length >= 5) {
        const n = buf.readUInt32BE(1);
        frames.push({ type: String.fromCharCode(buf[0]!), payload: buf.subarray(5, 5 + n) });
        buf = buf.subarray(5 + n);
      }
      resolve(frames);
    });
  });
}

describe('the agent side of the native client', () => {
  it('sends output in frames of at most 1 MiB, then the exit code', async () => {
    const name = 'x'.repeat(3 << 20);
    const frames = await call([name]);
    const err = frames.filter((f) => f.type === 'E');
    expect(err.length).toBeGreaterThan(2);
    for (const f of err) expect(f.payload.length).toBeLessThanOrEqual(1 << 20);
    expect(Buffer.concat(err.map((f) => f.payload)).toString()).toBe(`skiff: unknown command "${name}" for "skiff"\nRun 'skiff --help' for usage.\n`);
    const last = frames.at(-1)!;
    expect([last.type, last.payload.readInt32BE(0)]).toEqual(['X', 125]);
  });

  it('answers F, and nothing else, for a command the Node CLI runs', async () => {
    for (const argv of [
      ['cp', 'a', 'b'],
      ['build', '.'],
      ['image', 'save', 'x'],
      ['compose', 'up'],
    ]) {
      expect((await call(argv)).map((f) => f.type)).toEqual(['F']);
    }
  });

  it('connects the call to its own socket, whatever SKIFF_HOST the caller had', async () => {
    const frames = await call(['ps']);
    expect(Buffer.concat(frames.filter((f) => f.type === 'E').map((f) => f.payload)).toString()).toContain(
      `cannot connect to the skiff agent at unix://${join(dir, 'no-agent.sock')}`,
    );
  });
});

describe('a failing call in the agent', () => {
  it('ends that call (exit 125) or request, not the agent; only a Node internal assertion stops it', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/call-errors.mts')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toBe(
      'thrown: exit 125: skiff: internal error: a bug in a callback\n' +
        'rejected: exit 125: skiff: internal error: a rejection nobody took\n' +
        'agent still running\n' +
        'request failed: a bug in a request\n' +
        'still running after a fault outside any call\n',
    );
    // the agent's log: a JSON line for each fault, with its error and stack
    const faults = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(faults).toContainEqual(
      expect.objectContaining({ level: 'error', msg: expect.stringMatching(/^uncaught exception in GET \/trpc\/x \(contained fault #3/) }),
    );
    expect(faults).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: expect.stringMatching(/^uncaught exception in no known request \(contained fault #4/),
        err: { message: 'a bug outside any call' },
        stack: expect.stringContaining('call-errors.mts'),
      }),
    );
    expect(faults).toContainEqual(
      expect.objectContaining({
        level: 'fatal',
        msg: expect.stringMatching(/from Node itself, exiting/),
        err: expect.objectContaining({ message: 'a broken Node invariant' }),
      }),
    );
    expect(r.status).toBe(70);
  });
});
