import { execFile } from 'node:child_process';
import { Unavailable } from '../errors.js';

/**
 * The kernel's network configuration goes through iproute2 and nftables in batches: one
 * `ip -batch` or `nft -f` per change, never one process per rule.
 */
function runWithInput(cmd: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const why = stderr.trim().split('\n').slice(0, 3).join('; ') || err.message;
        reject(new Unavailable(`${cmd} failed: ${why}`));
      } else resolve(stdout);
    });
    child.stdin!.on('error', () => {}); // a command that exits without reading its input
    child.stdin!.end(input);
  });
}

/** `ip -batch -`; `force` continues past errors (used for best-effort teardown). */
export function ipBatch(lines: string[], opts: { force?: boolean; netns?: string } = {}): Promise<string> {
  if (!lines.length) return Promise.resolve('');
  const args = [...(opts.netns ? ['-n', opts.netns] : []), ...(opts.force ? ['-force'] : []), '-batch', '-'];
  return runWithInput('ip', args, lines.join('\n') + '\n');
}

export function ipJson<T>(args: string[]): Promise<T> {
  return runWithInput('ip', ['-j', ...args], '').then((out) => JSON.parse(out || '[]') as T);
}

/** `nft -f -`: the script is applied as one atomic transaction. */
export function nftApply(script: string): Promise<string> {
  return runWithInput('nft', ['-f', '-'], script);
}

export function sysctl(key: string, value: string): Promise<string> {
  return runWithInput('sysctl', ['-q', '-w', `${key}=${value}`], '');
}
