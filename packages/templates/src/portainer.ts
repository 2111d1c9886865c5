import { stringify } from 'yaml';
import { z } from 'zod';
import type { TemplateInput } from './schema.js';

/**
 * Portainer's app-template documents (v2 and v3; docs: "App template JSON format"), turned
 * into Skiff templates on import. Container templates (type 1) become a one-service
 * compose body whose `env` entries are parameters; stack templates (types 2 and 3) point at
 * a git repository, which a catalogue import does not fetch, so they are left out with a
 * warning, as is anything Skiff would refuse anyway (privileged containers).
 */

const envEntry = z.object({
  name: z.string(),
  label: z.string().optional(),
  description: z.string().optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  preset: z.boolean().optional(),
  select: z.array(z.object({ text: z.string().optional(), value: z.string(), default: z.boolean().optional() })).optional(),
});

const portainerTemplate = z
  .object({
    type: z.coerce.number(),
    title: z.string().optional(),
    name: z.string().optional(),
    description: z.string().optional(),
    note: z.string().optional(),
    categories: z.array(z.string()).optional(),
    image: z.string().optional(),
    registry: z.string().optional(),
    command: z.string().optional(),
    env: z.array(envEntry).optional(),
    ports: z.array(z.string()).optional(),
    volumes: z.array(z.object({ container: z.string(), bind: z.string().optional(), readonly: z.boolean().optional() })).optional(),
    labels: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    privileged: z.boolean().optional(),
    interactive: z.boolean().optional(),
    restart_policy: z.string().optional(),
    hostname: z.string().optional(),
  })
  .loose();
type PortainerTemplate = z.infer<typeof portainerTemplate>;

export function isPortainer(doc: unknown): doc is { version: string; templates: unknown[] } {
  const d = doc as { version?: unknown; templates?: unknown } | null;
  return !!d && typeof d === 'object' && Array.isArray(d.templates) && (d.version === '2' || d.version === '3' || d.version === 2 || d.version === 3);
}

export function fromPortainer(doc: { version: string | number; templates: unknown[] }, warnings: string[]) {
  const ids = new Set<string>();
  const templates: TemplateInput[] = [];
  doc.templates.forEach((raw, i) => {
    const r = portainerTemplate.safeParse(raw);
    const title = (raw as { title?: unknown })?.title;
    const what = `Portainer template #${i + 1}${typeof title === 'string' ? ` "${title}"` : ''}`;
    if (!r.success) {
      warnings.push(`${what}: left out: ${r.error.issues[0]!.message} at ${r.error.issues[0]!.path.join('.')}`);
      return;
    }
    const t = r.data;
    const why =
      t.type !== 1
        ? `type ${t.type} stacks are loaded from a git repository, which an import does not fetch`
        : !t.image
          ? 'no image'
          : t.privileged
            ? 'privileged containers are not offered as templates'
            : t.env?.filter((e) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name)).map((e) => `environment variable name "${e.name}" cannot be a parameter`)[0];
    if (why) {
      warnings.push(`${what}: left out: ${why}`);
      return;
    }
    templates.push(convert(t, uniqueId(t.title ?? t.name ?? t.image ?? 'template', ids)));
  });
  return { version: 1, name: `Portainer templates (v${doc.version})`, templates };
}

/** Portainer's strings are not interpolated; in a compose body their `$` must be `$$` */
const lit = (s: string) => s.replaceAll('$', '$$$$');

function convert(t: PortainerTemplate, id: string): TemplateInput {
  const environment: Record<string, string> = {};
  const parameters: TemplateInput['parameters'] = [];
  for (const e of t.env ?? []) {
    if (e.preset) {
      environment[e.name] = lit(String(e.default ?? ''));
      continue;
    }
    environment[e.name] = `\${${e.name}}`;
    const base = { name: e.name, label: e.label, description: e.description };
    if (e.select?.length)
      parameters.push({
        ...base,
        type: 'select',
        options: e.select.map((o) => ({ value: o.value, label: o.text })),
        default: e.select.find((o) => o.default)?.value ?? e.select[0]!.value,
      });
    else if (/PASSWORD|SECRET|TOKEN/i.test(e.name) && e.default === undefined) parameters.push({ ...base, type: 'password', generate: { length: 24 } });
    else parameters.push({ ...base, type: 'string', default: e.default });
  }
  const named: Record<string, object> = {};
  const volumes = (t.volumes ?? []).map((v, i) => {
    const source = v.bind ?? `data${i + 1}`;
    if (!v.bind) named[source] = {};
    return lit(`${source}:${v.container}${v.readonly ? ':ro' : ''}`);
  });
  const image = t.registry && !t.image!.startsWith(`${t.registry}/`) ? `${t.registry}/${t.image}` : t.image!;
  const service: Record<string, unknown> = {
    image: lit(image),
    ...(t.command ? { command: lit(t.command) } : {}),
    ...(Object.keys(environment).length ? { environment } : {}),
    ...(t.ports?.length ? { ports: t.ports.map(lit) } : {}),
    ...(volumes.length ? { volumes } : {}),
    ...(t.labels?.length ? { labels: Object.fromEntries(t.labels.map((l) => [l.name, lit(l.value)])) } : {}),
    ...(t.hostname ? { hostname: lit(t.hostname) } : {}),
    ...(t.interactive ? { tty: true, stdin_open: true } : {}),
    restart: t.restart_policy ?? 'unless-stopped',
  };
  const compose = stringify({ services: { app: service }, ...(Object.keys(named).length ? { volumes: named } : {}) }, { lineWidth: 0 });
  return {
    id,
    name: t.title ?? t.name ?? t.image!,
    description: t.description ?? '',
    categories: t.categories ?? [],
    // Portainer's note may be HTML; Skiff shows notes as text only
    note: t.note?.replace(/<[^>]*>/g, '').trim() || undefined,
    parameters,
    compose,
  };
}

function uniqueId(title: string, ids: Set<string>): string {
  const base =
    title
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+|-+$/g, '')
      .slice(0, 56) || 'template';
  let id = base;
  for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
  ids.add(id);
  return id;
}
