import { connect } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appRouter } from '../src/routers/index.js';
import { useAgent } from './use-agent.js';

/**
 * Random inputs to every tRPC procedure and every Docker API route of a real agent, as root
 * (the trusted socket): each call must get an answer (a result or an error), the agent must
 * not die, and it must still answer a ping after each batch. Deterministic: the seed is
 * FUZZ_SEED or a fixed one, and fast-check prints seed and path of a failing case
 * (FUZZ_SEED=<seed> reruns it). Procedures and routes that reach a registry are left out:
 * random references would send traffic off this host.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const CONTAINER = `fz${process.pid}`;

const fx = useAgent({ pull: true }, ({ agent, image }) => {
  const r = agent.cli(['run', '-d', '--name', CONTAINER, image, 'sleep', '3600']);
  if (r.code !== 0) throw new Error(`run failed: ${r.stderr}`);
});

/** one raw HTTP/1.1 exchange on a unix socket; what the server sent, or 'timeout' / 'reset' */
function rawHttp(socket: string, request: string | Buffer, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(socket);
    let got = '';
    const done = (why?: string) => {
      clearTimeout(timer);
      s.destroy();
      resolve(why ?? got);
    };
    // a stream (events, logs --follow, a subscription) answers with headers and stays open
    const timer = setTimeout(() => done(got ? got : 'timeout'), timeoutMs);
    s.on('data', (b: Buffer) => (got += b.toString('latin1')));
    s.on('error', () => done(got || 'reset'));
    s.on('close', () => done());
    s.write(request);
  });
}

const request = (method: string, target: string, body = '', headers: Record<string, string> = {}) =>
  `${method} ${target} HTTP/1.1\r\nHost: fuzz\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

/** what a request target may hold unescaped; the rest is %-encoded, except `%` itself (bad escapes are part of the fuzz) */
const escapeTarget = (s: string) => s.replace(/[^!-~]|[?#]/gu, (c) => encodeURIComponent(c));

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

const nasty = fc.constantFrom(
  '',
  '/',
  '..',
  '../../../../etc/shadow',
  '%',
  '%zz',
  '\u0000',
  'a'.repeat(70_000),
  '-1',
  '1e309',
  '{"a":',
  '__proto__',
  'constructor',
  '127.0.0.1:1/x:y',
  'sha256:' + '0'.repeat(64),
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: nasty },
  { weight: 2, arbitrary: fc.constant(CONTAINER) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 31), 1e308)) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.string(), nasty), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), nasty), fc.oneof(fc.string(), fc.integer()), { maxKeys: 4 }) },
);

// what reaches a registry (a random reference names docker.io), or would wait for a long time
const OFF_HOST = new Set(['images.pull', 'images.push', 'registries.login', 'compose.up', 'compose.pull', 'stacks.deploy']);

interface Procedure {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  keys: string[];
}
const procedures: Procedure[] = Object.entries(
  (appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: Procedure['type']; inputs: { shape?: object }[] } }> } })._def.procedures,
)
  .filter(([path]) => !OFF_HOST.has(path))
  .map(([path, p]) => ({ path, type: p._def.type, keys: Object.keys(p._def.inputs[0]?.shape ?? {}) }));

/** an input for one procedure: mostly objects of its own keys (so calls get past validation), sometimes anything */
const inputFor = (p: Procedure): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: p.keys.length ? fc.record(Object.fromEntries(p.keys.map((k) => [k, value])), { requiredKeys: [] }) : fc.constant(undefined) },
    { weight: 1, arbitrary: value },
  );

const trpcCall = fc.constantFrom(...procedures).chain((p) => fc.tuple(fc.constant(p), inputFor(p)));

async function ping(socket: string): Promise<void> {
  const answer = await rawHttp(socket, request('GET', '/trpc/system.ping'), 10_000);
  expect(statusOf(answer), `ping after a batch: ${answer.slice(0, 200)}`).toBe(200);
}

describe('fuzzing the API', () => {
  it('answers every tRPC procedure called with random input, and stays up', async () => {
    const { agent } = fx;
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(trpcCall, async ([p, input]) => {
        const json = input === undefined ? '' : JSON.stringify(input);
        const target = `/trpc/${p.path}`;
        const answer =
          p.type === 'mutation'
            ? await rawHttp(agent.socket, request('POST', target, json, { 'content-type': 'application/json' }), 15_000)
            : await rawHttp(
                agent.socket,
                request('GET', json ? `${target}?input=${encodeURIComponent(json)}` : target),
                p.type === 'subscription' ? 300 : 15_000,
              );
        expect(agent.running, `the agent died on ${p.path} ${json.slice(0, 300)}`).toBe(true);
        expect(agent.output, `a fault on ${p.path} ${json.slice(0, 300)}`).not.toContain('uncaught');
        if (p.type !== 'subscription') expect(statusOf(answer), `${p.path} ${json.slice(0, 300)} got: ${answer.slice(0, 300)}`).toBeGreaterThan(0);
        if (++calls % 50 === 0) await ping(agent.socket);
      }),
      { seed: SEED, numRuns: 500, endOnFailure: true },
    );
    await ping(agent.socket);
  }, 120_000);

  const dockerRoutes: [string, string][] = [
    ['GET', '/_ping'],
    ['GET', '/version'],
    ['GET', '/info'],
    ['GET', '/images/json'],
    ['GET', '/images/{id}/json'],
    ['DELETE', '/images/{id}'],
    ['GET', '/containers/json'],
    ['POST', '/containers/create'],
    ['GET', '/containers/{id}/json'],
    ['POST', '/containers/{id}/start'],
    ['POST', '/containers/{id}/stop'],
    ['POST', '/containers/{id}/restart'],
    ['POST', '/containers/{id}/kill'],
    ['POST', '/containers/{id}/wait'],
    ['GET', '/containers/{id}/logs'],
    ['DELETE', '/containers/{id}'],
    ['GET', '/containers/{id}/top'],
    ['GET', '/containers/{id}/changes'],
    ['POST', '/containers/{id}/rename'],
    ['POST', '/containers/{id}/pause'],
    ['POST', '/containers/{id}/unpause'],
    ['GET', '/containers/{id}/export'],
    ['GET', '/containers/{id}/stats'],
    ['GET', '/containers/{id}/archive'],
    ['HEAD', '/containers/{id}/archive'],
    ['PUT', '/containers/{id}/archive'],
    ['POST', '/containers/{id}/update'],
    ['POST', '/containers/{id}/exec'],
    ['GET', '/exec/{id}/json'],
    ['POST', '/exec/{id}/resize'],
    ['POST', '/exec/{id}/start'],
    ['POST', '/containers/{id}/attach'],
    ['POST', '/containers/{id}/resize'],
    ['POST', '/commit'],
    ['GET', '/images/get'],
    ['POST', '/images/load'],
    ['POST', '/images/prune'],
    ['GET', '/images/{id}/get'],
    ['POST', '/images/{id}/tag'],
    ['GET', '/images/{id}/history'],
    ['GET', '/networks'],
    ['POST', '/networks/create'],
    ['POST', '/networks/prune'],
    ['GET', '/networks/{id}'],
    ['DELETE', '/networks/{id}'],
    ['POST', '/networks/{id}/connect'],
    ['POST', '/networks/{id}/disconnect'],
    ['GET', '/events'],
    ['GET', '/system/df'],
    ['POST', '/containers/prune'],
    ['GET', '/volumes'],
    ['POST', '/volumes/create'],
    ['POST', '/volumes/prune'],
    ['GET', '/volumes/{id}'],
    ['DELETE', '/volumes/{id}'],
    ['POST', '/build/prune'],
  ];
  const queryKeys = fc.constantFrom(
    'all',
    'filters',
    'force',
    'v',
    't',
    'signal',
    'follow',
    'stdout',
    'tail',
    'since',
    'until',
    'name',
    'path',
    'ps_args',
    'stream',
    'repo',
    'tag',
    'container',
    'names',
    'condition',
    'h',
    'w',
    'noOverwriteDirNonDir',
    'changes',
    'pause',
    'quiet',
    'timestamps',
    'one-shot',
  );
  const queryString = fc.array(
    fc.tuple(
      queryKeys,
      fc.oneof(fc.string({ maxLength: 20 }), nasty, fc.constantFrom('1', 'true', '{"label":["a"]}', '{"x":null}', '[]', 'null', '-5', '99999999999')),
    ),
    { maxLength: 5 },
  );
  const idArb = fc.oneof(fc.constant(CONTAINER), fc.string({ maxLength: 20 }), nasty);
  const bodyArb = fc.oneof(
    fc.constant(''),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc
      .record(
        {
          Image: value,
          Cmd: value,
          HostConfig: value,
          Env: value,
          Name: value,
          Driver: value,
          Container: value,
          EndpointConfig: value,
          AttachStdin: value,
          Tty: value,
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 100 }),
  );
  const dockerCall = fc.oneof(
    {
      weight: 9,
      arbitrary: fc
        .tuple(fc.constantFrom(...dockerRoutes), idArb, queryString, bodyArb, fc.constantFrom('', '/v1.47', '/v1.24', '/v0.0'))
        .map(([[method, path], id, query, body, version]) => ({
          method,
          target:
            escapeTarget(`${version}${path.replace('{id}', id)}`) + (query.length ? `?${query.map(([k, v]) => `${k}=${escapeTarget(v)}`).join('&')}` : ''),
          body,
        })),
    },
    // request targets no route expects (absolute form, bad escapes, nothing at all)
    {
      weight: 1,
      arbitrary: fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD'),
        target: fc.oneof(
          fc.constantFrom('http://[', 'http://a:99999/', '*', '//', '/%', '/containers/%E0%A4%A/json', '/containers/json?filters=%'),
          fc.string({ maxLength: 30 }).map((s) => `/${escapeTarget(s)}`),
        ),
        body: bodyArb,
      }),
    },
  );

  it('answers every Docker API route called with random parameters and bodies, and stays up', async () => {
    const { agent } = fx;
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(dockerCall, async ({ method, target, body }) => {
        const answer = await rawHttp(agent.dockerSocket, request(method, target, body, { 'content-type': 'application/json' }), 1_000);
        expect(agent.running, `the agent died on ${method} ${target} ${body.slice(0, 300)}`).toBe(true);
        expect(agent.output, `a fault on ${method} ${target} ${body.slice(0, 300)}`).not.toContain('uncaught');
        expect(answer, `${method} ${target}`).not.toBe('reset');
        if (++calls % 50 === 0) await ping(agent.socket);
      }),
      { seed: SEED, numRuns: 400, endOnFailure: true },
    );
    await ping(agent.socket);
  }, 120_000);
});
