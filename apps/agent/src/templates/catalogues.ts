import { TRPCError } from '@trpc/server';
import { BUILTIN_CATALOGUE, builtinCatalogue, parseCatalogue, type Catalogue, type Template } from '@skiff/templates';
import { logger } from '@skiff/logger';
import type { Context } from '../trpc.js';

const log = logger.child({ component: 'templates' });

export interface LoadedCatalogue {
  /** `builtin` or the name an admin gave it */
  id: string;
  title: string;
  url: string | null;
  builtin: boolean;
  templates: Template[];
  /** a stored catalogue that no longer parses (an older agent's format): shown, not offered */
  error?: string;
  addedBy?: string | null;
  updatedAt?: Date;
}

/** parsed stored catalogues by row id and update time: parsing a large catalogue on every list is wasted work */
const parsed = new Map<string, { at: number; catalogue: Catalogue | Error }>();

function parseStored(row: { id: string; content: string; updatedAt: Date }): Catalogue | Error {
  const hit = parsed.get(row.id);
  if (hit && hit.at === row.updatedAt.getTime()) return hit.catalogue;
  let catalogue: Catalogue | Error;
  try {
    catalogue = parseCatalogue(row.content).catalogue;
  } catch (e) {
    log.warn('a stored template catalogue does not parse', { err: e, catalogue: row.id });
    catalogue = e as Error;
  }
  parsed.set(row.id, { at: row.updatedAt.getTime(), catalogue });
  return catalogue;
}

/** the built-in catalogue, then the stored ones by name */
export async function loadCatalogues(ctx: Context): Promise<LoadedCatalogue[]> {
  const builtin = builtinCatalogue();
  const rows = await ctx.db.templateCatalogue.findMany({ orderBy: { name: 'asc' } });
  return [
    { id: BUILTIN_CATALOGUE, title: builtin.name ?? 'Built-in', url: null, builtin: true, templates: builtin.templates },
    ...rows.map((row): LoadedCatalogue => {
      const c = parseStored(row);
      const base = { id: row.name, url: row.url, builtin: false, addedBy: row.addedBy, updatedAt: row.updatedAt };
      return c instanceof Error
        ? { ...base, title: row.name, templates: [], error: c.message }
        : { ...base, title: c.name ?? row.name, templates: c.templates };
    }),
  ];
}

export async function findTemplate(ctx: Context, catalogue: string, id: string): Promise<{ catalogue: LoadedCatalogue; template: Template }> {
  const all = await loadCatalogues(ctx);
  const cat = all.find((c) => c.id === catalogue);
  if (!cat) throw new TRPCError({ code: 'NOT_FOUND', message: `no template catalogue named "${catalogue}"` });
  const template = cat.templates.find((t) => t.id === id);
  if (!template) throw new TRPCError({ code: 'NOT_FOUND', message: `no template "${id}" in catalogue "${catalogue}"` });
  return { catalogue: cat, template };
}
