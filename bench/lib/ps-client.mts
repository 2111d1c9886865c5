/**
 * `ps` latency from a client process of its own, as a dashboard or a script polling `ps`
 * sees it: K sequential containers.list calls over one connection (SKIFF_HOST), after 5
 * unmeasured ones. Prints {"ms":[…],"bytes":N} on stdout. The density bench runs it as a
 * child: in the bench's own process the client shares a heap that starting N containers
 * shaped, and V8's major GCs there (12 in 1000 calls against 1 here) land in the latencies.
 * Usage: tsx bench/lib/ps-client.mts K   (DENSITY_PS_LOG: appends "N start-ms duration-ms" per call)
 */
import { appendFileSync } from 'node:fs';
import { connectAgent } from '../../apps/agent/src/cli/client.js';
import { timeMs } from './report.mjs';

const calls = Number(process.argv[2] ?? 1000);
const log = process.env.DENSITY_PS_LOG;
const { client, close } = await connectAgent();
for (let i = 0; i < 5; i++) await client.containers.list.query({});
const ms: number[] = [];
let bytes = 0;
for (let i = 0; i < calls; i++) {
  const at = Date.now();
  let list: unknown[] = [];
  ms.push(await timeMs(async () => (list = await client.containers.list.query({}))));
  if (i === 0) bytes = JSON.stringify(list).length;
  if (log) appendFileSync(log, `${list.length} ${at} ${ms[i]!.toFixed(2)}\n`);
}
close();
process.stdout.write(JSON.stringify({ ms, bytes }) + '\n');
