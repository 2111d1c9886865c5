import { isIP } from 'node:net';
import { GitError } from './errors.js';

/**
 * The checks on what a user typed (URL, branch, commit) before any of it reaches git's
 * argv. Git has its own guards; these are the first line, so a hostile value is refused
 * with a clear message instead of being interpreted as an option or a transport.
 */

export type Transport = 'https' | 'http' | 'ssh' | 'git';

export interface ParsedUrl {
  transport: Transport;
  host: string;
  /** the URL as git gets it (unchanged; it never carries a password) */
  url: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  if (LOOPBACK.has(host.toLowerCase())) return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** host names and IP literals only: nothing that ssh or git could read as an option */
function checkHost(host: string, url: string): void {
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/.test(host))
    throw new GitError('invalid-url', `invalid host in git URL: ${redactUrl(url)}`);
}

/**
 * https://, ssh://, git:// and scp-like `user@host:path`; http:// only to a loopback host
 * (tests, a local mirror). `ext::`, `file://`, local paths and anything else are refused,
 * as are credentials in the URL (they belong in `auth`, never in a stored URL).
 */
export function parseGitUrl(url: string): ParsedUrl {
  if (typeof url !== 'string' || url.length === 0 || url.length > 2048) throw new GitError('invalid-url', 'the git URL is empty or too long');
  if (url.startsWith('-')) throw new GitError('invalid-url', 'a git URL cannot start with "-"');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u0020\u007f]/.test(url)) throw new GitError('invalid-url', 'a git URL cannot contain spaces or control characters');
  const scp = /^([A-Za-z0-9._-]+)@([^/:]+):(?!\/\/)(.+)$/.exec(url);
  if (scp && !url.includes('://')) {
    checkHost(scp[2]!, url);
    if (scp[3]!.startsWith('-')) throw new GitError('invalid-url', 'the repository path cannot start with "-"');
    return { transport: 'ssh', host: scp[2]!, url };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new GitError('invalid-url', 'not a git URL: use https://, ssh://, git:// or user@host:path');
  }
  const transport = u.protocol.slice(0, -1);
  if (transport !== 'https' && transport !== 'http' && transport !== 'ssh' && transport !== 'git')
    throw new GitError('invalid-url', `the "${transport}" transport is not allowed: use https://, ssh:// or git://`);
  checkHost(u.hostname, url);
  if (transport === 'http' && !isLoopbackHost(u.hostname)) throw new GitError('invalid-url', 'plain http:// is only allowed to a loopback host: use https://');
  if (u.password) throw new GitError('invalid-url', "credentials do not belong in the git URL: pass the token as the app's git auth");
  if (transport !== 'ssh' && u.username) throw new GitError('invalid-url', 'a user name does not belong in an https URL: pass it with the token');
  if (u.username.startsWith('-')) throw new GitError('invalid-url', 'the ssh user cannot start with "-"');
  if (u.pathname.startsWith('/-')) throw new GitError('invalid-url', 'the repository path cannot start with "-"');
  return { transport, host: u.hostname, url };
}

/** A URL for logs and messages: user info dropped even if some caller slipped one in. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}

/** `git check-ref-format --branch` rules, plus no leading `-` (option injection) */
export function checkBranch(branch: string): void {
  const bad =
    typeof branch !== 'string' ||
    branch.length === 0 ||
    branch.length > 255 ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch.endsWith('.lock') ||
    branch.includes('..') ||
    branch.includes('//') ||
    branch.includes('@{') ||
    branch === '@' ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    /[\u0000-\u0020\u007f~^:?*[\\]/.test(branch) ||
    branch.split('/').some((c) => c.startsWith('.'));
  if (bad) throw new GitError('invalid-branch', `invalid branch name: ${JSON.stringify(String(branch).slice(0, 100))}`);
}

export function checkCommit(commit: string): void {
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new GitError('invalid-commit', 'a commit must be 40 lowercase hex digits');
}
