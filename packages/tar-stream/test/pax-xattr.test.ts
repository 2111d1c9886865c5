import { describe, expect, it } from 'vitest';
import upstream from 'tar-stream';
import fork from '../index.js';

type Entry = { name: string; linkname?: string; type?: 'file' | 'symlink'; pax?: Record<string, string | Buffer>; body?: string };
type Got = { name: string; linkname: string | null; pax: Record<string, string | Buffer> | null | undefined; body: string };

function packWith(lib: typeof fork | typeof upstream, entries: Entry[]): Promise<Buffer> {
  const pack = lib.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const e of entries) pack.entry({ name: e.name, linkname: e.linkname, type: e.type ?? 'file', mtime: new Date(0), pax: e.pax as never }, e.body ?? '');
  pack.finalize();
  return done;
}

async function extractWith(lib: typeof fork | typeof upstream, tarBytes: Buffer): Promise<Got[]> {
  const ex = lib.extract();
  const got: Got[] = [];
  ex.on('entry', (header, stream, next) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => {
      got.push({ name: header.name, linkname: header.linkname, pax: header.pax as Got['pax'], body: Buffer.concat(parts).toString() });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(tarBytes);
  await done;
  return got;
}

// a file capability (cap_setuid+ep, VFS_CAP_REVISION_2): 0x80 and 0x00 bytes that are not UTF-8 text
const CAP = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

describe('@skiff/tar-stream (tar-stream with byte-exact xattr PAX records)', () => {
  it('writes and reads binary xattr values byte for byte, alongside long names and text records', async () => {
    const long = `${'d'.repeat(120)}/ünïcode-${'f'.repeat(110)}`;
    const odd = Buffer.from([0xff, 0x3d, 0x0a, 0xc3, 0x20, 0x00]); // invalid UTF-8, '=', newline, space, NUL
    const bytes = await packWith(fork, [
      {
        name: long,
        pax: { 'SCHILY.xattr.security.capability': CAP, 'SCHILY.xattr.user.odd': odd, 'SCHILY.xattr.user.text': 'héllo', comment: 'naïve=yes' },
        body: 'x',
      },
      { name: 'link', type: 'symlink', linkname: 'l'.repeat(150), pax: { 'SCHILY.xattr.user.a': Buffer.from('b') } },
    ]);
    const [file, link] = await extractWith(fork, bytes);
    expect(file!.name).toBe(long);
    expect(file!.body).toBe('x');
    expect(file!.pax!['SCHILY.xattr.security.capability']).toEqual(CAP);
    expect(file!.pax!['SCHILY.xattr.user.odd']).toEqual(odd);
    expect(file!.pax!['SCHILY.xattr.user.text']).toEqual(Buffer.from('héllo'));
    expect(file!.pax!.comment).toBe('naïve=yes');
    expect(file!.pax!.path).toBe(long);
    expect(link!.linkname).toBe('l'.repeat(150));
    expect(link!.pax!['SCHILY.xattr.user.a']).toEqual(Buffer.from('b'));
    // upstream reads the same archive (its text form of the capability is the mangled one this fork exists for)
    const up = await extractWith(upstream, bytes);
    expect(up.map((e) => [e.name, e.linkname, e.body])).toEqual([
      [long, null, 'x'],
      ['link', 'l'.repeat(150), ''],
    ]);
    expect(Buffer.from(up[0]!.pax!['SCHILY.xattr.security.capability'] as string)).not.toEqual(CAP);
  });

  it('writes text-only archives exactly as tar-stream does, and reads them to the same headers', async () => {
    const entries: Entry[] = [
      { name: 'plain', body: 'a' },
      { name: `${'n'.repeat(101)}`, pax: { 'SCHILY.xattr.user.k': 'v', 'x=y': 'z=w', 'GNU.sparse.major': '1' }, body: 'bb' },
      { name: 'é'.repeat(60), linkname: 'ł'.repeat(60), type: 'symlink' },
    ];
    const ours = await packWith(fork, entries);
    expect(ours.equals(await packWith(upstream, entries))).toBe(true);
    const text = (g: Got[]) => g.map((e) => ({ ...e, pax: e.pax && Object.fromEntries(Object.entries(e.pax).map(([k, v]) => [k, v.toString()])) }));
    expect(text(await extractWith(fork, ours))).toEqual(text(await extractWith(upstream, ours)));
  });
});
