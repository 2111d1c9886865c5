import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * An https server on 127.0.0.1 with a throw-away self-signed certificate, serving what the
 * catalogue fetcher must accept or refuse. The agent trusts the certificate through
 * NODE_EXTRA_CA_CERTS, so its real TLS verification runs.
 */
export interface CatalogueServer {
  url: string;
  caFile: string;
  /** path → [content type, body]; a body of `null` with a location redirects there */
  routes: Map<string, { type?: string; body?: string | Buffer; location?: string }>;
  close(): void;
}

export async function startCatalogueServer(): Promise<CatalogueServer> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-tpl-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
    ].concat(['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']),
    { stdio: 'ignore' },
  );
  const routes: CatalogueServer['routes'] = new Map();
  const server: Server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    const r = routes.get(req.url ?? '');
    if (!r) {
      res.writeHead(404).end();
      return;
    }
    if (r.location) {
      res.writeHead(302, { location: r.location }).end();
      return;
    }
    res.writeHead(200, { 'content-type': r.type ?? 'application/yaml' }).end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: join(dir, 'cert.pem'),
    routes,
    close() {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** a catalogue of templates on the offline test images: a static site on skiff-test/web and a busybox service with a password */
export function testCatalogue(registry: string, subnets: string[]): string {
  return `version: 1
name: Test catalogue
templates:
  - id: site
    name: Static site
    description: busybox httpd serving a page with a title
    categories: [web]
    parameters:
      - { name: PORT, type: port, required: true }
      - { name: TITLE, type: string, default: hello }
      - { name: SUBNET, type: select, options: [${subnets.join(', ')}], default: ${subnets[0]} }
    compose: |
      services:
        web:
          image: ${registry}/skiff-test/web:latest
          command: ["sh", "-c", "mkdir -p /www && printf '%s' \\"$$TITLE\\" > /www/index.html && exec httpd -f -p 80 -h /www"]
          environment:
            TITLE: \${TITLE}
          ports:
            - "127.0.0.1:\${PORT}:80"
          stop_grace_period: 1s
      networks:
        default:
          ipam:
            config:
              - subnet: \${SUBNET}
  - id: keeper
    name: Secret keeper
    description: busybox holding a generated password
    parameters:
      - { name: PASS, type: password, generate: { length: 40 } }
      - { name: NOTE, type: string, default: none }
      - { name: SUBNET, type: select, options: [${subnets.join(', ')}], default: ${subnets[0]} }
    compose: |
      services:
        app:
          image: ${registry}/skiff-test/busybox:latest
          command: ["sleep", "600"]
          environment:
            PASS: \${PASS}
            NOTE: \${NOTE}
          stop_grace_period: 1s
      networks:
        default:
          ipam:
            config:
              - subnet: \${SUBNET}
  - id: hostbind
    name: Host bind
    description: binds a host directory (an operator must be refused)
    compose: |
      services:
        app:
          image: ${registry}/skiff-test/busybox:latest
          volumes:
            - /etc:/host-etc:ro
`;
}
