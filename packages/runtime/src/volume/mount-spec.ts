import { InvalidArgument } from '../errors.ts';
import type { MountRequest } from '../types.js';
import { parseByteSize } from '../spec/byte-size.ts';

export type { MountRequest };

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are refused
const CONTROL_CHARS = /[\x00-\x1f\x7f]/;

/** A path that reaches the shim: control characters would split its `mount=` line. */
export function checkMountPathText(p: string, what: string): void {
  if (p.length > 4096) throw new InvalidArgument(`invalid ${what}: path longer than 4096 characters`);
  if (CONTROL_CHARS.test(p)) throw new InvalidArgument(`invalid ${what}: path contains a control character: ${JSON.stringify(p)}`);
}

/** A container path a mount goes on: absolute, no "..", not `/` itself. */
export function checkMountTarget(t: string, what: string): string {
  checkMountPathText(t, what);
  if (!t.startsWith('/')) throw new InvalidArgument(`invalid ${what}: mount path must be absolute: "${t}"`);
  if (t.split('/').includes('..')) throw new InvalidArgument(`invalid ${what}: mount path may not contain "..": "${t}"`);
  const clean = t.replace(/\/+$/, '') || '/';
  if (clean === '/') throw new InvalidArgument(`invalid ${what}: destination can't be '/'`);
  return clean;
}

/** Every mount of a create request, whichever edge it came through (CLI flags, tRPC, Docker API). */
export function checkMountRequests(mounts: MountRequest[], imageVolumes: string[]): void {
  for (const m of mounts) {
    checkMountTarget(m.target, `${m.type} mount target`);
    if (m.source) checkMountPathText(m.source, `${m.type} mount source`);
    if (m.tmpfsOptions) checkTmpfsOptions(m.tmpfsOptions, `the tmpfs at ${m.target}`);
  }
  for (const v of imageVolumes) checkMountTarget(v, 'VOLUME in the image config');
}

/** `-v SRC:DST[:ro|rw]`, `-v NAME:DST`, `-v DST` (anonymous volume). */
export function parseVolumeFlag(v: string): MountRequest {
  const parts = v.split(':');
  if (parts.length === 1) return { type: 'volume', source: '', target: checkMountTarget(parts[0]!, `volume spec "${v}"`) };
  if (parts.length > 3) throw new InvalidArgument(`invalid volume specification: "${v}"`);
  const [src, dst, mode] = parts as [string, string, string | undefined];
  const modes = (mode ?? '').split(',').filter(Boolean);
  for (const m of modes) if (!['ro', 'rw', 'z', 'Z', 'nocopy'].includes(m)) throw new InvalidArgument(`invalid mode "${m}" in volume specification "${v}"`);
  const readOnly = modes.includes('ro');
  if (!src) throw new InvalidArgument(`invalid volume specification: "${v}": empty source`);
  const target = checkMountTarget(dst, `volume spec "${v}"`);
  if (src.startsWith('/') || src.startsWith('.')) return { type: 'bind', source: src, target, readOnly };
  return { type: 'volume', source: src, target, readOnly, noCopy: modes.includes('nocopy') };
}

/** `--mount type=bind,source=/a,target=/b,readonly` (Docker's long form) */
export function parseMountFlag(v: string): MountRequest {
  const kv = new Map<string, string>();
  for (const field of v.split(',')) {
    const eq = field.indexOf('=');
    kv.set((eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase(), eq < 0 ? 'true' : field.slice(eq + 1));
  }
  const type = kv.get('type') ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw new InvalidArgument(`invalid mount type "${type}" (bind, volume or tmpfs)`);
  const target = kv.get('target') ?? kv.get('destination') ?? kv.get('dst');
  if (!target) throw new InvalidArgument(`invalid mount "${v}": target is required`);
  const ro = kv.get('readonly') ?? kv.get('ro');
  const m: MountRequest = {
    type,
    source: kv.get('source') ?? kv.get('src') ?? '',
    target: checkMountTarget(target, `mount "${v}"`),
    readOnly: ro !== undefined && ro !== 'false' && ro !== '0',
  };
  if (type === 'bind' && !m.source) throw new InvalidArgument(`invalid mount "${v}": a bind mount needs a source`);
  if (type === 'tmpfs') {
    if (m.source) throw new InvalidArgument(`invalid mount "${v}": tmpfs takes no source`);
    if (kv.has('tmpfs-size')) m.tmpfsSize = Number(kv.get('tmpfs-size'));
    if (kv.has('tmpfs-mode')) m.tmpfsMode = parseInt(kv.get('tmpfs-mode')!, 8);
  }
  if (type === 'volume' && kv.get('volume-nocopy') === 'true') m.noCopy = true;
  return m;
}

const TMPFS_FLAGS = new Set(['noexec', 'exec', 'nosuid', 'suid', 'nodev', 'dev']);
const TMPFS_NUMBERS = new Set(['uid', 'gid', 'nr_inodes']);

/** a tmpfs option list as the shim gets it: flags and `uid=`/`gid=`/`nr_inodes=` with decimal values */
export function checkTmpfsOptions(opts: readonly string[], where: string): void {
  for (const o of opts) {
    const [k = '', v] = o.split('=', 2);
    if (v === undefined ? TMPFS_FLAGS.has(k) : TMPFS_NUMBERS.has(k) && /^\d{1,10}$/.test(v)) continue;
    throw new InvalidArgument(`invalid tmpfs option "${o}" in ${where} (size, mode, ro, rw, exec, noexec, suid, nosuid, dev, nodev, uid, gid, nr_inodes)`);
  }
}

/**
 * Docker's tmpfs options (`--tmpfs /run:size=64m,mode=1777,exec`, HostConfig.Tmpfs,
 * compose `tmpfs:`) on a tmpfs request. As dockerd, such a tmpfs starts noexec, nosuid
 * and nodev; a later option wins.
 */
export function applyTmpfsOptions(m: MountRequest, opts: string, where: string): MountRequest {
  const flags: string[] = ['noexec'];
  for (const o of opts
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const eq = o.indexOf('=');
    const k = eq < 0 ? o : o.slice(0, eq),
      val = eq < 0 ? '' : o.slice(eq + 1);
    if (k === 'size') m.tmpfsSize = parseSize(val);
    else if (k === 'mode') {
      if (!/^[0-7]{1,4}$/.test(val)) throw new InvalidArgument(`invalid tmpfs mode "${val}" in ${where}`);
      m.tmpfsMode = parseInt(val, 8);
    } else if (o === 'ro') m.readOnly = true;
    else if (o === 'rw') m.readOnly = false;
    else if (o === 'notmpcopyup')
      continue; // what this runtime does anyway: nothing copied in
    else flags.push(o);
  }
  checkTmpfsOptions(flags, where);
  m.tmpfsOptions = flags;
  return m;
}

/** `--tmpfs /run[:size=64m,mode=1777]` */
export function parseTmpfsFlag(v: string): MountRequest {
  const i = v.indexOf(':');
  const target = i < 0 ? v : v.slice(0, i);
  return applyTmpfsOptions({ type: 'tmpfs', target: checkMountTarget(target, `tmpfs "${v}"`) }, i < 0 ? '' : v.slice(i + 1), `tmpfs "${v}"`);
}

function parseSize(v: string): number {
  const n = parseByteSize(v);
  if (n === undefined) throw new InvalidArgument(`invalid tmpfs size "${v}"`);
  return n;
}
