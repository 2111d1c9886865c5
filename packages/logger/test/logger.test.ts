import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupFailed, getLogLevel, logger, parseLevel, setLogLevel } from '../src/index.js';

/** what the logger writes while `fn` runs, through whatever process.stderr.write is then */
function captured(fn: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stderr.write = write;
  }
  return lines
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const initial = getLogLevel();
afterEach(() => setLogLevel(initial));

describe('@skiff/logger', () => {
  it('writes one JSON object a line: ISO time, the level as a label, msg, the context and the error', () => {
    const log = logger.child({ component: 'network' }).child({ network: 'n1' });
    const [line] = captured(() => log.warn('deleting a bridge', { container: 'c1', err: Object.assign(new Error('busy'), { code: 'EBUSY' }) }));
    expect(line).toMatchObject({
      level: 'warn',
      msg: 'deleting a bridge',
      component: 'network',
      network: 'n1',
      container: 'c1',
      err: { message: 'busy', code: 'EBUSY' },
      pid: process.pid,
    });
    expect(line!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('drops lines under the level; a level set later applies to loggers made before it', () => {
    const log = logger.child({ component: 'early' });
    setLogLevel('info');
    expect(captured(() => log.debug('hidden'))).toEqual([]);
    setLogLevel('debug');
    expect(captured(() => log.debug('shown'))).toMatchObject([{ level: 'debug', msg: 'shown', component: 'early' }]);
    setLogLevel('silent');
    expect(captured(() => log.error('nothing'))).toEqual([]);
  });

  it('logs a cleanup failure at warn, and something already gone at debug', () => {
    setLogLevel('debug');
    const log = logger.child({ component: 'store' });
    const lines = captured(() => {
      cleanupFailed(log, 'removing a temp file', { file: '/x' })(Object.assign(new Error('gone'), { code: 'ENOENT' }));
      cleanupFailed(log, 'removing a temp file', { file: '/y' })(Object.assign(new Error('denied'), { code: 'EACCES' }));
    });
    expect(lines).toMatchObject([
      { level: 'debug', file: '/x', err: { code: 'ENOENT' } },
      { level: 'warn', file: '/y', err: { code: 'EACCES' } },
    ]);
  });

  it('parses level names and takes SKIFF_LOG_LEVEL at start', () => {
    expect(parseLevel(' DEBUG ')).toBe('debug');
    expect(parseLevel('loud')).toBeUndefined();
    const script = "import { logger } from './packages/logger/src/index.ts'; logger.debug('from the child', { component: 'x' });";
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: `${import.meta.dirname}/../../..`,
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
    expect(run({ SKIFF_LOG_LEVEL: 'info' }).stderr).toBe('');
    const shown = run({ SKIFF_LOG_LEVEL: 'debug' });
    expect(JSON.parse(shown.stderr)).toMatchObject({ level: 'debug', msg: 'from the child', component: 'x' });
  });
});
