/**
 * Where a Node process's memory goes, from inside: its inspector is opened with SIGUSR1 (on
 * the port its `--inspect-port` named) once the outside measurements are done, and
 * `process.memoryUsage()` and V8's heap space and code statistics are read over the
 * DevTools protocol. The inspector's own memory comes after the samples, so it is not in them.
 */
import WebSocket from 'ws';
import { mib } from './proc-memory.mjs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const EXPRESSION = `JSON.stringify((() => {
  const v8 = process.getBuiltinModule('v8');
  return { usage: process.memoryUsage(), spaces: v8.getHeapSpaceStatistics(), code: v8.getHeapCodeStatistics(), heap: v8.getHeapStatistics() };
})())`;

interface Stats {
  usage: Record<string, number>;
  spaces: { space_name: string; space_size: number; space_used_size: number; physical_space_size: number }[];
  code: Record<string, number>;
  heap: Record<string, number>;
}

async function evaluate(port: number): Promise<Stats> {
  let targets: { webSocketDebuggerUrl: string }[] = [];
  for (let i = 0; i < 50 && !targets.length; i++) {
    targets = await fetch(`http://127.0.0.1:${port}/json/list`).then(
      (r) => r.json() as Promise<{ webSocketDebuggerUrl: string }[]>,
      () => [],
    );
    if (!targets.length) await sleep(100);
  }
  if (!targets[0]) throw new Error(`no inspector on 127.0.0.1:${port}`);
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
  try {
    const answer = new Promise<string>((ok, fail) =>
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { id?: number; result?: { result?: { value?: string }; exceptionDetails?: unknown } };
        if (m.id !== 1) return;
        if (m.result?.result?.value) ok(m.result.result.value);
        else fail(new Error(`evaluate failed: ${JSON.stringify(m.result)}`));
      }),
    );
    ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression: EXPRESSION, returnByValue: true } }));
    return JSON.parse(await answer) as Stats;
  } finally {
    ws.close();
  }
}

/** lines for the bench's notes: RSS against V8's heap (by space, physical), code, external and array buffers */
export async function v8Breakdown(pid: number, port: number): Promise<string[]> {
  process.kill(pid, 'SIGUSR1');
  const s = await evaluate(port);
  const kb = (b: number) => b / 1024;
  const spaces = s.spaces
    .filter((x) => x.physical_space_size > 256 * 1024)
    .map((x) => `${x.space_name} ${mib(kb(x.physical_space_size)).toFixed(1)} (used ${mib(kb(x.space_used_size)).toFixed(1)})`)
    .join(', ');
  const u = s.usage;
  return [
    `skiff agent inside (MiB, after the samples): rss ${mib(kb(u.rss!)).toFixed(1)}, V8 heap committed ${mib(kb(s.heap.total_physical_size!)).toFixed(1)} (used ${mib(kb(u.heapUsed!)).toFixed(1)}), external ${mib(kb(u.external!)).toFixed(1)} (array buffers ${mib(kb(u.arrayBuffers!)).toFixed(1)}), malloced by V8 ${mib(kb(s.heap.malloced_memory!)).toFixed(1)}`,
    `skiff agent V8 spaces (physical MiB): ${spaces}`,
    `skiff agent code (MiB): bytecode and metadata ${mib(kb(s.code.bytecode_and_metadata_size!)).toFixed(1)}, code and metadata ${mib(kb(s.code.code_and_metadata_size!)).toFixed(1)}, external scripts source ${mib(kb(s.code.external_script_source_size!)).toFixed(1)}`,
  ];
}
