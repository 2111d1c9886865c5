'use client';
import { useEffect, useRef, useState } from 'react';
import { api, errorMessage } from '../lib/trpc';

const toB64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
const fromB64 = (b: string) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0));

/** An xterm.js terminal on an exec session of the container (the runtime's own PTY). */
export function Terminal({ id, command = '/bin/sh' }: { id: string; command?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [state, setState] = useState('connecting');
  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    void (async () => {
      const [{ Terminal: XTerm }, { FitAddon }] = await Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]);
      if (disposed || !ref.current) return;
      const term = new XTerm({ cursorBlink: true, fontSize: 13, convertEol: false });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(ref.current);
      fit.fit();
      try {
        const { sessionId } = await api().containers.exec.mutate({ id, spec: { cmd: [command], tty: true, stdin: true } });
        setState('connected');
        const sub = api().containers.sessionOutput.subscribe(
          { sessionId },
          {
            onData: (e) => {
              if (e.type === 'exit') {
                term.write(`\r\n[process exited with code ${e.code}]\r\n`);
                setState(`exited ${e.code}`);
              } else term.write(fromB64(e.data));
            },
            onError: (err) => setState(errorMessage(err)),
          },
        );
        const resize = () => {
          fit.fit();
          void api().containers.sessionResize.mutate({ sessionId, rows: term.rows, cols: term.cols });
        };
        resize();
        window.addEventListener('resize', resize);
        // keystrokes in order: each waits for the previous one
        let chain = Promise.resolve();
        const input = term.onData((d) => {
          chain = chain.then(() => api().containers.sessionInput.mutate({ sessionId, data: toB64(d) })).catch(() => {});
        });
        term.focus();
        cleanup = () => {
          window.removeEventListener('resize', resize);
          input.dispose();
          sub.unsubscribe();
          term.dispose();
        };
      } catch (err) {
        term.write(`\r\n${errorMessage(err)}\r\n`);
        setState('error');
        cleanup = () => term.dispose();
      }
    })();
    return () => {
      disposed = true;
      cleanup();
    };
  }, [id, command]);
  return (
    <div>
      <p className="mb-1 text-xs text-zinc-500" data-testid="terminal-state">{state}</p>
      <div ref={ref} className="h-80 rounded bg-black p-1" data-testid="terminal" />
    </div>
  );
}
