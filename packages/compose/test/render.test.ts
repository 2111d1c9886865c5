import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { goDuration, renderProject } from '../src/index.js';
import { load } from './helpers.js';

/** every kind of value the model holds, in the syntaxes that make them */
const RICH = `
name: Rich
services:
  web:
    image: \${IMAGE:-busybox}
    build:
      context: ./app
      dockerfile: Dockerfile.dev
      args: [VERSION=1, FROM_ENV]
      target: dev
    command: sh -c 'echo "$$HOME costs $$5" \${GREETING}'
    entrypoint: ["/init", "--"]
    environment:
      - A=1
      - EMPTY=
      - FLAG=yes
      - OCTAL=0755
      - FROM_ENV
    ports: ["8080:80", "127.0.0.1::81/udp", "9000-9001:9000-9001", "[::1]:7000-7001:70", {target: 90, published: "9090", host_ip: 127.0.0.2}]
    volumes:
      - ./data:/data:ro
      - named:/n
      - /anon
      - type: volume
        target: /anon-ro
        read_only: true
      - type: bind
        source: ./x
        target: /x
      - type: bind
        source: /with:colon
        target: /c
        bind: {create_host_path: true}
      - type: tmpfs
        target: /t
        tmpfs: {size: 1048576}
    tmpfs: ["/run:size=64m", /run2]
    networks:
      front: {aliases: [w, www], ipv4_address: 10.9.0.9}
      default:
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_started, required: false, restart: true}
    restart: on-failure:3
    healthcheck:
      test: curl -f localhost
      interval: 1m30s
      timeout: 1.5s
      start_period: 500ms
      start_interval: 100us
      retries: 4
    labels: {a.b: c, empty: ""}
    hostname: h
    working_dir: /w
    user: "1000"
    deploy: {replicas: 2, resources: {limits: {memory: 64m, cpus: "0.5"}}}
    stop_signal: SIGINT
    stop_grace_period: 1500ms
    tty: true
    stdin_open: true
    init: false
    read_only: true
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    extra_hosts: ["db.local:10.0.0.1", "v6=::1"]
    dns: [1.1.1.1]
    pull_policy: always
    shm_size: 64m
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 64}
    sysctls: {net.core.somaxconn: 1024}
    cpuset: "0"
  db:
    image: postgres
    network_mode: none
    healthcheck: {disable: true}
  cache:
    image: redis
    profiles: [extra]
    links: [db]
networks:
  front: {driver: bridge, internal: true, ipam: {config: [{subnet: 10.9.0.0/24, gateway: 10.9.0.1}]}, labels: [x=y]}
  outside: {external: true, name: corp}
volumes:
  named: {labels: {keep: "1"}}
  ext: {external: true}
`;

const env = { GREETING: 'hi $there', FROM_ENV: 'env-value' };

describe('renderProject (compose config)', () => {
  it('gives a document that loads again to the same project, with nothing left to interpolate', async () => {
    const first = await load(RICH, { env, profiles: ['extra'] });
    const text = stringify(renderProject(first), { version: '1.1' });
    // loaded without the variables: everything was interpolated already, `$` came back as `$$`
    const second = await load(text, { profiles: ['extra'] });
    expect(second).toEqual(first);
    expect(second.services.web!.command).toEqual(['sh', '-c', 'echo "$HOME costs $5" hi $there']);
    expect(text).toContain('- echo "$$HOME costs $$5" hi $$there\n');
    // YAML 1.1's booleans and octals stay strings for 1.x readers
    expect(text).toMatch(/FLAG: "yes"\n/);
    expect(text).toMatch(/OCTAL: "0755"\n/);
  });

  it('leaves defaults out and uses the short syntaxes where they say it all', async () => {
    const doc = renderProject(await load('services:\n  web:\n    image: x\n    depends_on: [db]\n  db:\n    image: y\n    ports: ["80"]\n'));
    expect(doc).toEqual({
      name: 'notes',
      services: {
        web: { image: 'x', networks: { default: null }, depends_on: ['db'] },
        db: { image: 'y', ports: ['80/tcp'], networks: { default: null } },
      },
      networks: { default: { name: 'notes_default' } },
    });
  });

  it('writes durations as Go does, exactly', () => {
    expect([0, 90e9, 1.5e9, 5e8, 1e5, 7, 3600e9 * 2].map(goDuration)).toEqual(['0s', '90s', '1500ms', '500ms', '100us', '7ns', '2h']);
  });
});
