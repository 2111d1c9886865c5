import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import dnsPacket from 'dns-packet';
import { reverseName } from './dns-names.js';

/** the addresses `name` has for the container at `askerIp` that asked the resolver of `networkId` */
export type NameLookup = (networkId: string, askerIp: string, name: string) => string[];
/** the name (`<container>.<network>`) an address has for the container at `askerIp`, as a PTR answers it */
export type ReverseLookup = (networkId: string, askerIp: string, ip: string) => string | undefined;

/**
 * The embedded DNS of user-defined networks: one UDP listener on each network's gateway
 * address (the containers' resolv.conf points there). As Docker's resolver, a listener
 * answers for the asker: the container the query's source address belongs to gets the
 * names (container names, aliases, short ids) of every network it is attached to,
 * whichever gateway it asked, and none of the networks it is not on (`dns-names.ts`);
 * anything else is forwarded to the host's resolvers. A spoofed source gains nothing:
 * the answer goes to the address's real owner. (Docker answers on 127.0.0.11 inside
 * every container; a listener on the gateway gives the same behaviour without entering
 * each namespace.) Reverse lookups (`in-addr.arpa` PTR) of those containers' addresses are
 * answered with `<container>.<network>`, by the same rule.
 */
const ANSWER_FLAGS = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER;

export class DnsServer {
  private readonly sockets = new Map<string, Socket>();

  constructor(
    private readonly lookup: NameLookup,
    private readonly reverse: ReverseLookup,
  ) {}

  async listen(networkId: string, address: string): Promise<void> {
    if (this.sockets.has(networkId)) return;
    const sock = createSocket({ type: 'udp4', reuseAddr: true });
    sock.on('message', (msg, rinfo) => void this.answer(networkId, sock, msg, rinfo.address, rinfo.port));
    sock.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(53, address, () => resolve());
    });
    this.sockets.set(networkId, sock);
  }

  close(networkId?: string): void {
    for (const [id, s] of this.sockets) {
      if (networkId && id !== networkId) continue;
      s.close();
      this.sockets.delete(id);
    }
  }

  private async answer(networkId: string, sock: Socket, msg: Buffer, addr: string, port: number): Promise<void> {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    const name = q.name.replace(/\.$/, '').toLowerCase();
    const ip = q.type === 'PTR' ? reverseName(name) : undefined;
    const ptr = ip === undefined ? undefined : this.reverse(networkId, addr, ip);
    if (ptr) {
      const answers = [{ type: 'PTR' as const, name: q.name, ttl: 600, data: ptr }];
      const reply = dnsPacket.encode({ type: 'response', id: query.id, flags: ANSWER_FLAGS, questions: [q], answers });
      sock.send(reply, port, addr);
      return;
    }
    const ips = ip === undefined ? this.lookup(networkId, addr, name) : [];
    if (ips.length) {
      // a known name has no AAAA (IPv4 networks): an empty answer, not a forward that could say otherwise
      const answers = q.type === 'A' ? ips.map((ip) => ({ type: 'A' as const, name: q.name, ttl: 600, data: ip })) : [];
      const reply = dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags: ANSWER_FLAGS,
        questions: [q],
        answers,
      });
      sock.send(reply, port, addr);
      return;
    }
    const reply = await forward(msg).catch(() => undefined);
    sock.send(
      reply ?? dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.RECURSION_AVAILABLE | 2 /* SERVFAIL */, questions: [q] }),
      port,
      addr,
    );
  }
}

function upstreams(): string[] {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+([\d.]+)\s*$/.exec(l)?.[1])
      .filter((s): s is string => !!s);
  } catch {
    return [];
  }
}

function forward(msg: Buffer): Promise<Buffer> {
  const servers = upstreams();
  if (!servers.length) return Promise.reject(new Error('no upstream resolver'));
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('upstream timeout'));
    }, 3000);
    s.once('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      s.close();
      reject(e);
    });
    s.send(msg, 53, servers[0]!);
  });
}
