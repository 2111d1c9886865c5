'use client';
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../lib/errors';
import { useTRPCClient } from '../trpc/react';

const toB64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
const fromB64 = (b: string) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0));

type XTerm = import('@xterm/xterm').Terminal;

/**
 * The session a terminal of this page had (per tab: sessionStorage): a reload or a dropped
 * socket re-attaches to it within the agent's grace instead of starting another shell.
 */
const sessionKey = (id: string, cmd: string, user?: string) => `skiff.terminal:${id}:${cmd}:${user ?? ''}`;
const remembered = (key: string): string | undefined => {
  try {
    return sessionStorage.getItem(key) ?? undefined;
  } catch (e) {
    console.debug('terminal: no session storage', e);
    return undefined;
  }
};
const remember = (key: string, sessionId: string | undefined) => {
  try {
    if (sessionId) sessionStorage.setItem(key, sessionId);
    else sessionStorage.removeItem(key);
  } catch (e) {
    console.debug('terminal: no session storage', e);
  }
};

/**
 * An xterm.js terminal on an exec session of the container (the runtime's own PTY).
 * The PTY follows the element's size (window resize, full screen); `generation`
 * changes to reconnect. Leaving the tab ends the session (the agent kills the shell); a
 * reload re-attaches to it (the agent keeps it for a short grace after its socket closes).
 */
export function Terminal({ id, cmd = ['/bin/sh'], user, generation = 0 }: { id: string; cmd?: string[]; user?: string; generation?: number }) {
  // an exec session is a stream plus keystrokes in order: the client directly, no cache
  const client = useTRPCClient();
  const ref = useRef<HTMLDivElement>(null);
  const term = useRef<XTerm | null>(null);
  const send = useRef<(d: string) => void>(() => {});
  const [state, setState] = useState('connecting');
  const [full, setFull] = useState(false);
  const key = JSON.stringify(cmd);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new generation (reconnect) opens a new session though the effect does not read it
  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    setState('connecting');
    void (async () => {
      const [{ Terminal: XTermCtor }, { FitAddon }] = await Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]);
      if (disposed || !ref.current) return;
      const t = new XTermCtor({ cursorBlink: true, fontSize: 13, convertEol: false });
      const fit = new FitAddon();
      t.loadAddon(fit);
      t.open(ref.current);
      fit.fit();
      term.current = t;
      try {
        const stored = sessionKey(id, key, user);
        const { sessionId, reattached } = await client.containers.exec.mutate({
          id,
          spec: { cmd: JSON.parse(key) as string[], tty: true, stdin: true, user: user || undefined },
          reattach: remembered(stored),
        });
        remember(stored, sessionId);
        if (disposed) {
          // unmounted while starting: nobody will read this session, so it ends now
          remember(stored, undefined);
          void client.containers.sessionDetach.mutate({ sessionId }).catch((e: unknown) => console.debug('terminal: ending an unread session', sessionId, e));
          return;
        }
        if (reattached) t.write('[re-attached to the running session]\r\n');
        setState('connected');
        const sub = client.containers.sessionOutput.subscribe(
          { sessionId },
          {
            onData: (e) => {
              if (e.type === 'exit') {
                t.write(`\r\n[process exited with code ${e.code}]\r\n`);
                setState(`exited ${e.code}`);
              } else t.write(fromB64(e.data));
            },
            onError: (err) => setState(`disconnected: ${errorMessage(err)}`),
          },
        );
        let size = '';
        const resize = () => {
          fit.fit();
          if (`${t.rows}x${t.cols}` === size) return;
          size = `${t.rows}x${t.cols}`;
          // a resize racing the session's end is refused; the console keeps it for whoever debugs
          void client.containers.sessionResize
            .mutate({ sessionId, rows: t.rows, cols: t.cols })
            .catch((e: unknown) => console.debug('terminal: resizing the session', sessionId, e));
        };
        resize();
        const observer = new ResizeObserver(() => resize());
        observer.observe(ref.current!);
        // keystrokes in order: each waits for the previous one
        let chain = Promise.resolve();
        send.current = (d: string) => {
          chain = chain
            .then(() => client.containers.sessionInput.mutate({ sessionId, data: toB64(d) }))
            .then(
              () => {},
              () => {},
            );
        };
        const input = t.onData((d) => send.current(d));
        t.focus();
        cleanup = () => {
          observer.disconnect();
          input.dispose();
          sub.unsubscribe();
          // leaving the tab or reconnecting ends the session: the agent kills its process, like
          // closing an ssh window (it may have ended already: its process exited)
          remember(stored, undefined);
          void client.containers.sessionDetach.mutate({ sessionId }).catch((e: unknown) => console.debug('terminal: detaching from the session', sessionId, e));
          t.dispose();
        };
      } catch (err) {
        t.write(`\r\n${errorMessage(err)}\r\n`);
        setState('error');
        cleanup = () => t.dispose();
      }
    })();
    return () => {
      disposed = true;
      term.current = null;
      send.current = () => {};
      cleanup();
    };
  }, [client, id, key, user, generation]);

  // the keys typed right after switching go to the shell, not to the button that switched
  // biome-ignore lint/correctness/useExhaustiveDependencies: switching full screen is what moves the focus, though the effect reads only the ref
  useEffect(() => term.current?.focus(), [full]);

  useEffect(() => {
    if (!full) return;
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && e.shiftKey && setFull(false);
    window.addEventListener('keydown', esc);
    return () => window.removeEventListener('keydown', esc);
  }, [full]);

  const copy = () => {
    const s = term.current?.getSelection();
    if (s) void navigator.clipboard?.writeText(s);
    term.current?.focus();
  };
  const paste = async () => {
    const s = await navigator.clipboard?.readText().catch(() => '');
    if (s) send.current(s);
    term.current?.focus();
  };

  return (
    <div className={full ? 'fixed inset-0 z-50 flex flex-col bg-black p-2' : ''}>
      <div className="mb-1 flex items-center gap-2 text-xs">
        <span className={full ? 'text-zinc-300' : 'text-zinc-500'} data-testid="terminal-state">
          {state}
        </span>
        <span className="flex-1" />
        <button className="btn" onClick={copy} title="copy the selection">
          copy
        </button>
        <button className="btn" onClick={() => void paste()} title="paste from the clipboard">
          paste
        </button>
        <button className="btn" aria-pressed={full} onClick={() => setFull((f) => !f)} title="Shift+Esc leaves full screen">
          {full ? 'exit full screen' : 'full screen'}
        </button>
      </div>
      {/* min-h-0: a flex item may shrink below the rows xterm last drew, so a smaller window refits */}
      <div ref={ref} className={`${full ? 'min-h-0 flex-1' : 'h-[clamp(12rem,60vh,36rem)]'} overflow-hidden rounded bg-black p-1`} data-testid="terminal" />
    </div>
  );
}
