import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { AgentHarness } from './agent-harness.js';
import { connectWs } from './ws-trpc-client.js';

/**
 * Terminal sessions (the dashboard's exec of /bin/sh with a TTY): they end with their
 * reader, after a short grace in which the same user may re-attach, and nobody else can
 * read, write, resize, end or re-attach to them by their id.
 */
const GRACE_MS = 8000;
let agent: AgentHarness;
let id: string;

beforeAll(async () => {
  const registry = (await fixtureRegistry()).host;
  agent = await AgentHarness.create([registry], { env: { SKIFF_SESSION_GRACE_MS: String(GRACE_MS) } });
  const image = `${registry}/skiff-test/busybox:latest`;
  expect(agent.cli(['pull', '-q', image]).code).toBe(0);
  expect(agent.cli(['user', 'create', '--role', 'operator', '--password', 'operator-pass-1', 'olga']).code).toBe(0);
  id = agent.cli(['run', '-d', '--name', 'sessions', image, 'sleep', '600']).stdout.trim();
}, 120_000);
afterAll(async () => {
  await agent?.dispose();
  await stopFixtureRegistry();
}, 90_000);

const connect = (token: string) => connectWs(agent.port, token);
type Client = ReturnType<typeof connect>['client'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** the container's /bin/sh processes (the terminals), as `ps` inside it lists them */
function shells(): string[] {
  const r = agent.cli(['exec', id, 'ps', '-o', 'pid,args']);
  expect(r.code).toBe(0);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === '/bin/sh' && f.length === 2)
    .map((f) => f[0]!);
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** a terminal as the dashboard opens it; `output` collects what the shell printed */
async function terminal(client: Client, reattach?: string) {
  const r = await client.containers.exec.mutate({ id, spec: { cmd: ['/bin/sh'], tty: true, stdin: true }, reattach });
  // a window size, as the dashboard sends (ash cannot tell `stty size` of a 0x0 terminal)
  await client.containers.sessionResize.mutate({ sessionId: r.sessionId, rows: 24, cols: 80 });
  return { ...r, ...read(client, r.sessionId) };
}
function read(client: Client, sessionId: string) {
  const out = { text: '', error: undefined as unknown };
  const sub = client.containers.sessionOutput.subscribe(
    { sessionId },
    { onData: (e) => e.type !== 'exit' && (out.text += Buffer.from(e.data, 'base64').toString()), onError: (e) => (out.error = e) },
  );
  return { output: out, stop: () => sub.unsubscribe() };
}
/** types a command and waits for the line it prints */
async function say(client: Client, sessionId: string, output: { text: string }, line: string, expect: RegExp): Promise<RegExpExecArray> {
  await client.containers.sessionInput.mutate({ sessionId, data: b64(`${line}\n`) });
  let m: RegExpExecArray | null = null;
  await until(`${expect} in the terminal (it shows ${JSON.stringify(output.text.slice(-300))})`, () => !!(m = expect.exec(output.text)));
  return m!;
}

describe('terminal sessions', () => {
  it('end when the dashboard leaves (sessionDetach): no /bin/sh stays in the container', async () => {
    const c = connect(agent.token('operate'));
    try {
      for (let visit = 0; visit < 3; visit++) {
        const t = await terminal(c.client);
        await say(c.client, t.sessionId, t.output, 'echo visit-$((6*7))', /visit-42/);
        expect(shells()).toHaveLength(1);
        t.stop();
        await c.client.containers.sessionDetach.mutate({ sessionId: t.sessionId });
        // at once, not after the grace
        await until('the shell to end', () => shells().length === 0, GRACE_MS - 500);
      }
    } finally {
      c.close();
    }
  }, 60_000);

  it('outlive a closed socket by the grace only, and re-attach within it to the same shell', async () => {
    const token = agent.token('operate');
    const second = connect(agent.token('operate')); // another token of the same user
    const first = connect(token);
    const t = await terminal(first.client);
    const [, pid] = await say(first.client, t.sessionId, t.output, 'echo "pid=$$"', /pid=(\d+)/);
    first.close(); // a reload: the socket goes, no detach
    await sleep(500);
    expect(shells()).toEqual([pid]);

    // the same user on a new socket (and a new token of theirs) gets the same shell back
    try {
      const again = await terminal(second.client, t.sessionId);
      expect(again).toMatchObject({ sessionId: t.sessionId, reattached: true });
      await say(second.client, again.sessionId, again.output, 'echo "again=$$"', new RegExp(`again=${pid}`));
      expect(shells()).toEqual([pid]);

      // gone for longer than the grace: the shell is killed
      second.close();
      await sleep(500);
      expect(shells()).toEqual([pid]);
      await until('the abandoned shell to be killed', () => shells().length === 0, GRACE_MS + 10_000);
    } finally {
      second.close();
    }
    // and its id no longer re-attaches: a new shell instead
    const third = connect(token);
    try {
      const fresh = await terminal(third.client, t.sessionId);
      expect(fresh.reattached).toBe(false);
      expect(fresh.sessionId).not.toBe(t.sessionId);
      await c3detach(third.client, fresh.sessionId);
    } finally {
      third.close();
    }
  }, 60_000);

  it("do not let another user read, type into, resize, end or re-attach to someone's shell", async () => {
    const owner = connect(agent.token('operate'));
    const other = connect(agent.token('operate', 'olga'));
    try {
      const t = await terminal(owner.client);
      await say(owner.client, t.sessionId, t.output, 'echo ready', /ready/);
      for (let i = 0; i < 20; i++) {
        await other.client.containers.sessionInput.mutate({ sessionId: t.sessionId, data: b64(`touch /tmp/pwned-${i}\n`) });
        await other.client.containers.sessionResize.mutate({ sessionId: t.sessionId, rows: 3, cols: 7 });
        await other.client.containers.sessionCloseStdin.mutate({ sessionId: t.sessionId });
        await other.client.containers.sessionDetach.mutate({ sessionId: t.sessionId });
        // a "re-attach" with the stolen id starts a shell of olga's own instead
        const stolen = await other.client.containers.exec.mutate({ id, spec: { cmd: ['/bin/sh'], tty: true, stdin: true }, reattach: t.sessionId });
        expect(stolen.reattached).toBe(false);
        expect(stolen.sessionId).not.toBe(t.sessionId);
        await other.client.containers.sessionDetach.mutate({ sessionId: stolen.sessionId });
        // reading it is refused as if it did not exist
        const peek = read(other.client, t.sessionId);
        await until('the refusal', () => peek.output.error !== undefined, 5000);
        expect(String(peek.output.error)).toMatch(/no such session/);
        expect(peek.output.text).toBe('');
      }
      // the owner's shell is untouched: alive, its size and stdin its own, nothing typed into it
      const [, size, pwned] = await say(owner.client, t.sessionId, t.output, 'stty size; ls /tmp | grep -c pwned', /(\d+ \d+)\r?\n(\d+)\r?\n/);
      expect(size).toBe('24 80');
      expect(pwned).toBe('0');
      // and the owner's socket closing leaves olga nothing to re-attach to in the grace
      owner.close();
      await sleep(300);
      const late = await other.client.containers.exec.mutate({ id, spec: { cmd: ['/bin/sh'], tty: true, stdin: true }, reattach: t.sessionId });
      expect(late.reattached).toBe(false);
      await other.client.containers.sessionDetach.mutate({ sessionId: late.sessionId });
    } finally {
      owner.close();
      other.close();
    }
    await until('every shell to end', () => shells().length === 0, GRACE_MS + 10_000);
  }, 120_000);

  it("top lists the container's processes only, never the shim or its host path", async () => {
    const c = connect(agent.token('operate'));
    try {
      const t = await terminal(c.client);
      await say(c.client, t.sessionId, t.output, 'echo up', /up/);
      for (const out of [agent.cli(['top', id]).stdout, JSON.stringify(await c.client.containers.top.query({ id }))]) {
        expect(out).toMatch(/\/bin\/sh/);
        expect(out).toMatch(/sleep 600/);
        expect(out).not.toMatch(/skiff-shim|\/native\/|exec-[0-9a-f]+\.conf/);
      }
      await c.client.containers.sessionDetach.mutate({ sessionId: t.sessionId });
    } finally {
      c.close();
    }
  }, 60_000);
});

async function c3detach(client: Client, sessionId: string): Promise<void> {
  await client.containers.sessionDetach.mutate({ sessionId });
}
