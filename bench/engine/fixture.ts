// The engine benchmark's fixture: a tenant baseline (the sample application's four tenant tables),
// three pending tenant migrations, the same SQL laid out for each tool, and checks that a run
// really applied them in every schema.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface FixtureMigration {
  version: string;
  name: string;
  up: string;
  down: string;
}

/** Already applied everywhere before the benchmark starts, and recorded by every tool. */
export const BASELINE: FixtureMigration = {
  version: '20250101000000',
  name: 'init_tenant',
  up: `CREATE TABLE branches (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  address text
);
CREATE TABLE employees (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  email text NOT NULL UNIQUE,
  role_name text NOT NULL,
  branch_id uuid REFERENCES branches (id) ON DELETE SET NULL,
  created_at timestamptz(6) NOT NULL DEFAULT now()
);
CREATE TABLE services (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  duration_minutes integer NOT NULL,
  price_cents integer NOT NULL
);
CREATE TABLE appointments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_name text NOT NULL,
  starts_at timestamptz(6) NOT NULL,
  status text NOT NULL DEFAULT 'booked',
  employee_id uuid NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
  service_id uuid NOT NULL REFERENCES services (id) ON DELETE RESTRICT,
  branch_id uuid NOT NULL REFERENCES branches (id) ON DELETE CASCADE
);
CREATE INDEX appointments_starts_at_idx ON appointments (starts_at);
`,
  down: 'DROP TABLE appointments, services, employees, branches;\n',
};

/** What the benchmark times: add a column, create a table, create an index. */
export const PENDING: FixtureMigration[] = [
  {
    version: '20250301000000',
    name: 'employee_phone',
    up: 'ALTER TABLE employees ADD COLUMN phone text;\n',
    down: 'ALTER TABLE employees DROP COLUMN phone;\n',
  },
  {
    version: '20250302000000',
    name: 'reviews',
    up: `CREATE TABLE reviews (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  appointment_id uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
  rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
  comment text,
  created_at timestamptz(6) NOT NULL DEFAULT now()
);
`,
    down: 'DROP TABLE reviews;\n',
  },
  {
    version: '20250303000000',
    name: 'appointments_employee_starts_at_idx',
    up: 'CREATE INDEX appointments_employee_id_starts_at_idx ON appointments (employee_id, starts_at);\n',
    down: 'DROP INDEX appointments_employee_id_starts_at_idx;\n',
  },
];

/** A few rows per tenant table, so the index build and the foreign key have something to read. */
export const SEED_SQL = `
INSERT INTO branches (name, address) SELECT 'Branch ' || i, i || ' Main Street' FROM generate_series(1, 2) i;
INSERT INTO employees (name, email, role_name, branch_id)
  SELECT 'Employee ' || i, 'employee' || i || '@example.com', 'staff', (SELECT id FROM branches ORDER BY name LIMIT 1)
  FROM generate_series(1, 5) i;
INSERT INTO services (name, duration_minutes, price_cents) SELECT 'Service ' || i, 30 * i, 2500 * i FROM generate_series(1, 4) i;
INSERT INTO appointments (customer_name, starts_at, employee_id, service_id, branch_id)
  SELECT 'Customer ' || i, now() + i * interval '1 hour',
         (SELECT id FROM employees ORDER BY email OFFSET i % 5 LIMIT 1),
         (SELECT id FROM services ORDER BY name OFFSET i % 4 LIMIT 1),
         (SELECT id FROM branches ORDER BY name LIMIT 1)
  FROM generate_series(1, 30) i;
`;

export const TENANT_PREFIX = 'company_';
/** LIKE pattern for the tenant schemas, with the underscore taken literally. */
export const TENANT_LIKE = 'company\\_%';

export function schemaName(i: number): string {
  return `${TENANT_PREFIX}${String(i).padStart(4, '0')}`;
}

const file = (m: FixtureMigration) => `${m.version}_${m.name}`;

/** migrate-tool's layout: tenant migrations in `tenant/`, migrate.sum written afterwards by `hash`. */
export async function writeMigrateToolDir(dir: string, migrations: FixtureMigration[]): Promise<string> {
  await mkdir(join(dir, 'tenant'), { recursive: true });
  for (const m of migrations) {
    await writeFile(join(dir, 'tenant', `${file(m)}.up.sql`), m.up);
    await writeFile(join(dir, 'tenant', `${file(m)}.down.sql`), m.down);
  }
  return dir;
}

/** node-pg-migrate's `sql` loader: `.up.sql`/`.down.sql` pairs. */
export async function writeNodePgMigrateDir(dir: string, migrations: FixtureMigration[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const m of migrations) {
    await writeFile(join(dir, `${file(m)}.up.sql`), m.up);
    await writeFile(join(dir, `${file(m)}.down.sql`), m.down);
  }
  return dir;
}

/** dbmate: one file per migration with `-- migrate:up` and `-- migrate:down` sections. */
export async function writeDbmateDir(dir: string, migrations: FixtureMigration[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const m of migrations)
    await writeFile(join(dir, `${file(m)}.sql`), `-- migrate:up\n${m.up}\n-- migrate:down\n${m.down}`);
  return dir;
}

/** The operations guide's method: one DO block per migration, looping over the tenant schemas. */
export function doLoopScript(migrations: FixtureMigration[]): string {
  return migrations
    .map((m) => loopBlock(`PERFORM set_config('search_path', quote_ident(s), true);\n    EXECUTE $sql$${m.up}$sql$;`))
    .join('\n');
}

/**
 * The same in chunks: one DO block, hence one transaction, per migration and `chunk` schemas, which
 * keeps each transaction's locks within a default server's lock table (max_locks_per_transaction).
 */
export function chunkedDoLoopScript(migrations: FixtureMigration[], schemas: number, chunk = 500): string {
  const blocks: string[] = [];
  for (const m of migrations)
    for (let from = 0; from < schemas; from += chunk)
      blocks.push(
        loopBlock(`PERFORM set_config('search_path', quote_ident(s), true);\n    EXECUTE $sql$${m.up}$sql$;`, {
          offset: from,
          limit: chunk,
        }),
      );
  return blocks.join('\n');
}

/**
 * What a tool that tracks nothing would do with per-schema transactions on `sessions` connections:
 * the same SQL, one transaction per schema (asynchronous commit, as migrate-tool's), the schemas
 * dealt out in turn; one script per session. No state, no lock, no checks: the bound below which
 * any tool keeping one transaction per schema cannot go on this machine with that many sessions.
 */
export function parallelFloorScripts(migrations: FixtureMigration[], schemas: number, sessions: number): string[] {
  const width = Math.max(4, String(schemas).length);
  return Array.from({ length: sessions }, (_, w) => {
    const parts = ['SET synchronous_commit = off;'];
    for (let i = 1 + w; i <= schemas; i += sessions) {
      const name = `${TENANT_PREFIX}${String(i).padStart(width, '0')}`;
      parts.push(`BEGIN; SET LOCAL search_path TO ${name};\n${migrations.map((m) => m.up).join('\n')}\nCOMMIT;`);
    }
    return parts.join('\n');
  });
}

/** One DO block running `body` for each tenant schema `s` (or for a slice of them, in name order). */
function loopBlock(body: string, slice?: { offset: number; limit: number }): string {
  const range = slice ? ` LIMIT ${slice.limit} OFFSET ${slice.offset}` : '';
  return `DO $do$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE '${TENANT_LIKE}' ORDER BY nspname${range} LOOP
    ${body}
  END LOOP;
END
$do$;
`;
}

/**
 * Records the baseline as applied for node-pg-migrate (pgmigrations, its own DDL) and dbmate
 * (schema_migrations) in every tenant schema, so that each peer finds exactly three pending
 * migrations, as migrate-tool does.
 */
export function peerBaselineScript(): string {
  return `DO $do$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE '${TENANT_LIKE}' LOOP
    EXECUTE format('CREATE TABLE %I.pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)', s);
    EXECUTE format('INSERT INTO %I.pgmigrations (name, run_on) VALUES (%L, now())', s, '${file(BASELINE)}');
    EXECUTE format('CREATE TABLE %I.schema_migrations (version varchar(128) PRIMARY KEY)', s);
    EXECUTE format('INSERT INTO %I.schema_migrations (version) VALUES (%L)', s, '${BASELINE.version}');
  END LOOP;
END
$do$;
`;
}

export function createSchemasScript(count: number): string {
  return `DO $do$
BEGIN
  FOR i IN 1..${count} LOOP
    EXECUTE format('CREATE SCHEMA %I', '${TENANT_PREFIX}' || lpad(i::text, ${Math.max(4, String(count).length)}, '0'));
  END LOOP;
END
$do$;
`;
}

/** The seed rows in every tenant schema, `chunk` schemas per transaction. */
export function seedScript(schemas = Infinity, chunk = 500): string {
  const body = `PERFORM set_config('search_path', quote_ident(s), true);\n    EXECUTE $sql$${SEED_SQL}$sql$;`;
  if (!Number.isFinite(schemas)) return loopBlock(body);
  const blocks: string[] = [];
  for (let from = 0; from < schemas; from += chunk) blocks.push(loopBlock(body, { offset: from, limit: chunk }));
  return blocks.join('\n');
}
