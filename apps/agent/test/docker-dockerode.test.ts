import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { collect, uniqueNames, useDockerodeAgent } from './dockerode-agent.js';

// dockerode (the Docker client most Node tools build on) as a real peer of the Docker API

let image: string;
let docker: Docker;
const u = uniqueNames();

useDockerodeAgent((ctx) => ({ image, docker } = ctx));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** a non-TTY log or attach stream's stdout and stderr, demultiplexed */
function demux(s: Readable): { stdout: Promise<string>; stderr: Promise<string> } {
  const out = new PassThrough();
  const err = new PassThrough();
  docker.modem.demuxStream(s, out, err);
  s.on('end', () => {
    out.end();
    err.end();
  });
  return { stdout: collect(out), stderr: collect(err) };
}

/** a Buffer of multiplexed frames (logs without follow), demultiplexed */
function demuxBuffer(b: Buffer): { stdout: string; stderr: string } {
  const r = { stdout: '', stderr: '' };
  for (let i = 0; i + 8 <= b.length; ) {
    const len = b.readUInt32BE(i + 4);
    r[b[i] === 2 ? 'stderr' : 'stdout'] += b.subarray(i + 8, i + 8 + len).toString();
    i += 8 + len;
  }
  return r;
}

/** the events in [since, now] about one container, as dockerode reads them */
async function eventsOf(
  since: number,
  filters: Record<string, string[]>,
): Promise<{ Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } }[]> {
  const stream = (await docker.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters })) as unknown as Readable;
  return (await collect(stream))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('dockerode', () => {
  it('run: attach (a plain POST, no upgrade), start, wait — output and exit code', async () => {
    const out = new PassThrough();
    const text = collect(out);
    const [result, container] = (await docker.run(image, ['sh', '-c', 'echo hello from run; exit 3'], out, { name: u('run') })) as [
      { StatusCode: number },
      Docker.Container,
    ];
    expect(result.StatusCode).toBe(3);
    expect(await text).toContain('hello from run');
    await container.remove();

    // without a TTY, into two streams (demultiplexed)
    const o = new PassThrough();
    const e = new PassThrough();
    const [oText, eText] = [collect(o), collect(e)];
    const [r2, c2] = (await docker.run(image, ['sh', '-c', 'echo to-out; echo to-err >&2'], [o, e], { Tty: false, name: u('run2') })) as [
      { StatusCode: number },
      Docker.Container,
    ];
    expect(r2.StatusCode).toBe(0);
    expect(await oText).toBe('to-out\n');
    expect(await eText).toBe('to-err\n');
    await c2.remove();
  });

  it('attach to a running container, without and with hijack (stdin)', async () => {
    const c = await docker.createContainer({
      Image: image,
      name: u('attach'),
      Cmd: ['sh', '-c', 'while read l; do echo "got $l"; done; echo bye'],
      OpenStdin: true,
      StdinOnce: false,
      Tty: false,
    });
    await c.start();
    const watching = (await c.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
    const watched = demux(watching).stdout;
    const typing = (await c.attach({ stream: true, hijack: true, stdin: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadWriteStream & Readable;
    const typed = demux(typing).stdout;
    typing.write('one\n');
    typing.write('two\n');
    typing.end();
    await c.wait();
    expect(await typed).toBe('got one\ngot two\nbye\n');
    expect(await watched).toBe('got one\ngot two\nbye\n');
    await c.remove();
  });

  it('logs: all lines (tail -1, all, none given), the last n, follow', async () => {
    const c = await docker.createContainer({
      Image: image,
      name: u('logs'),
      Cmd: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2; sleep 300'],
    });
    await c.start();
    const all = 'line1\nline2\nline3\nline4\nline5\n';
    for (let i = 0; i < 50 && !demuxBuffer((await c.logs({ stdout: true, stderr: true })) as unknown as Buffer).stderr; i++) await sleep(100);
    for (const tail of [-1, 'all', undefined] as const) {
      const b = (await c.logs({ stdout: true, stderr: true, ...(tail === undefined ? {} : { tail: tail as number }) })) as unknown as Buffer;
      expect(demuxBuffer(b), `tail=${tail}`).toEqual({ stdout: all, stderr: 'oops\n' });
    }
    expect(demuxBuffer((await c.logs({ stdout: true, tail: 2 })) as unknown as Buffer).stdout).toBe('line4\nline5\n');
    const follow = (await c.logs({ stdout: true, follow: true, tail: -1 })) as unknown as Readable;
    const followed = demux(follow).stdout;
    await c.kill();
    expect(await followed).toBe(all);
    await c.remove();
  });

  it('resize sets the TTY size the container sees', async () => {
    const c = await docker.createContainer({ Image: image, name: u('resize'), Tty: true, Cmd: ['sh', '-c', 'while :; do stty size; sleep 0.2; done'] });
    await c.start();
    await c.resize({ h: 33, w: 101 });
    let seen = '';
    for (let i = 0; i < 50 && !seen.includes('33 101'); i++) {
      seen = ((await c.logs({ stdout: true })) as unknown as Buffer).toString();
      await sleep(100);
    }
    expect(seen).toContain('33 101');
    await c.remove({ force: true });
  });

  it('events: stop is kill, die, stop; restart adds start, restart; FinishedAt is kept while running again', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const name = u('events');
    // a stop signal it obeys: kill 15, die, stop (one it ignores: kill 15, kill 9, die, stop)
    const c = await docker.createContainer({ Image: image, name, Cmd: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'] });
    await c.start();
    await c.stop({ t: 10 });
    const finished = ((await c.inspect()) as { State: { FinishedAt: string } }).State.FinishedAt;
    expect(finished).not.toMatch(/^0001-/);
    await c.start();
    const afterStart = (await c.inspect()) as { State: { FinishedAt: string; Running: boolean } };
    expect(afterStart.State.Running).toBe(true);
    expect(afterStart.State.FinishedAt).toBe(finished);
    await c.restart({ t: 10 });
    const exec = await c.exec({ Cmd: ['sh', '-c', 'echo hi'], AttachStdout: true });
    await collect((await exec.start({})) as unknown as Readable);
    await c.remove({ force: true });

    const actions = (await eventsOf(since, { container: [name] })).map((e) => e.Action);
    expect(actions).toEqual([
      'create',
      'start',
      'kill',
      'die',
      'stop',
      'start',
      'kill',
      'die',
      'stop',
      'start',
      'restart',
      'exec_create: sh -c echo hi',
      'exec_start: sh -c echo hi',
      'exec_die',
      'kill',
      'die',
      'destroy',
    ]);
    const kills = (await eventsOf(since, { container: [name], event: ['kill'] })).map((e) => e.Actor.Attributes.signal);
    expect(kills).toEqual(['15', '15', '9']);

    // a stop signal ignored (sleep as pid 1): the stop timeout's SIGKILL is a kill event too
    const since2 = Math.floor(Date.now() / 1000) - 1;
    const deaf = await docker.createContainer({ Image: image, name: u('deaf'), Cmd: ['sleep', '300'] });
    await deaf.start();
    await deaf.stop({ t: 1 });
    await deaf.remove();
    expect(
      (await eventsOf(since2, { container: [u('deaf')] })).map((e) => `${e.Action}${e.Actor.Attributes.signal ? ` ${e.Actor.Attributes.signal}` : ''}`),
    ).toEqual(['create', 'start', 'kill 15', 'kill 9', 'die', 'stop', 'destroy']);
    // the exec_start filter matches the action with its command
    expect((await eventsOf(since, { container: [name], event: ['exec_start'] })).length).toBe(1);
  });

  it('events: network connect and disconnect are network events naming the container', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const net = await docker.createNetwork({ Name: u('evnet') });
    const c = await docker.createContainer({ Image: image, name: u('evnetctr'), Cmd: ['sleep', '300'] });
    await c.start();
    await net.connect({ Container: c.id });
    await net.disconnect({ Container: c.id });
    const ev = await eventsOf(since, { type: ['network'], network: [net.id] });
    expect(ev.map((e) => e.Action)).toEqual(['create', 'connect', 'disconnect']);
    for (const e of ev.slice(1))
      expect(e).toMatchObject({ Type: 'network', Actor: { ID: net.id, Attributes: { container: c.id, name: u('evnet'), type: 'bridge' } } });
    // since/until as durations (dockerd reads them server-side too, as the docker CLI does)
    const byDuration = (
      await collect(
        (await docker.getEvents({ since: '5m' as unknown as number, until: '0s' as unknown as number, filters: { network: [net.id] } })) as unknown as Readable,
      )
    )
      .trim()
      .split('\n');
    expect(byDuration.map((l) => (JSON.parse(l) as { Action: string }).Action)).toEqual(['create', 'connect', 'disconnect']);
    // and a container filter does not see them as the container's
    expect((await eventsOf(since, { container: [c.id] })).map((e) => e.Action)).toEqual(['create', 'start']);
    await c.remove({ force: true });
    await net.remove();
  });
});
