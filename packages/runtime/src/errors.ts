/**
 * Typed runtime errors. The agent maps `code` onto tRPC/HTTP codes and the CLI onto
 * exit codes, so every failure a user can cause must be one of these.
 */
export type SkiffErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'INVALID_ARGUMENT' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'UNAVAILABLE' | 'INTERNAL';

export class SkiffError extends Error {
  /** Docker's CLI exit status for this failure when it is not 125 (126 not executable, 127 not found) */
  readonly exitStatus?: number;
  constructor(
    readonly code: SkiffErrorCode,
    message: string,
    options?: { cause?: unknown; exitStatus?: number },
  ) {
    super(message, options);
    this.name = new.target.name;
    if (options?.exitStatus !== undefined) this.exitStatus = options.exitStatus;
  }
}

export class NotFound extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
  }
}
export class Conflict extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFLICT', message, options);
  }
}
export class InvalidArgument extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}
export class Unauthorized extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAUTHORIZED', message, options);
  }
}
export class Forbidden extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FORBIDDEN', message, options);
  }
}
export class Unavailable extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

export function isSkiffError(err: unknown): err is SkiffError {
  return err instanceof SkiffError;
}
