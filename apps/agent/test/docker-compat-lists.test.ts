import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import { dockerClient, useDockerAgent } from './docker-cli.js';

// What the docker CLI (and skiff's own CLI on the same agent) lists as dockerd does: the
// images filters, the env order an ENV PATH override keeps, no ports for a container that
// is not running, and what a network still in use says on removal.

let agent: AgentHarness;
let image: string;
const tag = randomBytes(3).toString('hex');
const u = (name: string) => `${name}-${tag}`;
const { docker, ok, api } = dockerClient(() => agent);
const daemon = (message: string) => `Error response from daemon: ${message}\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sorted = (text: string) => text.trim().split('\n').filter(Boolean).sort();

useDockerAgent((ctx) => ({ agent, image } = ctx));

/** an image built FROM the test image with these Dockerfile lines, tagged */
function build(lines: string, ...tags: string[]): string {
  const ctx = join(agent.dir, `ctx-${randomBytes(3).toString('hex')}`);
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${image}\n${lines}\n`);
  return ok(['build', '-q', ...tags.flatMap((t) => ['-t', t]), ctx]).trim();
}

describe('images --filter', () => {
  it('takes dangling, reference globs, label, before and since in docker images and skiff images; an unknown key is refused', async () => {
    const [app, other, nested] = [`lst-${tag}/app:1`, `lst-${tag}/other:1`, `lst-${tag}-app:2`];
    const dangling = build(`LABEL lst=${tag} kind=dangling`);
    const appId = build(`LABEL lst=${tag} kind=app tier=front`, app, nested);
    const otherId = build(`LABEL lst=${tag} kind=other`, other);
    const viaDocker = (...filters: string[]) => sorted(ok(['images', '--format', '{{.Repository}}:{{.Tag}}', ...filters.flatMap((f) => ['--filter', f])]));
    const viaSkiff = (...args: string[]) => {
      const r = agent.cli(['images', ...args]);
      expect(r.stderr).toBe('');
      return sorted(
        r.stdout
          .split('\n')
          .slice(1)
          .map((l) => l.split(/\s+/).slice(0, 2).join(':'))
          .join('\n'),
      );
    };
    try {
      const cases: [string[], string[]][] = [
        [[`reference=lst-${tag}/*`], [app, other]],
        [[`reference=*/app:*`, `label=lst=${tag}`], [app]],
        [[`reference=lst-${tag}*`], [nested]],
        [
          [`label=lst=${tag}`, 'label=tier'],
          [app, nested],
        ],
        [[`label=lst=${tag}`, 'dangling=true'], ['<none>:<none>']],
        [[`label=lst=${tag}`, 'dangling=false', `since=${app}`], [other]],
        [[`label=lst=${tag}`, `before=${app}`], ['<none>:<none>']],
      ];
      for (const [filters, want] of cases) {
        expect(viaDocker(...filters)).toEqual(want.sort());
        expect(viaSkiff(...filters.flatMap((f) => ['--filter', f]))).toEqual(want.sort());
      }
      // the argument is the reference filter, as in docker images REPOSITORY[:TAG]
      expect(viaSkiff(`lst-${tag}/app`)).toEqual([app]);
      expect(agent.cli(['images', '-q', '--no-trunc', '--filter', `label=lst=${tag}`, '--filter', 'dangling=true']).stdout).toBe(`${dangling}\n`);

      // an unknown key is dockerd's 400; skiff's CLI says the same
      expect(docker(['images', '--filter', 'foo=bar'])).toMatchObject({ code: 1, stderr: daemon("invalid filter 'foo'") });
      const filters = encodeURIComponent(JSON.stringify({ foo: ['bar'] }));
      expect(await api('GET', `/images/json?filters=${filters}`)).toEqual({ status: 400, body: JSON.stringify({ message: "invalid filter 'foo'" }) });
      const unknown = agent.cli(['images', '--filter', 'foo=bar']);
      expect([unknown.code, unknown.stdout]).toEqual([125, '']);
      expect(unknown.stderr).toContain("invalid filter 'foo'");
      expect(agent.cli(['images', '--filter', 'dangling=maybe']).stderr).toContain("invalid filter 'dangling=maybe'");
      expect(agent.cli(['images', '--filter', 'nonsense']).stderr).toContain('bad format of filter (expected name=value): nonsense');
    } finally {
      docker(['rmi', '-f', dangling, appId, otherId]);
    }
  });
});

describe('ENV PATH overridden', () => {
  it('stays where it was in Config.Env and in the process environment (Docker replaces in place)', () => {
    const built = u('pathorder');
    build('ENV APP_HOME=/srv/app\nENV PATH=/srv/app/bin:$PATH MODE=prod', built);
    try {
      const env = JSON.parse(ok(['image', 'inspect', '-f', '{{json .Config.Env}}', built])) as string[];
      expect(env[0]).toMatch(/^PATH=\/srv\/app\/bin:/);
      expect(env.slice(1)).toEqual(['APP_HOME=/srv/app', 'MODE=prod']);

      // docker run -e PATH=… over the image's: first still, in Config.Env and in what the process sees
      const name = u('pathrun');
      ok(['create', '--name', name, '-e', 'EXTRA=1', '-e', 'PATH=/opt/bin:/bin', built, 'env']);
      const cfg = JSON.parse(ok(['inspect', '-f', '{{json .Config.Env}}', name])) as string[];
      // Config.Env is the image's and the caller's only, as Docker keeps it (no HOSTNAME)
      expect(cfg).toEqual(['PATH=/opt/bin:/bin', 'APP_HOME=/srv/app', 'MODE=prod', 'EXTRA=1']);
      // env itself as the process (a shell would print its own order)
      const seen = ok(['start', '-a', name])
        .trim()
        .split('\n')
        .filter((l) => /^(PATH|HOSTNAME|APP_HOME|MODE|EXTRA)=/.test(l));
      // the process: PATH then HOSTNAME first (moby's CreateDaemonEnvironment), then the rest in order
      expect(seen).toEqual(['PATH=/opt/bin:/bin', `HOSTNAME=${seen[1]?.slice('HOSTNAME='.length)}`, 'APP_HOME=/srv/app', 'MODE=prod', 'EXTRA=1']);
      expect(seen[1]).toMatch(/^HOSTNAME=[0-9a-f]{12}$/);
      // an exec sees the same order, TERM only when it has a TTY of its own
      const live = u('pathexec');
      ok(['run', '-d', '--name', live, '--hostname', seen[1]!.slice('HOSTNAME='.length), '-e', 'EXTRA=1', '-e', 'PATH=/opt/bin:/bin', built, 'sleep', '1000']);
      const execSeen = (flags: string[]) =>
        ok(['exec', ...flags, live, 'env'])
          .replaceAll('\r', '')
          .trim()
          .split('\n')
          .filter((l) => /^(PATH|HOSTNAME|TERM|APP_HOME|MODE|EXTRA)=/.test(l));
      expect(execSeen([])).toEqual(seen);
      expect(execSeen(['-t'])).toEqual([...seen.slice(0, 2), 'TERM=xterm', ...seen.slice(2)]);
      docker(['rm', '-f', name, live]);
    } finally {
      docker(['rmi', '-f', built]);
    }
  });
});

describe('ports of a container that is not running', () => {
  it('are not listed by docker ps -a, the API or skiff ps -a; a running one lists them', async () => {
    const [live, done, fresh] = [u('portlive'), u('portdone'), u('portfresh')];
    try {
      ok(['run', '-d', '--name', live, '-p', '127.0.0.1::80', '--expose', '81', image, 'sleep', '300']);
      ok(['run', '-d', '--name', done, '-p', '127.0.0.1::80', '--expose', '81', image, 'true']);
      ok(['create', '--name', fresh, '-p', '127.0.0.1::80', image, 'true']);
      for (let i = 0; i < 50 && ok(['inspect', '-f', '{{.State.Status}}', done]).trim() !== 'exited'; i++) await sleep(100);
      const rows = ok(['ps', '-a', '--format', '{{.Names}}|{{.Ports}}']).trim().split('\n');
      const ports = (n: string) => rows.find((r) => r.startsWith(`${n}|`))?.slice(n.length + 1);
      expect(ports(live)).toMatch(/^81\/tcp, 127\.0\.0\.1:\d+->80\/tcp$/);
      expect([ports(done), ports(fresh)]).toEqual(['', '']);
      const listed = JSON.parse((await api('GET', '/containers/json?all=1')).body) as { Names: string[]; Ports: unknown[] }[];
      const of = (n: string) => listed.find((c) => c.Names[0] === `/${n}`)?.Ports;
      expect(of(live)).toHaveLength(2);
      expect([of(done), of(fresh)]).toEqual([[], []]);
      const ps = agent.cli(['ps', '-a']).stdout.split('\n');
      const row = (n: string) => ps.find((l) => l.endsWith(n)) ?? '';
      expect(row(live)).toMatch(/127\.0\.0\.1:\d+->80\/tcp/);
      expect(row(done)).not.toMatch(/tcp/);
      expect(row(fresh)).not.toMatch(/tcp/);
    } finally {
      docker(['rm', '-f', live, done, fresh]);
    }
  });
});

describe('network rm of a network in use', () => {
  it("is dockerd's 403 on the Docker API, and skiff network rm names the containers", async () => {
    const [net, a, b] = [u('usednet'), u('user-a'), u('user-b')];
    try {
      ok(['network', 'create', '--subnet', freeTestSubnet().subnet, net]);
      for (const n of [a, b]) ok(['run', '-d', '--name', n, '--network', net, image, 'sleep', '300']);
      const id = ok(['network', 'inspect', '-f', '{{.Id}}', net]).trim();
      const rm = docker(['network', 'rm', net]);
      expect(rm.code).toBe(1);
      expect(rm.stderr).toMatch(new RegExp(`^Error response from daemon: error while removing network: network ${net} has active endpoints \\(name:"`));
      expect((await api('DELETE', `/networks/${net}`)).status).toBe(403);
      const mine = agent.cli(['network', 'rm', net]);
      expect(mine.code).toBe(1);
      const named = /has active endpoints \(containers: (.*)\)/.exec(mine.stderr)?.[1]?.split(', ').sort();
      expect(mine.stderr).toContain(`error while removing network: network ${net} id ${id} has active endpoints`);
      expect(named).toEqual([a, b].sort());
    } finally {
      docker(['rm', '-f', a, b]);
      docker(['network', 'rm', net]);
    }
  });
});

describe("a container's Command in lists", () => {
  it("is dockerd's: arguments with a space in single quotes, which docker ps quotes whole", async () => {
    const name = u('cmdquote');
    try {
      ok(['create', '--name', name, image, 'sh', '-c', 'echo "a b" it\'s', 'x']);
      expect(ok(['ps', '-a', '--no-trunc', '--filter', `name=${name}`, '--format', '{{.Command}}'])).toBe(`"sh -c 'echo \\"a b\\" it's' x"\n`);
      const listed = JSON.parse((await api('GET', '/containers/json?all=1')).body) as { Names: string[]; Command: string }[];
      expect(listed.find((c) => c.Names[0] === `/${name}`)?.Command).toBe(`sh -c 'echo "a b" it's' x`);
    } finally {
      docker(['rm', '-f', name]);
    }
  });
});
