import { describe, expect, it } from 'vitest';
import { interpolateString } from '../src/index.js';
import { load } from './helpers.js';

const env: Record<string, string> = { A: 'a', EMPTY: '', PORT: '8080' };
const sub = (s: string) => interpolateString(s, (n) => env[n]).value;

describe('interpolation', () => {
  it.each([
    ['$A', 'a'],
    ['${A}', 'a'],
    ['x${A}y$A-z', 'xay' + 'a-z'],
    ['${UNSET}', ''],
    ['${UNSET:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${UNSET-def}', 'def'],
    ['${A:-def}', 'a'],
    ['${A:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${A:?boom}', 'a'],
    ['${EMPTY?boom}', ''],
    ['$$A', '$A'],
    ['$${A}', '${A}'],
    ['100$$', '100$'],
    ['${UNSET:-${A}}', 'a'],
    ['${UNSET:-x-${UNSET2:-y}}', 'x-y'],
    ['${A:-${B:?unused}}', 'a'],
    ['${UNSET:-a b}', 'a b'],
  ])('%s → %s', (input, out) => {
    expect(sub(input)).toBe(out);
  });

  it('required variables fail with the message given', () => {
    expect(() => sub('${UNSET:?please set it}')).toThrow('required variable UNSET is missing a value: please set it');
    expect(() => sub('${EMPTY:?}')).toThrow('required variable EMPTY is missing a value');
    expect(() => sub('${UNSET?}')).toThrow('required variable UNSET is missing a value');
  });

  it('rejects a lone $ and unclosed braces', () => {
    expect(() => sub('cost: $ 5')).toThrow(/invalid interpolation format/);
    expect(() => sub('${A')).toThrow(/invalid interpolation format/);
    expect(() => sub('${A:x}')).toThrow(/unsupported modifier/);
  });

  it('reports unset variables without a default', () => {
    expect(interpolateString('${X}-$Y-${Z:-z}', () => undefined).unset).toEqual(['X', 'Y']);
  });

  it('applies to values in every section, not to keys, and warns on unset variables', async () => {
    const p = await load(
      `services:
  web:
    image: "nginx:\${TAG:-latest}"
    environment:
      \${A}: "\${A}"
    labels: ["x=\${MISSING}"]
    ports:
      - target: 80
        published: \${PORT}
    scale: \${N}
    tty: \${TTY}
`,
      { env: { A: 'a', PORT: '8080', N: '2', TTY: 'true' } },
    );
    const web = p.services.web!;
    expect(web.image).toBe('nginx:latest');
    expect(web.environment).toEqual({ '${A}': 'a' });
    expect(web.labels).toEqual({ x: '' });
    // values a variable supplies as text are cast where the schema wants numbers and booleans
    expect(web.ports).toEqual([{ target: 80, published: '8080', protocol: 'tcp' }]);
    expect(web.replicas).toBe(2);
    expect(web.tty).toBe(true);
    expect(p.warnings).toEqual(['the "MISSING" variable is not set; defaulting to a blank string']);
  });

  it('$$ survives into the command for the container shell', async () => {
    const p = await load('services:\n  web:\n    image: x\n    command: sh -c "echo $$HOME"\n');
    expect(p.services.web!.command).toEqual(['sh', '-c', 'echo $HOME']);
  });
});
