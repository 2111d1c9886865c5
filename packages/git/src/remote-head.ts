import { GitError } from './errors.js';
import { operationSignal } from './limits.js';
import { runGit } from './run-git.js';
import { type GitAuth, GitSession } from './session.js';
import { checkBranch, parseGitUrl } from './validate.js';

/** The commit a remote branch points at (`git ls-remote`), for polling: no objects are fetched. */
export async function remoteHead(opts: { url: string; branch: string; auth: GitAuth; signal?: AbortSignal; timeoutMs?: number }): Promise<string> {
  const url = parseGitUrl(opts.url);
  checkBranch(opts.branch);
  const signal = operationSignal(opts.timeoutMs ?? 60_000, opts.signal);
  const session = await GitSession.create(opts.auth, url);
  try {
    const ref = `refs/heads/${opts.branch}`;
    const out = await runGit(session, ['ls-remote', '--refs', '--', url.url, ref], { cwd: session.dir, signal, maxStdout: 1024 * 1024 });
    // ls-remote matches the pattern as a path suffix: keep only the exact ref
    for (const line of out.split('\n')) {
      const [sha, name] = line.split('\t');
      if (name === ref && sha && /^[0-9a-f]{40}$/.test(sha)) return sha;
    }
    throw new GitError('not-found', `branch ${opts.branch} not found in the repository`);
  } finally {
    await session.dispose();
  }
}
