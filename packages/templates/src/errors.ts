import { InvalidArgument } from '@skiff/runtime/parse';

/**
 * Every user-caused template failure: a bad catalogue, a bad parameter value. An
 * InvalidArgument so the agent maps it to BAD_REQUEST; the message names the template and
 * the field (`template "postgres": parameters[1].default: …`) so it can be printed as is.
 */
export class TemplateError extends InvalidArgument {
  constructor(
    readonly detail: string,
    readonly templateId?: string,
    readonly field?: string,
  ) {
    super(`${templateId ? `template "${templateId}": ` : ''}${field ? `${field}: ` : ''}${detail}`);
  }
}
