export { TemplateError } from './errors.js';
export {
  catalogueSchema,
  parameterSchema,
  paramName,
  templateId,
  templateSchema,
  PARAM_TYPES,
  type Catalogue,
  type ParamType,
  type Parameter,
  type Template,
  type TemplateInput,
} from './schema.js';
export { parseCatalogue, checkTemplate, type ParsedCatalogue } from './parse.js';
export { renderCompose, checkBody } from './render.js';
export { resolveValues, generatePassword, type ParamValue, type Resolved, type ResolvedValue, type ResolveOptions } from './values.js';
export { envLines, escapeEnv } from './env.js';
export { scanReferences, referencesOf } from './references.js';
export { builtinCatalogue, BUILTIN_CATALOGUE } from './builtin.js';
export { fromPortainer, isPortainer } from './portainer.js';
export { renderTemplate, type RenderedTemplate } from './plan.js';
