import { isIP } from 'node:net';
import { InvalidArgument } from '../../errors.js';
import type { ContainerCreateSpec, ExecSpec } from '../../types.js';
import { validateUserSpec } from './user.js';

/**
 * The free-text fields of a create or exec request that end up in the shim's argv, env and
 * config (C strings: a NUL would silently cut them short) or in /etc/hosts, /etc/resolv.conf
 * and nft rules (one entry per line: a line break would inject entries), checked at the
 * edge so every API refuses them with the same InvalidArgument.
 */

/** what a name in /etc/hosts may be: no whitespace, no control characters, no `#` */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are refused
const HOST_NAME = /^[^\s\0-\x1f\x7f#]+$/;
/** a --link alias: Docker's container-name characters */
const LINK_ALIAS = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function noNul(what: string, values: readonly (string | undefined)[] | undefined): void {
  for (const v of values ?? []) {
    if (v?.includes('\0')) throw new InvalidArgument(`invalid ${what} ${JSON.stringify(v)}: contains a NUL byte`);
  }
}

/** `--dns`: addresses only, as Docker's ValidateIPAddress (anything else could add lines to resolv.conf) */
export function validateDns(servers: readonly string[] | undefined): void {
  for (const s of servers ?? []) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are refused
    if (isIP(s) === 0 || /[\s\0-\x1f]/.test(s)) throw new InvalidArgument(`invalid --dns ${JSON.stringify(s)}: not an IP address`);
  }
}

/** `--add-host host:ip`: a host name without whitespace or control characters, and a real address */
export function validateExtraHost(h: string): void {
  const i = h.indexOf(':');
  const host = i < 0 ? '' : h.slice(0, i);
  const ip = i < 0 ? '' : h.slice(i + 1);
  if (!HOST_NAME.test(host) || isIP(ip) === 0) throw new InvalidArgument(`invalid --add-host ${JSON.stringify(h)}: want host:ip`);
}

/** `--link NAME[:ALIAS]`: the alias becomes an /etc/hosts name */
export function validateLink(l: string): void {
  const [ref = '', alias, ...rest] = l.split(':');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are refused
  if (!ref || rest.length || (alias !== undefined && !LINK_ALIAS.test(alias)) || /[\s\0-\x1f]/.test(ref)) {
    throw new InvalidArgument(`invalid --link ${JSON.stringify(l)}: want NAME[:ALIAS]`);
  }
}

export function validateCreateStrings(spec: ContainerCreateSpec): void {
  noNul('command argument', spec.cmd);
  noNul('entrypoint argument', spec.entrypoint);
  noNul('environment variable', spec.env);
  noNul('working directory', [spec.workingDir]);
  noNul('label', Object.entries(spec.labels ?? {}).flat());
  noNul('healthcheck command', spec.healthcheck?.test);
  noNul('network alias', spec.networkAliases);
  if (spec.user !== undefined) validateUserSpec(spec.user);
  validateDns(spec.dns);
  for (const h of spec.extraHosts ?? []) validateExtraHost(h);
  for (const l of spec.links ?? []) validateLink(l);
  for (const e of [{ ip: spec.ip }, ...(spec.extraNetworks ?? [])]) {
    if (e.ip !== undefined && e.ip !== '' && isIP(e.ip) !== 4) throw new InvalidArgument(`invalid --ip ${JSON.stringify(e.ip)}: not an IPv4 address`);
  }
  for (const e of spec.extraNetworks ?? []) noNul('network alias', e.aliases);
  for (const p of spec.ports ?? []) {
    // the host address is written into the nft ruleset
    if (p.hostIp && isIP(p.hostIp) === 0) throw new InvalidArgument(`invalid host IP ${JSON.stringify(p.hostIp)} for a published port`);
  }
}

export function validateExecStrings(spec: ExecSpec): void {
  noNul('command argument', spec.cmd);
  noNul('environment variable', spec.env);
  noNul('working directory', [spec.workingDir]);
  if (spec.user !== undefined) validateUserSpec(spec.user);
}
