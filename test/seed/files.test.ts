// Seed files are checked completely before any connection: every problem, with file and row.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { rejection } from '../support/errors';
import { displayName, loadSeeds } from '../../src/seed/files';

async function folder(dir: string, files: Record<string, unknown>): Promise<string> {
  const seeds = join(dir, 'seeds');
  await mkdir(seeds, { recursive: true });
  for (const [name, content] of Object.entries(files))
    await writeFile(join(seeds, name), typeof content === 'string' ? content : JSON.stringify(content));
  return seeds;
}

describe('seed files', () => {
  test('are applied in name order and named after their file', async ({ dir }) => {
    const seeds = await folder(dir, {
      '10_late.sql': 'SELECT 1;',
      '02_roles.json': { table: 'roles', key: 'name', rows: [] },
      '01_resources.json': { table: 'resources', key: ['name'], rows: [] },
      'README.md': 'not a seed',
    });
    const sets = await loadSeeds(seeds);
    expect(sets.map((s) => [s.file, s.name])).toEqual([
      ['01_resources.json', 'Resources'],
      ['02_roles.json', 'Roles'],
      ['10_late.sql', 'Late'],
    ]);
    expect(displayName('05_default_settings.sql')).toBe('Default Settings');
  });

  test('report every problem of every file at once, each with its file and row', async ({ dir }) => {
    const seeds = await folder(dir, {
      '01_a.json': {
        table: 'roles',
        key: 'name',
        rows: [{ name: 'x' }, { name: 'x' }, { description: 'no key' }, 'text'],
        colour: 1,
      },
      '02_b.json': '{ "table": ',
      '03_c.json': {
        table: 'policy_rules',
        key: ['role', 'action'],
        references: {
          role: { column: 'role_id', table: 'roles', by: 'name' },
          resource: { table: 'resources', by: ['a', 'b'] },
        },
        rows: [
          { role: 'admin', role_id: 1, action: 'read' },
          { role: 'admin', action: 'write', resource: 'flat' },
        ],
      },
      '04_d.json': { table: 'a.b.c', key: [], rows: {} },
      '05_e.json': { table: 'company.settings', tenant: true, key: 'k', rows: [] },
    });
    const e = await rejection(loadSeeds(seeds));
    expect(e.exitCode).toBe(2);
    const problems = e.message.replace(/^[^:]*: /, '').split('; ');
    expect(problems).toEqual([
      '01_a.json: unknown property "colour" (expected name, table, tenant, key, references, rows, description)',
      '01_a.json: row 2 (name="x"): same key as row 1 (each key may appear once)',
      '01_a.json: row 3 (name=?): key field "name" is missing or null',
      '01_a.json: row 4: must be an object of column values',
      expect.stringMatching(/^02_b\.json: not valid JSON/),
      '03_c.json: reference "resource": "column" must name the column it fills (e.g. "resource_id")',
      '03_c.json: row 1 (role="admin", action="read"): gives both "role" and its column "role_id": give one of them',
      '04_d.json: "table" must be a table name, "name" or "schema.name"',
      '04_d.json: "key" must be a column name or a non-empty array of them',
      '04_d.json: "rows" must be an array of objects',
      '05_e.json: "table" of a tenant set must not name a schema: it is applied in every tenant schema',
    ]);
  });

  test('a .sql seed may not end the transaction it runs in', async ({ dir }) => {
    const seeds = await folder(dir, {
      '01_x.sql': '-- setup\nINSERT INTO t VALUES (1);\nCOMMIT;\nDO $$ BEGIN PERFORM 1; END $$;\n',
    });
    expect((await rejection(loadSeeds(seeds))).message).toContain('01_x.sql:3: COMMIT is not allowed');
  });

  test('a missing or empty folder says which folder and what to set', async ({ dir }) => {
    expect((await rejection(loadSeeds(join(dir, 'nope')))).message).toBe(
      `Seeds folder ${join(dir, 'nope')} does not exist`,
    );
    const empty = await folder(dir, {});
    const e = await rejection(loadSeeds(empty));
    expect(e.message).toContain('holds no seed files');
    expect(e.advice).toContain('seedsDir');
  });
});
