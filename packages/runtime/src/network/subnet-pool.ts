import { Conflict } from '../errors.js';
import { ipJson } from './commands.js';
import { ipToInt, overlaps, parseCidr, type Subnet } from './subnet.js';

/** Subnets in use by the host's routes and by our networks (`taken`): a new subnet must not clash. */
export async function usedSubnets(taken: string[]): Promise<Subnet[]> {
  const routes = await ipJson<{ dst: string }[]>(['-4', 'route', 'show', 'table', 'all']).catch(() => []);
  const used: Subnet[] = [];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default') continue;
    const [addr, len] = r.dst.split('/');
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr ?? '')) continue; // broadcast/local entries of other families
    const prefix = len ? Number(len) : 32;
    const base = prefix === 0 ? 0 : (ipToInt(addr!) & (~0 << (32 - prefix))) >>> 0;
    used.push({ base, prefix });
  }
  for (const s of taken) used.push(parseCidr(s));
  return used;
}

/** Docker's default pools: 172.17-31.0.0/16, then 192.168.0-240.0/20; the first that is free. */
export async function pickSubnet(taken: string[]): Promise<Subnet> {
  const used = await usedSubnets(taken);
  const candidates: Subnet[] = [];
  for (let b = 17; b <= 31; b++) candidates.push({ base: ipToInt(`172.${b}.0.0`), prefix: 16 });
  for (let c = 0; c < 256; c += 16) candidates.push({ base: ipToInt(`192.168.${c}.0`), prefix: 20 });
  const free = candidates.find((c) => !used.some((u) => overlaps(c, u)));
  if (!free) throw new Conflict('no free address pool for a new network: pass --subnet');
  return free;
}
