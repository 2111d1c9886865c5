import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import { SKIFF, type AgentHarness } from './agent-harness.js';
import { useAgent } from './use-agent.js';

let agent: AgentHarness;
let image: string;

useAgent({}, (ctx) => ({ agent, image } = ctx));

describe('skiff CLI against a real agent', () => {
  it('pulls and lists images', () => {
    const pull = agent.cli(['pull', image]);
    expect(pull.code).toBe(0);
    expect(pull.stdout).toMatch(/Pull complete/);
    const images = agent.cli(['images']);
    expect(images.stdout).toMatch(/REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE/);
    expect(images.stdout).toContain('skiff-test/busybox');
  });

  it('runs a container in the foreground with its output and exit code', () => {
    const r = agent.cli(['run', '--rm', image, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    const piped = agent.cli(['run', '--rm', '-i', image, 'tr', 'a-z', 'A-Z'], { input: 'shout\n' });
    expect(piped).toMatchObject({ code: 0, stdout: 'SHOUT\n' });
  });

  it('gives one-line errors and Docker exit codes', () => {
    const missing = agent.cli(['run', '--rm', image, 'no-such-command']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('executable file not found');
    expect(agent.cli(['run', '--bogus', image]).code).toBe(125);
    const unknown = agent.cli(['run', '--rm', '127.0.0.1:1/none/such:1']);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr.trim().split('\n').pop()).toMatch(/^skiff: cannot reach registry/);
    expect(agent.cli(['stop', 'ghost']).stderr).toMatch(/no such container: ghost/);
    const noAgent = agent.cli(['ps'], { env: { SKIFF_HOST: `unix://${join(agent.dir, 'missing.sock')}` } });
    expect(noAgent.code).toBe(125);
    expect(noAgent.stderr).toMatch(/cannot connect to the skiff agent/);
    for (const r of [missing, unknown, noAgent]) expect(r.stderr).not.toMatch(/\n\s+at /); // never a stack trace
  });

  it('answers a mount path with a control character with BAD_REQUEST over tRPC, and keeps serving', async () => {
    expect(agent.cli(['pull', '-q', image]).code).toBe(0);
    const headers = { authorization: `Bearer ${agent.token('operate')}`, 'content-type': 'application/json' };
    const res = await fetch(`${agent.url}/trpc/containers.create`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ image, cmd: ['true'], mounts: [{ type: 'tmpfs', target: '/run\tx' }] }),
    });
    const body = (await res.json()) as { error?: { message: string; data?: { code?: string } } };
    expect(res.status).toBe(400);
    expect(body.error?.data?.code).toBe('BAD_REQUEST');
    expect(body.error?.message).toMatch(/invalid tmpfs mount target: path contains a control character/);
    expect(agent.cli(['ps', '-aq']).code).toBe(0);
  });

  it('manages a detached container: ps, logs, exec, top, stats, inspect, pause, rename, cp, diff, stop, rm', () => {
    const run = agent.cli(['run', '-d', '--name', 'svc', '-e', 'GREETING=hi there', image, 'sh', '-c', 'echo "$GREETING"; while true; do sleep 1; done']);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(agent.cli(['run', '-d', '--name', 'svc', image, 'true'])).toMatchObject({ code: 125 });

    const ps = agent
      .cli(['ps', '--format', 'json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ps.find((c) => c.ID === id.slice(0, 12))).toMatchObject({ Names: 'svc', State: 'running' });
    expect(agent.cli(['logs', 'svc']).stdout).toBe('hi there\n');
    expect(agent.cli(['logs', '-t', 'svc']).stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z hi there\n$/);
    expect(agent.cli(['exec', 'svc', 'sh', '-c', 'echo $$ $GREETING; exit 7'])).toMatchObject({ code: 7 });
    expect(agent.cli(['exec', '-u', 'app', '-w', '/tmp', 'svc', 'sh', '-c', 'id -u; pwd']).stdout).toBe('1000\n/tmp\n');
    // exec -d returns at once and the process runs on in the container, its output dropped
    const detached = agent.cli(['exec', '-d', 'svc', 'sh', '-c', 'echo dropped; sleep 1; echo detached-done > /tmp/detached']);
    expect(detached).toMatchObject({ code: 0, stdout: '' });
    let seen = '';
    for (let i = 0; i < 60 && !seen; i++) seen = agent.cli(['exec', 'svc', 'sh', '-c', 'cat /tmp/detached 2>/dev/null || sleep 0.1']).stdout;
    expect(seen).toBe('detached-done\n');
    expect(agent.cli(['top', 'svc']).stdout).toMatch(/PID[\s\S]*sleep/);
    expect(agent.cli(['stats', '--no-stream', 'svc']).stdout).toMatch(/CONTAINER ID\s+NAME\s+CPU %[\s\S]*svc/);
    const inspect = JSON.parse(agent.cli(['inspect', 'svc']).stdout);
    expect(inspect[0]).toMatchObject({ Id: id, Name: '/svc', State: { Running: true }, Config: { Env: expect.arrayContaining(['GREETING=hi there']) } });
    expect(agent.cli(['inspect', '-f', '{{.State.Status}}', 'svc']).stdout).toBe('running\n');

    expect(agent.cli(['pause', 'svc']).code).toBe(0);
    expect(agent.cli(['inspect', '-f', '{{.State.Status}}', 'svc']).stdout).toBe('paused\n');
    expect(agent.cli(['unpause', 'svc']).code).toBe(0);
    expect(agent.cli(['rename', 'svc', 'svc2']).code).toBe(0);

    const dir = mkdtempSync(join(tmpdir(), 'skiff-cp-'));
    try {
      writeFileSync(join(dir, 'in.txt'), 'from the host\n');
      expect(agent.cli(['cp', join(dir, 'in.txt'), 'svc2:/tmp/']).code).toBe(0);
      expect(agent.cli(['exec', 'svc2', 'cat', '/tmp/in.txt']).stdout).toBe('from the host\n');
      expect(agent.cli(['cp', 'svc2:/etc/hostname', join(dir, 'hostname')]).code).toBe(0);
      expect(readFileSync(join(dir, 'hostname'), 'utf8')).toBe(`${id.slice(0, 12)}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(agent.cli(['diff', 'svc2']).stdout).toContain('A /tmp/in.txt');

    expect(agent.cli(['rm', 'svc2'])).toMatchObject({ code: 1 });
    expect(agent.cli(['stop', '-t', '1', 'svc2'])).toMatchObject({ code: 0, stdout: 'svc2\n' });
    expect(agent.cli(['wait', 'svc2']).stdout).toBe('137\n');
    expect(agent.cli(['ps', '-a', '--filter', 'status=exited', '-q']).stdout).toContain(id.slice(0, 12));
    expect(agent.cli(['rm', 'svc2']).code).toBe(0);
    expect(agent.cli(['ps', '-aq']).stdout).not.toContain(id.slice(0, 12));
  }, 240_000); // ~30 CLI round trips: generous for slow CI machines

  it('is scriptable from TypeScript over HTTP and WebSocket (docs/api.md example)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../examples/automate.ts'), image], {
      env: { ...process.env, SKIFF_URL: `http://127.0.0.1:${agent.port}`, SKIFF_TOKEN: agent.token('operate') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^pulled sha256:[0-9a-f]{64}\nstarted [0-9a-f]{12}\nexit code 3\n\[stdout\] hello from [0-9a-f]{12}\n$/);
  });

  it('records every mutation in the audit log (SQLite in the agent root, migrated at start)', async () => {
    const res = await fetch(`http://127.0.0.1:${agent.port}/trpc/audit.list?input=${encodeURIComponent(JSON.stringify({ action: 'containers.run' }))}`, {
      headers: { authorization: `Bearer ${agent.token('admin')}` },
    });
    const entries = ((await res.json()) as { result: { data: { actor: string; action: string; target: string; result: string }[] } }).result.data;
    expect(entries.length).toBeGreaterThan(0);
    expect(entries).toContainEqual(expect.objectContaining({ actor: 'root', action: 'containers.run', result: 'ok' }));
    expect(entries.some((e) => e.result === 'error')).toBe(true); // the failed runs are there too
  });

  it('updates the limits and restart policy of a running container', () => {
    const name = 'cli-update';
    expect(agent.cli(['run', '-d', '--name', name, '-m', '32m', image, 'sleep', '300']).code).toBe(0);
    try {
      const r = agent.cli(['update', '-m', '64m', '--memory-swap', '128m', '--pids-limit', '50', '--cpus', '0.5', '--restart', 'on-failure:2', name]);
      expect(r).toMatchObject({ code: 0, stdout: `${name}\n` });
      const host = JSON.parse(agent.cli(['inspect', '-f', '{{json .HostConfig}}', name]).stdout) as Record<string, unknown>;
      expect(host).toMatchObject({
        Memory: 64 * 1024 * 1024,
        MemorySwap: 128 * 1024 * 1024,
        PidsLimit: 50,
        NanoCpus: 5e8,
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
      });
      // the kernel has it: the pids cgroup of the container's process
      const pid = agent.cli(['inspect', '-f', '{{.State.Pid}}', name]).stdout.trim();
      const pidsPath = /^\d+:pids:(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))![1]!;
      expect(readFileSync(`/sys/fs/cgroup/pids${pidsPath}/pids.max`, 'utf8').trim()).toBe('50');
      expect(agent.cli(['update', name])).toMatchObject({ code: 125, stderr: expect.stringMatching(/one or more flags/) });
      expect(agent.cli(['update', '--cpus', '0', name])).toMatchObject({ code: 125, stderr: expect.stringMatching(/--cpus/) });
      const ghost = agent.cli(['update', '-m', '64m', 'no-such-ctr', name]);
      expect(ghost).toMatchObject({ code: 1, stdout: `${name}\n`, stderr: expect.stringMatching(/no such container: no-such-ctr/) });
    } finally {
      agent.cli(['rm', '-f', name]);
    }
  });

  it('gives `run -it` a real terminal', () => {
    // util-linux `script` gives the CLI a pseudo-terminal, as a user's shell would
    const r = spawnSync('script', ['-qec', `${SKIFF} run -it --rm ${image} sh`, '/dev/null'], {
      env: agent.env,
      input: 'tty; echo "answer=$((6*7))"; exit 5\n',
      encoding: 'utf8',
      timeout: 60_000,
    });
    const out = r.stdout.replace(/\r/g, '');
    expect(out).toContain('/dev/pts/0');
    expect(out).toContain('answer=42');
    expect(r.status).toBe(5);
  });

  it('manages volumes from the CLI; named volume data survives rm and an agent crash', async () => {
    expect(agent.cli(['volume', 'create', '--label', 'app=db', 'pgdata'])).toMatchObject({ code: 0, stdout: 'pgdata\n' });
    expect(agent.cli(['run', '--rm', '-v', 'pgdata:/var/lib/db', image, 'sh', '-c', 'echo row1 > /var/lib/db/table']).code).toBe(0);
    await agent.kill();
    await agent.start();
    expect(agent.cli(['run', '--rm', '-v', 'pgdata:/var/lib/db:ro', image, 'cat', '/var/lib/db/table']).stdout).toBe('row1\n');
    expect(agent.cli(['volume', 'ls', '-q', '--filter', 'label=app=db']).stdout).toBe('pgdata\n');
    const v = JSON.parse(agent.cli(['volume', 'inspect', 'pgdata']).stdout)[0];
    expect(v).toMatchObject({ Name: 'pgdata', Driver: 'local', Labels: { app: 'db' } });
    expect(v.Mountpoint).toMatch(/\/volumes\/pgdata\/_data$/);
    const dir = mkdtempSync(join(tmpdir(), 'skiff-bind-'));
    try {
      writeFileSync(join(dir, 'conf'), 'bound\n');
      const r = spawnSync(SKIFF, ['run', '--rm', '-v', '.:/cfg:ro', image, 'cat', '/cfg/conf'], { cwd: dir, env: agent.env, encoding: 'utf8' });
      expect(r.stdout).toBe('bound\n'); // relative bind sources resolve against the caller's directory
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(agent.cli(['run', '--rm', '-v', 'bad/name:/x', image, 'true'])).toMatchObject({ code: 125 });
    expect(agent.cli(['volume', 'rm', 'pgdata'])).toMatchObject({ code: 0, stdout: 'pgdata\n' });
  });

  it('networks: create, name resolution, published ports, inspect, port, rm', async () => {
    const port = 21000 + Math.floor(Math.random() * 9000);
    const shopNet = freeTestSubnet();
    expect(agent.cli(['network', 'create', '--subnet', shopNet.subnet, '--gateway', shopNet.gateway, 'shop']).code).toBe(0);
    expect(agent.cli(['network', 'ls']).stdout).toMatch(/NETWORK ID\s+NAME\s+DRIVER\s+SCOPE[\s\S]*shop\s+bridge\s+local/);
    const web = agent.cli([
      'run',
      '-d',
      '--name',
      'shopweb',
      '--network',
      'shop',
      '--network-alias',
      'store',
      '-p',
      `127.0.0.1:${port}:80`,
      image,
      'sh',
      '-c',
      'mkdir /www; echo hi-from-shop > /www/index.html; exec httpd -f -p 80 -h /www',
    ]);
    expect(web.code).toBe(0);
    expect(agent.cli(['run', '--rm', '--network', 'shop', image, 'wget', '-qO-', 'http://store/']).stdout).toBe('hi-from-shop\n');
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => '',
      );
      if (!body) await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe('hi-from-shop\n');
    expect(agent.cli(['ps']).stdout).toContain(`127.0.0.1:${port}->80/tcp`);
    expect(agent.cli(['port', 'shopweb', '80']).stdout).toBe(`127.0.0.1:${port}\n`);
    const net = JSON.parse(agent.cli(['network', 'inspect', 'shop']).stdout)[0];
    expect(Object.values(net.Containers)).toContainEqual(
      expect.objectContaining({ Name: 'shopweb', IPv4Address: expect.stringMatching(new RegExp(`^${shopNet.prefix.replaceAll('.', '\\.')}\\.\\d+/24$`)) }),
    );
    expect(agent.cli(['network', 'rm', 'shop']).code).toBe(1); // in use
    expect(agent.cli(['run', '--rm', '-p', `127.0.0.1:${port}:80`, image, 'true']).stderr).toMatch(/port is already allocated/);
    agent.cli(['rm', '-f', 'shopweb']);
    expect(agent.cli(['network', 'rm', 'shop'])).toMatchObject({ code: 0, stdout: 'shop\n' });
    expect(agent.cli(['run', '--rm', '-p', '99999:80', image, 'true'])).toMatchObject({ code: 125 });
  });

  it('events: --since/--until replay a window, filters as docker events', () => {
    const since = (Date.now() / 1000).toFixed(3);
    expect(agent.cli(['run', '--name', 'evwin', '--label', 'evsuite=1', image, 'true']).code).toBe(0);
    expect(agent.cli(['run', '--name', 'evother', image, 'true']).code).toBe(0);
    agent.cli(['rm', 'evwin', 'evother']);
    const actions = (args: string[]) => {
      const r = agent.cli(['events', '--since', since, '--until', '0s', '--format', 'json', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          // docker's events.Message, as `docker events --format json` prints it
          const e = JSON.parse(l) as { Type: string; Action: string; Actor: { Attributes: { name?: string } } };
          return `${e.Type} ${e.Action} ${e.Actor.Attributes.name ?? ''}`;
        });
    };
    // `--until 0s` is now (a duration ago, as docker takes it): the stream ends by itself
    const lifecycle = ['container create evwin', 'container start evwin', 'container die evwin', 'container destroy evwin'];
    expect(actions(['--filter', 'container=evwin'])).toEqual(lifecycle);
    expect(actions(['--filter', 'container=evwin', '--since', '10m'])).toEqual(lifecycle);
    expect(actions(['--filter', 'event=die', '--filter', 'event=destroy', '--filter', 'label=evsuite=1'])).toEqual([
      'container die evwin',
      'container destroy evwin',
    ]);
    expect(actions(['--filter', 'container=evwin', '--filter', 'container=evother', '--filter', 'event=start'])).toEqual([
      'container start evwin',
      'container start evother',
    ]);
    expect(actions(['--filter', 'type=volume', '--filter', 'container=evwin'])).toEqual([]);
    expect(agent.cli(['events', '--filter', 'colour=red']).stderr).toMatch(/invalid filter 'colour'/);
    expect(agent.cli(['events', '--since', 'yesterday-ish']).stderr).toMatch(/failed to parse value as time or duration/);
  });

  it('streams events; shows disk usage; prunes', async () => {
    const events = spawn(SKIFF, ['events', '--format', 'json'], { env: agent.env });
    let out = '';
    events.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => setTimeout(r, 1500));
    agent.cli(['volume', 'create', 'evvol']);
    agent.cli(['network', 'create', 'evnet']);
    agent.cli(['run', '--name', 'evctr', image, 'true']);
    agent.cli(['volume', 'rm', 'evvol']);
    agent.cli(['network', 'rm', 'evnet']);
    await new Promise((r) => setTimeout(r, 500));
    events.kill();
    const seen = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { Type: string; Action: string });
    for (const want of ['volume:create', 'network:create', 'container:create', 'container:start', 'container:die', 'volume:destroy', 'network:destroy']) {
      expect(seen.map((e) => `${e.Type}:${e.Action}`)).toContain(want);
    }
    expect(agent.cli(['system', 'df']).stdout).toMatch(/TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+\d+[\s\S]*Local Volumes/);
    const pruned = agent.cli(['container', 'prune']);
    expect(pruned.stdout).toMatch(/Deleted Containers:\n[0-9a-f]{64}/);
    expect(agent.cli(['ps', '-a', '--filter', 'status=exited', '-q']).stdout).toBe('');
  });

  it('runs a health check from --health-* flags; ps and inspect show it', async () => {
    const run = agent.cli([
      'run',
      '-d',
      '--name',
      'cli-health',
      '--health-cmd',
      'test -e /bin/sh',
      '--health-interval',
      '200ms',
      '--health-retries',
      '2',
      image,
      'sleep',
      '60',
    ]);
    expect(run.code).toBe(0);
    const end = Date.now() + 15_000;
    let ps = '';
    while (!/cli-health/.test(ps) || !/\(healthy\)/.test(ps)) {
      if (Date.now() > end) throw new Error(`never healthy:\n${ps}`);
      await new Promise((r) => setTimeout(r, 200));
      ps = agent.cli(['ps', '--filter', 'name=cli-health']).stdout;
    }
    expect(ps).toMatch(/Up .* \(healthy\)/);
    expect(agent.cli(['ps', '-q', '--filter', 'health=healthy']).stdout).toContain(run.stdout.trim().slice(0, 12));
    expect(agent.cli(['ps', '-q', '--filter', 'health=none']).stdout).not.toContain(run.stdout.trim().slice(0, 12));
    expect(agent.cli(['inspect', '-f', '{{.State.Health.Status}}', 'cli-health']).stdout).toBe('healthy\n');
    expect(JSON.parse(agent.cli(['inspect', '-f', '{{json .Config.Healthcheck}}', 'cli-health']).stdout)).toEqual({
      Test: ['CMD-SHELL', 'test -e /bin/sh'],
      Interval: 200e6,
      Retries: 2,
    });
    expect(agent.cli(['rm', '-f', 'cli-health']).code).toBe(0);
  });

  it('keeps containers running across an agent crash and manages them after the restart', async () => {
    const id = agent.cli(['run', '-d', '--name', 'survivor', image, 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']).stdout.trim();
    await agent.kill();
    await new Promise((r) => setTimeout(r, 700));
    const alive = spawnSync('sh', ['-c', `grep -l ${id} /proc/*/cmdline 2>/dev/null | head -1`], { encoding: 'utf8' });
    expect(alive.stdout).toMatch(/proc/);
    await agent.start();
    expect(agent.cli(['ps', '-q']).stdout).toContain(id.slice(0, 12));
    const logs = agent.cli(['logs', '--tail', '2', 'survivor']).stdout;
    expect(logs).toMatch(/^tick \d+\ntick \d+\n$/);
    expect(Number(/tick (\d+)\n$/.exec(logs)![1])).toBeGreaterThan(3); // it kept running (and logging) without the agent
    expect(agent.cli(['exec', 'survivor', 'echo', 'still managed'])).toMatchObject({ code: 0, stdout: 'still managed\n' });
    expect(agent.cli(['stop', '-t', '0', 'survivor']).code).toBe(0);
    expect(agent.cli(['inspect', '-f', '{{.State.Status}}', 'survivor']).stdout).toBe('exited\n');
    agent.cli(['rm', 'survivor']);
  });
});
