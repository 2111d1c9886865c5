/**
 * Points the generated clients' query compiler at src/query-compiler-wasm.ts, which reads the
 * base64 module as a file instead of importing it (an imported one keeps two copies of the
 * base64 in the heap for good: 8.4 MiB for SQLite's). Prisma has no option for this, so the
 * generated code is rewritten after `prisma generate`; a shape it does not know fails the build.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const IMPORTED = /const \{ wasm \} = await import\(("@prisma\/client\/runtime\/[\w.-]+\.wasm-base64\.mjs")\)\n\s*return await decodeBase64AsWasm\(wasm\)/;

for (const provider of ['sqlite', 'postgresql']) {
  const file = join(import.meta.dirname, '../generated', provider, 'internal/class.ts');
  const code = readFileSync(file, 'utf8');
  const m = IMPORTED.exec(code);
  if (!m) throw new Error(`${file}: the query compiler is not loaded the way scripts/wasm-from-file.ts expects (a new Prisma?)`);
  const read = `// read by Skiff's loader (packages/db/scripts/wasm-from-file.ts), not imported: no base64 left in the heap
    return await (await import("../../../src/query-compiler-wasm.ts")).compileBase64Wasm(${m[1]})`;
  writeFileSync(file, code.replace(IMPORTED, read));
}
