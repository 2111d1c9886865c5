import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GitError } from './errors.js';
import type { ParsedUrl } from './validate.js';

export type GitAuth = { kind: 'none' } | { kind: 'token'; token: string; username?: string } | { kind: 'ssh'; privateKey: string; knownHosts?: string };

/**
 * Git's prompts answered from the environment, and only for the host the URL names: a
 * redirect to another host gets nothing. The secret is in the child's environment (readable
 * by root only), never in argv, a file or a URL.
 */
const ASKPASS = `#!/bin/sh
case "$1" in
  *"//$SKIFF_GIT_HOST'"*|*"@$SKIFF_GIT_HOST'"*) ;;
  *) exit 1 ;;
esac
case "$1" in
  Username*) printf '%s\\n' "$SKIFF_GIT_USERNAME" ;;
  Password*) printf '%s\\n' "$SKIFF_GIT_PASSWORD" ;;
  *) exit 1 ;;
esac
`;

/**
 * Configuration every git command gets through GIT_CONFIG_COUNT (no global or system file
 * is read): hooks, submodules, LFS, fsmonitor and every transport but ours are off, and
 * fetched objects are fsck'ed so a crafted tree (`.git/`, `..`) is refused on arrival.
 */
function baseConfig(allowHttp: boolean, askpass: string): [string, string][] {
  return [
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    ['core.symlinks', 'true'],
    ['core.askPass', askpass],
    ['credential.helper', ''],
    ['protocol.allow', 'never'],
    ['protocol.https.allow', 'always'],
    ['protocol.ssh.allow', 'always'],
    ['protocol.git.allow', 'always'],
    ['protocol.http.allow', allowHttp ? 'always' : 'never'],
    ['protocol.file.allow', 'never'],
    ['protocol.ext.allow', 'never'],
    ['submodule.recurse', 'false'],
    ['fetch.recurseSubmodules', 'false'],
    ['transfer.fsckObjects', 'true'],
    // cosmetic faults old, real repositories carry; the path and .gitmodules checks stay errors
    ['fetch.fsck.zeroPaddedFilemode', 'ignore'],
    ['fetch.fsck.badTimezone', 'ignore'],
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
    ['advice.detachedHead', 'false'],
    ['init.defaultBranch', 'main'],
    ['ssh.variant', 'ssh'],
    ['http.lowSpeedLimit', '1000'],
    ['http.lowSpeedTime', '60'],
  ];
}

const SAFE_PATH = /^[A-Za-z0-9_/.-]+$/;

/**
 * One git operation's private scratch: a 0700 temp dir that is HOME, holds the askpass
 * helper, the SSH key (0600) and known_hosts, and is removed by `dispose()`. `env` is the
 * whole environment git runs with — nothing inherited but PATH.
 */
export class GitSession {
  private constructor(
    readonly dir: string,
    readonly env: Record<string, string>,
    private readonly knownHostsFile: string,
    /** strings scrubbed from any message that leaves this package */
    readonly secrets: string[],
  ) {}

  static async create(auth: GitAuth, url: ParsedUrl, timeoutSec = 30): Promise<GitSession> {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-gitsession-'));
    try {
      if (!SAFE_PATH.test(dir)) throw new GitError('git-failed', `unusable temp dir for git: ${dir}`);
      const askpass = join(dir, 'askpass');
      await writeFile(askpass, ASKPASS, { mode: 0o700, flag: 'wx' });
      const config = baseConfig(url.transport === 'http', askpass);
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: dir,
        XDG_CONFIG_HOME: dir,
        LANG: 'C',
        LC_ALL: 'C',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_TERMINAL_PROMPT: '0',
        GIT_ASKPASS: askpass,
        GIT_ALLOW_PROTOCOL: url.transport === 'http' ? 'https:ssh:git:http' : 'https:ssh:git',
        GIT_PROTOCOL_FROM_USER: '0',
        GIT_LFS_SKIP_SMUDGE: '1',
        GIT_CEILING_DIRECTORIES: dirname(dir),
        SKIFF_GIT_HOST: hostForPrompt(url),
      };
      const secrets: string[] = [];
      if (auth.kind === 'token') {
        if (!auth.token || /[\r\n]/.test(auth.token) || /[\r\n]/.test(auth.username ?? ''))
          throw new GitError('auth-failed', 'the git token is empty or has a line break');
        env.SKIFF_GIT_USERNAME = auth.username || 'x-access-token';
        env.SKIFF_GIT_PASSWORD = auth.token;
        secrets.push(auth.token);
      }
      // ssh is configured for every session: with no key it must not fall back to the host's own keys or agent
      const keyFile = join(dir, 'id');
      const knownHostsFile = join(dir, 'known_hosts');
      if (auth.kind === 'ssh') {
        if (!/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(auth.privateKey.trim()))
          throw new GitError('auth-failed', 'the deploy key is not a PEM/OpenSSH private key');
        await writeFile(keyFile, `${auth.privateKey.trim()}\n`, { mode: 0o600, flag: 'wx' });
        secrets.push(auth.privateKey);
      }
      const pinned = auth.kind === 'ssh' && auth.knownHosts !== undefined && auth.knownHosts.trim() !== '';
      await writeFile(knownHostsFile, pinned ? `${auth.knownHosts!.trim()}\n` : '', { mode: 0o600, flag: 'wx' });
      // with no key, a path that does not exist: ssh then offers nothing (a bare `none` would be a file name relative to git's cwd)
      env.GIT_SSH_COMMAND = sshCommand(auth.kind === 'ssh' ? keyFile : join(dir, 'no-key'), knownHostsFile, pinned, timeoutSec);
      env.GIT_CONFIG_COUNT = String(config.length);
      config.forEach(([k, v], i) => {
        env[`GIT_CONFIG_KEY_${i}`] = k;
        env[`GIT_CONFIG_VALUE_${i}`] = v;
      });
      return new GitSession(dir, env, knownHostsFile, secrets);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** known_hosts after the operation: what accept-new learned, for the caller to pin next time */
  async knownHosts(): Promise<string | undefined> {
    const text = await readFile(this.knownHostsFile, 'utf8');
    return text.trim() ? text : undefined;
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (s) out = out.split(s).join('***');
    return out;
  }

  dispose(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

/** the origin as git writes it in a credential prompt: host, and the port when the URL has one */
function hostForPrompt(url: ParsedUrl): string {
  if (url.transport === 'ssh' || url.transport === 'git') return url.host;
  const u = new URL(url.url);
  return u.host;
}

/**
 * OpenSSH with no config file, no agent, no host keys but the session's, public key only
 * and never a prompt. An explicit IdentityFile keeps ssh from trying the host's ~/.ssh keys
 * (ssh finds those through the passwd entry, not $HOME).
 */
function sshCommand(keyFile: string, knownHosts: string, pinned: boolean, timeoutSec: number): string {
  const opts = [
    `IdentityFile=${keyFile}`,
    'IdentitiesOnly=yes',
    'IdentityAgent=none',
    'BatchMode=yes',
    `StrictHostKeyChecking=${pinned ? 'yes' : 'accept-new'}`,
    `UserKnownHostsFile=${knownHosts}`,
    'GlobalKnownHostsFile=/dev/null',
    'HashKnownHosts=no',
    'UpdateHostKeys=no',
    `ConnectTimeout=${timeoutSec}`,
    'ServerAliveInterval=15',
    'ServerAliveCountMax=4',
    'PasswordAuthentication=no',
    'KbdInteractiveAuthentication=no',
    'PreferredAuthentications=publickey',
    'ControlMaster=no',
    'ControlPath=none',
    'ProxyCommand=none',
    'ProxyJump=none',
    'PermitLocalCommand=no',
    'ForwardAgent=no',
    'ForwardX11=no',
    'ClearAllForwardings=yes',
    'LogLevel=ERROR',
  ];
  // every path is from mkdtemp and checked against SAFE_PATH, so quoting is only belt and braces
  return ['ssh', '-F', '/dev/null', ...opts.flatMap((o) => ['-o', `'${o}'`])].join(' ');
}
