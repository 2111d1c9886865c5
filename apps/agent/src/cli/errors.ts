import { TRPCClientError } from '@trpc/client';

/** An error the CLI prints as one line and exits with (Docker's codes: 125 by default). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 125,
  ) {
    super(message);
  }
}

export function exitCodeOf(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  if (e instanceof TRPCClientError) {
    const status = (e.data as { exitStatus?: number } | undefined)?.exitStatus;
    if (typeof status === 'number') return status;
  }
  return 125;
}

export function messageOf(e: unknown): string {
  if (e instanceof TRPCClientError) {
    const zodIssues = (e.data as { zodError?: unknown } | undefined)?.zodError;
    if (zodIssues) return `invalid request: ${e.message}`;
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

export function isNotFound(e: unknown): boolean {
  return e instanceof TRPCClientError && (e.data as { code?: string } | undefined)?.code === 'NOT_FOUND';
}
