import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Conflict } from '../src/errors.js';
import { Ipam } from '../src/network/ipam.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-ipam-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `ipam-${n++}.json`);

describe('Ipam', () => {
  it('allocates in sequence, releases by owner, keeps it on disk and reconciles', async () => {
    const file = fresh();
    const ipam = new Ipam(file, '10.9.0.0/24', '10.9.0.1');
    expect(await ipam.allocate('a')).toBe('10.9.0.2');
    expect(await ipam.allocate('b')).toBe('10.9.0.3');
    expect(await ipam.allocate('a', '10.9.0.9')).toBe('10.9.0.9');
    await expect(ipam.allocate('c', '10.9.0.9')).rejects.toBeInstanceOf(Conflict);
    await ipam.release('a');
    expect(await ipam.allocations()).toEqual({ '10.9.0.3': 'b' });
    expect(await ipam.allocate('c')).toBe('10.9.0.4'); // the cursor moves on: a released address is not reused at once
    const again = new Ipam(file, '10.9.0.0/24', '10.9.0.1');
    expect(await again.allocations()).toEqual({ '10.9.0.3': 'b', '10.9.0.4': 'c' });
    expect(await again.allocate('d')).toBe('10.9.0.5');
    await again.reconcile(new Set(['c']));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ allocated: { '10.9.0.4': 'c' }, cursor: 6 });
  });

  it("releases a thousand containers' addresses one by one and keeps the file in step", async () => {
    const file = fresh();
    const ipam = new Ipam(file, '10.10.0.0/16', '10.10.0.1');
    const owners = Array.from({ length: 1000 }, (_, i) => `${i}`.padStart(64, '0'));
    for (const o of owners) await ipam.allocate(o);
    // how long this takes is measured by bench/density.mts (not a timed test: it flakes under
    // load); here the owner index must release exactly each owner's address
    for (const [i, o] of owners.entries()) {
      await ipam.release(o);
      if (i === 499) expect(Object.keys(await ipam.allocations())).toHaveLength(500);
    }
    expect(await ipam.allocations()).toEqual({});
    expect(JSON.parse(readFileSync(file, 'utf8')).allocated).toEqual({});
  });
});
