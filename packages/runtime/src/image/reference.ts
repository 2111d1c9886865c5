import { InvalidArgument } from '../errors.js';

/** A parsed image reference, normalised the way Docker does. */
export interface ImageReference {
  /** registry host[:port]; `docker.io` for Docker Hub */
  registry: string;
  /** repository path; `library/` is added for official Docker Hub images */
  repository: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * `busybox` → docker.io/library/busybox:latest; `host:5000/a/b@sha256:…`; `localhost/x`.
 * The first path component is a registry when it has a dot or a port or is `localhost`.
 */
export function parseReference(input: string): ImageReference {
  const raw = input.trim();
  if (!raw) throw new InvalidArgument('invalid reference format: empty image name');
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidArgument(`invalid reference format: bad digest "${digest}" in "${input}"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidArgument(`invalid reference format: bad tag "${tag}" in "${input}"`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift()!;
    if (!/^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:]+\])(:\d{1,5})?$/.test(registry)) throw new InvalidArgument(`invalid reference format: bad registry "${registry}"`);
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (!parts.length || parts.some((p) => !COMPONENT.test(p))) {
    throw new InvalidArgument(
      /[A-Z]/.test(rest) ? `invalid reference format: repository name (${rest}) must be lowercase` : `invalid reference format: "${input}"`,
    );
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: parts.join('/'), tag, digest };
}

/** The canonical name: `docker.io/library/busybox:latest`. */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** `repo:tag` as users see it: Docker Hub names are shortened like `docker images` does. */
export function familiarName(r: ImageReference): string {
  let name = `${r.registry}/${r.repository}`;
  if (r.registry === DOCKER_HUB) name = r.repository.startsWith('library/') ? r.repository.slice(8) : r.repository;
  return name;
}

export function familiarTag(r: ImageReference): string {
  return `${familiarName(r)}:${r.tag ?? 'latest'}`;
}

/** The host part of a registry name (`[::1]:5000` → `::1`, `127.0.0.1:5000` → `127.0.0.1`). */
export function registryHost(registry: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(registry);
  return m ? m[1]! : registry.replace(/:\d+$/, '');
}

/** Where the Distribution API lives for a registry name. */
export function registryEndpoint(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}
