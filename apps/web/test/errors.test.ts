import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { errorCode, errorMessage, isNotFound, isUnauthorized } from '../lib/errors.js';

/** an error as the agent's HTTP answer carries it (shape: apps/agent/src/trpc.ts errorFormatter) */
const fromAgent = (message: string, data: Record<string, unknown>) => TRPCClientError.from({ error: { message, code: -32004, data } });

describe('errors by code', () => {
  it('reads the code, whatever the message says', () => {
    const gone = fromAgent('something unrelated', { code: 'NOT_FOUND', httpStatus: 404 });
    expect(errorCode(gone)).toBe('NOT_FOUND');
    expect(isNotFound(gone)).toBe(true);
    // the words alone are not a code
    expect(isNotFound(fromAgent('no such container: x', { code: 'CONFLICT' }))).toBe(false);
    expect(isUnauthorized(fromAgent('x', { code: 'UNAUTHORIZED' }))).toBe(true);
    expect(errorCode(new TypeError('Failed to fetch'))).toBeUndefined();
  });

  it("shows refused input as sentences: the agent's text, else made from field and message, never JSON", () => {
    const json = JSON.stringify([{ code: 'too_small', path: ['password'], message: 'at least 8 characters' }]);
    const refused = fromAgent(json, {
      code: 'BAD_REQUEST',
      inputIssues: [
        { path: ['password'], message: 'at least 8 characters', text: 'Password must be at least 8 characters.' },
        { path: ['registry'], message: 'Too big' },
      ],
    });
    expect(errorMessage(refused)).toBe('Password must be at least 8 characters. Registry: Too big.');
    // zod's dump with no issues alongside (an older agent) is read rather than shown
    expect(errorMessage(fromAgent(json, { code: 'BAD_REQUEST' }))).toBe('Password: at least 8 characters.');
    expect(errorMessage(new Error(json))).not.toContain('[');
    expect(errorMessage(fromAgent('wrong user name or password', { code: 'UNAUTHORIZED' }))).toBe('wrong user name or password');
    expect(errorMessage('plain')).toBe('plain');
  });
});
