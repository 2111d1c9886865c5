import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** every source directory of the project's own code (the dashboard has no src/) */
function sourceDirs(): string[] {
  const dirs: string[] = [];
  for (const group of ['apps', 'packages']) {
    for (const name of readdirSync(join(ROOT, group))) {
      for (const sub of ['src', 'app', 'components', 'lib']) {
        const d = join(ROOT, group, name, sub);
        if (statSync(d, { throwIfNoEntry: false })?.isDirectory()) dirs.push(d);
      }
    }
  }
  return dirs;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'generated' || e.name === '.next' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sourceFiles(p);
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

const emptyFunction = (n: ts.Node | undefined) =>
  !!n && (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isBlock(n.body) && n.body.statements.length === 0;

/**
 * The places a failure vanishes without a trace: a `catch` block with no statement (a
 * comment is not one) and a `.catch()` whose handler is an empty function.
 */
function emptyCatches(fileName: string, text: string): string[] {
  const src = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : undefined);
  const found: string[] = [];
  const at = (n: ts.Node) => `${fileName}:${src.getLineAndCharacterOfPosition(n.getStart(src)).line + 1}`;
  const visit = (n: ts.Node) => {
    if (ts.isCatchClause(n) && n.block.statements.length === 0) found.push(`${at(n)}: empty catch block`);
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'catch' && emptyFunction(n.arguments[0]))
      found.push(`${at(n)}: .catch() with an empty handler`);
    ts.forEachChild(n, visit);
  };
  visit(src);
  return found;
}

describe('no failure vanishes', () => {
  it('finds the empty catches it is meant to find', () => {
    const sample = [
      'try { a(); } catch {}',
      'try { a(); } catch (e) { /* ignored */ }',
      'p.catch(() => {});',
      'p.catch(function () {});',
      'try { a(); } catch (e) { log.debug("x", { err: e }); }',
      'p.catch((e) => log.warn("x", { err: e }));',
    ].join('\n');
    expect(emptyCatches('sample.ts', sample)).toEqual([
      'sample.ts:1: empty catch block',
      'sample.ts:2: empty catch block',
      'sample.ts:3: .catch() with an empty handler',
      'sample.ts:4: .catch() with an empty handler',
    ]);
  });

  it('has no empty catch in apps/*/src, packages/*/src and the dashboard: each failure is logged with context or handled', () => {
    const dirs = sourceDirs();
    expect(dirs.map((d) => relative(ROOT, d))).toEqual(
      expect.arrayContaining(['apps/agent/src', 'packages/runtime/src', 'packages/db/src', 'packages/logger/src', 'apps/web/components']),
    );
    const found = dirs.flatMap((d) => [...sourceFiles(d)].flatMap((f) => emptyCatches(relative(ROOT, f), readFileSync(f, 'utf8'))));
    expect(found, `empty catches (log the failure with context, or handle it):\n${found.join('\n')}`).toEqual([]);
  });
});
