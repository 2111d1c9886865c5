// Bundles the `skiff` CLI (apps/agent/src/cli) into plain JavaScript under apps/agent/dist/
// so a CLI call starts Node and runs one file, instead of starting tsx, transpiling ~150
// modules and resolving its npm dependencies' hundreds of files on every call (~0.6 s). `skiff daemon` is not in the bundle: bin/skiff runs it from
// source with tsx, as paths next to its sources (the web app, the Prisma client) matter there.
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

const agentDir = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${agentDir}dist/cli`;
const result = await build({
  write: false,
  entryPoints: [`${agentDir}src/cli/main.ts`],
  outdir,
  bundle: true,
  // each command's module in its own chunk, loaded when the command runs (main.ts)
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // ESM output has no require(); bundled code that calls it for an npm dependency gets one
  banner: { js: "import { createRequire as __skiffCreateRequire } from 'node:module'; const require = __skiffCreateRequire(import.meta.url);" },
  plugins: [
    {
      name: 'skiff-sources',
      setup(b) {
        // ws's optional native speed-ups: required in a try, absent here
        b.onResolve({ filter: /^(bufferutil|utf-8-validate)$/ }, (args) => ({ path: args.path, external: true }));
        b.onResolve({ filter: /\/daemon\/main\.js$/ }, (args) => ({ path: args.path, external: true }));
        // files found next to a source (the native addon, the compose schema) stay where they are
        b.onLoad({ filter: /\.ts$/ }, async (args) => {
          if (args.path.includes('/node_modules/')) return undefined;
          const text = await readFile(args.path, 'utf8');
          return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
        });
      },
    },
  ],
});
// each file replaced by a rename: a CLI started meanwhile reads the old bundle or the new one
const place = async (path, contents) => {
  await writeFile(`${path}.${process.pid}.tmp`, contents);
  await rename(`${path}.${process.pid}.tmp`, path);
};
await mkdir(`${outdir}/chunks`, { recursive: true });
// maps, then chunks, then the entry: a CLI started meanwhile finds every chunk its entry
// names (chunk names carry a content hash, so a new entry never loads an old chunk)
const entry = `${outdir}/main.js`;
const rank = (p) => (p.endsWith('.map') ? 0 : p === entry ? 2 : 1);
for (const f of [...result.outputFiles].sort((a, b) => rank(a.path) - rank(b.path))) await place(f.path, f.contents);
// chunks of earlier builds: left a day for CLIs that were running then, removed after
const fresh = new Set(result.outputFiles.map((f) => f.path));
for (const name of await readdir(`${outdir}/chunks`)) {
  const path = `${outdir}/chunks/${name}`;
  if (!fresh.has(path) && Date.now() - (await stat(path)).mtimeMs > 86_400_000) await unlink(path);
}
// bin/skiff uses the bundle only for the checkout it was built from
await place(`${outdir}/.source-root`, fileURLToPath(new URL('../../..', import.meta.url)));
