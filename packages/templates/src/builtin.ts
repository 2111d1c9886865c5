import { apps } from './builtin/apps.js';
import { databases } from './builtin/databases.js';
import { checkTemplate } from './parse.js';
import type { Catalogue } from './schema.js';

/** the catalogue shipped with the agent: its id in listings and deploys */
export const BUILTIN_CATALOGUE = 'builtin';

let cached: Catalogue | undefined;

/** the built-in templates, checked like any user catalogue (a mistake in one fails its test, not a deploy) */
export function builtinCatalogue(): Catalogue {
  cached ??= {
    version: 1,
    name: 'Skiff built-in templates',
    templates: [...databases, ...apps].map((t, i) => checkTemplate(t, i)),
  };
  return cached;
}
