// The worker thread that parses large Compose files (yaml-parse-pool.ts), off the agent's
// event loop: { id, text, maxNodes } in, { id, doc } or { id, failure } out.
import { parentPort } from 'node:worker_threads';
import { plainDocument } from './yaml-plain.mjs';

parentPort.on('message', ({ id, text, maxNodes }) => {
  try {
    parentPort.postMessage({ id, doc: plainDocument(text, maxNodes) });
  } catch (e) {
    parentPort.postMessage({ id, failure: e instanceof Error ? e.message : String(e) });
  }
});
