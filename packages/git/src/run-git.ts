import { spawn } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GitError, type GitErrorCode } from './errors.js';
import type { GitSession } from './session.js';

export interface RunOptions {
  cwd: string;
  signal: AbortSignal;
  /** a directory whose size is watched while git runs: the fetch is killed past `maxBytes` */
  watch?: { dir: string; maxBytes: number };
  /** stdout kept at most (the rest is an error: no command here prints much) */
  maxStdout?: number;
}

const STDERR_KEEP = 16 * 1024;
const WATCH_EVERY_MS = 250;

/**
 * Runs `git args` in its own process group with the session's environment only. Abort
 * (timeout or the caller) kills the whole group: git forks remote helpers, ssh and
 * index-pack, and a leftover would keep downloading.
 */
export async function runGit(session: GitSession, args: string[], opts: RunOptions): Promise<string> {
  opts.signal.throwIfAborted();
  const child = spawn('git', args, { cwd: opts.cwd, env: session.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const maxStdout = opts.maxStdout ?? 4 * 1024 * 1024;
  const out: Buffer[] = [];
  let outLen = 0;
  let err = '';
  let killedFor: GitError | undefined;
  const kill = (why: GitError) => {
    killedFor ??= why;
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch (e) {
        // ESRCH: the group is already gone, which is what we wanted
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
  };
  child.stdout.on('data', (c: Buffer) => {
    outLen += c.length;
    if (outLen > maxStdout) kill(new GitError('too-large', 'git printed more than expected'));
    else out.push(c);
  });
  child.stderr.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-STDERR_KEEP);
  });
  const onAbort = () => kill(abortError(opts.signal));
  opts.signal.addEventListener('abort', onAbort, { once: true });
  let watching = true;
  const watcher = opts.watch
    ? (async () => {
        const w = opts.watch!;
        while (watching) {
          await new Promise((r) => setTimeout(r, WATCH_EVERY_MS));
          if (watching && (await dirSize(w.dir)) > w.maxBytes) kill(new GitError('too-large', `the repository is larger than the limit (${w.maxBytes} bytes)`));
        }
      })()
    : Promise.resolve();
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    });
    if (killedFor) throw killedFor;
    if (code !== 0) throw classify(session.scrub(err), args[0] ?? 'git');
    return Buffer.concat(out).toString('utf8');
  } finally {
    watching = false;
    opts.signal.removeEventListener('abort', onAbort);
    await watcher;
  }
}

function abortError(signal: AbortSignal): GitError {
  const reason = signal.reason as { name?: string } | undefined;
  return reason?.name === 'TimeoutError'
    ? new GitError('timeout', 'the git operation took longer than its time limit')
    : new GitError('aborted', 'the git operation was cancelled');
}

/** a failed git command as a typed error with git's last words (already scrubbed of secrets) */
function classify(stderr: string, command: string): GitError {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l && !/^(remote: )?(Counting|Compressing|Receiving|Resolving|Enumerating|Total)/.test(l));
  const text = lines.slice(-4).join('; ') || `git ${command} failed`;
  const rules: [RegExp, GitErrorCode][] = [
    [
      /Authentication failed|could not read (Username|Password)|terminal prompts disabled|Permission denied|Host key verification failed|HTTP 40[13]|returned error: 40[13]/i,
      'auth-failed',
    ],
    [/transport '[^']*' not allowed|unsupported URL protocol|protocol '[^']*' is not supported/i, 'invalid-url'],
    [/not found|couldn't find remote ref|does not appear to be a git repository|no such ref|not our ref|unadvertised object|returned error: 404/i, 'not-found'],
  ];
  const code = rules.find(([re]) => re.test(text))?.[1] ?? 'git-failed';
  return new GitError(code, `git ${command}: ${text.slice(0, 1000)}`);
}

/** bytes under a directory, symlinks not followed; entries that vanish mid-walk (git's temp files) are skipped */
export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirSize(p);
    else {
      const st = await lstat(p).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      total += st?.size ?? 0;
    }
  }
  return total;
}
