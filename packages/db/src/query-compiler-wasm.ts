/**
 * Prisma's query compiler (WebAssembly), compiled from the base64 module @prisma/client ships
 * it as, read as a file rather than imported. Imported, as the generated client does, the
 * module stays loaded for the life of the process, and V8 keeps both its source text and the
 * string it exports: two copies of the base64 (2 x 4.2 MiB for SQLite's compiler) in the
 * agent's heap (docs/performance.md, "Idle memory"). Read here, both are garbage once the
 * module is compiled. The generated clients call this (scripts/wasm-from-file.ts).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The base64 module's file was not the shape this reads: `const wasm = "<base64>"`. */
export class UnexpectedWasmModule extends Error {
  override name = 'UnexpectedWasmModule';
}

/** `specifier`: the base64 module the generated client would import, e.g. "@prisma/client/runtime/query_compiler_fast_bg.sqlite.wasm-base64.mjs" */
export async function compileBase64Wasm(specifier: string): Promise<WebAssembly.Module> {
  const path = require.resolve(specifier);
  const text = await readFile(path, 'latin1');
  const start = text.indexOf('"');
  const end = text.indexOf('"', start + 1);
  if (start < 0 || end < 0 || !text.slice(0, start).includes('wasm')) throw new UnexpectedWasmModule(`no base64 string in ${path}`);
  return new WebAssembly.Module(Buffer.from(text.slice(start + 1, end), 'base64'));
}
