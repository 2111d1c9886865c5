import { InvalidArgument } from '../errors.js';

/** IPv4 helpers: addresses as unsigned 32-bit numbers. */
export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new InvalidArgument(`invalid IPv4 address: "${ip}"`);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Subnet {
  base: number;
  prefix: number;
}

export function parseCidr(cidr: string): Subnet {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m || Number(m[2]) > 32) throw new InvalidArgument(`invalid subnet "${cidr}": want a.b.c.d/len`);
  const prefix = Number(m[2]);
  const addr = ipToInt(m[1]!);
  const base = prefix === 0 ? 0 : (addr & (~0 << (32 - prefix))) >>> 0;
  if (base !== addr) throw new InvalidArgument(`invalid subnet "${cidr}": host bits set (did you mean ${intToIp(base)}/${prefix}?)`);
  if (prefix > 30) throw new InvalidArgument(`subnet "${cidr}" is too small: use /30 or larger`);
  return { base, prefix };
}

export function formatCidr(s: Subnet): string {
  return `${intToIp(s.base)}/${s.prefix}`;
}

export function size(s: Subnet): number {
  return 2 ** (32 - s.prefix);
}

export function contains(s: Subnet, ip: number): boolean {
  return ip >= s.base && ip < s.base + size(s);
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}
