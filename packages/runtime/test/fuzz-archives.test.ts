import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSkiffError } from '../src/errors.js';
import { buildImage, buildLayer, fixtureRegistry, stopFixtureRegistry, type BuiltImage } from '@skiff/test-fixtures';
import { TestRuntime } from './helpers.js';

/**
 * Hostile archives through the runtime's public API: `images.load` of mutated docker-save
 * tars, `images.import` and `containers.copyTo` of random tars (bad headers, huge sizes,
 * traversal names, symlink and hardlink tricks, pax headers). Each call loads, or fails
 * with a SkiffError; nothing throws anything else, nothing escapes into this process as an
 * uncaught error (vitest fails the file on one), and nothing lands outside the runtime's
 * root. Deterministic: FUZZ_SEED or a fixed seed; fast-check prints seed and path on failure.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
let t: TestRuntime;
let busybox: string;
let saved: Buffer;
let container: string;
/** a directory outside the root that traversal names aim at: it must stay empty */
let outside: string;
/** the hostile registry (below), known to the runtime as an insecure registry */
let hostile: Server;
let hostileHost = '';
let script: Script | undefined;

beforeAll(async () => {
  const reg = await fixtureRegistry();
  busybox = `${reg.host}/skiff-test/busybox:latest`;
  hostile = createServer(serveScript);
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  hostileHost = `127.0.0.1:${(hostile.address() as { port: number }).port}`;
  t = await TestRuntime.create([reg.host, hostileHost]);
  await t.rt.images.pull(busybox);
  const work = await mkdtemp(join(tmpdir(), 'skiff-fz-'));
  outside = join(work, 'outside');
  await mkdir(outside);
  await pipeline(t.rt.images.save([busybox]), createWriteStream(join(work, 'save.tar')));
  saved = readFileSync(join(work, 'save.tar'));
  const c = await t.rt.containers.create({ image: busybox, cmd: ['sleep', '3600'] });
  await t.rt.containers.start(c.id);
  container = c.id;
}, 120_000);

afterAll(async () => {
  await new Promise((r) => hostile?.close(r));
  await t?.dispose();
  if (outside) await rm(join(outside, '..'), { recursive: true, force: true });
  await stopFixtureRegistry();
}, 60_000);

interface Entry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  linkname: string;
  mode: number;
  size: number;
  content: Buffer;
  uid: number;
  pax?: Record<string, string>;
}

/** names that aim out of wherever they are unpacked; `${OUT}` is the directory that must stay empty */
const OUT = '@OUT@';
const name = fc.oneof(
  fc.constantFrom(
    'a',
    'a/b',
    'dir/',
    './x',
    '../x',
    '../../../../../../..' + OUT + '/p',
    '/' + OUT.slice(1) + '/abs',
    'link/escape',
    'link/../../x',
    'a'.repeat(300),
    'é/ü',
    '.',
    '..',
    '',
    'manifest.json',
    'index.json',
    'oci-layout',
    'blobs/sha256/x',
    'link',
    'hard',
    '.wh.a',
    'a/.wh..wh..opq',
    'etc/passwd',
  ),
  fc.string({ maxLength: 40 }),
);
const linkname = fc.oneof(
  fc.constantFrom('/', '..', '../../../../../../..', OUT, `${OUT}/p`, 'a', 'link', '/etc/shadow', '/proc/self/root', 'a'.repeat(200)),
  fc.string({ maxLength: 20 }),
);
const entry: fc.Arbitrary<Entry> = fc.record({
  name,
  type: fc.constantFrom('file', 'file', 'file', 'directory', 'symlink', 'symlink', 'link', 'link', 'character-device', 'block-device', 'fifo'),
  linkname,
  mode: fc.oneof(fc.constantFrom(0o755, 0o644, 0o4755, 0o7777, 0), fc.nat(0o7777)),
  size: fc.oneof(fc.constant(-1), fc.constantFrom(0, 1, 8 ** 11 - 1), fc.nat(2000)),
  content: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  uid: fc.oneof(fc.constant(0), fc.nat(), fc.constant(2 ** 31)),
  pax: fc.option(
    fc.dictionary(
      fc.constantFrom('path', 'linkpath', 'size', 'uid', 'SCHILY.xattr.security.capability', 'SCHILY.xattr.user.x', 'mtime', 'x'),
      fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('-1', '99999999999999999999', '../../../' + OUT, 'abc')),
    ),
    { nil: undefined },
  ),
});

/** a tar of `entries` made with tar-stream, then some of its bytes overwritten */
async function buildTar(entries: Entry[], flips: [number, number][], outsideDir: string): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const sub = (s: string) => s.replaceAll(OUT, outsideDir.slice(1)).replaceAll('/' + outsideDir.slice(1), outsideDir);
  for (const e of entries) {
    const isFile = e.type === 'file';
    const header: Partial<tar.Header> & { name: string } = {
      name: sub(e.name) || 'x',
      type: e.type,
      mode: e.mode,
      uid: e.uid,
      gid: 0,
      linkname: sub(e.linkname),
      pax: e.pax && Object.fromEntries(Object.entries(e.pax).map(([k, v]) => [k, sub(v)])),
    };
    try {
      if (isFile) {
        // a declared size that is not the content's: tar-stream refuses it, so fix it up with raw bytes below
        await new Promise<void>((resolve, reject) => pack.entry({ ...header, size: e.content.length }, e.content, (err) => (err ? reject(err) : resolve())));
      } else {
        await new Promise<void>((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
      }
    } catch {
      // tar-stream refused to write that header (a name it cannot encode): leave it out
    }
  }
  pack.finalize();
  await ended;
  const buf = Buffer.concat(chunks);
  for (const [at, byte] of flips) if (buf.length) buf[at % buf.length] = byte;
  return buf;
}

const hostileTar = fc.record({
  entries: fc.array(entry, { minLength: 0, maxLength: 8 }),
  flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 }),
  gzip: fc.boolean(),
});

async function expectTypedFailure(what: string, run: () => Promise<unknown>): Promise<'ok' | 'refused'> {
  try {
    await run();
    return 'ok';
  } catch (e) {
    if (!isSkiffError(e)) throw new Error(`${what} failed with a ${(e as Error)?.constructor?.name} (not a SkiffError): ${(e as Error)?.stack ?? String(e)}`);
    return 'refused';
  }
}

async function outsideIsEmpty(): Promise<void> {
  expect(await readdir(outside), 'something was written outside the runtime root').toEqual([]);
  expect(existsSync(join(outside, '..', 'p'))).toBe(false);
}

describe('hostile archives', () => {
  it('image load of mutated docker-save archives: loads or refuses with a SkiffError', async () => {
    const results = { ok: 0, refused: 0 };
    const mutation = fc.oneof(
      // bytes overwritten anywhere (headers, JSON, layer data)
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }).map((flips) => (b: Buffer) => {
        const c = Buffer.from(b);
        for (const [at, v] of flips) c[at % c.length] = v;
        return c;
      }),
      // bytes in the first header blocks (names, sizes, checksums)
      fc.array(fc.tuple(fc.nat(2047), fc.nat(255)), { minLength: 1, maxLength: 8 }).map((flips) => (b: Buffer) => {
        const c = Buffer.from(b);
        for (const [at, v] of flips) c[at] = v;
        return c;
      }),
      fc.nat().map((n) => (b: Buffer) => b.subarray(0, n % b.length)),
      // hostile entries appended to a real archive (before its end blocks)
      hostileTar.map((h) => async (b: Buffer) => Buffer.concat([b.subarray(0, b.length - 1024), await buildTar(h.entries, [], outside)])),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (mutate) => {
        const archive = await mutate(saved);
        results[await expectTypedFailure('image load', () => t.rt.images.load(Readable.from([archive])))]++;
        await outsideIsEmpty();
      }),
      { seed: SEED, numRuns: 60, endOnFailure: true },
    );
    expect(results.refused).toBeGreaterThan(0);
  }, 120_000);

  it('image load and import of random tars: load, or refuse with a SkiffError, and write nothing outside the root', async () => {
    await fc.assert(
      fc.asyncProperty(hostileTar, fc.boolean(), async (h, asImport) => {
        const raw = await buildTar(h.entries, h.flips, outside);
        const archive = h.gzip ? gzipSync(raw) : raw;
        await expectTypedFailure(asImport ? 'image import' : 'image load', () =>
          asImport ? t.rt.images.import(Readable.from([archive])) : t.rt.images.load(Readable.from([archive])),
        );
        await outsideIsEmpty();
      }),
      { seed: SEED, numRuns: 80, endOnFailure: true },
    );
  }, 120_000);

  it('copyTo of random tars into a running container: copies or refuses with a SkiffError, and writes nothing outside', async () => {
    const dest = fc.constantFrom('/tmp', '/', '/tmp/../..', '/etc', '/proc', '/nonexistent', '/bin/sh');
    await fc.assert(
      fc.asyncProperty(hostileTar, dest, async (h, path) => {
        const archive = await buildTar(h.entries, h.flips, outside);
        await expectTypedFailure(`copyTo ${path}`, () => t.rt.containers.copyTo(container, path, Readable.from([archive])));
        await outsideIsEmpty();
      }),
      { seed: SEED, numRuns: 80, endOnFailure: true },
    );
    // the container is still there and running
    expect((await t.rt.containers.list({ all: false })).map((c) => c.id)).toContain(container);
  }, 120_000);

  it('random bytes, claimed huge sizes and bad checksums are refused quickly', async () => {
    const header = Buffer.alloc(512);
    header.write('huge', 0);
    header.write('0000644\0', 100);
    header.write('77777777777\0', 124); // 8 GiB claimed, a few bytes sent
    header.write('        ', 148);
    header[156] = '0'.charCodeAt(0);
    header.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    const claimed = Buffer.concat([header, randomBytes(100)]);
    for (const archive of [claimed, randomBytes(4096), gzipSync(randomBytes(4096)), Buffer.alloc(0)]) {
      expect(await expectTypedFailure('image load', () => t.rt.images.load(Readable.from([archive])))).toBe('refused');
      await expectTypedFailure('image import', () => t.rt.images.import(Readable.from([archive])));
      await expectTypedFailure('copyTo', () => t.rt.containers.copyTo(container, '/tmp', Readable.from([archive])));
    }
  }, 60_000);
});

/** what the hostile registry answers for the next pull */
interface Script {
  manifest: Buffer;
  contentType: string;
  /** blob digest → bytes; anything else is random bytes of `junkSize` */
  blobs: Map<string, Buffer>;
  junkSize: number;
}

/** a Distribution API server answering with whatever the current script says */
function serveScript(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/v2/') return void res.writeHead(200).end('{}');
  if (!script) return void res.writeHead(404).end();
  if (path.includes('/manifests/'))
    return void res
      .writeHead(200, { 'content-type': script.contentType, 'docker-content-digest': `sha256:${createHash('sha256').update(script.manifest).digest('hex')}` })
      .end(script.manifest);
  const blob = /\/blobs\/(sha256:[0-9a-f]+)$/.exec(path)?.[1];
  if (blob) return void res.writeHead(200).end(script.blobs.get(blob) ?? randomBytes(script.junkSize));
  res.writeHead(404).end();
}

describe('a hostile registry', () => {
  let good: BuiltImage;
  beforeAll(async () => {
    good = buildImage([await buildLayer([{ name: 'hello.txt', content: Buffer.from('hi') }])], { Cmd: ['sh'] });
  });

  const manifestOf = (o: unknown) => Buffer.from(JSON.stringify(o));
  const digestArb = fc.oneof(
    fc.constantFrom('sha256:' + 'a'.repeat(64), 'sha256:../../../etc/passwd', 'sha512:xx', '', 'md5:0'),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }).map((h) => `sha256:${h}`),
  );
  const descriptor = fc.record(
    {
      mediaType: fc.constantFrom(
        'application/vnd.oci.image.layer.v1.tar+gzip',
        'application/vnd.docker.image.rootfs.diff.tar.gzip',
        'application/vnd.oci.image.manifest.v1+json',
        'text/html',
        '',
      ),
      digest: digestArb,
      size: fc.oneof(fc.constantFrom(-1, 0, 2 ** 53, 8 * 1024 ** 3), fc.nat(5000)),
      platform: fc.option(fc.record({ os: fc.constantFrom('linux', 'windows', ''), architecture: fc.constantFrom('amd64', 'arm64', '') }), { nil: undefined }),
    },
    { requiredKeys: [] },
  );
  const goodManifest = () => JSON.parse(good.manifest.toString()) as Record<string, unknown>;
  const scriptArb: fc.Arbitrary<() => Script> = fc.oneof(
    // random JSON or bytes as the manifest
    fc
      .tuple(
        fc.oneof(
          fc.jsonValue().map((v) => manifestOf(v)),
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
        ),
        fc.constantFrom(
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.docker.distribution.manifest.v2+json',
          'text/plain',
        ),
      )
      .map(([manifest, contentType]) => () => ({ manifest, contentType, blobs: new Map(), junkSize: 100 })),
    // a real manifest with some fields replaced by hostile ones
    fc
      .record({
        config: fc.option(descriptor, { nil: undefined }),
        layers: fc.option(fc.array(descriptor, { maxLength: 3 }), { nil: undefined }),
        schemaVersion: fc.option(fc.constantFrom(1, 2, 3, '2'), { nil: undefined }),
        junkSize: fc.nat(4096),
        badConfig: fc.boolean(),
      })
      .map((m) => () => {
        const manifest = {
          ...goodManifest(),
          ...(m.config ? { config: m.config } : {}),
          ...(m.layers ? { layers: m.layers } : {}),
          ...(m.schemaVersion !== undefined ? { schemaVersion: m.schemaVersion } : {}),
        };
        const blobs = new Map<string, Buffer>([
          [good.configDigest, m.badConfig ? Buffer.from('{"rootfs":{"diff_ids":[1,2,3]},"config":null}') : good.config],
          ...good.layers.map((l) => [l.digest, l.blob] as [string, Buffer]),
        ]);
        return { manifest: manifestOf(manifest), contentType: good.mediaType, blobs, junkSize: m.junkSize };
      }),
    // an index whose entries point at random or self-referencing manifests
    fc.array(descriptor, { maxLength: 4 }).map((manifests) => () => ({
      manifest: manifestOf({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
      contentType: 'application/vnd.oci.image.index.v1+json',
      blobs: new Map(),
      junkSize: 50,
    })),
  );

  it('pull of random manifests, indexes and blobs: pulls or refuses with a SkiffError', async () => {
    await fc.assert(
      fc.asyncProperty(scriptArb, async (make) => {
        script = make();
        await expectTypedFailure('pull', () => t.rt.images.pull(`${hostileHost}/test/image:latest`));
      }),
      { seed: SEED, numRuns: 60, endOnFailure: true },
    );
  }, 120_000);
});
