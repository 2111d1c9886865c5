import type { ServerResponse } from 'node:http';
import { familiarName, isSkiffError, parseReference } from '@skiff/runtime';
import { HTTP_STATUS } from '../http-status.js';
import { DockerApiError, sendJson } from './http.js';

/**
 * `No such image:` names what was asked for as dockerd's reference.FamiliarString does after
 * TagNameOnly: `busybox` → `busybox:latest`, `docker.io/library/x:1` → `x:1`, a bare id →
 * `sha256:…`; anything that does not parse is left as it came.
 */
export function familiarRef(ref: string): string {
  const id = /^(?:sha256:)?([0-9a-f]{64})$/.exec(ref);
  if (id) return `sha256:${id[1]}`;
  try {
    const r = parseReference(ref);
    return `${familiarName(r)}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
  } catch {
    return ref;
  }
}

/**
 * The runtime's messages that dockerd words differently, for the docker CLI (which prints
 * them after "Error response from daemon: ") and for clients that match on them (docker-py,
 * and so docker-compose, tells a missing image from other 404s by "No such image").
 */
const REWORDED: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^no such container: (.*)$/s, (m) => `No such container: ${m[1]}`],
  [/^no such image: (.*)$/s, (m) => `No such image: ${familiarRef(m[1]!)}`],
  // the volume service's OpErr: operation, name, cause
  [/^no such volume: (.*)$/s, (m) => `get ${m[1]}: no such volume`],
  [/^the container name (.*)$/s, (m) => `Conflict. The container name ${m[1]}`],
  [
    /^cannot remove container "\/?([^"]+)": container is (\w+): stop the container before removing or force remove$/,
    (m) =>
      `cannot remove container "/${m[1]}": ${m[2] === 'paused' ? 'container is paused and must be unpaused first' : `container is ${m[2]}: stop the container before removing or force remove`}`,
  ],
  // the runtime's limits checks speak as dockerd, which starts these with a capital
  [
    /^(minimum memory limit allowed is 6MB|minimum memoryswap limit should be larger than memory limit, see usage|range of CPUs is from .*|memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time|restart policy cannot be updated because AutoRemove is enabled for the container)$/s,
    (m) => m[1]!.charAt(0).toUpperCase() + m[1]!.slice(1),
  ],
  // dockerd's Dockerfile parser lowercases the instruction, and names no list
  [/^(\w+) is not a valid change command \(allowed: .*\)$/, (m) => `${m[1]!.toLowerCase()} is not a valid change command`],
  // dockerd appends the registry's own message, which is "manifest unknown" from distribution and Docker Hub
  [
    /^manifest for (\S+?):(sha256:[0-9a-f]{64}) not found: manifest unknown$/,
    (m) => `manifest for ${familiarRef(`${m[1]}@${m[2]}`)} not found: manifest unknown: manifest unknown`,
  ],
  [/^manifest for (\S+) not found: manifest unknown$/, (m) => `manifest for ${familiarRef(m[1]!)} not found: manifest unknown: manifest unknown`],
];

/**
 * An error as dockerd would answer it: the status a runtime error maps to and dockerd's
 * wording. Only the Docker API answers this way; the tRPC API and the skiff CLI keep the
 * runtime's messages. Errors made in this layer (DockerApiError) are worded already.
 */
export function dockerError(e: unknown): { status: number; message: string } {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof DockerApiError) return { status: e.status, message };
  const status = isSkiffError(e) ? HTTP_STATUS[e.code] : 500;
  for (const [pattern, reword] of REWORDED) {
    const m = pattern.exec(message);
    if (m) return { status, message: reword(m) };
  }
  return { status, message };
}

/**
 * An error with dockerd's context in front, as its routes wrap some (Go's errors.Wrapf):
 * `cannot kill container: NAME: …`. The status stays the cause's.
 */
export function wrapDockerError(e: unknown, context: string): DockerApiError {
  const { status, message } = dockerError(e);
  return new DockerApiError(status, `${context}: ${message}`);
}

/** Docker's error body, `{"message": …}`; a response already under way can only be cut */
export function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, message } = dockerError(e);
  sendJson(res, status, { message });
}
