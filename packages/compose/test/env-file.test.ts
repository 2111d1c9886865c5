import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject, readEnvFile } from '../src/index.js';

describe('readEnvFile', () => {
  it('reads KEY=VAL lines, comments, export, quotes', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value',
      'SPACED = spaced value  ',
      'export EXPORTED=yes',
      'INLINE=abc # comment',
      'HASH=abc#not-a-comment',
      "SINGLE='literal $PLAIN \\n'",
      'DOUBLE="line1\\nline2 \\"q\\" ${PLAIN}"',
      'EMPTY=',
      'COLON: yaml-ish',
      'REF=${PLAIN}-${FROM_ENV:-dflt}',
      'MULTI="a',
      'b"',
      'AFTER=1',
      'BARE',
      'BARE_MISSING',
      "QUOTED_COMMENT='x' # trailing",
    ].join('\n');
    expect(readEnvFile(text, { lookup: (n) => ({ BARE: 'from-env' })[n] })).toEqual({
      PLAIN: 'value',
      SPACED: 'spaced value',
      EXPORTED: 'yes',
      INLINE: 'abc',
      HASH: 'abc#not-a-comment',
      SINGLE: 'literal $PLAIN \\n',
      DOUBLE: 'line1\nline2 "q" value',
      EMPTY: '',
      COLON: 'yaml-ish',
      REF: 'value-dflt',
      MULTI: 'a\nb',
      AFTER: '1',
      BARE: 'from-env',
      QUOTED_COMMENT: 'x',
    });
  });

  it('handles CRLF and a BOM', () => {
    expect(readEnvFile('\uFEFFA=1\r\nB=2\r\n')).toEqual({ A: '1', B: '2' });
  });

  it('reports the line of a malformed entry', () => {
    expect(() => readEnvFile('A=1\nnot valid line\n', { file: '.env' })).toThrow('.env:2:1: invalid line in env file: "not valid line"');
    expect(() => readEnvFile('A=1\nB="open\n', { file: '.env' })).toThrow('.env:2:1: unterminated double-quoted value for B');
  });
});

describe('env_file in a service', () => {
  it('is read relative to the project, before environment, with required: false', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'compose-env-'));
    await writeFile(path.join(dir, 'common.env'), 'A=from-file\nB=from-file\nC=${OUTER}\n');
    await writeFile(path.join(dir, 'more.env'), 'B=from-more\n');
    const yaml = `services:
  web:
    image: x
    env_file:
      - common.env
      - path: ./more.env
      - path: ./missing.env
        required: false
    environment:
      A: from-environment
      D:
`;
    const p = await loadProject({ files: [{ path: path.join(dir, 'compose.yml'), content: yaml }], env: { OUTER: 'outer', D: 'd' } });
    expect(p.services.web!.environment).toEqual({ A: 'from-environment', B: 'from-more', C: 'outer', D: 'd' });
  });

  it('a missing required env file is a located error', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'compose-env-'));
    const err = await loadProject({
      files: [{ path: path.join(dir, 'compose.yml'), content: 'services:\n  web:\n    image: x\n    env_file: nope.env\n' }],
      env: {},
    }).catch((e: Error) => e.message);
    expect(err).toBe(`compose.yml:4:15: services.web.env_file: env file ${dir}/nope.env not found`);
  });

  it('errors inside an env file name that file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'compose-env-'));
    await writeFile(path.join(dir, 'bad.env'), 'OK=1\n\nBROKEN LINE\n');
    const err = await loadProject({
      files: [{ path: path.join(dir, 'compose.yml'), content: 'services:\n  web:\n    image: x\n    env_file: [bad.env]\n' }],
      env: {},
    }).catch((e: Error) => e.message);
    expect(err).toBe('bad.env:3:1: invalid line in env file: "BROKEN LINE"');
  });
});
