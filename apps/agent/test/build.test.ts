import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentHarness } from './agent-harness.js';
import { useAgent } from './use-agent.js';

let agent: AgentHarness;
let image: string;
let registry: string;
let dir: string;

function write(root: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  return root;
}

function context(files: Record<string, string>): string {
  return write(mkdtempSync(join(dir, 'ctx-')), files);
}

async function tarOf(entries: { name: string; content?: string; type?: 'file' | 'symlink'; linkname?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: 0o644 }, e.content ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function events(text: string): { type: string; [k: string]: unknown }[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

useAgent({ pull: true }, (ctx) => ({ agent, registry, image } = ctx));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-build-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('skiff build through the agent', () => {
  it('builds a context directory with .dockerignore, prints Docker-like steps, and a rebuild uses the cache', () => {
    const ctx = context({
      Dockerfile: `FROM ${image}\nARG GREETING=hi\nCOPY . /ctx/\nRUN echo "$GREETING from run" > /greeting && echo run-$((40+2))-output\nCMD cat /greeting\n`,
      'app/main.txt': 'main\n',
      'secret.key': 'do not send\n',
      'logs/debug.log': 'noise\n',
      '.dockerignore': 'secret.key\nlogs\n',
    });
    const first = agent.cli(['build', '-t', 'built:one', '--build-arg', 'GREETING=hello', ctx]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Step 1\/5 : FROM /);
    expect(first.stdout).toContain('Step 4/5 : RUN echo "$GREETING from run"');
    expect(first.stdout).toContain('run-42-output\n');
    expect(first.stdout).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged built:one\n$/);
    expect(agent.cli(['run', '--rm', 'built:one'])).toMatchObject({ code: 0, stdout: 'hello from run\n' });
    // ignored files are neither sent nor copied (the Dockerfile and .dockerignore are not ignored here, so COPY . takes them, as in Docker)
    const listing = agent.cli(['run', '--rm', 'built:one', 'find', '/ctx', '-type', 'f']).stdout.split('\n').filter(Boolean).sort();
    expect(listing).toEqual(['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/app/main.txt']);

    const again = agent.cli(['build', '-t', 'built:two', '--build-arg', 'GREETING=hello', ctx]);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/ ---> Using cache/g)).toHaveLength(3); // COPY, RUN, CMD (ARG changes no image)
    expect(again.stdout).not.toContain('run-42-output');
    expect(agent.cli(['inspect', '-f', '{{.Id}}', 'built:two']).stdout).toBe(agent.cli(['inspect', '-f', '{{.Id}}', 'built:one']).stdout);

    // history shows the steps, newest first
    const history = agent.cli(['history', '--no-trunc', 'built:one']);
    expect(history.code).toBe(0);
    const lines = history.stdout.split('\n');
    expect(lines[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
    expect(lines[1]).toMatch(/^sha256:[0-9a-f]{64}\s.*CMD \["\/bin\/sh","-c","cat \/greeting"\]/);
    expect(history.stdout).toContain('RUN |1 GREETING=hello /bin/sh -c echo "$GREETING from run"');
    expect(agent.cli(['history', '-q', 'built:one']).stdout.split('\n')[0]).toMatch(/^[0-9a-f]{12}$/);
  });

  it('-f from outside the context, --target, -q, and a bare Dockerfile on stdin', () => {
    const ctx = context({ 'data.txt': 'payload\n' });
    const df = join(dir, `outside-${randomBytes(3).toString('hex')}.Dockerfile`);
    writeFileSync(df, `FROM ${image} AS base\nCOPY data.txt /data.txt\nFROM base AS final\nRUN false\n`);
    const quiet = agent.cli(['build', '-q', '-f', df, '--target', 'base', '-t', 'built:base', ctx]);
    expect(quiet).toMatchObject({ code: 0, stderr: '' });
    expect(quiet.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(agent.cli(['run', '--rm', 'built:base', 'cat', '/data.txt']).stdout).toBe('payload\n');

    const viaStdin = agent.cli(['build', '-t', 'built:stdin', '-'], { input: `FROM ${image}\nENV FROM_STDIN=yes\nCMD echo $FROM_STDIN\n` });
    expect(viaStdin.code).toBe(0);
    expect(agent.cli(['run', '--rm', 'built:stdin']).stdout).toBe('yes\n');
    // the Dockerfile itself through -f - with a context directory
    const dfStdin = agent.cli(['build', '-q', '-f', '-', ctx], { input: `FROM ${image}\nCOPY data.txt /d\n` });
    expect(dfStdin.code).toBe(0);
  });

  it('a failing step exits 1 with the build error; bad flags and contexts are refused before anything runs', () => {
    const ctx = context({ Dockerfile: `FROM ${image}\nRUN echo about-to-fail && exit 3\n` });
    const failed = agent.cli(['build', '-t', 'built:never', ctx]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('about-to-fail');
    expect(failed.stderr).toMatch(/The command '\/bin\/sh -c echo about-to-fail && exit 3' returned a non-zero code: 3/);
    expect(agent.cli(['inspect', 'built:never']).code).not.toBe(0);
    // no build container is left behind
    expect(agent.cli(['ps', '-aq']).stdout).toBe('');

    expect(agent.cli(['build', join(dir, 'no-such-dir')]).stderr).toMatch(/path ".*no-such-dir" not found/);
    const noDockerfile = agent.cli(['build', context({ 'x.txt': 'x' })]);
    expect(noDockerfile.code).toBe(1);
    expect(noDockerfile.stderr).toMatch(/failed to read dockerfile/);
    const parseError = agent.cli(['build', context({ Dockerfile: 'FROM\n' })]);
    expect(parseError.stderr).toMatch(/Dockerfile:1/);
  });

  it('HTTP /api/build: roles, parameter errors, hostile archives, and cancellation when the client goes away', async () => {
    const viewer = agent.token('read');
    const operator = agent.token('operate');
    const post = (query: string, body: Buffer | string, token?: string, signal?: AbortSignal) =>
      fetch(`${agent.url}/api/build${query}`, {
        method: 'POST',
        body: typeof body === 'string' ? body : new Uint8Array(body),
        signal,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const dockerfile = `FROM ${image}\nCMD ["true"]\n`;

    expect((await post('', dockerfile)).status).toBe(401);
    expect((await post('', dockerfile, viewer)).status).toBe(403);
    const badArgs = await post('?buildargs=%7Bnot-json', dockerfile, operator);
    expect(badArgs.status).toBe(400);
    expect((await badArgs.json()).message).toMatch(/buildargs must be a JSON object/);
    expect((await post('?networkmode=sideways', dockerfile, operator)).status).toBe(400);

    const ok = await post('?t=api:built&t=api:also', dockerfile, operator);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-ndjson');
    const evs = events(await ok.text());
    expect(evs.at(0)).toEqual({ type: 'step', text: `Step 1/2 : FROM ${image}` });
    expect(evs.filter((e) => e.type === 'tagged').map((e) => e.ref)).toEqual(['api:built', 'api:also']);
    expect(evs.some((e) => e.type === 'built')).toBe(true);

    // a tar that climbs out of the context, and one that writes through its own symlink
    const outside = join(dir, `escaped-${randomBytes(3).toString('hex')}`);
    for (const entries of [
      [
        { name: 'Dockerfile', content: dockerfile },
        { name: `../../../../../../..${outside}`, content: 'pwned' },
      ],
      [
        { name: 'Dockerfile', content: dockerfile },
        { name: 'link', type: 'symlink' as const, linkname: dir },
        { name: `link/${outside.split('/').pop()}`, content: 'pwned' },
      ],
    ]) {
      const r = await post('', await tarOf(entries), operator);
      expect(r.status).toBe(200);
      const last = events(await r.text()).at(-1)!;
      expect(last.type).toBe('error');
      expect(last.message).toMatch(/^the build context archive is invalid: entry .*(tar-slip|symlink escape)/);
      expect(existsSync(outside)).toBe(false);
    }
    // symlinks inside a context cannot make COPY read the host
    const sneaky = await post(
      '',
      await tarOf([
        { name: 'Dockerfile', content: `FROM ${image}\nCOPY hostpasswd /p\n` },
        { name: 'hostpasswd', type: 'symlink', linkname: '/etc/passwd' },
      ]),
      operator,
    );
    const sneakyEvents = events(await sneaky.text());
    if (sneakyEvents.at(-1)!.type === 'built') {
      // a symlink is copied as a symlink, never as the host file it names
      const id = String(sneakyEvents.at(-1)!.id);
      expect(agent.cli(['run', '--rm', id, 'readlink', '/p']).stdout).toBe('/etc/passwd\n');
    } else expect(sneakyEvents.at(-1)!.message).toMatch(/outside|not found|no such file/);
    const garbage = await post('', Buffer.from([0, 1, 2, 3, 0, 0, 7]), operator);
    expect(events(await garbage.text()).at(-1)!.message).toMatch(/neither a tar archive .* nor a Dockerfile/);

    // the client goes away during RUN, 3 steps in: the build stops, its container and images go
    const imagesBefore = agent.cli(['images', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']).stdout;
    const ac = new AbortController();
    const slow = await post('?t=api:slow', `FROM ${image}\nLABEL step=one\nRUN echo two > /two\nRUN echo started && sleep 60\n`, operator, ac.signal);
    const reader = slow.body!.getReader();
    let seen = '';
    // the step's own output, not its `RUN echo started …` line, which comes before its container exists
    while (!/"type":"output"[^\n]*started/.test(seen)) seen += new TextDecoder().decode((await reader.read()).value);
    const containersDir = join(agent.root, 'containers');
    expect(readdirSync(containersDir)).toHaveLength(1);
    // the step's container is the builder's own: no user listing shows it
    expect(agent.cli(['ps', '-aq']).stdout.trim()).toBe('');
    ac.abort();
    const deadline = Date.now() + 20_000;
    while (readdirSync(containersDir).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(containersDir)).toEqual([]);
    expect(agent.cli(['inspect', 'api:slow']).code).not.toBe(0);
    while (agent.cli(['images', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']).stdout !== imagesBefore && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(agent.cli(['images', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']).stdout).toBe(imagesBefore);
  });

  it('push of a built image to the registry is read back by skopeo with the same digest (real peer)', () => {
    const target = `${registry}/skiff-test/built-${randomBytes(3).toString('hex')}:v1`;
    const ctx = context({ Dockerfile: `FROM ${image}\nRUN echo pushed > /pushed\n` });
    expect(agent.cli(['build', '-q', '-t', target, ctx]).code).toBe(0);
    const pushed = agent.cli(['push', target]);
    expect(pushed.stderr).toBe('');
    const digest = /v1: digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
    expect(digest).toBeDefined();
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${target}`], { encoding: 'utf8' })) as {
      Digest: string;
      Layers: string[];
    };
    expect(inspected.Digest).toBe(digest);
    // inspect is Docker-shaped: the layers as diffIDs, which the pushed config must list
    const local = JSON.parse(agent.cli(['inspect', target]).stdout)[0] as { Id: string; RootFS: { Layers: string[] } };
    const config = JSON.parse(execFileSync('skopeo', ['inspect', '--config', '--tls-verify=false', `docker://${target}`], { encoding: 'utf8' })) as {
      rootfs: { diff_ids: string[] };
    };
    expect(config.rootfs.diff_ids).toEqual(local.RootFS.Layers);
    expect(inspected.Layers).toHaveLength(local.RootFS.Layers.length);
    // a full copy verifies every blob skiff uploaded against its digest
    const out = mkdtempSync(join(dir, 'skopeo-'));
    expect(spawnSync('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${target}`, `dir:${out}`]).status).toBe(0);
  });
});
