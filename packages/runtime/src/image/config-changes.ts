import { InvalidArgument } from '../errors.js';
import { parseDockerfile, type Instruction } from '../build/dockerfile.js';
import { applyMetadata, type ImageRunConfig } from '../build/image-config.js';
import type { ImageConfig } from '../types.js';

/** The Dockerfile instructions `docker commit -c` and `docker import -c` accept. */
export const CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

/**
 * Applies `-c` changes to an image config: each is one Dockerfile instruction, parsed
 * and applied exactly as `build` does (same quoting, JSON/shell forms, CMD/ENTRYPOINT
 * rules), so commit, import and build cannot disagree.
 */
export function applyChanges<C extends ImageConfig & { OnBuild?: string[] | null }>(base: C, changes: string[] = []): C {
  let config = structuredClone(base) as ImageRunConfig;
  const stage = { cmdSet: false };
  for (const change of changes) {
    let instructions: Instruction[];
    try {
      instructions = parseDockerfile(`FROM scratch\n${change}`).stages[0]!.instructions;
    } catch (e) {
      throw new InvalidArgument(`invalid change "${change}": ${(e as Error).message.replace(/^Dockerfile:\d+: /, '')}`);
    }
    if (instructions.length !== 1) throw new InvalidArgument(`invalid change "${change}": give one instruction per change`);
    const ins = instructions[0]!;
    if (!CHANGE_INSTRUCTIONS.includes(ins.keyword))
      throw new InvalidArgument(`${ins.keyword} is not a valid change command (allowed: ${CHANGE_INSTRUCTIONS.join(', ')})`);
    try {
      config = applyMetadata(config, ins, { stage }).config;
    } catch (e) {
      throw new InvalidArgument(`invalid change "${change}": ${(e as Error).message.replace(/^Dockerfile:\d+: /, '')}`);
    }
  }
  return config as C;
}
