// `npm run demo`: the main job, start to finish, on a throwaway embedded PostgreSQL. It creates a
// database with three company schemas and runs the real CLI as an operator would, printing what
// the operator sees. No Docker, no installed server.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbedded } from './lib/embedded-postgres';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/migrate-tool.js', import.meta.url));
const company = () => `company_${randomBytes(4).toString('hex')}`;

console.log('Starting an embedded PostgreSQL in a temporary folder...');
const server = await startEmbedded().catch((error: Error) => {
  // One line that says what to do, not a stack trace.
  console.error(`error: could not start the embedded PostgreSQL: ${error.message}`);
  process.exit(1);
});
const admin = new URL(server.url);
try {
  await sql(server.url, 'CREATE DATABASE maindb');
  const maindb = new URL(server.url);
  maindb.pathname = '/maindb';
  const tenants = [company(), company(), company()];
  await sql(maindb.toString(), tenants.map((t) => `CREATE SCHEMA ${t}`).join('; '));
  console.log(`Created database maindb with tenant schemas ${tenants.join(', ')}\n`);

  const env = {
    PATH: process.env.PATH ?? '',
    POSTGRES_HOST: admin.hostname,
    POSTGRES_PORT: admin.port,
    POSTGRES_USER: admin.username,
    POSTGRES_PASSWORD: admin.password,
    POSTGRES_DB_PROD: 'maindb',
    APP_ENV: 'dev',
  };
  const run = (...args: string[]) => {
    console.log(`$ migrate-tool ${args.join(' ')}`);
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, stdio: 'inherit' });
    console.log(`(exit ${r.status})\n`);
    if (r.status !== 0 && !(args[0] === 'status' && r.status === 3)) throw new Error(`migrate-tool ${args[0]} failed`);
  };

  run('up');
  run('version');
  run('status');
  run('down');
  run('status', '--exit-code');
  run('up');
  const late = company();
  await sql(maindb.toString(), `CREATE SCHEMA ${late}`);
  console.log(`A new company signs up: created schema ${late}\n`);
  run('tenants');
  run('up');
  run('version');
} finally {
  await server.stop();
  console.log('Stopped the embedded PostgreSQL.');
}

async function sql(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
