import { describe, expect, it } from 'vitest';
import { keyValues, parseDockerfile } from '../src/build/dockerfile.js';
import { stageBase, stagesToBuild } from '../src/build/stages.js';
import { processWord, processWords } from '../src/build/shell-words.js';

const env: Record<string, string> = { A: 'one', EMPTY: '', SP: 'a b' };
const lookup = (n: string) => env[n];

describe('Dockerfile words (quotes, escapes, variables) as Docker processes them', () => {
  it('expands $VAR, ${VAR} and the default/alternative forms', () => {
    expect(processWord('$A-${A}_x', lookup)).toBe('one-one_x');
    expect(processWord('${NOPE:-dflt} ${EMPTY:-dflt} ${EMPTY-dflt} ${NOPE-dflt}', lookup)).toBe('dflt dflt  dflt');
    expect(processWord('${A:+alt} ${EMPTY:+alt} ${EMPTY+alt} ${NOPE+alt}', lookup)).toBe('alt  alt ');
    expect(processWord('${NOPE:-${A}}', lookup)).toBe('one');
    expect(() => processWord('${NOPE:?must be set}', lookup)).toThrow(/NOPE: must be set/);
    expect(processWord('cost $ 5 $', lookup)).toBe('cost $ 5 $');
  });

  it('keeps single-quoted text literal, expands inside double quotes, honours the escape character', () => {
    expect(processWord(`'$A' "$A" \\$A "\\$A" "a\\"b"`, lookup)).toBe('$A one $A $A a"b');
    expect(processWord('`$A', lookup, '`')).toBe('$A');
    expect(processWord('c:\\dir', lookup, '`')).toBe('c:\\dir');
    expect(() => processWord('"open', lookup)).toThrow(/double-quote/);
  });

  it('splits on unquoted whitespace only', () => {
    expect(processWords(`a "b c"  'd e'\\ f $A`, lookup)).toEqual(['a', 'b c', 'd e f', 'one']);
  });
});

describe('Dockerfile parsing', () => {
  const text = [
    '# syntax=docker/dockerfile:1',
    'ARG BASE=busybox',
    'ARG TAG',
    'FROM ${BASE}:${TAG:-latest} AS Build',
    'ENV A=1 B="two words" \\',
    '    C=3',
    'ENV LEGACY value with spaces',
    'RUN echo hi && \\',
    '    echo there',
    'COPY --from=build --chown=1:1 ["a b", "/dst/"]',
    'CMD ["sh", "-c", "echo $A"]',
    'HEALTHCHECK --interval=5s CMD wget -q localhost || exit 1',
    '',
    'from scratch',
    'copy --from=build /out /',
    'ENTRYPOINT ["/app"]',
  ].join('\n');

  it('reads stages, flags, JSON and shell forms, with line numbers', () => {
    const df = parseDockerfile(text);
    expect(df.escape).toBe('\\');
    expect(df.globalArgs).toEqual([{ name: 'BASE', value: 'busybox' }, { name: 'TAG' }]);
    expect(df.stages.map((s) => [s.index, s.name, s.from, s.line])).toEqual([
      [0, 'build', '${BASE}:${TAG:-latest}', 4],
      [1, undefined, 'scratch', 14],
    ]);
    const [env1, env2, run, copy, cmd, hc] = df.stages[0]!.instructions;
    expect(env1).toMatchObject({ keyword: 'ENV', line: 5 });
    expect(keyValues(env1!, lookup, '\\')).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', '3'],
    ]);
    expect(keyValues(env2!, lookup, '\\')).toEqual([['LEGACY', 'value with spaces']]);
    expect(run).toMatchObject({ keyword: 'RUN', line: 8, raw: 'echo hi &&     echo there' });
    expect(run!.json).toBeUndefined();
    expect(copy).toMatchObject({ keyword: 'COPY', flags: { from: 'build', chown: '1:1' }, json: ['a b', '/dst/'] });
    expect(cmd!.json).toEqual(['sh', '-c', 'echo $A']);
    expect(hc).toMatchObject({ keyword: 'HEALTHCHECK', flags: { interval: '5s' }, raw: 'CMD wget -q localhost || exit 1' });
    expect(df.stages[1]!.instructions.map((i) => i.keyword)).toEqual(['COPY', 'ENTRYPOINT']);
    expect(run!.original).toBe('RUN echo hi && \\\n    echo there');
  });

  it('follows the escape directive', () => {
    const df = parseDockerfile('# escape=`\nFROM busybox\nRUN echo a `\n  b\nWORKDIR c:\\x\n');
    expect(df.escape).toBe('`');
    expect(df.stages[0]!.instructions.map((i) => i.raw)).toEqual(['echo a   b', 'c:\\x']);
  });

  it('names the line of every mistake', () => {
    expect(() => parseDockerfile('FROM busybox\nRUNN true\n')).toThrow(/Dockerfile:2: unknown instruction: RUNN/);
    expect(() => parseDockerfile('RUN true\nFROM busybox\n')).toThrow(/Dockerfile:1: no build stage/);
    expect(() => parseDockerfile('# only a comment\n')).toThrow(/no FROM instruction/);
    expect(() => parseDockerfile('FROM a AS x\nFROM b AS X\n')).toThrow(/Dockerfile:2: duplicate name for build stage: "x"/);
    expect(() => parseDockerfile('FROM a b\n')).toThrow(/Dockerfile:1: FROM requires either one or three arguments/);
    expect(() => parseDockerfile('FROM a\nCOPY --form=x a b\n')).toThrow(/Dockerfile:2: unknown flag for COPY: --form/);
    expect(() => parseDockerfile('FROM a\nSHELL /bin/bash -c\n')).toThrow(/Dockerfile:2: SHELL requires the arguments to be in JSON form/);
    expect(() => parseDockerfile('FROM a\nWORKDIR\n')).toThrow(/Dockerfile:2: WORKDIR requires at least one argument/);
    expect(() => parseDockerfile('FROM a\nONBUILD FROM b\n')).toThrow(/FROM isn't allowed as an ONBUILD trigger/);
    expect(() => parseDockerfile('FROM a\nCOPY <<EOF /x\nhi\nEOF\n')).toThrow(/heredocs/);
  });

  it('treats a malformed JSON array as shell form, as Docker does', () => {
    const df = parseDockerfile("FROM a\nCMD ['single', 'quotes']\n");
    expect(df.stages[0]!.instructions[0]!.json).toBeUndefined();
  });
});

describe('stages to build', () => {
  const df = parseDockerfile(
    [
      'ARG TAG=1.0',
      'FROM base:${TAG} AS deps',
      'RUN make deps',
      'FROM deps AS build',
      'COPY --from=tools /bin/x /',
      'FROM scratch AS tools',
      'FROM busybox AS unused',
      'FROM scratch',
      'COPY --from=build /out /',
      'COPY --from=alpine:3 /etc/os-release /',
    ].join('\n'),
  );

  it('builds only what the target needs, in order, skipping unrelated stages', () => {
    expect(stagesToBuild(df, {}).map((s) => s.index)).toEqual([0, 1, 4]);
    expect(stagesToBuild(df, {}, 'deps').map((s) => s.name)).toEqual(['deps']);
    expect(() => stagesToBuild(df, {}, 'nope')).toThrow(/failed to reach build target nope/);
  });

  it('expands global ARGs in FROM, with build args overriding defaults', () => {
    expect(stageBase(df, df.stages[0]!, {})).toEqual({ kind: 'image', ref: 'base:1.0' });
    expect(stageBase(df, df.stages[0]!, { TAG: '2.0' })).toEqual({ kind: 'image', ref: 'base:2.0' });
    expect(stageBase(df, df.stages[1]!, {})).toEqual({ kind: 'stage', index: 0 });
    expect(stageBase(df, df.stages[2]!, {})).toEqual({ kind: 'scratch' });
  });
});
