import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { LogChunk, LogEntry, LogsOptions } from '@skiff/runtime';
import type { AgentHarness } from './agent-harness.js';
import { useAgent } from './use-agent.js';
import { connectWs } from './ws-trpc-client.js';

let agent: AgentHarness;
let image: string;

useAgent({ pull: true }, (ctx) => ({ agent, image } = ctx));

const connect = (token: string) => connectWs(agent.port, token);

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

describe('exec streams over WebSocket', () => {
  it('streams 50 MB to a slow client without loss and without the agent buffering it', async () => {
    const { client, close } = connect(agent.token('operate'));
    try {
      const id = agent.cli(['run', '-d', image, 'sleep', '300']).stdout.trim();
      const pid = agent.daemon!.pid!;
      const baseline = rssKiB(pid);
      let peak = baseline;
      const { sessionId } = await client.containers.exec.mutate({ id, spec: { cmd: ['sh', '-c', 'head -c 52428800 /dev/zero'] } });
      let bytes = 0;
      let events = 0;
      const code = await new Promise<number>((resolve, reject) => {
        client.containers.sessionOutput.subscribe(
          { sessionId },
          {
            onData(e) {
              if (e.type === 'exit') return resolve(e.code);
              bytes += Buffer.from(e.data, 'base64').length;
              // a slow reader: block now and then, so the agent must hold back
              if (++events % 20 === 0) {
                const until = Date.now() + 15;
                while (Date.now() < until);
                peak = Math.max(peak, rssKiB(pid));
              }
            },
            onError: reject,
          },
        );
      });
      expect(code).toBe(0);
      expect(bytes).toBe(52428800);
      expect(peak - baseline).toBeLessThan(150 * 1024); // far less than the 50 MB (+ base64) that went through
      agent.cli(['rm', '-f', id]);
    } finally {
      close();
    }
  }, 120_000);

  it('a client that goes away ends its own session only', async () => {
    const a = connect(agent.token('operate'));
    const b = connect(agent.token('operate'));
    try {
      const id = agent.cli(['run', '-d', image, 'sleep', '300']).stdout.trim();
      const first = await a.client.containers.exec.mutate({ id, spec: { cmd: ['sh', '-c', 'while true; do echo a; sleep 0.1; done'] } });
      const second = await b.client.containers.exec.mutate({ id, spec: { cmd: ['sh', '-c', 'sleep 1; echo b-done'] } });
      a.client.containers.sessionOutput.subscribe({ sessionId: first.sessionId }, { onData() {} });
      const out: string[] = [];
      const done = new Promise<number>((resolve) =>
        b.client.containers.sessionOutput.subscribe(
          { sessionId: second.sessionId },
          { onData: (e) => (e.type === 'exit' ? resolve(e.code) : out.push(Buffer.from(e.data, 'base64').toString())) },
        ),
      );
      await new Promise((r) => setTimeout(r, 300));
      a.close(); // the first client disappears mid-stream
      expect(await done).toBe(0);
      expect(out.join('')).toBe('b-done\n');
      // the abandoned exec's process is gone (its pipes closed), the container runs on
      await new Promise((r) => setTimeout(r, 500));
      const top = agent.cli(['top', id]).stdout;
      expect(top).not.toMatch(/while true/);
      expect(agent.cli(['inspect', '-f', '{{.State.Status}}', id]).stdout).toBe('running\n');
      agent.cli(['rm', '-f', id]);
    } finally {
      b.close();
    }
  }, 60_000);
});

describe('log streams', () => {
  type Client = ReturnType<typeof connect>['client'];
  /** the reference: the per-line subscription, an event per entry */
  const entries = (client: Client, id: string, options: LogsOptions = {}) =>
    new Promise<LogEntry[]>((resolve, reject) => {
      const out: LogEntry[] = [];
      const sub = client.containers.logs.subscribe(
        { id, options },
        {
          onData: (e) => out.push(e),
          onError: reject,
          onComplete: () => {
            sub.unsubscribe();
            resolve(out);
          },
        },
      );
    });
  const chunks = (client: Client, id: string, options: LogsOptions = {}) =>
    new Promise<LogChunk[]>((resolve, reject) => {
      const out: LogChunk[] = [];
      const sub = client.containers.logChunks.subscribe(
        { id, options },
        {
          onData: (b) => out.push(...b),
          onError: reject,
          onComplete: () => {
            sub.unsubscribe();
            resolve(out);
          },
        },
      );
    });
  /** GET /containers/{id}/logs on the Docker API socket, demultiplexed into (stream, text) runs */
  const dockerLogs = (id: string, query: string) =>
    new Promise<[string, string][]>((resolve, reject) => {
      const req = request({ socketPath: agent.dockerSocket, path: `/v1.43/containers/${id}/logs?${query}` }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          const body = Buffer.concat(parts);
          const runs: [string, string][] = [];
          for (let i = 0; i < body.length; ) {
            const stream = body[i] === 1 ? 'stdout' : 'stderr';
            const n = body.readUInt32BE(i + 4);
            runs.push([stream, body.subarray(i + 8, i + 8 + n).toString()]);
            i += 8 + n;
          }
          resolve(merged(runs));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  /** consecutive pieces of one stream joined: how they were framed does not matter, only bytes and order */
  const merged = (runs: [string, string][]) =>
    runs.reduce<[string, string][]>((out, [s, t]) => {
      const last = out[out.length - 1];
      if (last && last[0] === s) last[1] += t;
      else if (t) out.push([s, t]);
      return out;
    }, []);
  const stamp = (es: LogEntry[]) => merged(es.map((e) => [e.stream, `${e.time} ${e.line}`]));
  const plain = (es: LogEntry[]) => merged(es.map((e) => [e.stream, e.line]));
  const text = (es: LogEntry[], stream: string, stamped = false) =>
    es
      .filter((e) => e.stream === stream)
      .map((e) => (stamped ? `${e.time} ${e.line}` : e.line))
      .join('');

  const SCRIPT =
    'i=0; while [ $i -lt 10000 ]; do echo "out $i"; [ $((i % 5)) = 0 ] && echo "err $i" >&2; i=$((i+1)); [ $((i % 2500)) = 0 ] && sleep 0.3; done; printf "no newline at the end"';

  it('the CLI, the chunk subscription and the Docker API give the bytes of the per-line stream', async () => {
    const { client, close } = connect(agent.token('read'));
    try {
      const id = agent.cli(['run', '-d', image, 'sh', '-c', SCRIPT]).stdout.trim();
      expect(agent.cli(['wait', id]).stdout.trim()).toBe('0');
      const all = await entries(client, id);
      expect(all.filter((e) => e.stream === 'stdout')).toHaveLength(10001);
      expect(all.at(-1)!.line).toBe('no newline at the end');
      const viaChunks = (await chunks(client, id)).flatMap((c) => c.text.split(/(?<=\n)/).map((line) => ({ stream: c.stream, time: c.time, line })));
      expect(viaChunks).toEqual(all);

      const cli = agent.cli(['logs', id]);
      expect([cli.stdout, cli.stderr]).toEqual([text(all, 'stdout'), text(all, 'stderr')]);
      const tail = await entries(client, id, { tail: 7 });
      const cliTail = agent.cli(['logs', '-t', '--tail', '7', id]);
      expect([cliTail.stdout, cliTail.stderr]).toEqual([text(tail, 'stdout', true), text(tail, 'stderr', true)]);

      expect(await dockerLogs(id, 'stdout=1&stderr=1')).toEqual(plain(all));
      expect(await dockerLogs(id, 'stdout=1&stderr=1&timestamps=1&tail=40')).toEqual(stamp(await entries(client, id, { tail: 40 })));
      expect(await dockerLogs(id, 'stderr=1')).toEqual(plain(await entries(client, id, { stdout: false })));
      const since = Date.parse(all[6000]!.time) / 1000;
      expect(await dockerLogs(id, `stdout=1&stderr=1&since=${since}`)).toEqual(plain(await entries(client, id, { since })));
      agent.cli(['rm', id]);
    } finally {
      close();
    }
  }, 60_000);

  it('the byte stream behind `skiff logs` refuses a missing container, bad parameters and anonymous callers', async () => {
    const missing = agent.cli(['logs', 'no-such-container']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/no such container: no-such-container/i);
    const get = async (path: string, token?: string) => {
      const r = await fetch(`${agent.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return [r.status, ((await r.json()) as { message: string }).message] as const;
    };
    expect(await get('/api/containers/x/logs')).toEqual([401, expect.stringMatching(/authentication required/)]);
    const token = agent.token('read');
    expect(await get('/api/containers/x/logs?tail=-1', token)).toEqual([400, expect.stringMatching(/invalid logs parameter tail/)]);
    expect(await get('/api/containers/x/logs?since=soon', token)).toEqual([400, expect.stringMatching(/invalid logs parameter since/)]);
    expect(await get('/api/containers/no-such-container/logs', token)).toEqual([404, expect.stringMatching(/no such container/i)]);
  });

  it('a follow from the start of a running container gives the same bytes in every form', async () => {
    const { client, close } = connect(agent.token('read'));
    try {
      const id = agent.cli(['run', '-d', image, 'sh', '-c', `sleep 0.5; ${SCRIPT}`]).stdout.trim();
      const [followed, followedChunks, docker, cli] = await Promise.all([
        entries(client, id, { follow: true }),
        chunks(client, id, { follow: true }),
        dockerLogs(id, 'stdout=1&stderr=1&follow=1&timestamps=1'),
        agent.cliAsync(['logs', '-f', id]),
      ]);
      const all = await entries(client, id);
      expect(followed).toEqual(all);
      expect(followedChunks.flatMap((c) => c.text.split(/(?<=\n)/).map((line) => ({ stream: c.stream, time: c.time, line })))).toEqual(all);
      expect(docker).toEqual(stamp(all));
      expect([cli.stdout, cli.stderr]).toEqual([text(all, 'stdout'), text(all, 'stderr')]);
      agent.cli(['rm', id]);
    } finally {
      close();
    }
  }, 60_000);
});
