import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgument } from '../../errors.js';
import type { ContainerNetworking } from '../../network/endpoint-table.js';

export interface EtcOptions {
  hostname: string;
  network: 'none' | 'host' | 'bridge';
  /** the container's own address on its first network */
  ip?: string;
  /** --link and --add-host entries: [address, names...] */
  hostEntries?: [string, ...string[]][];
  /** the embedded DNS (user-defined networks): the network's gateway */
  dnsServer?: string;
  dns?: string[];
}

const readOr = (path: string, fallback: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
};

/**
 * /etc/hostname, /etc/hosts and /etc/resolv.conf are per-container files that the shim
 * bind-mounts over the image's, so editing them inside never touches the image. Small
 * page-cache writes on every start: done synchronously (see writeFileAtomicUnsynced).
 */
export async function writeEtcFiles(dir: string, o: EtcOptions): Promise<void> {
  // create validates these; a record from before that check must not inject lines either
  for (const v of [o.hostname, o.ip, o.dnsServer, ...(o.dns ?? []), ...(o.hostEntries ?? []).flat()]) {
    if (v !== undefined && /[\s\0]/.test(v))
      throw new InvalidArgument(`invalid /etc/hosts or resolv.conf value ${JSON.stringify(v)}: contains whitespace or a NUL byte`);
  }
  writeFileSync(join(dir, 'hostname'), `${o.hostname}\n`);
  let hosts: string;
  if (o.network === 'host') {
    hosts = readOr('/etc/hosts', '127.0.0.1\tlocalhost\n');
  } else {
    hosts = [
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'ff00::0\tip6-mcastprefix',
      'ff02::1\tip6-allnodes',
      'ff02::2\tip6-allrouters',
      ...(o.hostEntries ?? []).map((e) => e.join('\t')),
      ...(o.hostname ? [`${o.ip ?? '127.0.1.1'}\t${o.hostname}`] : []),
      '',
    ].join('\n');
  }
  writeFileSync(join(dir, 'hosts'), hosts);
  writeFileSync(join(dir, 'resolv.conf'), resolvConf(o));
}

/** the embedded DNS a container asks: the gateway of its first user-defined network (it answers for all of them) */
export function embeddedDnsOf(cn: ContainerNetworking | undefined, isDefault: (networkId: string) => boolean): string | undefined {
  return cn?.endpoints.find((e) => !isDefault(e.networkId))?.gateway;
}

/**
 * After `network connect`/`disconnect` of a running container: resolv.conf names the
 * embedded DNS of a network it is still on (the one named may be gone, or a first
 * user-defined network joined), as Docker rewrites it. Written in place: the container
 * sees the file through a bind mount of this inode. Left alone when its nameservers
 * are already right, so edits made inside survive.
 */
export function updateResolvConf(dir: string, o: Pick<EtcOptions, 'network' | 'dnsServer' | 'dns'>): void {
  const file = join(dir, 'resolv.conf');
  const want = resolvConf({ hostname: '', ...o });
  const servers = (text: string) =>
    text
      .split('\n')
      .filter((l) => /^\s*nameserver\s/.test(l))
      .join('\n');
  if (servers(readOr(file, '')) === servers(want)) return;
  writeFileSync(file, want);
}

/** Docker's rules: user networks ask the embedded DNS; otherwise the host's resolvers minus loopback ones. */
function resolvConf(o: EtcOptions): string {
  const host = readOr('/etc/resolv.conf', '');
  if (o.network === 'host' && !o.dns?.length) return host;
  const keep = host.split('\n').filter((l) => !/^\s*nameserver\s/.test(l) && l.trim() && !l.startsWith('#'));
  let servers = o.dns?.length
    ? o.dns
    : o.dnsServer
      ? [o.dnsServer]
      : host
          .split('\n')
          .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
          .filter((s): s is string => !!s && !/^(127\.|::1$)/.test(s));
  if (o.dnsServer && o.dns?.length) servers = [o.dnsServer]; // --dns becomes the embedded server's upstream in Docker; here the gateway answers and forwards
  return [...servers.map((s) => `nameserver ${s}`), ...keep, ...(o.dnsServer ? ['options ndots:0'] : []), ''].join('\n');
}
