import { parseRestartPolicy, type ContainerUpdateSpec } from '@skiff/runtime';
import { parseBytes, parseNumber, type FlagSpec } from './args.js';
import { CliError } from './errors.js';

/** the resource limits and restart policy, as `run`/`create` and `update` take them */
export const LIMIT_FLAGS: FlagSpec[] = [
  { names: ['--restart'], kind: 'string', key: 'restart' },
  { names: ['-m', '--memory'], kind: 'string', key: 'memory' },
  { names: ['--memory-swap'], kind: 'string', key: 'memorySwap' },
  { names: ['--cpus'], kind: 'string', key: 'cpus' },
  { names: ['-c', '--cpu-shares'], kind: 'string', key: 'cpuShares' },
  { names: ['--pids-limit'], kind: 'string', key: 'pidsLimit' },
];

/** the limits given by LIMIT_FLAGS; a flag not given is left out */
export function limitsFromFlags(f: Record<string, unknown>): ContainerUpdateSpec {
  const out: ContainerUpdateSpec = {
    restartPolicy: f.restart ? parseRestartPolicy(f.restart as string) : undefined,
    memory: f.memory ? parseBytes(f.memory as string, '--memory') : undefined,
    memorySwap: f.memorySwap ? (f.memorySwap === '-1' ? -1 : parseBytes(f.memorySwap as string, '--memory-swap')) : undefined,
    nanoCpus: f.cpus ? Math.round(parseNumber(f.cpus as string, '--cpus') * 1e9) : undefined,
    cpuShares: f.cpuShares ? parseNumber(f.cpuShares as string, '--cpu-shares', { integer: true }) : undefined,
    pidsLimit: f.pidsLimit ? parseNumber(f.pidsLimit as string, '--pids-limit', { integer: true }) : undefined,
  };
  if (out.nanoCpus !== undefined && out.nanoCpus <= 0) throw new CliError('invalid value for --cpus: must be positive');
  for (const k of Object.keys(out) as (keyof ContainerUpdateSpec)[]) if (out[k] === undefined) delete out[k];
  return out;
}
