// Bundles `skiff` into plain JavaScript under apps/agent/dist/, so a start runs a few files
// instead of tsx transpiling ~150 modules (and keeping their source maps) every time:
// - dist/cli: the Node CLI, npm dependencies included (resolving their hundreds of files cost
//   ~0.6 s a call); `skiff daemon` is left out.
// - dist/daemon: the agent (the CLI's code too: it serves native-client calls in-process),
//   npm dependencies left to Node's resolution, as Prisma, better-sqlite3 and Next.js find
//   their files next to their own. ~35 MiB less RSS and 0.6 s faster ready than under tsx.
// Both keep paths next to the sources (the native addon, the web app, the Prisma schemas):
// import.meta.url/dirname/filename are the source file's, found at run time from where the
// bundle sits, so a bundle holds no absolute path and a copy in another checkout (turbo's
// cache replays dist/ across checkouts and worktrees) uses that checkout's files.
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const agentDir = fileURLToPath(new URL('..', import.meta.url));
const rootUrl = new URL('../../..', import.meta.url).href;
// a source path as an expression: its file URL under the checkout that holds the bundle
const sourceUrl = (path) => `new URL(${JSON.stringify(pathToFileURL(path).href.slice(rootUrl.length))}, __skiffRoot).href`;

async function bundle({ outdir, withDaemon }) {
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
    // and every file (entry, chunks) finds the checkout it sits in: the part of its own URL
    // before /apps/agent/dist/
    banner: {
      js: [
        "import { createRequire as __skiffCreateRequire } from 'node:module';",
        "import { fileURLToPath as __skiffFileURLToPath } from 'node:url';",
        'const require = __skiffCreateRequire(import.meta.url);',
        "const __skiffRoot = import.meta.url.slice(0, import.meta.url.lastIndexOf('/apps/agent/dist/') + 1);",
      ].join(' '),
    },
    plugins: [
      {
        name: 'skiff-sources',
        setup(b) {
          // ws's optional native speed-ups: required in a try, absent here
          b.onResolve({ filter: /^(bufferutil|utf-8-validate)$/ }, (args) => ({ path: args.path, external: true }));
          if (withDaemon) {
            // npm packages (not the workspace's own, which are TypeScript) load from node_modules
            b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@skiff/') ? undefined : { path: args.path, external: true }));
          } else {
            b.onResolve({ filter: /\/daemon\/main\.js$/ }, (args) => ({ path: args.path, external: true }));
          }
          b.onLoad({ filter: /\.ts$/ }, async (args) => {
            if (args.path.includes('/node_modules/')) return undefined;
            const text = await readFile(args.path, 'utf8');
            const contents = text
              .replaceAll('import.meta.url', `(${sourceUrl(args.path)})`)
              .replaceAll('import.meta.dirname', `__skiffFileURLToPath(${sourceUrl(dirname(args.path))})`)
              .replaceAll('import.meta.filename', `__skiffFileURLToPath(${sourceUrl(args.path)})`);
            return { contents, loader: 'ts' };
          });
        },
      },
    ],
  });
  await place(outdir, result);
}

// each file replaced by a rename: a process started meanwhile reads the old bundle or the new one
async function placeFile(path, contents) {
  await writeFile(`${path}.${process.pid}.tmp`, contents);
  await rename(`${path}.${process.pid}.tmp`, path);
}

async function place(outdir, result) {
  await mkdir(`${outdir}/chunks`, { recursive: true });
  // maps, then chunks, then the entry: a process started meanwhile finds every chunk its
  // entry names (chunk names carry a content hash, so a new entry never loads an old chunk)
  const entry = `${outdir}/main.js`;
  const rank = (p) => (p.endsWith('.map') ? 0 : p === entry ? 2 : 1);
  for (const f of [...result.outputFiles].sort((a, b) => rank(a.path) - rank(b.path))) await placeFile(f.path, f.contents);
  // chunks of earlier builds: left a day for processes that were running then, removed after
  const fresh = new Set(result.outputFiles.map((f) => f.path));
  for (const name of await readdir(`${outdir}/chunks`)) {
    const path = `${outdir}/chunks/${name}`;
    if (!fresh.has(path) && Date.now() - (await stat(path)).mtimeMs > 86_400_000) await unlink(path);
  }
  // the marker of the checkout a bundle was built from, which earlier bundles held paths of
  await rm(`${outdir}/.source-root`, { force: true });
}

await bundle({ outdir: `${agentDir}dist/cli`, withDaemon: false });
await bundle({ outdir: `${agentDir}dist/daemon`, withDaemon: true });
