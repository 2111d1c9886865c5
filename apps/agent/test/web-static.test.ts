import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineScriptHashes } from '../src/daemon/static/headers.js';
import { webFrontend } from '../src/daemon/web.js';

/**
 * The dashboard's static export served by the agent (daemon/web.ts): only files of the
 * export, never a path built from the request, no symbolic link followed, the right types,
 * cache policy, compression, HEAD, 304, 404 and 405; a 503 until there is a build.
 */
const SECRET = 'the-secret-outside-the-export';
const THEME = "document.documentElement.classList.toggle('dark', true)";
const PAGE = (title: string) =>
  `<!DOCTYPE html><html><head><script>${THEME}</script><script src="/_next/static/chunks/app.js" async=""></script></head><body>${title}</body></html>`;

let base: string;
let out: string;
let server: Server;
let port: number;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** the request line exactly as written (a client library would normalise the path) */
function raw(target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

function write(rel: string, body: string | Buffer): void {
  mkdirSync(join(out, rel, '..'), { recursive: true });
  writeFileSync(join(out, rel), body);
}

function buildExport(): void {
  write('index.html', PAGE('home'));
  write('index.txt', 'home payload');
  write('login.html', PAGE('login'));
  write('404.html', PAGE('page not found'));
  write('containers.html', PAGE('container list'));
  write('containers/_.html', PAGE('one container'));
  write('containers/_.txt', 'container payload');
  write('containers/_/__next._tree.txt', 'container tree');
  write('stacks/_.html', PAGE('one stack'));
  write('stacks/new.html', PAGE('new stack'));
  const js = `console.log(${JSON.stringify('x'.repeat(4000))})`;
  write('_next/static/chunks/app.js', js);
  write('_next/static/chunks/app.js.br', brotliCompressSync(js));
  write('_next/static/chunks/app.js.gz', gzipSync(js));
  write('_next/static/media/logo.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
  write('_next/static/media/font.woff2', Buffer.from([0x77, 0x4f, 0x46, 0x32]));
  write('data.bin', Buffer.from([1, 2, 3]));
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'skiff-web-static-'));
  out = join(base, 'out');
  writeFileSync(join(base, 'secret.txt'), SECRET);
  mkdirSync(join(base, 'secret-dir'));
  writeFileSync(join(base, 'secret-dir', 'passwd'), SECRET);
  const handle = webFrontend(out);
  server = createServer((req, res) => handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server?.close();
  rmSync(base, { recursive: true, force: true });
});

describe('the dashboard served from its static export', () => {
  it('answers 503 with how to build until there is a build, then serves it without a restart', async () => {
    const before = await get('/login');
    expect(before.status).toBe(503);
    expect(before.body.toString()).toMatch(/not built: run `npm run build`/);
    buildExport();
    const after = await get('/login');
    expect(after.status).toBe(200);
    expect(after.body.toString()).toContain('login');
  });

  it('never serves a file outside the export, however the path is written', async () => {
    const attempts = [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/containers/%2e%2e/%2e%2e/secret.txt',
      '/containers/..%2f..%2fsecret.txt',
      '/_next/static/../../../secret.txt',
      '/_next/static/%2e%2e/%2e%2e/%2e%2e/secret.txt',
      '/..\\secret.txt',
      '/%5c..%5csecret.txt',
      '/secret.txt%00.html',
      '//secret.txt',
      '/.%2e/secret-dir/passwd',
      '/%252e%252e/secret.txt',
      '/containers/_/../../secret-dir/passwd',
      '../secret.txt',
      'http://127.0.0.1/../secret.txt',
      '*',
    ];
    for (let round = 0; round < 5; round++)
      for (const target of attempts) {
        const text = await raw(target);
        expect(text, target).not.toContain(SECRET);
        expect(text.slice(0, 15), target).not.toBe('HTTP/1.1 200 OK');
      }
  });

  it('does not follow symbolic links, present at indexing or swapped in after', async () => {
    symlinkSync(join(base, 'secret.txt'), join(out, 'linked.txt'));
    symlinkSync(join(base, 'secret-dir'), join(out, 'linked-dir'));
    // a rebuild that brought links: re-indexed on the next miss
    await new Promise((r) => setTimeout(r, 1_100));
    for (const p of ['/linked.txt', '/linked-dir/passwd', '/linked', '/linked-dir']) {
      const a = await get(p);
      expect(a.status, p).toBe(404);
      expect(a.body.toString(), p).not.toContain(SECRET);
    }
    // an indexed file replaced by a link
    unlinkSync(join(out, 'data.bin'));
    symlinkSync(join(base, 'secret.txt'), join(out, 'data.bin'));
    const swapped = await get('/data.bin');
    expect(swapped.body.toString()).not.toContain(SECRET);
    expect(swapped.status).toBe(404);
    unlinkSync(join(out, 'data.bin'));
    write('data.bin', Buffer.from([1, 2, 3]));
  });

  it('sends the right types, a year of cache for hashed assets, revalidation and a CSP for pages', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    // the page's own inline script by hash, and no inline script else
    expect(csp).toContain(inlineScriptHashes(PAGE('home'))[0]);
    expect(csp).not.toContain("'unsafe-inline' 'sha");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    const types: [string, string, string][] = [
      ['/_next/static/chunks/app.js', 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
      ['/_next/static/media/logo.svg', 'image/svg+xml', 'public, max-age=31536000, immutable'],
      ['/_next/static/media/font.woff2', 'font/woff2', 'public, max-age=31536000, immutable'],
      ['/index.txt', 'text/plain; charset=utf-8', 'no-cache'],
      ['/data.bin', 'application/octet-stream', 'no-cache'],
    ];
    for (const [p, type, cache] of types) {
      const a = await get(p);
      expect([a.status, a.headers['content-type'], a.headers['cache-control']], p).toEqual([200, type, cache]);
      expect(a.headers['content-security-policy'], p).toBeUndefined();
    }
  });

  it('sends the precompressed copy the client takes, else the file itself', async () => {
    const js = `console.log(${JSON.stringify('x'.repeat(4000))})`;
    const br = await get('/_next/static/chunks/app.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect([br.headers['content-encoding'], br.headers.vary]).toEqual(['br', 'accept-encoding']);
    expect(brotliDecompressSync(br.body).toString()).toBe(js);
    const gz = await get('/_next/static/chunks/app.js', { 'accept-encoding': 'gzip, br;q=0' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(js);
    for (const ae of ['identity', 'gzip;q=0, br;q=0', '*;q=0', '']) {
      const plain = await get('/_next/static/chunks/app.js', { 'accept-encoding': ae });
      expect(plain.headers['content-encoding'], ae).toBeUndefined();
      expect(plain.body.toString(), ae).toBe(js);
    }
    // each coding has its own ETag, so a cache never mixes them up
    expect(br.headers.etag).not.toBe(gz.headers.etag);
  });

  it('answers HEAD with the headers alone, and If-None-Match with a 304', async () => {
    const get200 = await get('/login');
    const head = await get('/login', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(String(get200.body.length));
    expect(head.headers.etag).toBe(get200.headers.etag);
    const again = await get('/login', { 'if-none-match': String(get200.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect((await get('/login', { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('serves a dynamic route’s one page for every value; static routes win', async () => {
    for (const id of ['4f1c0a', 'a'.repeat(64), 'web-1', 'caf%C3%A9']) {
      const a = await get(`/containers/${id}`);
      expect([a.status, a.body.toString()], id).toEqual([200, PAGE('one container')]);
    }
    expect((await get('/containers/4f1c0a.txt')).body.toString()).toBe('container payload');
    expect((await get('/containers/4f1c0a/__next._tree.txt')).body.toString()).toBe('container tree');
    expect((await get('/containers')).body.toString()).toBe(PAGE('container list'));
    expect((await get('/containers/')).body.toString()).toBe(PAGE('container list'));
    expect((await get('/stacks/new')).body.toString()).toBe(PAGE('new stack'));
    expect((await get('/stacks/web')).body.toString()).toBe(PAGE('one stack'));
    // nothing below a page that has no such route
    expect((await get('/containers/4f1c0a/logs/more')).status).toBe(404);
  });

  it('answers a missing page with the 404 page, a missing asset with a short 404, other methods with 405', async () => {
    const page = await get('/no-such-page');
    expect([page.status, page.body.toString()]).toEqual([404, PAGE('page not found')]);
    const asset = await get('/_next/static/chunks/gone.js');
    expect([asset.status, asset.headers['content-type'], asset.body.toString()]).toEqual([404, 'text/plain; charset=utf-8', 'not found\n']);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const a = await get('/login', {}, method);
      expect([a.status, a.headers.allow], method).toEqual([405, 'GET, HEAD']);
    }
  });

  it('serves a rebuild (the export directory replaced) without a restart', async () => {
    const old = join(base, 'old-out');
    renameSync(out, old);
    buildExport();
    write('_next/static/chunks/new-build.js', 'new');
    await new Promise((r) => setTimeout(r, 1_100));
    const a = await get('/_next/static/chunks/new-build.js');
    expect([a.status, a.body.toString()]).toEqual([200, 'new']);
    rmSync(old, { recursive: true });
  });
});
