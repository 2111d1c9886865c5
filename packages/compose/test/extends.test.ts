import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../src/index.js';
import { load, loadError } from './helpers.js';

describe('extends', () => {
  it('same file, string and mapping forms, chained, merged like an override', async () => {
    const p = await load(`services:
  base:
    image: app:1
    environment: [A=1, B=1]
    ports: ["80"]
  mid:
    extends: base
    environment: [B=2]
  web:
    extends:
      service: mid
    image: app:2
    ports: ["81"]
`);
    expect(p.services.web).toMatchObject({ image: 'app:2', environment: { A: '1', B: '2' } });
    expect(p.services.web!.ports.map((x) => x.target)).toEqual([80, 81]);
    expect(p.services.mid).toMatchObject({ image: 'app:1', environment: { A: '1', B: '2' } });
  });

  it('another file: its relative paths stay relative to that file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'compose-ext-'));
    await mkdir(path.join(dir, 'common'));
    await writeFile(path.join(dir, 'common', 'base.env'), 'FROM_BASE=1\n');
    await writeFile(
      path.join(dir, 'common', 'services.yml'),
      'services:\n  base:\n    build: ./app\n    env_file: base.env\n    volumes: ["./conf:/conf", "/abs:/abs"]\n    restart: ${POLICY}\n',
    );
    const p = await loadProject({
      files: [
        {
          path: path.join(dir, 'compose.yml'),
          content: 'services:\n  web:\n    extends:\n      file: common/services.yml\n      service: base\n    volumes: ["./data:/data"]\n',
        },
      ],
      env: { POLICY: 'always' },
    });
    const web = p.services.web!;
    expect(web.build!.context).toBe(path.join(dir, 'common', 'app'));
    expect(web.environment).toEqual({ FROM_BASE: '1' });
    expect(web.restart).toBe('always');
    expect(web.volumes.map((v) => `${v.source}:${v.target}`)).toEqual([
      `${path.join(dir, 'common', 'conf')}:/conf`,
      '/abs:/abs',
      `${path.join(dir, 'data')}:/data`,
    ]);
  });

  it('errors: unknown base, missing file, cycle', async () => {
    expect(await loadError('services:\n  web:\n    extends: nope\n')).toBe(
      'docker-compose.yml:3:14: services.web.extends: service "web" extends undefined service "nope"',
    );
    expect(await loadError('services:\n  web:\n    extends:\n      file: missing.yml\n      service: x\n')).toBe(
      'docker-compose.yml:4:13: services.web.extends: cannot read /srv/notes/missing.yml: no such file',
    );
    expect(await loadError('services:\n  a:\n    extends: b\n  b:\n    extends: a\n')).toMatch(
      /services\.[ab]\.extends: extends cycle: (a -> b -> a|b -> a -> b)/,
    );
  });
});
