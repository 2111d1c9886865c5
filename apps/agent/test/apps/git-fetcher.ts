import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { SourceFetcher } from '../../src/apps/ports.js';

const run = promisify(execFile);

/** A test double of @skiff/git: `git clone` of a local repository with the real git CLI. */
export const gitCliFetcher: SourceFetcher = {
  async fetchSource({ url, branch, path, dest, commit, signal }) {
    await run('git', ['clone', '--quiet', '--depth', '1', '--branch', branch, '--', url, dest], { signal });
    if (commit) await run('git', ['-C', dest, 'checkout', '--quiet', commit], { signal });
    const { stdout } = await run('git', ['-C', dest, 'log', '-1', '--format=%H%n%B'], { signal });
    const [sha = '', ...message] = stdout.split('\n');
    const contextDir = resolve(dest, path ?? '.');
    if (!contextDir.startsWith(dest)) throw new Error('path leaves the repository');
    return { commit: sha, message: message.join('\n').trim(), dir: dest, contextDir: path ? join(dest, path) : dest };
  },
};
