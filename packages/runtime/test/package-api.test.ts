import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string>; sideEffects?: boolean };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}
const parse = (file: string) => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);

/** what a module does when it is imported, beyond making its own bindings */
const EFFECT_FREE = new Set([
  ts.SyntaxKind.ImportDeclaration,
  ts.SyntaxKind.ImportEqualsDeclaration,
  ts.SyntaxKind.ExportDeclaration,
  ts.SyntaxKind.ExportAssignment,
  ts.SyntaxKind.VariableStatement,
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration,
  ts.SyntaxKind.EnumDeclaration,
  ts.SyntaxKind.ModuleDeclaration,
]);

describe('@skiff/runtime as a package', () => {
  it('exports a deliberate API, not its files', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './parse', './types']);
  });

  it('has no import-time effects, as its `sideEffects: false` tells bundlers', () => {
    expect(pkg.sideEffects).toBe(false);
    const effects = sourceFiles(src).flatMap((file) =>
      parse(file)
        .statements.filter((s) => !EFFECT_FREE.has(s.kind))
        .map((s) => `${file.slice(root.length + 1)}: ${s.getText().slice(0, 60)}`),
    );
    expect(effects).toEqual([]);
  });

  it('keeps `./parse` and `./types` free of Node built-ins and native code (the dashboard bundles them for the browser)', () => {
    const seen = new Set<string>();
    const builtins: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const s of parse(file).statements) {
        if (!(ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) || !s.moduleSpecifier || !ts.isStringLiteral(s.moduleSpecifier)) continue;
        const typeOnly = ts.isImportDeclaration(s) ? (s.importClause?.isTypeOnly ?? false) : s.isTypeOnly;
        const spec = s.moduleSpecifier.text;
        if (!spec.startsWith('.')) {
          if (!typeOnly) builtins.push(`${file.slice(root.length + 1)} imports ${spec}`);
          continue;
        }
        if (!typeOnly) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    for (const entry of [pkg.exports['./parse']!, pkg.exports['./types']!]) visit(join(root, entry));
    expect(seen.size).toBeGreaterThan(3);
    expect(builtins).toEqual([]);
  });
});
