import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { Conflict, InvalidArgument } from '../errors.js';
import type { PortBinding } from '../types.js';
import type { PortRule } from './nft-ruleset.js';

const EPHEMERAL = [32768, 60999];

/** Host ports for `ports` on the container's first endpoint; `taken` (proto/port) are published by others already. */
export async function allocatePorts(taken: Set<string>, ep: { ip: string } | undefined, ports: PortBinding[]): Promise<PortRule[]> {
  if (!ports.length) return [];
  if (!ep) throw new InvalidArgument('published ports need a bridge network');
  const rules: PortRule[] = [];
  for (const p of ports) {
    const hostIp = p.hostIp || '0.0.0.0';
    let hostPort = p.hostPort ?? 0;
    if (!hostPort) {
      hostPort = await randomPort(p.protocol, hostIp, taken);
    } else {
      if (taken.has(`${p.protocol}/${hostPort}`)) throw new Conflict(`Bind for ${hostIp}:${hostPort} failed: port is already allocated`);
      if (!(await portFree(p.protocol, hostIp, hostPort))) throw new Conflict(`Bind for ${hostIp}:${hostPort} failed: port is already in use on the host`);
    }
    taken.add(`${p.protocol}/${hostPort}`);
    rules.push({ protocol: p.protocol, hostIp, hostPort, containerIp: ep.ip, containerPort: p.containerPort });
  }
  return rules;
}

async function randomPort(protocol: 'tcp' | 'udp', hostIp: string, taken: Set<string>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = EPHEMERAL[0]! + Math.floor(Math.random() * (EPHEMERAL[1]! - EPHEMERAL[0]!));
    if (!taken.has(`${protocol}/${port}`) && (await portFree(protocol, hostIp, port))) return port;
  }
  throw new Conflict('no free host port found for a random port mapping');
}

/** A host port is free if we can bind it right now (a host process owning it would clash with the DNAT). */
function portFree(protocol: 'tcp' | 'udp', hostIp: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, hostIp, () => s.close(() => resolve(true)));
      return;
    }
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, hostIp, () => srv.close(() => resolve(true)));
  });
}
