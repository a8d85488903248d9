// Database helpers for benchmarks: admin connections, identical copies of a template database,
// and running SQL through psql the way an operator would.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { withClient } from '../../scripts/lib/pg-client';

export { withClient };

export function urlFor(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));
}

/** A new, empty database (or an identical copy of `template`), replacing any of that name. */
export async function createDatabase(
  adminUrl: string,
  name: string,
  template?: string,
  strategy?: 'FILE_COPY',
): Promise<string> {
  await withClient(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await c.query(
      `CREATE DATABASE ${pg.escapeIdentifier(name)}${template ? ` TEMPLATE ${pg.escapeIdentifier(template)}` : ''}${strategy ? ` STRATEGY ${strategy}` : ''}`,
    );
  });
  return urlFor(adminUrl, name);
}

let psqlPath: string | null | undefined;

/** The psql client on PATH, if there is one. */
export function psql(): string | null {
  if (psqlPath === undefined) {
    try {
      psqlPath = execFileSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' }).trim() || null;
    } catch {
      psqlPath = null;
    }
  }
  return psqlPath;
}

/** Runs a SQL script through psql (stop at the first error), or through pg's simple protocol without psql. */
export async function runScript(url: string, sql: string): Promise<void> {
  const bin = psql();
  if (!bin) {
    await withClient(url, (c) => c.query(sql));
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(bin, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}: ${stderr.trim()}`))));
    child.stdin.end(sql);
  });
}
