import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { BUILTIN_CATALOGUE, parseCatalogue, type Template } from '@skiff/templates';
import { isUniqueViolation } from '@skiff/db';
import { adminProcedure, call, operatorProcedure, recordAudit, router, viewerProcedure } from '../trpc.js';
import { projectName } from './compose.js';
import { deployStack } from './stacks.js';
import { findTemplate, loadCatalogues } from '../templates/catalogues.js';
import { CATALOGUE_MAX_BYTES, fetchCatalogue } from '../templates/fetch-catalogue.js';
import { prepareTemplateStack } from '../templates/deploy.js';
import { openStackSecrets } from '../templates/stack-secrets.js';

/**
 * One-click templates (docs/templates.md): the built-in catalogue and the ones an admin
 * added, and deploying a template as a stack. Adding a catalogue is admin-only: its
 * templates are offered to every operator, and fetching a URL from the agent's network is
 * not something a lesser role may point anywhere.
 */

const catalogueName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'a catalogue name is lowercase letters, digits, "-" and "_"')
  .max(64)
  .refine((n) => n !== BUILTIN_CATALOGUE, `"${BUILTIN_CATALOGUE}" is the built-in catalogue`);
const catalogueRef = z.string().min(1).max(64).default(BUILTIN_CATALOGUE);
const value = z.union([z.string().max(4096), z.number(), z.boolean()]);

const summary = (catalogue: string, t: Template) => ({
  catalogue,
  id: t.id,
  name: t.name,
  description: t.description,
  logo: t.logo ?? null,
  categories: t.categories,
});

function matches(t: Template, search: string | undefined): boolean {
  if (!search) return true;
  const q = search.toLowerCase();
  return [t.id, t.name, t.description, ...t.categories].some((s) => s.toLowerCase().includes(q));
}

/** checks a document before it is stored; the warnings say what an import left out */
const checkDocument = (content: string) => call(async () => parseCatalogue(content));

export const templatesRouter = router({
  catalogues: viewerProcedure.query(async ({ ctx }) =>
    (await loadCatalogues(ctx)).map((c) => ({
      id: c.id,
      title: c.title,
      url: c.url,
      builtin: c.builtin,
      templates: c.templates.length,
      error: c.error ?? null,
      addedBy: c.addedBy ?? null,
      updatedAt: c.updatedAt ?? null,
    })),
  ),

  /** every template (or one catalogue's), filtered by a search of id, name, description and categories */
  list: viewerProcedure
    .input(z.object({ catalogue: z.string().max(64).optional(), search: z.string().max(200).optional() }).default({}))
    .query(async ({ ctx, input }) => {
      const all = await loadCatalogues(ctx);
      if (input.catalogue && !all.some((c) => c.id === input.catalogue))
        throw new TRPCError({ code: 'NOT_FOUND', message: `no template catalogue named "${input.catalogue}"` });
      return all
        .filter((c) => !input.catalogue || c.id === input.catalogue)
        .flatMap((c) => c.templates.filter((t) => matches(t, input.search)).map((t) => summary(c.id, t)));
    }),

  /** one template in full: its parameters (the deploy form) and compose body */
  get: viewerProcedure.input(z.object({ catalogue: catalogueRef, id: z.string().min(1).max(64) })).query(async ({ ctx, input }) => {
    const { template } = await findTemplate(ctx, input.catalogue, input.id);
    return { ...template, catalogue: input.catalogue };
  }),

  /**
   * Renders the template into a stored stack (passwords generated and sealed), then deploys
   * it as stacks.deploy does. First item: `{ stack }` (secret names only), then progress
   * lines and `{ done }`. An existing name is refused unless `update` re-renders a stack of
   * this same template, which keeps its secrets.
   */
  deploy: operatorProcedure
    .input(
      z.object({
        catalogue: catalogueRef,
        id: z.string().min(1).max(64),
        name: projectName,
        values: z.record(z.string().max(64), value).default({}),
        update: z.boolean().optional(),
        pull: z.boolean().optional(),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      let stack: Awaited<ReturnType<typeof prepareTemplateStack>>;
      try {
        stack = await prepareTemplateStack(ctx, {
          catalogue: input.catalogue,
          template: input.id,
          name: input.name,
          values: input.values,
          update: input.update,
        });
      } catch (e) {
        recordAudit(ctx, 'templates.deploy', `${input.name} (${input.catalogue}/${input.id})`, (e as Error).message);
        throw e;
      }
      yield { stack };
      yield* deployStack(ctx, input.name, { pull: input.pull }, signal);
    }),

  /** a stack's secrets in clear, for the operator who must configure a client; every reveal is audited */
  revealSecrets: operatorProcedure.input(z.object({ name: projectName })).query(async ({ ctx, input }) => {
    const secrets = await openStackSecrets(ctx, input.name);
    recordAudit(ctx, 'templates.revealSecrets', input.name);
    return Object.entries(secrets).map(([key, value]) => ({ key, value }));
  }),

  /** a catalogue from an uploaded document or an https URL the agent fetches; checked in full before it is stored */
  addCatalogue: adminProcedure
    .input(
      z
        .object({
          name: catalogueName,
          url: z.string().max(2048).optional(),
          content: z.string().max(CATALOGUE_MAX_BYTES).optional(),
          /** replace a catalogue of this name */
          replace: z.boolean().optional(),
        })
        .refine((i) => (i.url === undefined) !== (i.content === undefined), 'give either url or content'),
    )
    .mutation(async ({ ctx, input }) => {
      const content = input.url !== undefined ? await call(() => fetchCatalogue(input.url!)) : input.content!;
      const { catalogue, warnings } = await checkDocument(content);
      const data = { content, url: input.url ?? null, addedBy: ctx.principal.username };
      try {
        if (input.replace) await ctx.db.templateCatalogue.upsert({ where: { name: input.name }, create: { name: input.name, ...data }, update: data });
        else await ctx.db.templateCatalogue.create({ data: { name: input.name, ...data } });
      } catch (e) {
        if (isUniqueViolation(e)) throw new TRPCError({ code: 'CONFLICT', message: `a catalogue named "${input.name}" already exists` });
        throw e;
      }
      return { name: input.name, title: catalogue.name ?? input.name, templates: catalogue.templates.length, warnings };
    }),

  /** fetches a URL catalogue again */
  refreshCatalogue: adminProcedure.input(z.object({ name: catalogueName })).mutation(async ({ ctx, input }) => {
    const row = await ctx.db.templateCatalogue.findUnique({ where: { name: input.name } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `no template catalogue named "${input.name}"` });
    if (!row.url) throw new TRPCError({ code: 'BAD_REQUEST', message: `catalogue "${input.name}" was uploaded, not fetched from a URL` });
    const content = await call(() => fetchCatalogue(row.url!));
    const { catalogue, warnings } = await checkDocument(content);
    await ctx.db.templateCatalogue.update({ where: { name: input.name }, data: { content } });
    return { name: input.name, title: catalogue.name ?? input.name, templates: catalogue.templates.length, warnings };
  }),

  /** the stacks deployed from it stay (they are ordinary stacks) */
  removeCatalogue: adminProcedure.input(z.object({ name: catalogueName })).mutation(async ({ ctx, input }) => {
    const { count } = await ctx.db.templateCatalogue.deleteMany({ where: { name: input.name } });
    if (!count) throw new TRPCError({ code: 'NOT_FOUND', message: `no template catalogue named "${input.name}"` });
  }),
});
