import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '@skiff/logger';
import { resolveContextPath } from './context-path.js';
import { GitError } from './errors.js';
import { DEFAULT_LIMITS, type GitLimits, operationSignal } from './limits.js';
import { dirSize, runGit } from './run-git.js';
import { type GitAuth, GitSession } from './session.js';
import { checkBranch, checkCommit, parseGitUrl, redactUrl } from './validate.js';

export interface FetchedSource {
  /** the checked-out commit, 40 hex */
  commit: string;
  message: string;
  /** the checkout root (no .git: the history is not part of what is built) */
  dir: string;
  /** `dir` joined with the app's path, verified to be a real directory inside `dir` */
  contextDir: string;
  /** for ssh: known_hosts after the fetch (the key accept-new learned), to pin for this app */
  knownHosts?: string;
}

export interface FetchSourceOptions {
  url: string;
  branch: string;
  path?: string;
  auth: GitAuth;
  /** must not exist; created, and removed again if the fetch fails */
  dest: string;
  /** an exact commit (rollback, rebuild) instead of the branch head */
  commit?: string;
  signal?: AbortSignal;
  logger: Logger;
  limits?: Partial<GitLimits>;
}

const MAX_MESSAGE = 64 * 1024;

/**
 * One branch (or one exact commit) of a repository, shallow, into `dest`: `git init`, a
 * `--depth 1` fetch by URL (so nothing, not even the URL, is stored in a remote), a tree
 * size check, then checkout. Submodules, LFS, hooks and other transports stay off (see
 * session.ts); the secrets never reach argv or logs.
 */
export async function fetchSource(opts: FetchSourceOptions): Promise<FetchedSource> {
  const url = parseGitUrl(opts.url);
  checkBranch(opts.branch);
  if (opts.commit !== undefined) checkCommit(opts.commit);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const dest = resolve(opts.dest);
  await mkdir(dirname(dest), { recursive: true });
  await mkdir(dest).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'EEXIST' ? new GitError('dest-exists', `the checkout directory already exists: ${dest}`) : e;
  });
  const log = opts.logger.child({ op: 'git-fetch', url: redactUrl(opts.url), branch: opts.branch, commit: opts.commit });
  const signal = operationSignal(limits.timeoutMs, opts.signal);
  let session: GitSession | undefined;
  const started = Date.now();
  try {
    session = await GitSession.create(opts.auth, url);
    const s = session;
    const git = (args: string[], watch = false) =>
      runGit(s, args, { cwd: dest, signal, watch: watch ? { dir: join(dest, '.git'), maxBytes: limits.maxFetchBytes } : undefined });
    await git(['init', '--quiet', '--template=']);
    const want = opts.commit ?? `refs/heads/${opts.branch}`;
    try {
      await git(['fetch', '--quiet', '--depth=1', '--no-tags', '--no-recurse-submodules', '--no-write-commit-graph', '--', url.url, want], true);
    } catch (e) {
      // a server that refuses a want by id (no allowReachableSHA1InWant): take the branch's history and find the commit in it
      if (!(opts.commit && e instanceof GitError && e.code === 'not-found')) throw e;
      log.info('the server would not send the commit by id: fetching the branch history', { reason: e.message });
      await git(['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', '--no-write-commit-graph', '--', url.url, `refs/heads/${opts.branch}`], true);
    }
    // the watcher samples; a fetch faster than a sample is measured once it is done
    if ((await dirSize(join(dest, '.git'))) > limits.maxFetchBytes)
      throw new GitError('too-large', `the repository is larger than the limit (${limits.maxFetchBytes} bytes)`);
    const commit = (
      await git(['rev-parse', '--verify', '--quiet', `${opts.commit ?? 'FETCH_HEAD'}^{commit}`]).catch((e: unknown) => {
        throw new GitError('not-found', `the commit ${opts.commit ?? ''} is not on branch ${opts.branch}`, { cause: e });
      })
    ).trim();
    if (!/^[0-9a-f]{40}$/.test(commit) || (opts.commit && commit !== opts.commit))
      throw new GitError('git-failed', `unexpected commit id from git: ${commit.slice(0, 80)}`);
    await checkTreeSize(git, commit, limits);
    await git(['checkout', '--quiet', '--force', '--detach', commit, '--']);
    const message = (await git(['show', '--no-patch', '--format=%B', commit, '--'])).slice(0, MAX_MESSAGE).trim();
    // the history is not build input, and without .git nothing can run repo-local git config later
    await rm(join(dest, '.git'), { recursive: true, force: true });
    const contextDir = await resolveContextPath(dest, opts.path);
    const knownHosts = opts.auth.kind === 'ssh' ? await session.knownHosts() : undefined;
    log.info('fetched source', { commit, ms: Date.now() - started });
    return { commit, message, dir: dest, contextDir, ...(knownHosts ? { knownHosts } : {}) };
  } catch (e) {
    log.warn('git fetch failed', { err: e, ms: Date.now() - started });
    await rm(dest, { recursive: true, force: true });
    throw e;
  } finally {
    await session?.dispose();
  }
}

/** a tree that would unpack past the limits (a zip-bomb of compressible blobs) is refused before checkout */
async function checkTreeSize(git: (args: string[]) => Promise<string>, commit: string, limits: GitLimits): Promise<void> {
  const listing = await git(['ls-tree', '-r', '-l', '-z', '--full-tree', commit]);
  let bytes = 0;
  let files = 0;
  for (const entry of listing.split('\0')) {
    if (!entry) continue;
    files++;
    const size = Number(/^\d+ \w+ [0-9a-f]+ +(\d+|-)\t/.exec(entry)?.[1]);
    if (Number.isFinite(size)) bytes += size;
  }
  if (files > limits.maxFiles) throw new GitError('too-large', `the repository has more than ${limits.maxFiles} files`);
  if (bytes > limits.maxCheckoutBytes) throw new GitError('too-large', `the checkout would be larger than the limit (${limits.maxCheckoutBytes} bytes)`);
}
