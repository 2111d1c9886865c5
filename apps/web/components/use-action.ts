'use client';
import { useCallback, useState } from 'react';
import { errorMessage } from '../lib/errors';

/** what an action says when it worked: fixed text, or text made from its result (nothing: no notice) */
// biome-ignore lint/suspicious/noConfusingVoidType: a callback that shows no notice returns nothing, which TypeScript types as void
export type Done<T> = string | ((result: T) => string | void | undefined);

/**
 * Runs a page's changes one way everywhere: clears the last error and notice, marks the page
 * busy, then shows the notice on success or the agent's error (errorMessage: by its code and
 * input issues) on failure. The mutations it runs refresh what they changed themselves
 * (trpc/react.tsx), so there is no reload here. Resolves to whether the action worked.
 */
export function useAction() {
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [running, setRunning] = useState(0);

  const run = useCallback(async <T>(fn: () => Promise<T>, done?: Done<T>): Promise<boolean> => {
    setError('');
    setNotice('');
    setRunning((n) => n + 1);
    try {
      const result = await fn();
      const msg = typeof done === 'function' ? done(result) : done;
      if (msg) setNotice(msg);
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    } finally {
      setRunning((n) => n - 1);
    }
  }, []);

  return { run, busy: running > 0, error, notice, setError, setNotice };
}

export type Action = ReturnType<typeof useAction>;
