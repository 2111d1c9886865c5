import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * /etc/hostname, /etc/hosts and /etc/resolv.conf are per-container files that the shim
 * bind-mounts over the image's, so editing them inside never touches the image.
 */
export async function writeEtcFiles(dir: string, hostname: string, network: string): Promise<void> {
  if (network === 'host') {
    await writeFile(join(dir, 'hostname'), `${hostname}\n`);
    await writeFile(join(dir, 'hosts'), await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n'));
  } else {
    await writeFile(join(dir, 'hostname'), `${hostname}\n`);
    await writeFile(
      join(dir, 'hosts'),
      [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'ff00::0\tip6-mcastprefix',
        'ff02::1\tip6-allnodes',
        'ff02::2\tip6-allrouters',
        ...(hostname ? [`127.0.1.1\t${hostname}`] : []),
        '',
      ].join('\n'),
    );
  }
  await writeFile(join(dir, 'resolv.conf'), await containerResolvConf(network));
}

/** The host's resolv.conf; for a private network namespace loopback resolvers are useless, so they are dropped. */
async function containerResolvConf(network: string): Promise<string> {
  const host = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  if (network === 'host') return host;
  const lines = host.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l));
  return lines.join('\n').trimEnd() + '\n';
}
