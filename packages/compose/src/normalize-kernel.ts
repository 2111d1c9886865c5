import { parseByteSize, parseCpuList, ULIMIT_NAMES } from '@skiff/runtime/parse';
import { keyedToMap } from './merge.js';
import type { ServiceConfig } from './model.js';

type Obj = Record<string, unknown>;
type Fail = (container: unknown, key: string | number | undefined, p: string, msg: string) => never;

const int = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN);

/**
 * `shm_size`, `ulimits`, `sysctls` and `cpuset` of a service. The shapes are checked here
 * with the file's location; namespaces and the host's CPUs are the runtime's checks at create.
 */
export function normalizeKernel(raw: Obj, svc: ServiceConfig, base: string, fail: Fail): void {
  if (raw.shm_size !== undefined && raw.shm_size !== null) {
    const n = typeof raw.shm_size === 'number' ? raw.shm_size : parseByteSize(String(raw.shm_size));
    if (n === undefined || !Number.isSafeInteger(n) || n < 0)
      fail(raw, 'shm_size', `${base}.shm_size`, `invalid shm_size ${JSON.stringify(raw.shm_size)} (like 64m, 1g)`);
    svc.shmSize = n;
  }
  if (raw.ulimits && typeof raw.ulimits === 'object') {
    const u = raw.ulimits as Obj;
    svc.ulimits = Object.entries(u).map(([name, v]) => {
      const p = `${base}.ulimits.${name}`;
      if (!(ULIMIT_NAMES as readonly string[]).includes(name)) fail(u, name, p, `unknown ulimit "${name}" (one of ${ULIMIT_NAMES.join(', ')})`);
      const o = v && typeof v === 'object' ? (v as Obj) : { soft: v, hard: v };
      const soft = int(o.soft),
        hard = int(o.hard);
      if (!Number.isSafeInteger(soft) || !Number.isSafeInteger(hard)) fail(u, name, p, `ulimit ${name} needs integer soft and hard limits`);
      return { name, soft, hard };
    });
  }
  if (raw.sysctls) {
    const map = keyedToMap(raw.sysctls);
    svc.sysctls = Object.fromEntries(
      Object.entries(map).map(([k, v]) => {
        if (v === null || typeof v === 'object') fail(map, k, `${base}.sysctls.${k}`, `sysctl ${k} needs a value`);
        return [k, String(v)];
      }),
    );
  }
  if (raw.cpuset !== undefined && raw.cpuset !== null) {
    const s = String(raw.cpuset);
    try {
      parseCpuList(s, 'cpus');
    } catch (e) {
      fail(raw, 'cpuset', `${base}.cpuset`, (e as Error).message);
    }
    svc.cpuset = s;
  }
}
