import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestRuntime } from '../../runtime/test/helpers.js';
import { fetchSource } from '../src/index.js';
import { CaptureLogger } from './fixtures/capture-logger.js';
import { type Daemon, startGitDaemon } from './fixtures/daemons.js';
import { makeRepo } from './fixtures/git-repo.js';
import { filesContaining } from './fixtures/grep.js';

/**
 * A cloned repository is hostile build input: its symlinks must not make the runtime's
 * builder read host files. The repo is served by git daemon, fetched with fetchSource and
 * built with the runtime's build API, as the app service does; the "host secret" is a
 * file outside the checkout (standing in for /etc/shadow, tested too).
 */
let root: string;
let daemon: Daemon;
let t: TestRuntime;
let secretFile: string;
const SECRET = `HOSTSECRET-${randomBytes(8).toString('hex')}`;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'skiff-gitbuild-'));
  secretFile = join(root, 'host-secret');
  await writeFile(secretFile, `${SECRET}\nmore secret lines\n`, { mode: 0o600 });
  await mkdir(join(root, 'srv'));
  daemon = await startGitDaemon(join(root, 'srv'));
  t = await TestRuntime.create([]);
}, 120_000);

afterAll(async () => {
  await t?.dispose();
  await daemon?.stop();
  await rm(root, { recursive: true, force: true });
}, 60_000);

async function checkout(files: Parameters<Awaited<ReturnType<typeof makeRepo>>['commit']>[0]) {
  const name = `r${++n}.git`;
  const repo = await makeRepo(root, name);
  await repo.commit(files, 'hostile');
  return fetchSource({
    url: `git://127.0.0.1:${daemon.port}/${name}`,
    branch: 'main',
    auth: { kind: 'none' },
    dest: join(root, 'out', name),
    logger: new CaptureLogger(),
  });
}

async function buildError(context: string, dockerfile?: string): Promise<Error> {
  const e = await t.rt.build({ context, dockerfile, tags: [`leak-${n}:latest`] }).then(
    () => undefined,
    (err: Error) => err,
  );
  expect(e, 'the build should have failed').toBeInstanceOf(Error);
  return e!;
}

describe('a cloned repository as the build context', () => {
  it('cannot make the builder read a host file through a Dockerfile symlink', async () => {
    const src = await checkout({ Dockerfile: { symlink: secretFile } });
    const e = await buildError(src.contextDir);
    expect(e.message).not.toContain(SECRET);
    expect(e).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('cannot read /etc/shadow through a Dockerfile symlink or a symlinked directory', async () => {
    const shadowFirst = (await readFile('/etc/shadow', 'utf8')).split('\n')[0]!;
    const src = await checkout({ Dockerfile: { symlink: '/etc/shadow' }, etc: { symlink: '/etc' } });
    expect((await buildError(src.contextDir)).message).not.toContain(shadowFirst);
    expect((await buildError(src.contextDir, 'etc/shadow')).message).not.toContain(shadowFirst);
  });

  it('cannot COPY a host file through a symlink, alone or inside a directory', async () => {
    const src = await checkout({
      Dockerfile: 'FROM scratch\nCOPY leak /leak\n',
      'dir/link': { symlink: secretFile },
      'dir/ok.txt': 'fine\n',
      leak: { symlink: secretFile },
    });
    expect(await buildError(src.contextDir)).toMatchObject({ code: 'NOT_FOUND' });
    await writeFile(join(src.contextDir, 'Dockerfile'), 'FROM scratch\nCOPY dir /dir/\n');
    await t.rt.build({ context: src.contextDir, tags: ['copied:latest'] });
    // nothing anywhere in the runtime's store (layers, blobs, build scratch) holds the secret
    expect(filesContaining(t.root, SECRET)).toEqual([]);
  });

  it('cannot read a host file through a Dockerfile symlink in an archive either (the Docker API path)', async () => {
    const pack = tar.pack();
    pack.entry({ name: 'Dockerfile', type: 'symlink', linkname: secretFile });
    pack.finalize();
    const e = await t.rt.buildFromArchive(pack as unknown as Readable, { tags: ['api-leak:latest'] }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e).toMatchObject({ code: 'NOT_FOUND' });
    expect(e!.message).not.toContain(SECRET);
  });

  it('cannot make .dockerignore come from a host file', async () => {
    // a .dockerignore read from the host would decide what COPY sees: here it would hide app.txt
    await writeFile(join(root, 'host-ignore'), 'app.txt\n');
    const src = await checkout({
      Dockerfile: 'FROM scratch\nCOPY app.txt /app.txt\n',
      'app.txt': 'x',
      '.dockerignore': { symlink: join(root, 'host-ignore') },
    });
    await t.rt.build({ context: src.contextDir, tags: ['ignored:latest'] });
  });
});
