import { Conflict, InvalidArgument, NotFound, type ContainerSummary, type Runtime } from '@skiff/runtime';
import type { ComposeProject, ServiceConfig } from '../model.js';
import { configHash, LABEL } from './labels.js';
import { startOrder } from './order.js';
import { replicaSpec, serviceImage } from './service-spec.js';
import { waitForDependency } from './dependency-wait.js';
import type { ComposeEvent } from './events.js';

export interface UpOptions {
  /** only these services (and what they depend on) */
  services?: string[];
  forceRecreate?: boolean;
  /** build images before starting, even when they exist */
  build?: boolean;
  removeOrphans?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: ComposeEvent) => void;
}

export interface DownOptions {
  /** also remove named volumes declared by the project and anonymous volumes of its containers */
  volumes?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: ComposeEvent) => void;
}

export interface ProjectSummary {
  name: string;
  workingDir: string;
  /** e.g. "running(2), exited(1)" */
  status: string;
  containers: number;
}

const byNumber = (a: ContainerSummary, b: ContainerSummary) => Number(a.labels[LABEL.number]) - Number(b.labels[LABEL.number]);

/**
 * `docker compose` on this runtime. A project's state is read back from the labels on its
 * containers, networks and volumes every time, so `up` is idempotent: an unchanged
 * service is left running, a changed one (config hash or image id differs) is recreated,
 * and nothing else is touched.
 */
export class ComposeEngine {
  constructor(private readonly rt: Runtime) {}

  async containers(project: string, opts: { all?: boolean; services?: string[] } = {}): Promise<ContainerSummary[]> {
    const list = await this.rt.containers.list({ all: opts.all ?? true, filters: { label: [`${LABEL.project}=${project}`] } });
    return list
      .filter((c) => c.labels[LABEL.oneoff] !== 'True' && (!opts.services?.length || opts.services.includes(c.labels[LABEL.service] ?? '')))
      .sort((a, b) => (a.labels[LABEL.service] ?? '').localeCompare(b.labels[LABEL.service] ?? '') || byNumber(a, b));
  }

  /** every project that has a container here (`docker compose ls -a`) */
  async projects(): Promise<ProjectSummary[]> {
    const all = await this.rt.containers.list({ all: true, filters: { label: [LABEL.project] } });
    const byProject = new Map<string, ContainerSummary[]>();
    for (const c of all) {
      const p = c.labels[LABEL.project]!;
      byProject.set(p, [...(byProject.get(p) ?? []), c]);
    }
    return [...byProject.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, cs]) => {
        const counts = new Map<string, number>();
        for (const c of cs) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
        return {
          name,
          workingDir: cs[0]!.labels[LABEL.workingDir] ?? '',
          status: [...counts.entries()].map(([s, n]) => `${s}(${n})`).join(', '),
          containers: cs.length,
        };
      });
  }

  async up(project: ComposeProject, opts: UpOptions = {}): Promise<void> {
    const emit = opts.onEvent ?? (() => {});
    const selected = this.withDependencies(project, opts.services);
    const order = startOrder(project.services).filter((s) => selected.has(s));
    for (const s of order) {
      const svc = project.services[s]!;
      if (svc.containerName && svc.replicas > 1)
        throw new InvalidArgument(`service "${s}" has container_name "${svc.containerName}" and cannot be scaled to ${svc.replicas} replicas`);
      if (svc.networkMode && /^(service|container):/.test(svc.networkMode))
        throw new InvalidArgument(`service "${s}": network_mode "${svc.networkMode}" is not supported yet`);
    }

    const networkNames = await this.ensureNetworks(project, order, emit);
    const volumeNames = await this.ensureVolumes(project, order, emit);
    for (const s of order) await this.ensureImage(project, project.services[s]!, opts, emit);

    for (const s of order) {
      opts.signal?.throwIfAborted();
      const svc = project.services[s]!;
      for (const [dep, d] of Object.entries(svc.dependsOn)) {
        if (!selected.has(dep) || d.condition === 'service_started') continue;
        await waitForDependency(this.rt, await this.containers(project.name, { services: [dep] }), dep, d.condition, { signal: opts.signal, onEvent: emit });
      }
      await this.converge(project, svc, networkNames, volumeNames, opts, emit);
    }

    const orphans = (await this.containers(project.name)).filter((c) => !project.services[c.labels[LABEL.service] ?? '']);
    if (orphans.length && opts.removeOrphans) for (const c of orphans) await this.removeContainer(c, false, emit);
    else if (orphans.length) {
      const names = [...new Set(orphans.map((c) => c.labels[LABEL.service]))].join(', ');
      emit({
        kind: 'Warning',
        name: project.name,
        status: `Found orphan containers (${orphans.map((c) => c.names[0]!.slice(1)).join(', ')}) for services not in the file (${names}); run with --remove-orphans to clean them up`,
      });
    }
  }

  async down(projectName: string, opts: DownOptions = {}): Promise<void> {
    const emit = opts.onEvent ?? (() => {});
    const cs = await this.containers(projectName);
    // dependents first: the reverse of their creation order is the best guess without the file
    for (const c of cs.sort((a, b) => b.created - a.created)) await this.removeContainer(c, !!opts.volumes, emit);
    for (const n of this.rt.networks.list().filter((n) => n.labels[LABEL.project] === projectName)) {
      emit({ kind: 'Network', name: n.name, status: 'Removing' });
      await this.rt.networks.remove(n.name);
      emit({ kind: 'Network', name: n.name, status: 'Removed' });
    }
    if (opts.volumes) {
      for (const v of await this.rt.volumes.list({ label: [`${LABEL.project}=${projectName}`] })) {
        await this.rt.volumes.remove(v.name);
        emit({ kind: 'Volume', name: v.name, status: 'Removed' });
      }
    }
  }

  /** `timeout`: seconds before SIGKILL (`compose stop -t`); each container's own stop timeout otherwise */
  async stop(projectName: string, services?: string[], onEvent?: (e: ComposeEvent) => void, opts: { timeout?: number } = {}): Promise<void> {
    for (const c of (await this.containers(projectName, { services })).filter(
      (c) => c.state === 'running' || c.state === 'paused' || c.state === 'restarting',
    )) {
      onEvent?.({ kind: 'Container', name: c.names[0]!.slice(1), status: 'Stopping' });
      await this.rt.containers.stop(c.id, opts.timeout === undefined ? undefined : { timeout: opts.timeout });
      onEvent?.({ kind: 'Container', name: c.names[0]!.slice(1), status: 'Stopped' });
    }
  }

  async start(projectName: string, services?: string[], onEvent?: (e: ComposeEvent) => void): Promise<void> {
    const cs = await this.containers(projectName, { services });
    if (!cs.length) throw new NotFound(`no containers to start in project "${projectName}"`);
    for (const c of cs.filter((c) => c.state !== 'running').sort((a, b) => a.created - b.created)) {
      onEvent?.({ kind: 'Container', name: c.names[0]!.slice(1), status: 'Starting' });
      await this.rt.containers.start(c.id);
      onEvent?.({ kind: 'Container', name: c.names[0]!.slice(1), status: 'Started' });
    }
  }

  async restart(projectName: string, services?: string[], onEvent?: (e: ComposeEvent) => void, opts: { timeout?: number } = {}): Promise<void> {
    for (const c of (await this.containers(projectName, { services })).sort((a, b) => a.created - b.created)) {
      onEvent?.({ kind: 'Container', name: c.names[0]!.slice(1), status: 'Restarting' });
      await this.rt.containers.restart(c.id, opts.timeout === undefined ? undefined : { timeout: opts.timeout });
      onEvent?.({ kind: 'Container', name: c.names[0]!.slice(1), status: 'Started' });
    }
  }

  async pull(project: ComposeProject, services?: string[], onEvent?: (e: ComposeEvent) => void): Promise<void> {
    for (const s of this.withDependencies(project, services)) {
      const svc = project.services[s]!;
      if (!svc.image || svc.pullPolicy === 'never' || svc.pullPolicy === 'build') continue;
      onEvent?.({ kind: 'Image', name: svc.image, status: 'Pulling' });
      await this.rt.images.pull(svc.image);
      onEvent?.({ kind: 'Image', name: svc.image, status: 'Pulled' });
    }
  }

  private withDependencies(project: ComposeProject, services?: string[]): Set<string> {
    const out = new Set<string>();
    const add = (s: string) => {
      if (out.has(s)) return;
      if (!project.services[s]) throw new NotFound(`no such service: ${s}`);
      out.add(s);
      for (const d of Object.keys(project.services[s]!.dependsOn)) add(d);
    };
    for (const s of services?.length ? services : Object.keys(project.services)) add(s);
    return out;
  }

  private async ensureNetworks(project: ComposeProject, services: string[], emit: (e: ComposeEvent) => void): Promise<Record<string, string>> {
    const used = new Set(services.flatMap((s) => Object.keys(project.services[s]!.networks)));
    const names: Record<string, string> = {};
    for (const key of [...used].sort()) {
      const net = project.networks[key];
      if (!net) throw new InvalidArgument(`service uses network "${key}", which is not declared in the top-level networks`);
      names[key] = net.name;
      const existing = this.rt.networks.list().find((n) => n.name === net.name);
      if (net.external) {
        if (!existing) throw new NotFound(`network ${net.name} declared as external, but could not be found`);
        continue;
      }
      if (existing) continue;
      emit({ kind: 'Network', name: net.name, status: 'Creating' });
      await this.rt.networks.create(net.name, {
        subnet: net.subnet,
        gateway: net.gateway,
        internal: net.internal,
        labels: { ...net.labels, [LABEL.project]: project.name, [LABEL.network]: key },
      });
      emit({ kind: 'Network', name: net.name, status: 'Created' });
    }
    return names;
  }

  private async ensureVolumes(project: ComposeProject, services: string[], emit: (e: ComposeEvent) => void): Promise<Record<string, string>> {
    const used = new Set(services.flatMap((s) => project.services[s]!.volumes.filter((v) => v.type === 'volume' && v.source).map((v) => v.source!)));
    const names: Record<string, string> = {};
    for (const key of [...used].sort()) {
      const vol = project.volumes[key];
      if (!vol) throw new InvalidArgument(`service uses volume "${key}", which is not declared in the top-level volumes`);
      names[key] = vol.name;
      const existing = await this.rt.volumes.find(vol.name);
      if (vol.external) {
        if (!existing) throw new NotFound(`external volume "${vol.name}" not found`);
        continue;
      }
      if (existing) continue;
      emit({ kind: 'Volume', name: vol.name, status: 'Creating' });
      await this.rt.volumes.create(vol.name, { labels: { ...vol.labels, [LABEL.project]: project.name, [LABEL.volume]: key } });
      emit({ kind: 'Volume', name: vol.name, status: 'Created' });
    }
    return names;
  }

  private async ensureImage(project: ComposeProject, svc: ServiceConfig, opts: UpOptions, emit: (e: ComposeEvent) => void): Promise<void> {
    const ref = serviceImage(project, svc);
    const present = await this.rt.images.inspect(ref).then(
      () => true,
      () => false,
    );
    if (svc.build && (opts.build || svc.pullPolicy === 'build' || !present)) {
      emit({ kind: 'Service', name: svc.name, status: 'Building' });
      await this.rt.build({
        context: svc.build.context,
        dockerfile: svc.build.dockerfile,
        buildArgs: svc.build.args,
        target: svc.build.target,
        tags: [ref],
        signal: opts.signal,
        onEvent: (e) => {
          if (e.type === 'step' || e.type === 'status') emit({ kind: 'Service', name: svc.name, status: 'Building', detail: e.text });
          else if (e.type === 'output') emit({ kind: 'Service', name: svc.name, status: 'Building', detail: e.data });
        },
      });
      emit({ kind: 'Service', name: svc.name, status: 'Built' });
      return;
    }
    if (present && svc.pullPolicy !== 'always') return;
    if (svc.pullPolicy === 'never') throw new NotFound(`image ${ref} for service "${svc.name}" is not here and pull_policy is never`);
    emit({ kind: 'Image', name: ref, status: 'Pulling' });
    await this.rt.images.pull(ref, { signal: opts.signal });
    emit({ kind: 'Image', name: ref, status: 'Pulled' });
  }

  /** makes the service's containers match: keep, start, recreate, add or remove replicas */
  private async converge(
    project: ComposeProject,
    svc: ServiceConfig,
    networkNames: Record<string, string>,
    volumeNames: Record<string, string>,
    opts: UpOptions,
    emit: (e: ComposeEvent) => void,
  ): Promise<void> {
    const ref = serviceImage(project, svc);
    const imageId = (await this.rt.images.inspect(ref)).id;
    const hash = configHash(svc, imageId, networkNames, volumeNames);
    const existing = await this.containers(project.name, { services: [svc.name] });
    for (let n = 1; n <= svc.replicas; n++) {
      const current = existing.find((c) => c.labels[LABEL.number] === String(n));
      const name = replicaSpec(project, svc, n, ref, hash).spec.name!;
      if (current && current.labels[LABEL.configHash] === hash && !opts.forceRecreate) {
        if (current.state === 'running') emit({ kind: 'Container', name, status: 'Running' });
        else {
          emit({ kind: 'Container', name, status: 'Starting' });
          if (current.state === 'paused') await this.rt.containers.unpause(current.id);
          else await this.rt.containers.start(current.id);
          emit({ kind: 'Container', name, status: 'Started' });
        }
        continue;
      }
      if (current) {
        emit({ kind: 'Container', name, status: 'Recreate' });
        await this.rt.containers.remove(current.id, { force: true });
      } else if (
        svc.containerName &&
        (await this.rt.containers.list({ all: true, filters: { name: [svc.containerName] } })).some((c) => c.names[0] === `/${svc.containerName}`)
      ) {
        throw new Conflict(`the container name "/${svc.containerName}" is already in use by a container outside project "${project.name}"`);
      }
      await this.createAndStart(project, svc, n, ref, hash, emit);
    }
    for (const extra of existing.filter((c) => Number(c.labels[LABEL.number]) > svc.replicas)) await this.removeContainer(extra, false, emit);
  }

  private async createAndStart(
    project: ComposeProject,
    svc: ServiceConfig,
    n: number,
    ref: string,
    hash: string,
    emit: (e: ComposeEvent) => void,
  ): Promise<void> {
    const { spec, extraNetworks } = replicaSpec(project, svc, n, ref, hash);
    emit({ kind: 'Container', name: spec.name!, status: 'Creating' });
    const { id } = await this.rt.containers.create(spec);
    try {
      for (const net of extraNetworks) await this.rt.containers.connect(id, net.network, { aliases: net.aliases, ip: net.ip });
      emit({ kind: 'Container', name: spec.name!, status: 'Created' });
      emit({ kind: 'Container', name: spec.name!, status: 'Starting' });
      await this.rt.containers.start(id);
    } catch (e) {
      // a container that could not start (a taken port, say) is left created, as Compose does, so `ps -a` and logs explain it
      emit({ kind: 'Container', name: spec.name!, status: 'Error', detail: (e as Error).message });
      throw e;
    }
    emit({ kind: 'Container', name: spec.name!, status: 'Started' });
  }

  private async removeContainer(c: ContainerSummary, volumes: boolean, emit: (e: ComposeEvent) => void): Promise<void> {
    const name = c.names[0]!.slice(1);
    if (c.state === 'running' || c.state === 'paused' || c.state === 'restarting') {
      emit({ kind: 'Container', name, status: 'Stopping' });
      await this.rt.containers.stop(c.id);
      emit({ kind: 'Container', name, status: 'Stopped' });
    }
    emit({ kind: 'Container', name, status: 'Removing' });
    await this.rt.containers.remove(c.id, { force: true, volumes });
    emit({ kind: 'Container', name, status: 'Removed' });
  }
}
