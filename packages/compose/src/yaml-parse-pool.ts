import { Worker } from 'node:worker_threads';
import { ComposeError } from './errors.js';
import type { PlainDocument } from './yaml-plain.mjs';

/** a parse taking longer than this is a hostile file: the worker is ended and the file refused */
const PARSE_TIMEOUT_MS = 30_000;

interface Pending {
  resolve(doc: PlainDocument): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();

function failAll(e: Error): void {
  for (const p of pending.values()) {
    clearTimeout(p.timer);
    p.reject(e);
  }
  pending.clear();
}

function theWorker(): Worker {
  if (worker) return worker;
  // plain JavaScript beside this file: it runs under plain Node in the bundled agent too
  const w = new Worker(new URL('./yaml-parse-worker.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 512 } });
  w.unref(); // an idle parser keeps no process (the CLI) alive
  w.on('message', (m: { id: number; doc?: PlainDocument; failure?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    clearTimeout(p.timer);
    if (m.doc) p.resolve(m.doc);
    else p.reject(new ComposeError(`cannot parse the YAML: ${m.failure}`));
  });
  w.on('error', (e) => {
    if (worker === w) worker = undefined;
    failAll(new ComposeError(`cannot parse the YAML: ${e.message}`));
  });
  w.on('exit', () => {
    if (worker === w) worker = undefined;
    failAll(new ComposeError('the YAML parser stopped before it answered'));
  });
  worker = w;
  return w;
}

/** One Compose file parsed in the worker thread, so the event loop keeps serving meanwhile. */
export function parseOffThread(text: string, displayName: string, maxNodes: number): Promise<PlainDocument> {
  const w = theWorker();
  const id = nextId++;
  return new Promise<PlainDocument>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new ComposeError(`parsing took longer than ${PARSE_TIMEOUT_MS / 1000} s`, { file: displayName, line: 1, col: 1 }));
      // the parse cannot be interrupted otherwise; what was queued behind it fails too
      void w.terminate();
    }, PARSE_TIMEOUT_MS);
    pending.set(id, { resolve, reject, timer });
    w.ref(); // a parse under way keeps the process alive (the CLI awaits it)
    w.postMessage({ id, text, maxNodes });
  });
}
