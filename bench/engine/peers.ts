// The contenders migrate-tool is measured against, each run on its own fresh copy of the database:
// the DO-loop floor through psql, node-pg-migrate's runner() per schema, and dbmate per schema.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { psql, withClient } from '../lib/db';
import { mustSucceed, runProcess, type ProcessRun } from '../lib/measure';
import { doLoopScript, PENDING, TENANT_LIKE } from './fixture';

export interface Timing {
  ms: number;
  peakRssMb?: number;
  /** CPU time of the contender's own process (not the server's). */
  cpuMs?: number;
  /** Schemas the contender was asked to migrate. */
  schemas: number;
}

/** The floor: one DO block per migration, sent through psql (or pg when there is no psql). */
export async function runFloor(url: string): Promise<Timing & { client: string }> {
  const script = doLoopScript(PENDING);
  const schemas = await countSchemas(url);
  const bin = psql();
  if (!bin) {
    const started = performance.now();
    await withClient(url, (c) => c.query(script));
    return { ms: performance.now() - started, schemas, client: 'pg (no psql on PATH)' };
  }
  const run = mustSucceed(
    'psql',
    await runProcess(bin, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url], { input: script }),
  );
  return { ms: run.ms, schemas, client: 'psql' };
}

const CHILD = fileURLToPath(new URL('./node-pg-migrate-child.mjs', import.meta.url));

/** node-pg-migrate's runner(), once per schema, `lanes` schemas at a time, in one Node process. */
export async function runNodePgMigrate(url: string, dir: string, lanes: number): Promise<Timing> {
  const run = mustSucceed(
    'node-pg-migrate',
    await runProcess(process.execPath, [CHILD, dir, String(lanes), TENANT_LIKE], {
      env: { ...process.env, BENCH_TARGET_URL: url },
    }),
  );
  const { schemas, applied } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    schemas: number;
    applied: number;
  };
  if (applied !== schemas * PENDING.length)
    throw new Error(
      `node-pg-migrate applied ${applied} migrations over ${schemas} schemas, expected ${PENDING.length} each`,
    );
  return { ms: run.ms, peakRssMb: run.peakRssMb, cpuMs: run.cpuMs, schemas };
}

export function dbmateBinary(): string {
  const require = createRequire(import.meta.url);
  return require.resolve(
    `@dbmate/${process.platform}-${process.arch}/bin/dbmate${process.platform === 'win32' ? '.exe' : ''}`,
  );
}

/**
 * dbmate, one process per schema with search_path in the URL, `lanes` at a time. The binary is
 * called directly (npm's wrapper adds a Node start-up per call) and the schema dump is off, as
 * no other contender dumps a schema.
 */
export async function runDbmate(url: string, dir: string, schemas: string[], lanes: number): Promise<Timing> {
  const bin = dbmateBinary();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < schemas.length) {
        const schema = schemas[next++]!;
        const target = new URL(url);
        target.searchParams.set('sslmode', 'disable');
        target.searchParams.set('search_path', schema);
        // The URL goes through the environment, not the argument list: it may hold a password.
        const run: ProcessRun = await runProcess(bin, ['--migrations-dir', dir, '--no-dump-schema', 'migrate'], {
          env: { PATH: process.env.PATH, DATABASE_URL: target.toString() },
          // A wrapper per call would be charged to dbmate; its memory is not in question.
          measureRss: false,
        });
        mustSucceed(`dbmate in ${schema}`, run);
      }
    }),
  );
  return { ms: performance.now() - started, schemas: schemas.length };
}

export async function tenantSchemas(url: string): Promise<string[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ nspname: string }>(
      'SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY nspname',
      [TENANT_LIKE],
    );
    return rows.map((r) => r.nspname);
  });
}

async function countSchemas(url: string): Promise<number> {
  return (await tenantSchemas(url)).length;
}
