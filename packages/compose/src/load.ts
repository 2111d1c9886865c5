import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ComposeError } from './errors.js';
import { applyExtends, type LoadRaw } from './extends.js';
import { interpolateTree } from './interpolate.js';
import { mergeFiles } from './merge.js';
import type { ComposeProject, LoadOptions, ServiceConfig } from './model.js';
import { normalizeService, type ServiceContext } from './normalize-service.js';
import { defaultNetwork, normalizeNetworks, normalizeVolumes, resolveProjectName } from './normalize-top-level.js';
import { validateSchema } from './schema.js';
import { keyLocOf, locOf, parseYaml } from './yaml-source.js';

type Obj = Record<string, unknown>;

/**
 * Compose files → ComposeProject. Each file is parsed, interpolated and validated on its
 * own (so errors point into the file that has them), then the files are merged and the
 * result normalised. Every failure is a ComposeError carrying `file:line:col: path:`.
 */
export async function loadProject(opts: LoadOptions): Promise<ComposeProject> {
  if (opts.files.length === 0) throw new ComposeError('no Compose file given');
  const workingDir = path.dirname(path.resolve(opts.files[0]!.path));
  const displayPath = (p: string) => {
    const rel = path.relative(workingDir, path.resolve(p));
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
  };
  const lookup = (name: string) => opts.env[name];
  const unset = new Set<string>();

  const prepare = async (content: string, filePath: string): Promise<Obj> => {
    const shown = displayPath(filePath);
    const root = (await parseYaml(content, shown)) ?? {};
    if (typeof root !== 'object' || Array.isArray(root)) {
      throw new ComposeError('a Compose file must be a mapping at the top level', locOf(root) ?? { file: shown, line: 1, col: 1 });
    }
    for (const n of interpolateTree(root, lookup)) unset.add(n);
    validateSchema(root, shown);
    return root as Obj;
  };
  // files named by `extends.file`, read once however many services use them
  const extendsFiles = new Map<string, Promise<Obj>>();
  const loadRaw: LoadRaw = (abs, from) => {
    let p = extendsFiles.get(abs);
    if (!p) {
      p = readFile(abs, 'utf8').then(
        (text) => prepare(text, abs),
        (e: NodeJS.ErrnoException) => {
          throw new ComposeError(`cannot read ${abs}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, locOf(from.container, from.key), from.path);
        },
      );
      extendsFiles.set(abs, p);
    }
    return p;
  };

  const roots: Obj[] = [];
  for (const file of opts.files) {
    const root = await prepare(file.content, file.path);
    await applyExtends(root, path.resolve(file.path), loadRaw);
    roots.push(root);
  }
  const merged = mergeFiles(roots);

  const name = resolveProjectName(opts.projectName ?? opts.env.COMPOSE_PROJECT_NAME, merged, path.basename(workingDir));
  const volumes = normalizeVolumes(merged.volumes, name);
  const networks = normalizeNetworks(merged.networks, name);
  const warnings = [...unset].map((n) => `the "${n}" variable is not set; defaulting to a blank string`);

  const rawServices = (merged.services ?? {}) as Record<string, Obj>;
  const active = new Set(
    opts.profiles ??
      (opts.env.COMPOSE_PROFILES ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
  );
  const enabled = (raw: Obj) => {
    const profiles = Array.isArray(raw.profiles) ? raw.profiles.map(String) : [];
    return profiles.length === 0 || active.has('*') || profiles.some((p) => active.has(p));
  };

  const ctx: ServiceContext = {
    workingDir,
    env: opts.env,
    volumes: new Set(Object.keys(volumes)),
    networks: new Set([...Object.keys(networks), 'default']),
    displayPath,
    warnings,
  };
  const services: Record<string, ServiceConfig> = {};
  for (const [svcName, raw] of Object.entries(rawServices)) {
    if (!enabled(raw)) continue;
    services[svcName] = await normalizeService(svcName, raw ?? {}, ctx);
  }

  checkDependencies(services, rawServices);

  if (Object.values(services).some((s) => s.networks.default) && !networks.default) networks.default = defaultNetwork(name);

  const project: ComposeProject = { name, workingDir, services, networks, volumes };
  if (warnings.length) project.warnings = warnings;
  return project;
}

/** depends_on targets must exist and be enabled (or be optional), and must not form a cycle */
function checkDependencies(services: Record<string, ServiceConfig>, raw: Record<string, Obj>): void {
  const where = (svc: string, dep: string) => {
    const deps = raw[svc]?.depends_on;
    if (Array.isArray(deps)) {
      const i = deps.map(String).indexOf(dep);
      return { loc: locOf(deps, i >= 0 ? i : undefined) ?? locOf(raw[svc], 'depends_on'), path: `services.${svc}.depends_on${i >= 0 ? `[${i}]` : ''}` };
    }
    if (deps && typeof deps === 'object' && dep in deps) return { loc: keyLocOf(deps, dep), path: `services.${svc}.depends_on.${dep}` };
    return { loc: locOf(raw[svc]), path: `services.${svc}` };
  };
  for (const svc of Object.values(services)) {
    for (const [dep, opts] of Object.entries(svc.dependsOn)) {
      if (services[dep]) continue;
      const w = where(svc.name, dep);
      if (!raw[dep]) throw new ComposeError(`service "${svc.name}" depends on undefined service "${dep}"`, w.loc, w.path);
      if (opts.required) {
        const profiles = Array.isArray(raw[dep]!.profiles) ? (raw[dep]!.profiles as unknown[]).join(', ') : '';
        throw new ComposeError(
          `service "${svc.name}" depends on "${dep}", which is not enabled (profiles: ${profiles}); activate one of its profiles`,
          w.loc,
          w.path,
        );
      }
      // an optional dependency on a service that is not part of this run is dropped, as in Compose
      delete svc.dependsOn[dep];
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      const w = where(cycle[cycle.length - 2]!, name);
      throw new ComposeError(`dependency cycle detected: ${cycle.join(' -> ')}`, w.loc, w.path);
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of Object.keys(services[name]!.dependsOn)) visit(dep);
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(services)) visit(name);
}
