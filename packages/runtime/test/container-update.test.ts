import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostConfig } from '@skiff/docker-types';
import { ContainerCgroup } from '../src/container/cgroup/cgroups.js';
import { useTestRuntime, waitFor } from './helpers.js';

const env = useTestRuntime();

const MiB = 1024 * 1024;

/** the v1 files `docker update` writes, as the kernel reads them back */
async function v1Limits(id: string) {
  const read = async (ctrl: string, file: string) => (await readFile(`/sys/fs/cgroup/${ctrl}/${env.t.cgroupParent}/${id}/${file}`, 'utf8')).trim();
  return {
    memory: Number(await read('memory', 'memory.limit_in_bytes')),
    memorySwap: Number(await read('memory', 'memory.memsw.limit_in_bytes')),
    quota: Number(await read('cpu', 'cpu.cfs_quota_us')),
    shares: Number(await read('cpu', 'cpu.shares')),
    pids: await read('pids', 'pids.max'),
  };
}

const hostConfig = async (id: string) => (await env.t.rt.containers.inspect(id)).HostConfig;
const limitsOf = (h: HostConfig) => ({ Memory: h.Memory, MemorySwap: h.MemorySwap, NanoCpus: h.NanoCpus, CpuShares: h.CpuShares, PidsLimit: h.PidsLimit });

describe('containers.update', () => {
  it('a running container takes new limits at once; the record keeps them over a runtime restart and a container restart', async () => {
    const { id } = await env.t.rt.containers.run({ image: env.image, memory: 64 * MiB, cpuShares: 512, cmd: ['sleep', '300'] });
    try {
      expect(await v1Limits(id)).toMatchObject({ memory: 64 * MiB, memorySwap: 128 * MiB, shares: 512, pids: 'max' });
      // raised above the swap limit in place: swap goes first, or the kernel refuses
      await env.t.rt.containers.update(id, { memory: 256 * MiB, memorySwap: 512 * MiB, nanoCpus: 0.5e9, cpuShares: 256, pidsLimit: 20 });
      expect(await v1Limits(id)).toEqual({ memory: 256 * MiB, memorySwap: 512 * MiB, quota: 50_000, shares: 256, pids: '20' });
      expect(limitsOf(await hostConfig(id))).toEqual({ Memory: 256 * MiB, MemorySwap: 512 * MiB, NanoCpus: 0.5e9, CpuShares: 256, PidsLimit: 20 });
      // lowered below the memory in place: memory goes first
      await env.t.rt.containers.update(id, { memory: 32 * MiB, memorySwap: 32 * MiB });
      expect(await v1Limits(id)).toMatchObject({ memory: 32 * MiB, memorySwap: 32 * MiB, quota: 50_000 });
      // the pids limit holds for what runs in the container now
      const forks = await env.t.rt.containers.exec(id, { cmd: ['sh', '-c', 'for i in $(seq 30); do sleep 5 & done 2>&1; echo forked'] });
      let out = '';
      forks.on('stdout', (d: Buffer) => (out += d.toString()));
      forks.on('stderr', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => forks.on('exit', r));
      expect(out).toMatch(/can't fork|Resource temporarily unavailable/);

      // an agent restart: the record was saved, the cgroup is the kernel's
      const rt = await env.t.reopen();
      expect(limitsOf(await hostConfig(id))).toEqual({ Memory: 32 * MiB, MemorySwap: 32 * MiB, NanoCpus: 0.5e9, CpuShares: 256, PidsLimit: 20 });
      // a new start makes its cgroup from the record
      await rt.containers.stop(id, { timeout: 0 });
      await rt.containers.update(id, { pidsLimit: -1 });
      await rt.containers.start(id);
      expect(await v1Limits(id)).toEqual({ memory: 32 * MiB, memorySwap: 32 * MiB, quota: 50_000, shares: 256, pids: 'max' });
      expect((await hostConfig(id)).PidsLimit).toBe(0);
    } finally {
      await env.t.rt.containers.remove(id, { force: true });
    }
  });

  it('a new restart policy drives the next exit; an --rm container keeps none', async () => {
    const { id } = await env.t.rt.containers.create({ image: env.image, cmd: ['sh', '-c', 'exit 3'] });
    await env.t.rt.containers.update(id, { restartPolicy: { name: 'on-failure', maximumRetryCount: 1 } });
    expect((await hostConfig(id)).RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 1 });
    await env.t.rt.containers.start(id);
    await waitFor(
      async () => {
        const i = await env.t.rt.containers.inspect(id);
        return i.RestartCount === 1 && (i.State as { Status: string }).Status === 'exited';
      },
      15_000,
      'one restart',
    );
    await env.t.rt.containers.remove(id);

    const { id: rm } = await env.t.rt.containers.create({ image: env.image, autoRemove: true, cmd: ['true'] });
    await expect(env.t.rt.containers.update(rm, { restartPolicy: { name: 'always' } })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'restart policy cannot be updated because AutoRemove is enabled for the container',
    });
    await env.t.rt.containers.update(rm, { restartPolicy: { name: 'no' } });
    await env.t.rt.containers.remove(rm);
  });

  it('refuses what dockerd refuses and then changes nothing', async () => {
    const { id } = await env.t.rt.containers.run({ image: env.image, memory: 64 * MiB, cmd: ['sleep', '300'] });
    try {
      const before = limitsOf(await hostConfig(id));
      await expect(env.t.rt.containers.update(id, { memory: 512 * MiB })).rejects.toMatchObject({
        code: 'CONFLICT',
        message: 'memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time',
      });
      await expect(env.t.rt.containers.update(id, { memory: MiB })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: 'minimum memory limit allowed is 6MB',
      });
      await expect(env.t.rt.containers.update(id, { memory: 64 * MiB, memorySwap: 32 * MiB })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: 'minimum memoryswap limit should be larger than memory limit, see usage',
      });
      await expect(env.t.rt.containers.update(id, { nanoCpus: 1000e9 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available$/),
      });
      await expect(env.t.rt.containers.update(id, { restartPolicy: { name: 'on-failure', maximumRetryCount: -1 } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(env.t.rt.containers.update('no-such-container', { cpuShares: 512 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(limitsOf(await hostConfig(id))).toEqual(before);
      expect(await v1Limits(id)).toMatchObject({ memory: 64 * MiB, memorySwap: 128 * MiB });
      // smaller than the swap in place needs no new swap limit; that limit stays
      await env.t.rt.containers.update(id, { memory: 100 * MiB });
      expect(limitsOf(await hostConfig(id))).toMatchObject({ Memory: 100 * MiB, MemorySwap: 128 * MiB });
      expect(await v1Limits(id)).toMatchObject({ memory: 100 * MiB, memorySwap: 128 * MiB });
    } finally {
      await env.t.rt.containers.remove(id, { force: true });
    }
  });

  it('a container not running: the record only, which its start uses', async () => {
    const { id } = await env.t.rt.containers.create({ image: env.image, cmd: ['sleep', '300'] });
    try {
      await env.t.rt.containers.update(id, { memory: 48 * MiB, memorySwap: -1, nanoCpus: 1e9 });
      // nothing to change is no error
      await env.t.rt.containers.update(id, {});
      expect(limitsOf(await hostConfig(id))).toMatchObject({ Memory: 48 * MiB, MemorySwap: -1, NanoCpus: 1e9 });
      await env.t.rt.containers.start(id);
      const l = await v1Limits(id);
      expect(l).toMatchObject({ memory: 48 * MiB, quota: 100_000 });
      expect(l.memorySwap).toBeGreaterThan(2 ** 62); // unlimited
    } finally {
      await env.t.rt.containers.remove(id, { force: true });
    }
  });
});

describe('cgroup v2 writes', () => {
  it('every limit, and the kernel\'s "unlimited" for what is unset', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-cg2-'));
    const files = ['memory.max', 'memory.swap.max', 'cpu.max', 'cpu.weight', 'pids.max'];
    try {
      for (const f of files) await writeFile(join(dir, f), '');
      const cg = new ContainerCgroup(2, { unified: dir });
      const read = async () => Object.fromEntries(await Promise.all(files.map(async (f) => [f, (await readFile(join(dir, f), 'utf8')).trim()])));
      await cg.update({ memory: 256 * MiB, memorySwap: 512 * MiB, nanoCpus: 1.5e9, cpuShares: 512, pidsLimit: 50 });
      // swap.max is the swap alone; weight is Docker's conversion of the shares
      expect(await read()).toEqual({
        'memory.max': String(256 * MiB),
        'memory.swap.max': String(256 * MiB),
        'cpu.max': '150000 100000',
        'cpu.weight': '20',
        'pids.max': '50',
      });
      await cg.update({ memory: 64 * MiB });
      expect(await read()).toEqual({
        'memory.max': String(64 * MiB),
        'memory.swap.max': String(64 * MiB),
        'cpu.max': 'max 100000',
        'cpu.weight': '100',
        'pids.max': 'max',
      });
      await cg.update({ memory: 64 * MiB, memorySwap: -1 });
      expect((await read())['memory.swap.max']).toBe('max');
      await cg.update({});
      expect(await read()).toMatchObject({ 'memory.max': 'max', 'memory.swap.max': 'max' });
      // without swap accounting the kernel has no memory.swap.max: left out
      await rm(join(dir, 'memory.swap.max'));
      await cg.update({ memory: 32 * MiB });
      expect(existsSync(join(dir, 'memory.swap.max'))).toBe(false);
      expect((await readFile(join(dir, 'memory.max'), 'utf8')).trim()).toBe(String(32 * MiB));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
