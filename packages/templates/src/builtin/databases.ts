import type { TemplateInput } from '../schema.js';
import { badge } from './logo.js';

/**
 * Database templates. Ports are published on 127.0.0.1 by default: a database reachable
 * from every interface is a choice to make on purpose (set HOST_IP).
 */
const hostIp = { name: 'HOST_IP', label: 'Listen address', type: 'string', default: '127.0.0.1', pattern: '[0-9a-fA-F.:]+' } as const;

export const databases: TemplateInput[] = [
  {
    id: 'postgres',
    name: 'PostgreSQL',
    description: 'The PostgreSQL relational database, with its data in a named volume.',
    logo: badge('PG', '#336791'),
    categories: ['database'],
    parameters: [
      { name: 'VERSION', label: 'Version', type: 'select', options: ['17', '16', '15'], default: '17' },
      { name: 'POSTGRES_USER', label: 'User', default: 'postgres', required: true, pattern: '[a-zA-Z_][a-zA-Z0-9_]*' },
      { name: 'POSTGRES_DB', label: 'Database', default: 'app', required: true, pattern: '[a-zA-Z_][a-zA-Z0-9_]*' },
      { name: 'POSTGRES_PASSWORD', label: 'Password', type: 'password', generate: { length: 32 } },
      hostIp,
      { name: 'PORT', label: 'Host port', type: 'port', default: 5432, required: true },
    ],
    compose: `services:
  db:
    image: postgres:\${VERSION}-alpine
    restart: unless-stopped
    environment:
      POSTGRES_USER: \${POSTGRES_USER}
      POSTGRES_DB: \${POSTGRES_DB}
      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD}
    ports:
      - "\${HOST_IP}:\${PORT}:5432"
    volumes:
      - data:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U $$POSTGRES_USER"]
      interval: 10s
      retries: 5
volumes:
  data: {}
`,
  },
  {
    id: 'mariadb',
    name: 'MariaDB',
    description: 'The MariaDB server (MySQL-compatible), with a database and a user of its own.',
    logo: badge('MDB', '#003545'),
    categories: ['database'],
    parameters: [
      { name: 'MARIADB_DATABASE', label: 'Database', default: 'app', required: true, pattern: '[a-zA-Z0-9_]+' },
      { name: 'MARIADB_USER', label: 'User', default: 'app', required: true, pattern: '[a-zA-Z0-9_]+' },
      { name: 'MARIADB_PASSWORD', label: 'User password', type: 'password', generate: { length: 32 } },
      { name: 'MARIADB_ROOT_PASSWORD', label: 'Root password', type: 'password', generate: { length: 32 } },
      hostIp,
      { name: 'PORT', label: 'Host port', type: 'port', default: 3306, required: true },
    ],
    compose: `services:
  db:
    image: mariadb:11
    restart: unless-stopped
    environment:
      MARIADB_DATABASE: \${MARIADB_DATABASE}
      MARIADB_USER: \${MARIADB_USER}
      MARIADB_PASSWORD: \${MARIADB_PASSWORD}
      MARIADB_ROOT_PASSWORD: \${MARIADB_ROOT_PASSWORD}
    ports:
      - "\${HOST_IP}:\${PORT}:3306"
    volumes:
      - data:/var/lib/mysql
volumes:
  data: {}
`,
  },
  {
    id: 'mysql',
    name: 'MySQL',
    description: 'The MySQL 8.4 LTS server with a database and a user of its own.',
    logo: badge('My', '#00758f'),
    categories: ['database'],
    parameters: [
      { name: 'MYSQL_DATABASE', label: 'Database', default: 'app', required: true, pattern: '[a-zA-Z0-9_]+' },
      { name: 'MYSQL_USER', label: 'User', default: 'app', required: true, pattern: '[a-zA-Z0-9_]+' },
      { name: 'MYSQL_PASSWORD', label: 'User password', type: 'password', generate: { length: 32 } },
      { name: 'MYSQL_ROOT_PASSWORD', label: 'Root password', type: 'password', generate: { length: 32 } },
      hostIp,
      { name: 'PORT', label: 'Host port', type: 'port', default: 3306, required: true },
    ],
    compose: `services:
  db:
    image: mysql:8.4
    restart: unless-stopped
    environment:
      MYSQL_DATABASE: \${MYSQL_DATABASE}
      MYSQL_USER: \${MYSQL_USER}
      MYSQL_PASSWORD: \${MYSQL_PASSWORD}
      MYSQL_ROOT_PASSWORD: \${MYSQL_ROOT_PASSWORD}
    ports:
      - "\${HOST_IP}:\${PORT}:3306"
    volumes:
      - data:/var/lib/mysql
volumes:
  data: {}
`,
  },
  {
    id: 'redis',
    name: 'Redis',
    description: 'Redis with a password and append-only persistence.',
    logo: badge('R', '#d82c20'),
    categories: ['database', 'cache'],
    parameters: [
      { name: 'REDIS_PASSWORD', label: 'Password', type: 'password', generate: { length: 32 } },
      hostIp,
      { name: 'PORT', label: 'Host port', type: 'port', default: 6379, required: true },
    ],
    compose: `services:
  redis:
    image: redis:7-alpine
    restart: unless-stopped
    command: ["redis-server", "--requirepass", "\${REDIS_PASSWORD}", "--appendonly", "yes"]
    ports:
      - "\${HOST_IP}:\${PORT}:6379"
    volumes:
      - data:/data
volumes:
  data: {}
`,
  },
  {
    id: 'mongodb',
    name: 'MongoDB',
    description: 'The MongoDB document database with a root user.',
    logo: badge('M', '#13aa52'),
    categories: ['database'],
    parameters: [
      { name: 'MONGO_INITDB_ROOT_USERNAME', label: 'Root user', default: 'root', required: true, pattern: '[a-zA-Z0-9_]+' },
      { name: 'MONGO_INITDB_ROOT_PASSWORD', label: 'Root password', type: 'password', generate: { length: 32 } },
      hostIp,
      { name: 'PORT', label: 'Host port', type: 'port', default: 27017, required: true },
    ],
    compose: `services:
  mongo:
    image: mongo:8
    restart: unless-stopped
    environment:
      MONGO_INITDB_ROOT_USERNAME: \${MONGO_INITDB_ROOT_USERNAME}
      MONGO_INITDB_ROOT_PASSWORD: \${MONGO_INITDB_ROOT_PASSWORD}
    ports:
      - "\${HOST_IP}:\${PORT}:27017"
    volumes:
      - data:/data/db
volumes:
  data: {}
`,
  },
];
