/**
 * Docker's sizes (`512m`, `1g`, `1.5G`, `1024`, `64kb`): binary multiples, as `-m`,
 * `--memory-swap` and `--tmpfs size=` take them. Pure, so the dashboard shares it.
 */
export function parseByteSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as 'k'];
  return Math.round(Number(m[1]) * mult);
}
