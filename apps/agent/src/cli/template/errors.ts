import { CliError } from '../errors.js';

/** A template that does not parse or does not execute; docker exits 1 on both (not 125: they are not usage errors). */
export class TemplateError extends CliError {
  constructor(message: string, exitCode = 1) {
    super(message, exitCode);
  }
}
