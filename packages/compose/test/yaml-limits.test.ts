import { describe, expect, it } from 'vitest';
import { billionLaughs, load, loadError } from './helpers.js';

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

describe('hostile YAML is refused quickly', () => {
  it('refuses a billion-laughs document in under 100 ms', async () => {
    await load('services:\n  web:\n    image: busybox\n'); // the parser's code is warm, as in a running agent
    const { ms, value } = await timed(() => loadError(billionLaughs()));
    expect(value).toMatch(/YAML aliases expand to more than \d+ nodes/);
    expect(ms).toBeLessThan(100);
  });

  it('refuses a file of aliases to one anchor without walking the document per alias', async () => {
    const text = `x-v: &v 1\nx-l:\n${'  - *v\n'.repeat(20_000)}services:\n  web:\n    image: busybox\n`;
    const { ms, value } = await timed(() => loadError(text));
    expect(value).toMatch(/more than \d+ YAML nodes|YAML aliases expand to more than/);
    expect(ms).toBeLessThan(1500); // yaml's Alias.resolve walked the document each time: minutes
  });

  it('finds duplicate keys in linear time (a mapping of 20,000 keys)', async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `  x-k${i}: v`).join('\n');
    const { ms } = await timed(() => loadError(`x-big:\n${keys}\nservices:\n  web:\n    image: busybox\n`).catch(() => ''));
    expect(ms).toBeLessThan(2000); // uniqueKeys compared every key with every earlier one: ~6 s
    expect(await loadError('services:\n  web:\n    image: a\n    image: b\n')).toBe('docker-compose.yml:4:5: invalid YAML: Map keys must be unique');
  });

  it('refuses a file over 1 MiB and nesting deeper than 100 levels before parsing', async () => {
    const big = `services:\n  web:\n    image: busybox\nx-pad: "${'a'.repeat(1024 * 1024)}"\n`;
    const { ms, value } = await timed(() => loadError(big));
    expect(value).toMatch(/larger than 1024 KiB/);
    expect(ms).toBeLessThan(100);
    expect(await loadError(`x-deep: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`)).toMatch(/nested deeper than 100 levels/);
  });

  it('keeps a __proto__ key as a key, not as the prototype', async () => {
    const msg = await loadError('services:\n  web:\n    image: busybox\n    __proto__:\n      privileged: true\n');
    expect(msg).toMatch(/unknown key "__proto__"/);
    expect(({} as Record<string, unknown>).privileged).toBeUndefined();
  });
});
