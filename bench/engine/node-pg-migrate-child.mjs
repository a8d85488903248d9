// The node-pg-migrate peer, as an application would use it: one process calls runner() once per
// tenant schema, with that schema as its `schema` (search path and pgmigrations table), reusing
// one connection per lane. Plain JavaScript so that no TypeScript loader is part of what is timed.
// Usage: BENCH_TARGET_URL=postgres://... node node-pg-migrate-child.mjs <dir> <lanes> <like-pattern>
import pg from 'pg';
import { PG_MIGRATE_LOCK_ID, runner } from 'node-pg-migrate';

const [dir, lanesArg, pattern] = process.argv.slice(2);
const lanes = Number(lanesArg);
const url = process.env.BENCH_TARGET_URL;

const admin = new pg.Client({ connectionString: url });
await admin.connect();
const { rows } = await admin.query('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY nspname', [
  pattern,
]);
await admin.end();
const schemas = rows.map((r) => r.nspname);

let next = 0;
let applied = 0;
let calls = 0;
await Promise.all(
  Array.from({ length: lanes }, async (_, lane) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      while (next < schemas.length) {
        const schema = schemas[next++];
        const ran = await runner({
          dbClient: client,
          schema,
          dir,
          migrationsTable: 'pgmigrations',
          direction: 'up',
          migrationLoaderStrategies: [{ extensions: ['.sql'], loader: 'sql' }],
          // Its advisory lock is one well-known id; lanes that run side by side each take their own.
          lockValue: PG_MIGRATE_LOCK_ID + lane,
          log: () => {},
        });
        applied += ran.length;
        calls++;
      }
    } finally {
      await client.end();
    }
  }),
);
console.log(JSON.stringify({ schemas: calls, applied }));
