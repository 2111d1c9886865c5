// Preloaded into each vitest worker (vitest.config.ts, poolOptions.forks.execArgv), before
// vitest's own modules capture setTimeout.
//
// Many agent tests call the CLI with spawnSync, which blocks the worker's event loop for
// as long as the command runs. Vitest's worker->runner RPC arms a 60 s timer per call;
// after a long block (a slow machine, several CLI calls in a row) that timer is due
// before the runner's answer, already waiting in the IPC pipe, has been read, and vitest
// reports a spurious "Timeout calling onTaskUpdate" error that fails a green run.
//
// Long timers (>= 10 s), once due, therefore wait one more turn of the event loop, so
// pending I/O is read first: an RPC answer that did arrive settles its call and the late
// timeout finds nothing to reject. A real timeout still fires, one loop turn later.
const LONG_MS = 10_000;
const realSetTimeout = globalThis.setTimeout;
const realSetImmediate = globalThis.setImmediate;
function patientSetTimeout(fn, ms, ...args) {
  if (typeof fn !== 'function' || !(ms >= LONG_MS)) return realSetTimeout(fn, ms, ...args);
  return realSetTimeout(() => realSetImmediate(() => fn(...args)), ms);
}
Object.defineProperty(patientSetTimeout, 'name', { value: 'setTimeout' });
// util.promisify(setTimeout) must keep working
patientSetTimeout[Symbol.for('nodejs.util.promisify.custom')] = realSetTimeout[Symbol.for('nodejs.util.promisify.custom')];
globalThis.setTimeout = patientSetTimeout;
