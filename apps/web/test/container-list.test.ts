import type { ContainerSummary } from '@skiff/runtime/types';
import { describe, expect, it } from 'vitest';
import { filterContainers, formatSort, groupEntries, nameOf, parseSort, sortContainers } from '../components/containers/list-model.js';

const summary = (name: string, over: Partial<ContainerSummary> = {}): ContainerSummary => ({
  id: `${name}-id`.padEnd(64, '0'),
  names: [`/${name}`],
  image: 'busybox:latest',
  imageId: 'sha256:0',
  command: 'sh',
  created: 1000,
  state: 'running',
  status: 'Up 1 second',
  labels: {},
  ports: [],
  networks: ['bridge'],
  ...over,
});
const inProject = (name: string, project: string, over: Partial<ContainerSummary> = {}) =>
  summary(name, { ...over, labels: { 'com.docker.compose.project': project } });
const names = (l: ContainerSummary[]) => l.map(nameOf);

describe('container list rows', () => {
  it('sorts by each column, either way, ties by name', () => {
    const rows = [
      summary('web-10', { created: 3, ipAddresses: ['10.0.0.10'], image: 'b', state: 'exited' }),
      summary('web-9', { created: 1, ipAddresses: ['10.0.0.9'], image: 'a' }),
      summary('db', { created: 2, image: 'c', state: 'created' }),
    ];
    expect(names(sortContainers(rows, parseSort('name')))).toEqual(['db', 'web-9', 'web-10']); // numbers as numbers
    expect(names(sortContainers(rows, parseSort('-name')))).toEqual(['web-10', 'web-9', 'db']);
    expect(names(sortContainers(rows, parseSort('image')))).toEqual(['web-9', 'web-10', 'db']);
    expect(names(sortContainers(rows, parseSort('-created')))).toEqual(['web-10', 'db', 'web-9']);
    expect(names(sortContainers(rows, parseSort('ip')))).toEqual(['web-9', 'web-10', 'db']); // no address last
    expect(names(sortContainers(rows, parseSort('state')))).toEqual(['web-9', 'db', 'web-10']); // running, created, exited
    expect(parseSort('bogus')).toEqual({ key: 'name', desc: false });
    expect(formatSort(parseSort('-ip'))).toBe('-ip');
  });

  it("groups a compose project's containers under one row where its first member sorts, and folds it", () => {
    const rows = sortContainers(
      [summary('alpha'), inProject('shop-web-1', 'shop'), summary('zulu'), inProject('shop-db-1', 'shop', { state: 'exited' }), summary('mid')],
      parseSort('name'),
    );
    const shape = (folded: Set<string>) =>
      groupEntries(rows, folded).map((e) => (e.kind === 'group' ? `[${e.project} ${e.running}/${e.members.length}]` : nameOf(e.c)));
    expect(shape(new Set())).toEqual(['alpha', 'mid', '[shop 1/2]', 'shop-db-1', 'shop-web-1', 'zulu']);
    expect(shape(new Set(['shop']))).toEqual(['alpha', 'mid', '[shop 1/2]', 'zulu']);
  });

  it('filters by state and by name, image, id, project, address or port', () => {
    const rows = [
      summary('a', { ipAddresses: ['10.1.2.3'] }),
      inProject('b', 'shop', { state: 'exited' }),
      summary('c', { ports: [{ privatePort: 80, publicPort: 8080, type: 'tcp' }] }),
    ];
    expect(names(filterContainers(rows, '', 'exited'))).toEqual(['b']);
    expect(names(filterContainers(rows, 'shop', 'all'))).toEqual(['b']);
    expect(names(filterContainers(rows, '10.1', 'all'))).toEqual(['a']);
    expect(names(filterContainers(rows, '808', 'all'))).toEqual(['c']);
  });
});
