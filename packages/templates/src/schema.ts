import { z } from 'zod';

/**
 * The template format (docs/templates.md): a catalogue is a versioned list of templates;
 * a template is metadata, typed parameters and a compose body whose `${NAME}` references
 * are the parameters. Everything a catalogue says is checked here before it is stored or
 * shown, so the dashboard and the renderer can trust its shape.
 */

export const PARAM_TYPES = ['string', 'number', 'boolean', 'password', 'port', 'select'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

/** a parameter's name is also its compose variable: `${POSTGRES_PASSWORD}` */
export const paramName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a parameter name is letters, digits and "_", not starting with a digit')
  .max(64);

export const templateId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a template id is lowercase letters, digits, ".", "-" and "_"')
  .max(64);

const scalar = z.union([z.string().max(4096), z.number(), z.boolean()]);

export const parameterSchema = z
  .object({
    name: paramName,
    label: z.string().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    type: z.enum(PARAM_TYPES).default('string'),
    default: scalar.optional(),
    required: z.boolean().default(false),
    /** a regular expression the whole value must match (strings and passwords) */
    pattern: z
      .string()
      .max(500)
      .refine((p) => isRegExp(p), 'not a valid regular expression')
      .optional(),
    /** select: the values offered; a bare string is its own label */
    options: z
      .array(z.union([z.string().max(500), z.object({ value: z.string().max(500), label: z.string().max(200).optional() })]))
      .max(200)
      .optional(),
    /** number/port bounds */
    min: z.number().optional(),
    max: z.number().optional(),
    /** password: when no value is given, generate one of `length` characters from a CSPRNG */
    generate: z.object({ length: z.number().int().min(8).max(256), alphabet: z.enum(['alphanumeric', 'hex']).default('alphanumeric') }).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'select' && !p.options?.length) ctx.addIssue({ code: 'custom', path: ['options'], message: 'a select parameter needs options' });
    if (p.type !== 'select' && p.options) ctx.addIssue({ code: 'custom', path: ['options'], message: 'only a select parameter has options' });
    if (p.generate && p.type !== 'password') ctx.addIssue({ code: 'custom', path: ['generate'], message: 'only a password parameter is generated' });
    if (p.type === 'password' && p.default !== undefined)
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'a password has no default (use generate)' });
  });

export type Parameter = z.output<typeof parameterSchema>;

/** an inline SVG shown through an <img> data: URL (no scripts run, nothing is fetched) */
const logo = z
  .string()
  .max(32 * 1024)
  .refine((s) => /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(s), 'a logo is an inline SVG document (<svg …>)');

export const templateSchema = z
  .object({
    id: templateId,
    name: z.string().min(1).max(200),
    description: z.string().max(4000).default(''),
    logo: logo.optional(),
    categories: z.array(z.string().min(1).max(64)).max(20).default([]),
    /** free text shown above the deploy form (plain text, never HTML) */
    note: z.string().max(4000).optional(),
    parameters: z.array(parameterSchema).max(100).default([]),
    /** a compose file whose variables are the parameters */
    compose: z
      .string()
      .min(1)
      .max(256 * 1024),
  })
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    t.parameters.forEach((p, i) => {
      if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: ['parameters', i, 'name'], message: `duplicate parameter "${p.name}"` });
      seen.add(p.name);
    });
  });

export type Template = z.output<typeof templateSchema>;
export type TemplateInput = z.input<typeof templateSchema>;

export const catalogueSchema = z.object({
  /** the format's version: 1 */
  version: z.literal(1),
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(4000).optional(),
  templates: z.array(z.unknown()).max(1000),
});

export interface Catalogue {
  version: 1;
  name?: string;
  description?: string;
  templates: Template[];
}

function isRegExp(p: string): boolean {
  try {
    new RegExp(p, 'u');
    return true;
  } catch {
    return false;
  }
}
