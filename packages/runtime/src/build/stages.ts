import { InvalidArgument } from '../errors.js';
import type { Dockerfile, Stage } from './dockerfile.js';
import { processWord } from './shell-words.js';

/** What a stage builds on: nothing, an earlier stage, or an image to find or pull. */
export type StageBase = { kind: 'scratch' } | { kind: 'stage'; index: number } | { kind: 'image'; ref: string };

/** a stage named by `--target` / `COPY --from` / `FROM`: its name, or its index as a number */
export function findStage(df: Dockerfile, nameOrIndex: string, before = df.stages.length): Stage | undefined {
  const lower = nameOrIndex.toLowerCase();
  const byName = df.stages.slice(0, before).find((s) => s.name === lower);
  if (byName) return byName;
  return /^\d+$/.test(nameOrIndex) && Number(nameOrIndex) < before ? df.stages[Number(nameOrIndex)] : undefined;
}

/** FROM's base after expanding the global ARGs (build args override their defaults) */
export function stageBase(df: Dockerfile, stage: Stage, buildArgs: Record<string, string>): StageBase {
  const defaults = Object.fromEntries(df.globalArgs.map((a) => [a.name, a.value === undefined ? undefined : processWord(a.value, (n) => buildArgs[n], df.escape)]));
  const from = processWord(stage.from, (n) => (n in buildArgs && df.globalArgs.some((a) => a.name === n) ? buildArgs[n] : defaults[n]), df.escape);
  if (!from) throw new InvalidArgument(`Dockerfile:${stage.line}: base name (${stage.from}) should not be blank`);
  if (from.toLowerCase() === 'scratch') return { kind: 'scratch' };
  const earlier = df.stages.slice(0, stage.index).find((s) => s.name === from.toLowerCase());
  return earlier ? { kind: 'stage', index: earlier.index } : { kind: 'image', ref: from };
}

/**
 * The stages a build of `target` (default: the last stage) needs, in Dockerfile order —
 * what it builds FROM and COPY --from's, transitively; unrelated stages are skipped as
 * BuildKit does.
 */
export function stagesToBuild(df: Dockerfile, buildArgs: Record<string, string>, target?: string): Stage[] {
  const last = target === undefined ? df.stages.at(-1)! : findStage(df, target);
  if (!last) throw new InvalidArgument(`failed to reach build target ${target} in Dockerfile`);
  const needed = new Set<number>();
  const visit = (s: Stage) => {
    if (needed.has(s.index)) return;
    needed.add(s.index);
    const base = stageBase(df, s, buildArgs);
    if (base.kind === 'stage') visit(df.stages[base.index]!);
    for (const ins of s.instructions) {
      const from = ins.flags.from;
      if ((ins.keyword === 'COPY' || ins.keyword === 'RUN') && from !== undefined) {
        const dep = findStage(df, from, s.index);
        if (dep) visit(dep);
        else if (/^\d+$/.test(from)) throw new InvalidArgument(`Dockerfile:${ins.line}: invalid stage index ${from}: a stage can only copy from an earlier one`);
        // otherwise an image reference, as Docker allows (COPY --from=busybox …)
      }
    }
  };
  visit(last);
  return df.stages.filter((s) => needed.has(s.index));
}
