import type { TemplateInput } from '../schema.js';
import { badge } from './logo.js';

/** Web applications and tools a self-hosting user reaches for first. */
export const apps: TemplateInput[] = [
  {
    id: 'nginx-static',
    name: 'Static site (nginx)',
    description: 'nginx serving the files of a named volume; copy your site into it (skiff cp, or a volume backup restore).',
    logo: badge('NX', '#009639'),
    categories: ['web'],
    parameters: [{ name: 'PORT', label: 'Host port', type: 'port', default: 8080, required: true }],
    compose: `services:
  web:
    image: nginx:alpine
    restart: unless-stopped
    ports:
      - "\${PORT}:80"
    volumes:
      - site:/usr/share/nginx/html
volumes:
  site: {}
`,
  },
  {
    id: 'wordpress',
    name: 'WordPress',
    description: 'WordPress with its own MariaDB database.',
    logo: badge('WP', '#21759b'),
    categories: ['cms', 'web'],
    parameters: [
      { name: 'PORT', label: 'Host port', type: 'port', default: 8080, required: true },
      { name: 'DB_PASSWORD', label: 'Database password', type: 'password', generate: { length: 32 } },
      { name: 'DB_ROOT_PASSWORD', label: 'Database root password', type: 'password', generate: { length: 32 } },
    ],
    compose: `services:
  wordpress:
    image: wordpress:6
    restart: unless-stopped
    depends_on: [db]
    environment:
      WORDPRESS_DB_HOST: db
      WORDPRESS_DB_USER: wordpress
      WORDPRESS_DB_NAME: wordpress
      WORDPRESS_DB_PASSWORD: \${DB_PASSWORD}
    ports:
      - "\${PORT}:80"
    volumes:
      - html:/var/www/html
  db:
    image: mariadb:11
    restart: unless-stopped
    environment:
      MARIADB_DATABASE: wordpress
      MARIADB_USER: wordpress
      MARIADB_PASSWORD: \${DB_PASSWORD}
      MARIADB_ROOT_PASSWORD: \${DB_ROOT_PASSWORD}
    volumes:
      - db:/var/lib/mysql
volumes:
  html: {}
  db: {}
`,
  },
  {
    id: 'gitea',
    name: 'Gitea',
    description: 'A lightweight git forge (SQLite inside its data volume).',
    logo: badge('Gt', '#609926'),
    categories: ['development'],
    parameters: [
      { name: 'HTTP_PORT', label: 'Web port', type: 'port', default: 3000, required: true },
      { name: 'SSH_PORT', label: 'SSH port', type: 'port', default: 2222, required: true },
    ],
    compose: `services:
  gitea:
    image: gitea/gitea:1
    restart: unless-stopped
    environment:
      USER_UID: "1000"
      USER_GID: "1000"
    ports:
      - "\${HTTP_PORT}:3000"
      - "\${SSH_PORT}:22"
    volumes:
      - data:/data
volumes:
  data: {}
`,
  },
  {
    id: 'uptime-kuma',
    name: 'Uptime Kuma',
    description: 'A self-hosted monitoring tool with status pages.',
    logo: badge('UK', '#5cdd8b'),
    categories: ['monitoring'],
    parameters: [{ name: 'PORT', label: 'Host port', type: 'port', default: 3001, required: true }],
    compose: `services:
  kuma:
    image: louislam/uptime-kuma:1
    restart: unless-stopped
    ports:
      - "\${PORT}:3001"
    volumes:
      - data:/app/data
volumes:
  data: {}
`,
  },
  {
    id: 'grafana',
    name: 'Grafana',
    description: 'Dashboards and alerting for metrics and logs.',
    logo: badge('Gf', '#f46800'),
    categories: ['monitoring'],
    parameters: [
      { name: 'PORT', label: 'Host port', type: 'port', default: 3000, required: true },
      { name: 'ADMIN_PASSWORD', label: 'Admin password', type: 'password', generate: { length: 24 } },
    ],
    compose: `services:
  grafana:
    image: grafana/grafana-oss:11
    restart: unless-stopped
    environment:
      GF_SECURITY_ADMIN_PASSWORD: \${ADMIN_PASSWORD}
    ports:
      - "\${PORT}:3000"
    volumes:
      - data:/var/lib/grafana
volumes:
  data: {}
`,
  },
  {
    id: 'minio',
    name: 'MinIO',
    description: 'S3-compatible object storage with its web console.',
    logo: badge('S3', '#c72e49'),
    categories: ['storage'],
    parameters: [
      { name: 'MINIO_ROOT_USER', label: 'Root user', default: 'admin', required: true, pattern: '[a-zA-Z0-9_.-]{3,}' },
      { name: 'MINIO_ROOT_PASSWORD', label: 'Root password', type: 'password', generate: { length: 32 } },
      { name: 'API_PORT', label: 'S3 API port', type: 'port', default: 9000, required: true },
      { name: 'CONSOLE_PORT', label: 'Console port', type: 'port', default: 9001, required: true },
    ],
    compose: `services:
  minio:
    image: minio/minio:latest
    restart: unless-stopped
    command: ["server", "/data", "--console-address", ":9001"]
    environment:
      MINIO_ROOT_USER: \${MINIO_ROOT_USER}
      MINIO_ROOT_PASSWORD: \${MINIO_ROOT_PASSWORD}
    ports:
      - "\${API_PORT}:9000"
      - "\${CONSOLE_PORT}:9001"
    volumes:
      - data:/data
volumes:
  data: {}
`,
  },
  {
    id: 'adminer',
    name: 'Adminer',
    description: 'A database manager in one page (PostgreSQL, MySQL/MariaDB, SQLite and more).',
    logo: badge('Ad', '#34567c'),
    categories: ['database', 'tools'],
    parameters: [{ name: 'PORT', label: 'Host port', type: 'port', default: 8081, required: true }],
    compose: `services:
  adminer:
    image: adminer:latest
    restart: unless-stopped
    ports:
      - "\${PORT}:8080"
`,
  },
];
