import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeTestSubnet } from '@skiff/test-fixtures';
import type { AgentHarness } from './agent-harness.js';
import { dockerClient, useDockerAgent } from './docker-cli.js';

// The verbs a demanding docker user reaches for beyond run/ps/build: system and builder
// prune, export / commit / import, update, pull of an image already there, images filters.
// What the real docker CLI prints must be what it prints against dockerd, but for ids,
// times and sizes.

let agent: AgentHarness;
let registry: string;
let image: string;
const tag = randomBytes(3).toString('hex');
const u = (name: string) => `${name}-${tag}`;
const { env: dockerEnv, docker, ok, api } = dockerClient(() => agent);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const daemon = (message: string) => `Error response from daemon: ${message}\n`;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

useDockerAgent((ctx) => ({ agent, registry, image } = ctx));

describe('docker pull', () => {
  it("of an image already here and unchanged: up to date, no layer lines; a fresh one: dockerd's layer lines", () => {
    const repo = `${registry}/skiff-test/busybox`;
    const other = `${repo}:other-${tag}`;
    const digest = ok(['image', 'inspect', '-f', '{{index .RepoDigests 0}}', image]).trim().split('@')[1]!;
    const layer = ok(['image', 'inspect', '-f', '{{index .RootFS.Layers 0}}', image]).trim();
    const head = 'Using default tag: latest\nlatest: Pulling from skiff-test/busybox\n';
    const tail = (status: string) => `Digest: ${digest}\nStatus: ${status} for ${image}\n${image}\n`;
    try {
      expect(docker(['pull', repo])).toEqual({ code: 0, stdout: head + tail('Image is up to date'), stderr: '' });
      // the image is here but the tag named nothing: dockerd downloads nothing and still says newer
      ok(['tag', image, other]);
      ok(['rmi', image]);
      expect(docker(['pull', repo])).toEqual({ code: 0, stdout: head + tail('Downloaded newer image'), stderr: '' });
      ok(['rmi', '-f', image, other]);
      // progress bars are left out when the output is no terminal; the layer is named by its blob's digest
      const fresh = docker(['pull', repo]);
      expect(fresh.code).toBe(0);
      const layerLines = fresh.stdout.slice(head.length).split('\n').slice(0, 4);
      expect(layerLines).toEqual(
        ['Pulling fs layer', 'Verifying Checksum', 'Download complete', 'Pull complete'].map((s) => `${layerLines[0]!.split(':')[0]}: ${s}`),
      );
      expect(layerLines[0]).toMatch(/^[0-9a-f]{12}: /);
      expect(fresh.stdout).toBe(`${head}${layerLines.join('\n')}\n${tail('Downloaded newer image')}`);
      expect(ok(['image', 'inspect', '-f', '{{index .RootFS.Layers 0}}', image]).trim()).toBe(layer);
    } finally {
      docker(['rmi', other]);
      if (docker(['image', 'inspect', image]).code !== 0) ok(['pull', '-q', image]);
    }
  });
});

describe('docker export, commit, import', () => {
  it('export streams the filesystem; commit makes an image of the changes; import makes one of a tarball', async () => {
    const ctr = u('exported');
    const live = u('live');
    const [committed, imported, piped] = [`committed-${tag}:1`, `imported-${tag}:1`, `piped-${tag}:1`];
    const tarFile = join(agent.dir, `export-${tag}.tar`);
    try {
      ok(['run', '--name', ctr, image, 'sh', '-c', 'echo exported > /made.txt; rm /bin/ls']);
      // to stdout and to a file; the container's changes are in, what it removed is not
      const listing = spawnSync('sh', ['-c', `docker export ${ctr} | tar -t`], { env: dockerEnv(), encoding: 'utf8' });
      expect(listing.status).toBe(0);
      const names = listing.stdout.split('\n').map((n) => n.replace(/^\.\//, ''));
      expect(names).toEqual(expect.arrayContaining(['made.txt', 'bin/sh', 'etc/passwd']));
      expect(names).not.toContain('bin/ls');
      expect(ok(['export', '-o', tarFile, ctr])).toBe('');
      expect(docker(['export', u('ghost')])).toMatchObject({ code: 1, stderr: daemon(`No such container: ${u('ghost')}`) });

      const id = ok(['commit', '-a', 'Verb Tester', '-m', 'made by commit', '-c', 'CMD ["cat","/made.txt"]', '-c', 'ENV FROM_COMMIT=1', ctr, committed]).trim();
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(ok(['run', '--rm', committed])).toBe('exported\n');
      expect(ok(['run', '--rm', committed, 'sh', '-c', 'echo $FROM_COMMIT; ls /bin/ls 2>&1 || true'])).toMatch(/^1\n.*No such file/);
      expect(ok(['history', '--format', '{{.Comment}}', committed]).split('\n')[0]).toBe('made by commit');
      expect(ok(['images', '--format', '{{.ID}}', '--no-trunc', committed]).trim()).toBe(id);
      // a running container, without pausing it; no name: a dangling image
      ok(['run', '-d', '--name', live, image, 'sh', '-c', 'echo live > /live.txt; exec sleep 300']);
      for (let i = 0; i < 50 && !ok(['diff', live]).includes('/live.txt'); i++) await sleep(100);
      const dangling = ok(['commit', '--pause=false', live]).trim();
      expect(ok(['run', '--rm', dangling, 'cat', '/live.txt'])).toBe('live\n');
      expect(ok(['inspect', '-f', '{{.State.Status}}', live]).trim()).toBe('running');
      ok(['rmi', dangling]);
      expect(docker(['commit', '-c', 'RUN true', ctr])).toMatchObject({ code: 1, stderr: daemon('run is not a valid change command') });
      expect(docker(['commit', u('ghost')])).toMatchObject({ code: 1, stderr: daemon(`No such container: ${u('ghost')}`) });

      // a file, and stdin with a message and changes
      const importedId = ok(['import', tarFile, imported]).trim();
      expect(importedId).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(ok(['run', '--rm', imported, 'cat', '/made.txt'])).toBe('exported\n');
      expect(ok(['history', '--format', '{{.Comment}}', imported]).trim()).toBe('Imported from -');
      const viaStdin = spawnSync('sh', ['-c', `docker import -m 'from a pipe' -c 'CMD ["cat","/made.txt"]' - ${piped} < ${tarFile}`], {
        env: dockerEnv(),
        encoding: 'utf8',
      });
      expect(viaStdin).toMatchObject({ status: 0, stderr: '' });
      expect(viaStdin.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
      expect(ok(['run', '--rm', piped])).toBe('exported\n');
      expect(ok(['history', '--format', '{{.Comment}}', piped]).trim()).toBe('from a pipe');
      const garbage = docker(['import', '-', `garbage-${tag}`], 'not a tarball\n');
      expect(garbage.code).toBe(1);
      expect(garbage.stderr).toMatch(/^Error response from daemon: .*tar/);
      expect(docker(['image', 'inspect', `garbage-${tag}`]).code).toBe(1);
      expect((await api('POST', '/images/create?fromSrc=http%3A%2F%2F127.0.0.1%3A1%2Fx.tar')).status).toBe(400);
    } finally {
      docker(['rm', '-f', ctr, live]);
      docker(['rmi', committed, imported, piped]);
    }
  });
});

describe('docker update', () => {
  const MiB = 1024 * 1024;
  const limits =
    '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{json .HostConfig.RestartPolicy}}';

  it("changes a running container's limits and restart policy: inspect, its cgroup, after an agent restart", async () => {
    const name = u('updated');
    try {
      const id = ok(['run', '-d', '--name', name, '-m', '64m', image, 'sleep', '300']).trim();
      expect(ok(['inspect', '-f', limits, name])).toBe(`${64 * MiB} ${128 * MiB} 0 0 <no value> {"MaximumRetryCount":0,"Name":"no"}\n`);
      expect(
        docker([
          'update',
          '-m',
          '256m',
          '--memory-swap',
          '512m',
          '--cpus',
          '0.5',
          '--cpu-shares',
          '256',
          '--pids-limit',
          '20',
          '--restart',
          'on-failure:3',
          name,
        ]),
      ).toEqual({ code: 0, stdout: `${name}\n`, stderr: '' });
      const updated = `${256 * MiB} ${512 * MiB} 500000000 256 20 {"MaximumRetryCount":3,"Name":"on-failure"}\n`;
      expect(ok(['inspect', '-f', limits, name])).toBe(updated);
      // at once, in the cgroup: stats shows the memory limit, and the pids limit holds
      expect(ok(['stats', '--no-stream', '--format', '{{.MemUsage}}', name])).toMatch(/ \/ 256MiB\n$/);
      const forks = docker(['exec', name, 'sh', '-c', 'for i in $(seq 30); do sleep 5 & done']);
      expect(forks.stdout + forks.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
      const cgroup = (ctrl: string, file: string) => readFileSync(`/sys/fs/cgroup/${ctrl}/${agent.cgroupParent}/${id}/${file}`, 'utf8').trim();
      expect([
        cgroup('memory', 'memory.limit_in_bytes'),
        cgroup('memory', 'memory.memsw.limit_in_bytes'),
        cgroup('cpu', 'cpu.cfs_quota_us'),
        cgroup('cpu', 'cpu.shares'),
        cgroup('pids', 'pids.max'),
      ]).toEqual([String(256 * MiB), String(512 * MiB), '50000', '256', '20']);

      // the agent goes and comes back: the container ran on, its record kept the update
      await agent.kill();
      await agent.start();
      expect(ok(['inspect', '-f', limits, name])).toBe(updated);
      expect(cgroup('memory', 'memory.limit_in_bytes')).toBe(String(256 * MiB));
      // and a restart of the container makes its new cgroup from it
      ok(['restart', '-t', '0', name]);
      expect(ok(['stats', '--no-stream', '--format', '{{.MemUsage}}', name])).toMatch(/ \/ 256MiB\n$/);
      expect(ok(['update', '--pids-limit', '-1', name])).toBe(`${name}\n`);
      expect(ok(['inspect', '-f', '{{.HostConfig.PidsLimit}}', name])).toBe('0\n');
      expect(cgroup('pids', 'pids.max')).toBe('max');
    } finally {
      docker(['rm', '-f', name]);
    }
  });

  it('refuses as dockerd does', async () => {
    const name = u('refused');
    const rm = u('autoremoved');
    try {
      const id = ok(['run', '-d', '--name', name, '-m', '64m', image, 'sleep', '300']).trim();
      // above the memory + swap in place, without a new swap limit
      expect(docker(['update', '-m', '512m', name])).toEqual({
        code: 1,
        stdout: '',
        stderr: daemon(
          `Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`,
        ),
      });
      expect(docker(['update', '-m', '1m', name]).stderr).toBe(daemon('Minimum memory limit allowed is 6MB'));
      expect(docker(['update', '-m', '64m', '--memory-swap', '32m', name]).stderr).toBe(
        daemon('Minimum memoryswap limit should be larger than memory limit, see usage'),
      );
      expect(docker(['update', '--cpus', '1000', name]).stderr).toMatch(
        /^Error response from daemon: Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available\n$/,
      );
      expect(docker(['update', '--cpus', '1', u('ghost')])).toMatchObject({ code: 1, stderr: daemon(`No such container: ${u('ghost')}`) });
      ok(['run', '-d', '--rm', '--name', rm, image, 'sleep', '300']);
      const rmId = ok(['inspect', '-f', '{{.Id}}', rm]).trim();
      expect(docker(['update', '--restart', 'always', rm]).stderr).toBe(
        daemon(`Cannot update container ${rmId}: Restart policy cannot be updated because AutoRemove is enabled for the container`),
      );
      // what the runtime cannot change is refused, not dropped
      expect(docker(['update', '--blkio-weight', '500', name])).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/^Error response from daemon: docker update of BlkioWeight is not supported by Skiff/),
      });
      expect(ok(['inspect', '-f', limits, name])).toBe(`${64 * MiB} ${128 * MiB} 0 0 <no value> {"MaximumRetryCount":0,"Name":"no"}\n`);
      expect((await api('POST', `/containers/${name}/update`)).status).toBe(200);
    } finally {
      docker(['rm', '-f', name, rm]);
    }
  });
});

describe('docker images', () => {
  it('filters reference, label, dangling, before, since; Labels from the image config', async () => {
    const ctx = join(agent.dir, `images-ctx-${tag}`);
    mkdirSync(ctx);
    const build = (labels: string, ...tagged: string[]) => {
      writeFileSync(join(ctx, 'Dockerfile'), `FROM ${image}\nLABEL ${labels}\n`);
      return ok(['build', '-q', ...tagged.flatMap((t) => ['-t', t]), ctx]).trim();
    };
    const [web, db, loose] = [`flt-web-${tag}:1`, `flt-db-${tag}:1`, `flt/nested-${tag}:1`];
    const rows = (...args: string[]) =>
      ok(['images', '--format', '{{.Repository}}:{{.Tag}}', ...args])
        .trim()
        .split('\n')
        .filter(Boolean)
        .sort();
    const dangling = build(`flt.test=${tag} role=dangling`);
    const webId = build(`flt.test=${tag} role=web tier=front`, web, loose);
    const dbId = build(`flt.test=${tag} role=db`, db);
    try {
      // a path pattern against repo:tag and repo; `*` stops at "/"
      expect(rows('--filter', `reference=flt-*-${tag}`)).toEqual([db, web].sort());
      expect(rows('--filter', `reference=flt-w?b-${tag}:*`)).toEqual([web]);
      expect(rows('--filter', `reference=flt*${tag}`)).toEqual([db, web].sort());
      expect(rows('--filter', 'reference=flt/*')).toEqual([loose]);
      // only the names that match are listed, though the image has more
      expect(rows(`flt-web-${tag}`)).toEqual([web]);
      expect(rows('--filter', `label=flt.test=${tag}`, '--filter', 'dangling=false')).toEqual([db, loose, web].sort());
      expect(rows('--filter', `label=flt.test=${tag}`, '--filter', 'label=tier')).toEqual([loose, web].sort());
      expect(rows('--filter', `label=flt.test=${tag}`, '--filter', 'label=role=nope')).toEqual([]);
      expect(ok(['images', '-q', '--no-trunc', '--filter', `label=flt.test=${tag}`, '--filter', 'dangling=true']).trim()).toBe(dangling);
      // before / since an image: created earlier / later than it
      expect(rows('--filter', `label=flt.test=${tag}`, '--filter', `before=${web}`)).toEqual(['<none>:<none>']);
      expect(rows('--filter', `label=flt.test=${tag}`, '--filter', `since=${web}`)).toEqual([db]);
      expect(rows('--filter', `label=flt.test=${tag}`, '--filter', `since=${dangling}`, '--filter', `before=${db}`)).toEqual([loose, web].sort());

      expect(docker(['images', '--filter', 'dangling=maybe'])).toMatchObject({ code: 1, stderr: daemon("invalid filter 'dangling=maybe'") });
      expect(docker(['images', '--filter', 'label!=x'])).toMatchObject({ code: 1, stderr: daemon("invalid filter 'label!'") });
      expect(docker(['images', '--filter', `before=flt-none-${tag}:1`])).toMatchObject({ code: 1, stderr: daemon(`No such image: flt-none-${tag}:1`) });
      // a malformed pattern is Go's ErrBadPattern, passed on untyped (a 500)
      expect(docker(['images', '--filter', 'reference=flt-[a'])).toMatchObject({ code: 1, stderr: daemon('syntax error in pattern') });

      // the CLI has no column for labels; the API lists them (null without any, as dockerd)
      const filters = encodeURIComponent(JSON.stringify({ reference: [web, image] }));
      const listed = JSON.parse((await api('GET', `/images/json?filters=${filters}`)).body) as {
        Id: string;
        RepoTags: string[];
        Labels: Record<string, string> | null;
      }[];
      expect(listed.map((i) => [i.Id, i.RepoTags, i.Labels])).toEqual(
        expect.arrayContaining([
          [webId, [web], { 'flt.test': tag, role: 'web', tier: 'front' }],
          [expect.stringMatching(/^sha256:/), [image], null],
        ]),
      );
      expect(listed).toHaveLength(2);
      const df = JSON.parse((await api('GET', '/system/df')).body) as { Images: { Id: string; Labels: Record<string, string> }[] };
      expect(df.Images.find((i) => i.Id === webId)?.Labels).toEqual({ 'flt.test': tag, role: 'web', tier: 'front' });
    } finally {
      docker(['rmi', '-f', dangling, webId, dbId]);
    }
  });
});

describe('docker system prune, docker builder prune', () => {
  it('prunes containers, networks, volumes and images, then the build cache, as dockerd prints it', () => {
    const ctr = u('pruned');
    const net = u('prunednet');
    try {
      const id = ok(['create', '--name', ctr, image, 'true']).trim();
      ok(['network', 'create', '--subnet', freeTestSubnet().subnet, net]);
      const vol = ok(['volume', 'create']).trim();
      const digest = ok(['image', 'inspect', '-f', '{{index .RepoDigests 0}}', image]).trim();
      const imageId = ok(['image', 'inspect', '-f', '{{.Id}}', image]).trim();
      const layers = ok(['image', 'inspect', '-f', '{{range .RootFS.Layers}}{{.}} {{end}}', image]).trim().split(' ');

      // nothing left to remove: every step ran, the build cache's too, which dockerd answers with nothing
      const nothing = docker(['system', 'prune', '-f', '--filter', `label=none-${tag}`]);
      expect(nothing).toEqual({ code: 0, stdout: 'Total reclaimed space: 0B\n', stderr: '' });

      const pruned = docker(['system', 'prune', '-a', '-f', '--volumes']);
      expect(pruned.stderr).toBe('');
      expect(pruned.code).toBe(0);
      // one layer: its ChainID is its diffID
      expect(pruned.stdout).toMatch(
        new RegExp(
          `^Deleted Containers:\\n${id}\\n\\nDeleted Networks:\\n${escapeRegExp(net)}\\n\\nDeleted Volumes:\\n${vol}\\n\\n` +
            `Deleted Images:\\nuntagged: ${escapeRegExp(image)}\\nuntagged: ${escapeRegExp(digest)}\\ndeleted: ${imageId}\\n${layers.map((l) => `deleted: ${l}\\n`).join('')}\\n` +
            `Total reclaimed space: \\d+(\\.\\d+)?[kMG]?B\\n$`,
        ),
      );
      expect(docker(['image', 'inspect', image]).code).toBe(1);
    } finally {
      docker(['rm', '-f', ctr]);
      docker(['network', 'rm', net]);
      ok(['pull', '-q', image]);
    }
  });

  it("builder prune: nothing to reclaim; dockerd's filters", async () => {
    // the legacy builder's deprecation notice comes from the CLI itself (no buildx here)
    expect(docker(['builder', 'prune', '-f'])).toMatchObject({ code: 0, stdout: 'Total reclaimed space: 0B\n' });
    expect(docker(['builder', 'prune', '-a', '-f', '--filter', 'until=24h'])).toMatchObject({ code: 0, stdout: 'Total reclaimed space: 0B\n' });
    expect(docker(['builder', 'prune', '-f', '--filter', 'dangling=true'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(daemon("invalid filter 'dangling'")),
    });
    expect(await api('POST', '/build/prune?all=1')).toEqual({ status: 200, body: '{"CachesDeleted":null,"SpaceReclaimed":0}' });
    const conflicting = encodeURIComponent(JSON.stringify({ until: ['1h'], 'unused-for': ['1h'] }));
    expect((await api('POST', `/build/prune?filters=${conflicting}`)).status).toBe(400);
  });
});
