/**
 * The Skiff proxy alone in a process of its own, for bench/proxy.mts: listens on argv[2],
 * routes bench.test to 127.0.0.1:argv[3], prints "ready". Run with the agent's V8 flags
 * (apps/agent/bin/skiff) to measure it as the agent runs it.
 */
import { logger, setLogLevel } from '@skiff/logger';
import { ReverseProxy } from '@skiff/proxy';

setLogLevel('warn');
const [port, upstreamPort] = process.argv.slice(2).map(Number);
const proxy = new ReverseProxy({ http: { host: '127.0.0.1', port: port! }, logger: logger.child({ component: 'bench-proxy' }) });
await proxy.start();
proxy.setRoutes('bench', [{ domain: 'bench.test', upstreams: [{ host: '127.0.0.1', port: upstreamPort! }], https: false }]);
process.stdout.write('ready\n');
process.on('SIGTERM', () => void proxy.close(0).then(() => process.exit(0)));
