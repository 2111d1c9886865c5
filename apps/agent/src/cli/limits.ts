import { parseRestartPolicy, type ContainerUpdateSpec } from '@skiff/runtime';
import { parseBytes, parseNumber, type FlagDefs, type Flags } from './args.js';
import { CliError } from './errors.js';

/** the resource limits and restart policy, as `run`/`create` and `update` take them */
export const LIMIT_FLAGS = {
  restart: { type: 'string' },
  memory: { type: 'string', short: 'm' },
  'memory-swap': { type: 'string' },
  cpus: { type: 'string' },
  'cpu-shares': { type: 'string', short: 'c' },
  'pids-limit': { type: 'string' },
  'cpuset-cpus': { type: 'string' },
  'cpuset-mems': { type: 'string' },
} as const satisfies FlagDefs;

/** the limits given by LIMIT_FLAGS; a flag not given is left out */
export function limitsFromFlags(f: Flags<typeof LIMIT_FLAGS>): ContainerUpdateSpec {
  const swap = f['memory-swap'];
  const out: ContainerUpdateSpec = {
    restartPolicy: f.restart ? parseRestartPolicy(f.restart) : undefined,
    memory: f.memory ? parseBytes(f.memory, '--memory') : undefined,
    memorySwap: swap ? (swap === '-1' ? -1 : parseBytes(swap, '--memory-swap')) : undefined,
    nanoCpus: f.cpus ? Math.round(parseNumber(f.cpus, '--cpus') * 1e9) : undefined,
    cpuShares: f['cpu-shares'] ? parseNumber(f['cpu-shares'], '--cpu-shares', { integer: true }) : undefined,
    pidsLimit: f['pids-limit'] ? parseNumber(f['pids-limit'], '--pids-limit', { integer: true }) : undefined,
    cpusetCpus: f['cpuset-cpus'],
    cpusetMems: f['cpuset-mems'],
  };
  if (out.nanoCpus !== undefined && out.nanoCpus <= 0) throw new CliError('invalid value for --cpus: must be positive');
  for (const k of Object.keys(out) as (keyof ContainerUpdateSpec)[]) if (out[k] === undefined) delete out[k];
  return out;
}
