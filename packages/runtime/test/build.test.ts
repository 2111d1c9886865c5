import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildEvent } from '../src/build/builder.js';
import { fixtureRegistry, stopFixtureRegistry } from '@skiff/test-fixtures';
import { runCollect, TestRuntime } from './helpers.js';

/** `build` with real containers for RUN, the busybox test image as base, a real context on disk. */
let t: TestRuntime;
let image: string;
let ctx: string;

beforeAll(async () => {
  const reg = await fixtureRegistry();
  image = `${reg.host}/skiff-test/busybox:latest`;
  t = await TestRuntime.create([reg.host]);
  ctx = await mkdtemp(join(tmpdir(), 'skiff-build-ctx-'));
  await mkdir(join(ctx, 'lib'));
  await mkdir(join(ctx, 'data'));
  await writeFile(join(ctx, 'app.txt'), 'app source\n');
  await writeFile(join(ctx, 'lib/x.txt'), 'lib x\n');
  await writeFile(join(ctx, 'data/d1'), 'data one\n');
  await writeFile(join(ctx, 'secret.txt'), 'do not ship\n');
  await writeFile(join(ctx, 'debug.log'), 'noise\n');
  await writeFile(join(ctx, '.dockerignore'), 'secret.txt\n*.log\n');
  await writeFile(
    join(ctx, 'Dockerfile'),
    [
      'ARG BASE',
      'FROM ${BASE} AS builder',
      'WORKDIR /src',
      'COPY app.txt lib/ ./',
      'RUN cat app.txt > /out.txt && echo built >> /out.txt && ls /src > /listing',
      '',
      'FROM ${BASE}',
      'ENV GREETING="hello there"',
      'COPY --from=builder /out.txt /listing /app/',
      'COPY --chown=1:2 data /data/',
      'RUN rm /bin/ls.not-there 2>/dev/null; echo $GREETING > /greeting',
      'CMD ["sh", "-c", "cat /app/out.txt /app/listing /greeting; stat -c \'%u:%g %n\' /data/d1; ls /src 2>&1 | head -1"]',
    ].join('\n'),
  );
}, 120_000);

afterAll(async () => {
  await t?.dispose();
  await rm(ctx, { recursive: true, force: true });
  await stopFixtureRegistry();
}, 60_000);

async function build(extra: Partial<Parameters<typeof t.rt.build>[0]> = {}) {
  const events: BuildEvent[] = [];
  const r = await t.rt.build({ context: ctx, buildArgs: { BASE: image }, tags: ['built:v1'], onEvent: (e) => events.push(e), ...extra });
  return {
    id: r.id,
    events,
    cached: events.filter((e) => e.type === 'cached').length,
    output: events
      .filter((e) => e.type === 'output')
      .map((e) => (e as { data: string }).data)
      .join(''),
  };
}

describe('build', () => {
  it('builds a multi-stage Dockerfile: COPY with .dockerignore and --chown, COPY --from, RUN in a real container', async () => {
    const first = await build();
    expect(first.cached).toBe(0);
    expect(first.events.filter((e) => e.type === 'step').map((e) => (e as { text: string }).text)[0]).toMatch(/^Step 1\/\d+ : FROM \$\{BASE\} AS builder$/);
    const run = await runCollect(t.rt, { image: 'built:v1', autoRemove: true });
    expect(run.stdout).toContain('app source\nbuilt\napp.txt\nx.txt\nhello there\n1:2 /data/d1\n');
    // the final image has only the last stage: no /src from the builder stage
    expect(run.stdout).toMatch(/\/src: No such file or directory\n$/);
    const img = await t.rt.images.inspect('built:v1');
    expect(img.config.Env).toContain('GREETING=hello there');
    expect(img.config.Cmd?.[0]).toBe('sh');
    const history = await t.rt.images.history('built:v1');
    expect(history.map((h) => h.createdBy).slice(0, 4)).toEqual([
      expect.stringMatching(/^CMD \["sh","-c",/),
      expect.stringMatching(/^RUN \/bin\/sh -c rm \/bin\/ls.not-there/),
      'COPY --chown=1:2 data /data/',
      'COPY --from=builder /out.txt /listing /app/',
    ]);
  });

  it('rebuilds from the cache, and a changed file rebuilds only its step and the ones after', async () => {
    const first = await t.rt.images.inspect('built:v1');
    const again = await build();
    expect(again.id).toBe(first.id);
    expect(again.cached).toBe(8); // every step but FROM and ARG
    expect(again.output).toBe(''); // no RUN ran
    await writeFile(join(ctx, 'data/d1'), 'data one, changed\n');
    const changed = await build();
    expect(changed.id).not.toBe(first.id);
    expect(changed.cached).toBe(5); // the builder stage (3), ENV and COPY --from
    expect((await runCollect(t.rt, { image: changed.id, cmd: ['cat', '/data/d1'], autoRemove: true })).stdout).toBe('data one, changed\n');
    // touching a file without changing it keeps the cache
    await writeFile(join(ctx, 'data/d1'), 'data one, changed\n');
    expect((await build()).cached).toBe(8);
    expect((await build({ noCache: true })).cached).toBe(0);
  }, 120_000);

  it('builds a --target stage and passes build args to RUN', async () => {
    const r = await build({ target: 'builder', tags: ['built:builder'] });
    const run = await runCollect(t.rt, { image: r.id, cmd: ['cat', '/out.txt'], autoRemove: true });
    expect(run.stdout).toBe('app source\nbuilt\n');
  });

  it("runs RUN --network=host only in a build granted the host network (the Dockerfile is the image author's)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-build-net-'));
    try {
      // the attack: a Dockerfile from an untrusted repository lists the host's interfaces
      await writeFile(join(dir, 'Dockerfile'), `FROM ${image}\nRUN --network=host ip -o link > /links\n`);
      await expect(t.rt.build({ context: dir, noCache: true })).rejects.toThrow(/RUN --network=host needs a build with --network host/);
      const granted = await t.rt.build({ context: dir, noCache: true, network: 'host' });
      const run = await runCollect(t.rt, { image: granted.id, cmd: ['cat', '/links'], autoRemove: true });
      expect(run.stdout).toMatch(/\d+: \w/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses sources outside the context, through symlinks too, and reports a failing RUN with its code', async () => {
    const evil = await mkdtemp(join(tmpdir(), 'skiff-build-evil-'));
    try {
      await symlink('/etc/passwd', join(evil, 'passwd-link'));
      await symlink('../../../../../../etc', join(evil, 'etc-link'));
      await writeFile(join(evil, 'Dockerfile'), `FROM ${image}\nCOPY passwd-link /stolen\n`);
      await expect(t.rt.build({ context: evil })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await writeFile(join(evil, 'Dockerfile'), `FROM ${image}\nCOPY etc-link/shadow /stolen\n`);
      await expect(t.rt.build({ context: evil })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await writeFile(join(evil, 'Dockerfile'), `FROM ${image}\nCOPY ../../etc/passwd /stolen\n`);
      await expect(t.rt.build({ context: evil })).rejects.toThrow(/outside the build context/);
      await writeFile(join(evil, 'Dockerfile'), `FROM ${image}\nRUN echo failing; exit 3\n`);
      await expect(t.rt.build({ context: evil })).rejects.toThrow(/Dockerfile:2: The command '\/bin\/sh -c echo failing; exit 3' returned a non-zero code: 3/);
      await writeFile(join(evil, 'Dockerfile'), `FROM ${image}\nRUNN true\n`);
      await expect(t.rt.build({ context: evil })).rejects.toThrow(/Dockerfile:2: unknown instruction: RUNN/);
      // nothing was left running or half-made
      expect((await t.rt.containers.list({ all: true })).length).toBe(0);
    } finally {
      await rm(evil, { recursive: true, force: true });
    }
  });
});
