// A tenant history of the usual kinds of migration, by turns: a table, a column, an index, a
// constraint. The read-only and new-tenant benchmarks record or run it.
import type { FixtureMigration } from '../engine/fixture';

export function tenantHistory(count: number): FixtureMigration[] {
  return Array.from({ length: count }, (_, i) => {
    const t = `t${Math.floor(i / 4)}`;
    const version = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString().replace(/\D/g, '').slice(0, 14);
    const [up, down] = [
      [
        `CREATE TABLE ${t} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n`,
        `DROP TABLE ${t};\n`,
      ],
      [
        `ALTER TABLE ${t} ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();\n`,
        `ALTER TABLE ${t} DROP COLUMN created_at;\n`,
      ],
      [`CREATE INDEX ${t}_name_idx ON ${t} (name);\n`, `DROP INDEX ${t}_name_idx;\n`],
      [
        `ALTER TABLE ${t} ADD CONSTRAINT ${t}_name_check CHECK (name <> '');\n`,
        `ALTER TABLE ${t} DROP CONSTRAINT ${t}_name_check;\n`,
      ],
    ][i % 4]!;
    return { version, name: `step_${i}`, up: up!, down: down! };
  });
}
