import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** the part of madge's API used here (it ships no types) */
interface MadgeResult {
  obj(): Record<string, string[]>;
  circular(): string[][];
}
type Madge = (paths: string[], config: Record<string, unknown>) => Promise<MadgeResult>;

const ROOT = join(import.meta.dirname, '..');
const madge = createRequire(import.meta.url)('madge') as Madge;

/**
 * Every import cycle in the project's own sources, type-only imports included: a cycle is a
 * structure problem whether or not it survives to run time. Prisma's generated client has
 * cycles of its own and is not ours to fix.
 */
async function graph(dirs: string[], tsConfig: string): Promise<MadgeResult> {
  // madge's TypeScript parser warns of its own deprecated AST fields once per import type node
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try {
    return await madge(dirs, {
      baseDir: ROOT,
      fileExtensions: ['ts', 'tsx'],
      tsConfig: join(ROOT, tsConfig),
      excludeRegExp: [/(^|\/)(generated|node_modules|\.next|dist)\//, /\.d\.ts$/],
      detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
    });
  } finally {
    process.noDeprecation = quiet;
  }
}

const describeCycles = (cycles: string[][]) => cycles.map((c) => `  ${[...c, c[0]].join(' -> ')}`).join('\n');

describe('import cycles (madge)', () => {
  // the Node packages and the agent resolve imports as NodeNext (`./x.js` is x.ts); the dashboard as a bundler does
  const roots = [
    {
      name: 'packages and agent',
      dirs: [
        ...readdirSync(join(ROOT, 'packages'))
          .map((p) => `packages/${p}/src`)
          .filter((d) => existsSync(join(ROOT, d))),
        'apps/agent/src',
      ],
      tsConfig: 'tsconfig.json',
      known: ['apps/agent/src/docker-api/server.ts', 'apps/agent/src/docker-api/route.ts'],
    },
    { name: 'dashboard', dirs: ['apps/web'], tsConfig: 'apps/web/tsconfig.json', known: ['apps/web/app/layout.tsx', undefined] },
  ];

  for (const r of roots) {
    it(`finds none in ${r.name}`, async () => {
      const g = await graph(
        r.dirs.map((d) => join(ROOT, d)),
        r.tsConfig,
      );
      const files = g.obj();
      // the check only means something while madge resolves the imports: a known edge must be there
      const [from, to] = r.known;
      expect(Object.keys(files).length).toBeGreaterThan(100);
      expect(files[from!]).toBeDefined();
      if (to) expect(files[from!]).toContain(to);
      const cycles = g.circular();
      if (cycles.length)
        expect.fail(
          `${cycles.length} import cycle(s); reproduce with npx madge --circular --extensions ts,tsx --ts-config ${r.tsConfig} ${r.dirs.join(' ')}\n${describeCycles(cycles)}`,
        );
    });
  }
});
