import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
  chownSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';
import { entriesOf, scratchDirs } from './layer-entries.js';
import { afterAll, describe, expect, it } from 'vitest';
import { unpackLayer } from '../src/image/layer-unpack.js';
import { writeLayer, type WrittenLayer } from '../src/image/layer-writer.js';
import { lgetxattr, llistxattr, lsetxattr, mknod, S_IFCHR } from '../src/native/addon.js';
import { BlobStore } from '../src/store/blob-store.js';

afterAll(async () => {
  await dirs.removeAll();
});

const dirs = scratchDirs('skiff-commit-');
const scratch = dirs.make;

describe('layer writer', () => {
  async function tree(): Promise<string> {
    const src = join(await scratch(), 'src');
    mkdirSync(join(src, 'dir/sub'), { recursive: true });
    writeFileSync(join(src, 'dir/file'), 'content\n');
    chownSync(join(src, 'dir/file'), 1000, 50);
    chmodSync(join(src, 'dir/file'), 0o4755); // after chown, which clears set-uid
    writeFileSync(join(src, 'secret'), 's');
    chmodSync(join(src, 'secret'), 0o000);
    linkSync(join(src, 'dir/file'), join(src, 'dir/sub/hard'));
    symlinkSync('../file', join(src, 'dir/sub/rel'));
    symlinkSync('/etc/passwd', join(src, 'abs'));
    mkdirSync(join(src, 'sticky'));
    chmodSync(join(src, 'sticky'), 0o1777);
    execFileSync('mkfifo', [join(src, 'fifo')]);
    mknod(join(src, 'null'), S_IFCHR | 0o666, 1, 3);
    writeFileSync(join(src, 'caps'), 'x');
    lsetxattr(join(src, 'caps'), 'security.capability', Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    lsetxattr(join(src, 'caps'), 'user.bin', Buffer.from([0xff, 0xfe, 0x00, 0xc3]));
    writeFileSync(join(src, 'Ünïcode-' + 'n'.repeat(120)), 'long\n');
    const when = new Date('2023-05-06T07:08:09.750Z');
    for (const p of ['dir/file', 'secret', 'sticky', 'dir/sub', 'dir', 'caps']) utimesSync(join(src, p), when, when);
    return src;
  }

  async function blobStore(): Promise<BlobStore> {
    const b = new BlobStore(await scratch());
    await b.init();
    return b;
  }

  it('round-trips through the unpacker: modes, owners, mtimes, symlinks, hard links, devices, xattrs', async () => {
    const src = await tree();
    const blobs = await blobStore();
    const layer = await writeLayer({ kind: 'directory', dir: src }, blobs);
    expect(layer).toMatchObject({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', empty: false });
    expect(await blobs.size(layer.digest)).toBe(layer.size);
    const dest = join(await scratch(), 'fs');
    mkdirSync(dest);
    const { diffID } = await unpackLayer(createReadStream(blobs.path(layer.digest)), dest);
    expect(diffID).toBe(layer.diffID);

    const file = statSync(join(dest, 'dir/file'));
    expect([file.mode & 0o7777, file.uid, file.gid, file.mtime.toISOString()]).toEqual([0o4755, 1000, 50, '2023-05-06T07:08:09.000Z']);
    expect(statSync(join(dest, 'dir/sub/hard')).ino).toBe(file.ino);
    expect(statSync(join(dest, 'secret')).mode & 0o7777).toBe(0);
    expect(statSync(join(dest, 'sticky')).mode & 0o7777).toBe(0o1777);
    expect(readlinkSync(join(dest, 'dir/sub/rel'))).toBe('../file');
    expect(readlinkSync(join(dest, 'abs'))).toBe('/etc/passwd');
    expect(lstatSync(join(dest, 'fifo')).isFIFO()).toBe(true);
    const dev = lstatSync(join(dest, 'null'));
    expect([dev.isCharacterDevice(), dev.rdev]).toEqual([true, lstatSync(join(src, 'null')).rdev]);
    expect(lgetxattr(join(dest, 'caps'), 'security.capability')).toEqual(lgetxattr(join(src, 'caps'), 'security.capability'));
    expect([...lgetxattr(join(dest, 'caps'), 'user.bin')!]).toEqual([0xff, 0xfe, 0x00, 0xc3]);
    expect(readFileSync(join(dest, 'Ünïcode-' + 'n'.repeat(120)), 'utf8')).toBe('long\n');

    const entries = await entriesOf(blobs.path(layer.digest));
    expect(entries.map((e) => e.name)).toEqual([
      'abs',
      'caps',
      'dir/',
      'dir/file',
      'dir/sub/',
      'dir/sub/hard',
      'dir/sub/rel',
      'fifo',
      'null',
      'secret',
      'sticky/',
      'Ünïcode-' + 'n'.repeat(120),
    ]);
    expect(entries.find((e) => e.name === 'dir/sub/hard')).toMatchObject({ type: 'link', linkname: 'dir/file' });
    // GNU tar reads it too (a peer check of the format)
    const listing = execFileSync('tar', ['-tvzf', blobs.path(layer.digest)], { encoding: 'utf8' });
    expect(listing).toMatch(/^-rwsr-xr-x 1000\/50 .* dir\/file$/m);
    expect(listing).toMatch(/^hrwsr-xr-x .* dir\/sub\/hard link to dir\/file$/m);
  });

  it('gives the same digest for the same content, whatever the atimes and the walk', async () => {
    const src = await tree();
    const a = await writeLayer({ kind: 'directory', dir: src }, await blobStore());
    readFileSync(join(src, 'dir/file')); // atime changes do not matter
    execFileSync('cp', ['-a', src, `${src}-copy`]); // another inode order on disk
    const b = await writeLayer({ kind: 'directory', dir: `${src}-copy` }, await blobStore());
    expect(b.diffID).toBe(a.diffID);
    expect(b.digest).toBe(a.digest);
    // mtime clamping (SOURCE_DATE_EPOCH-like)
    const clamped = await writeLayer({ kind: 'directory', dir: src }, await blobStore(), { mtimeClamp: new Date('2000-01-01T00:00:00Z') });
    expect(clamped.diffID).not.toBe(a.diffID);
    const blobs = await blobStore();
    const again = await writeLayer({ kind: 'directory', dir: src }, blobs, { mtimeClamp: new Date('2000-01-01T00:00:00Z') });
    expect(again.digest).toBe(clamped.digest);
    expect(new Set((await entriesOf(blobs.path(again.digest))).map((e) => e.mtime))).toEqual(new Set([Date.parse('2000-01-01T00:00:00Z')]));
  });

  it('prefixes a directory source (the root becomes the prefix dir)', async () => {
    const src = join(await scratch(), 'ctx');
    mkdirSync(join(src, 'lib'), { recursive: true });
    chmodSync(src, 0o750);
    writeFileSync(join(src, 'lib/a.txt'), 'a');
    const blobs = await blobStore();
    const layer = await writeLayer({ kind: 'directory', dir: src, prefix: '/srv/app/' }, blobs);
    const entries = await entriesOf(blobs.path(layer.digest));
    expect(entries.map((e) => [e.name, e.mode])).toEqual([
      ['srv/app/', 0o750],
      ['srv/app/lib/', 0o755],
      ['srv/app/lib/a.txt', 0o644],
    ]);
  });

  it('converts overlayfs whiteouts and opaque dirs, drops overlay xattrs, and an empty upper is an empty layer', async () => {
    const upper = join(await scratch(), 'upper');
    mkdirSync(join(upper, 'etc/opq'), { recursive: true });
    mknod(join(upper, 'etc/gone'), S_IFCHR, 0, 0);
    lsetxattr(join(upper, 'etc/opq'), 'trusted.overlay.opaque', Buffer.from('y'));
    lsetxattr(join(upper, 'etc'), 'trusted.overlay.impure', Buffer.from('y'));
    writeFileSync(join(upper, 'etc/opq/kept'), 'k');
    const blobs = await blobStore();
    const layer = await writeLayer({ kind: 'overlay-upper', dir: upper }, blobs);
    const entries = await entriesOf(blobs.path(layer.digest));
    expect(entries.map((e) => `${e.type} ${e.name}`)).toEqual([
      'directory etc/',
      'file etc/.wh.gone',
      'directory etc/opq/',
      'file etc/opq/.wh..wh..opq',
      'file etc/opq/kept',
    ]);
    expect(entries.every((e) => Object.keys(e.pax).every((k) => !k.includes('overlay')))).toBe(true);
    // and back: the unpacker turns them into overlayfs whiteouts again
    const dest = join(await scratch(), 'fs');
    mkdirSync(dest);
    await unpackLayer(createReadStream(blobs.path(layer.digest)), dest);
    expect(lstatSync(join(dest, 'etc/gone')).rdev).toBe(0);
    expect(lgetxattr(join(dest, 'etc/opq'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(llistxattr(join(dest, 'etc')).filter((n) => n.includes('overlay'))).toEqual([]);

    const empty: WrittenLayer = await writeLayer({ kind: 'overlay-upper', dir: join(await scratch()) }, blobs);
    expect(empty).toMatchObject({ empty: true, diffID: 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef' });
  });

  it('refuses an overlayfs redirect dir rather than writing an incomplete layer', async () => {
    const upper = join(await scratch(), 'upper');
    mkdirSync(join(upper, 'moved'), { recursive: true });
    lsetxattr(join(upper, 'moved'), 'trusted.overlay.redirect', Buffer.from('/orig'));
    await expect(writeLayer({ kind: 'overlay-upper', dir: upper }, await blobStore())).rejects.toThrow(/redirect/);
  });
});
