import { InvalidArgument } from '../errors.ts';
import type { PortBinding } from '../types.js';

function range(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new InvalidArgument(`invalid ${what} "${s}"`);
  const a = Number(m[1]);
  const b = m[2] ? Number(m[2]) : a;
  if (a < 1 || b > 65535 || b < a) throw new InvalidArgument(`invalid ${what} "${s}"`);
  return [a, b];
}

/** Docker's `-p`: `[ip:][hostPort:]containerPort[/tcp|udp]`, with ranges (`8000-8002:80-82`). */
export function parsePublishFlag(v: string): PortBinding[] {
  const [spec, proto = 'tcp'] = v.split('/');
  if (proto !== 'tcp' && proto !== 'udp') throw new InvalidArgument(`invalid protocol "${proto}" in "${v}"`);
  const parts = spec!.split(':');
  let hostIp: string | undefined;
  let hostPart: string | undefined;
  let ctrPart: string;
  if (parts.length === 1) ctrPart = parts[0]!;
  else if (parts.length === 2) [hostPart, ctrPart] = parts as [string, string];
  else if (parts.length === 3) [hostIp, hostPart, ctrPart] = parts as [string, string, string];
  else throw new InvalidArgument(`invalid port specification "${v}"`);
  if (hostIp !== undefined && hostIp !== '' && !/^\d+\.\d+\.\d+\.\d+$/.test(hostIp)) throw new InvalidArgument(`invalid host IP "${hostIp}" in "${v}"`);
  const [c0, c1] = range(ctrPart, 'container port');
  const host = hostPart ? range(hostPart, 'host port') : undefined;
  if (host && host[1] - host[0] !== c1 - c0 && host[0] !== host[1])
    throw new InvalidArgument(`invalid port range "${v}": host and container ranges differ in size`);
  const out: PortBinding[] = [];
  for (let p = c0; p <= c1; p++) {
    const hostPort = host ? (host[0] === host[1] && c0 !== c1 ? undefined : host[0] + (p - c0)) : undefined;
    out.push({ containerPort: p, protocol: proto, ...(hostIp ? { hostIp } : {}), ...(hostPort ? { hostPort } : {}) });
  }
  return out;
}
