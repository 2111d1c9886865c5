import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSource, type GitError, generateDeployKey, remoteHead } from '../src/index.js';
import { CaptureLogger } from './fixtures/capture-logger.js';
import { startSshd } from './fixtures/daemons.js';
import { makeRepo, type TestRepo } from './fixtures/git-repo.js';

/** Deploy keys for real: a key from generateDeployKey authorizes a fetch from Debian's sshd on a high port. */
let root: string;
let repo: TestRepo;
let sshd: Awaited<ReturnType<typeof startSshd>>;
let key: { publicKey: string; privateKey: string };
let head: string;
let url: string;
let n = 0;
const dest = () => join(root, 'out', `c-${++n}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'skiff-gitssh-'));
  repo = await makeRepo(root);
  head = await repo.commit({ Dockerfile: 'FROM scratch\n' }, 'over ssh');
  key = await generateDeployKey('skiff app demo');
  sshd = await startSshd(join(root, 'sshd'), key.publicKey);
  url = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${repo.bare}`;
});

afterAll(async () => {
  await sshd?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('deploy keys', () => {
  it('are ed25519 keys OpenSSH reads: ssh-keygen derives the same public key from the private one', async () => {
    expect(key.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=* skiff app demo$/);
    expect(key.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----\n$/);
    const file = join(root, 'k');
    await writeFile(file, key.privateKey, { mode: 0o600 });
    expect(execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim()).toBe(key.publicKey);
    const other = await generateDeployKey('');
    expect(other.privateKey).not.toBe(key.privateKey);
    await expect(generateDeployKey('two\nlines')).rejects.toThrow(TypeError);
  });
});

describe('fetchSource over ssh with a deploy key', () => {
  it('fetches with the key, learns the host key (accept-new) and then works pinned to it', async () => {
    const tmpBefore = new Set(await readdir(tmpdir()));
    const log = new CaptureLogger();
    const src = await fetchSource({ url, branch: 'main', auth: { kind: 'ssh', privateKey: key.privateKey }, dest: dest(), logger: log });
    expect(src.commit).toBe(head);
    expect(await readFile(join(src.dir, 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
    const hostKeyBody = sshd.hostPublicKey.split(' ')[1]!;
    expect(src.knownHosts).toContain(hostKeyBody);
    expect(log.text()).not.toContain(key.privateKey.split('\n')[1]!);
    // the key file lived in a private temp dir that is gone
    const leftovers = (await readdir(tmpdir())).filter((f) => f.startsWith('skiff-gitsession-') && !tmpBefore.has(f));
    expect(leftovers).toEqual([]);
    const pinned = await fetchSource({
      url,
      branch: 'main',
      auth: { kind: 'ssh', privateKey: key.privateKey, knownHosts: src.knownHosts },
      dest: dest(),
      logger: log,
    });
    expect(pinned.commit).toBe(head);
    expect(await remoteHead({ url, branch: 'main', auth: { kind: 'ssh', privateKey: key.privateKey, knownHosts: src.knownHosts } })).toBe(head);
  });

  it('refuses a host whose key differs from the pinned one, another key, and no key at all', async () => {
    const impostor = (await generateDeployKey('')).publicKey.split(' ').slice(0, 2).join(' ');
    const d = dest();
    const e = await fetchSource({
      url,
      branch: 'main',
      auth: { kind: 'ssh', privateKey: key.privateKey, knownHosts: `[127.0.0.1]:${sshd.port} ${impostor}` },
      dest: d,
      logger: new CaptureLogger(),
    }).catch((err: GitError) => err);
    expect(e).toMatchObject({ code: 'auth-failed' });
    expect((e as GitError).message).toMatch(/Host key verification failed/);
    expect(existsSync(d)).toBe(false);
    const stranger = await generateDeployKey('');
    await expect(
      fetchSource({ url, branch: 'main', auth: { kind: 'ssh', privateKey: stranger.privateKey }, dest: dest(), logger: new CaptureLogger() }),
    ).rejects.toMatchObject({ code: 'auth-failed' });
    await expect(remoteHead({ url, branch: 'main', auth: { kind: 'none' } })).rejects.toMatchObject({ code: 'auth-failed' });
    await expect(
      fetchSource({ url, branch: 'main', auth: { kind: 'ssh', privateKey: 'not a key' }, dest: dest(), logger: new CaptureLogger() }),
    ).rejects.toMatchObject({ code: 'auth-failed' });
  });
});
