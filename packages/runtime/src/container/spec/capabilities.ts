import { InvalidArgument } from '../../errors.js';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES } from '../store/container-record.js';

/** `--cap-add`/`--cap-drop` resolution with Docker's spelling rules (`NET_ADMIN`, `cap_net_admin`, `ALL`). */
export function resolveCapabilities(add: string[] = [], drop: string[] = []): string[] {
  const norm = (c: string) => {
    const up = c.trim().toUpperCase();
    if (up === 'ALL') return 'ALL';
    const name = up.startsWith('CAP_') ? up : `CAP_${up}`;
    if (!ALL_CAPABILITIES.includes(name)) throw new InvalidArgument(`unknown capability: "${c}"`);
    return name;
  };
  const adds = add.map(norm);
  const drops = drop.map(norm);
  let caps = new Set(adds.includes('ALL') ? ALL_CAPABILITIES : DEFAULT_CAPABILITIES);
  if (drops.includes('ALL')) caps = new Set();
  for (const c of drops) caps.delete(c);
  for (const c of adds) if (c !== 'ALL') caps.add(c);
  return ALL_CAPABILITIES.filter((c) => caps.has(c));
}
