import path from 'node:path';
import { ComposeError } from './errors.js';
import { mergeService } from './merge.js';
import { copyLoc, copySelfLoc, locOf } from './yaml-source.js';

/**
 * `extends:` — a service starts from another service of the same file or of another
 * file, then its own keys are merged over it with the same rules as `-f a -f b`. Done per
 * file before the files are merged, as compose-go does. Relative paths of a service taken
 * from another file are made absolute against that file's directory, since the project
 * directory would otherwise be used for them.
 */

type Obj = Record<string, unknown>;

export type LoadRaw = (absPath: string, from: { container: unknown; key: string; path: string }) => Promise<Obj>;

export async function applyExtends(root: Obj, fileAbs: string, loadRaw: LoadRaw): Promise<void> {
  const services = root.services as Record<string, Obj> | undefined;
  if (!services || typeof services !== 'object') return;
  const done = new Map<string, Obj>();

  const resolve = async (svcs: Record<string, Obj>, file: string, name: string, stack: string[]): Promise<Obj> => {
    const id = `${file}#${name}`;
    const cached = done.get(id);
    if (cached) return cached;
    const svc = svcs[name]!;
    if (svc.extends === undefined || svc.extends === null) return svc;
    const ext = (typeof svc.extends === 'string' ? { service: svc.extends } : svc.extends) as { service: string; file?: string };
    const at = `services.${name}.extends`;
    if (stack.includes(id)) {
      const names = [...stack, id].map((s) => s.slice(s.lastIndexOf('#') + 1));
      throw new ComposeError(`extends cycle: ${names.join(' -> ')}`, locOf(svc, 'extends'), at);
    }
    let baseFile = file;
    let baseServices = svcs;
    if (ext.file) {
      baseFile = path.resolve(path.dirname(file), ext.file);
      const container = typeof svc.extends === 'object' ? svc.extends : svc;
      const other = await loadRaw(baseFile, { container, key: typeof svc.extends === 'object' ? 'file' : 'extends', path: at });
      baseServices = (other.services ?? {}) as Record<string, Obj>;
    }
    if (!baseServices[ext.service] || typeof baseServices[ext.service] !== 'object') {
      const container = typeof svc.extends === 'object' ? svc.extends : svc;
      throw new ComposeError(
        `service "${name}" extends undefined service "${ext.service}"${ext.file ? ` of ${ext.file}` : ''}`,
        locOf(container, typeof svc.extends === 'object' ? 'service' : 'extends'),
        at,
      );
    }
    let base = await resolve(baseServices, baseFile, ext.service, [...stack, id]);
    if (baseFile !== file) base = rebase(base, path.dirname(baseFile));
    const own: Obj = {};
    // the extending service's own position names it in later errors
    copySelfLoc(svc, own);
    for (const [k, v] of Object.entries(svc)) {
      if (k === 'extends') continue;
      own[k] = v;
      copyLoc(svc, k, own, k);
    }
    const merged = mergeService(base, own);
    done.set(id, merged);
    return merged;
  };

  for (const name of Object.keys(services)) {
    // positions recorded for services[name] stay valid: they are keyed by name
    services[name] = await resolve(services, fileAbs, name, []);
  }
}

const isRelative = (p: string) => !path.isAbsolute(p) && !p.startsWith('~') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p) && !p.startsWith('git@');

/** a copy of a raw service whose relative host paths are absolute against `dir` */
function rebase(svc: Obj, dir: string): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(svc)) {
    out[k] = v;
    copyLoc(svc, k, out, k);
  }
  const abs = (p: string) => (isRelative(p) ? path.resolve(dir, p) : p);
  if (typeof out.build === 'string') out.build = abs(out.build);
  else if (out.build && typeof out.build === 'object') {
    const b = out.build as Obj;
    out.build = { ...b, context: abs(typeof b.context === 'string' ? b.context : '.') };
  }
  if (typeof out.env_file === 'string') out.env_file = abs(out.env_file);
  else if (Array.isArray(out.env_file)) {
    out.env_file = out.env_file.map((e) => (typeof e === 'string' ? abs(e) : { ...(e as Obj), path: abs(String((e as Obj).path)) }));
  }
  if (Array.isArray(out.volumes)) {
    const vols = out.volumes;
    out.volumes = vols.map((v) => {
      if (typeof v === 'string') {
        const [src, ...rest] = v.split(':');
        return rest.length && src!.startsWith('.') ? [abs(src!), ...rest].join(':') : v;
      }
      const o = v as Obj;
      return o.type === 'bind' && typeof o.source === 'string' ? { ...o, source: abs(o.source) } : o;
    });
    for (let i = 0; i < vols.length; i++) copyLoc(vols, i, out.volumes as unknown[], i);
  }
  return out;
}
