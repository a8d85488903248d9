// `report --html FILE`: one page, self-contained, that shows per target the tenant schemas per
// version, the dirty, failed and drifted schemas, and the last run. Checked as written, and as a
// real browser draws it: the bars exist, in the database's order, as long as their counts.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '../support/fixtures';
import { envFor } from '../support/cli';
import { bars, NO_CHROMIUM, render } from '../support/chromium';
import type { TestDatabase } from '../support/db';
import { inProcess } from '../support/in-process';
import { BASIC, createTenants, writeMigrations } from '../support/migrations';
import { notRun } from '../support/not-run';
import { mixedTenants, versionCounts, withTwoTargets } from '../support/overview';

/** mixedTenants, and company_a changed by hand: a column no migration made. */
async function setup(db: TestDatabase, dir: string) {
  const env = await mixedTenants(db, dir);
  await db.query('ALTER TABLE company_a.employees ADD COLUMN nickname text');
  const file = join(dir, 'report.html');
  const r = await inProcess(['report', '--html', file], env);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe(`4 tenant schemas, 3 behind, 1 dirty, 2 failed, 3 drifted\nReport written to ${file}\n`);
  return { env, file, html: await readFile(file, 'utf8') };
}

/** `data-list="kind" data-count="N"`: how many the page says it lists. */
const listed = (html: string, kind: string) =>
  Number(new RegExp(`data-list="${kind}" data-count="(\\d+)"`).exec(html)?.[1]);
const rowsOf = (html: string, kind: string) => {
  const table = new RegExp(`<table data-list="${kind}"[^>]*>(.*?)</table>`, 's').exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr><td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);
};
const histogram = (html: string) =>
  [...html.matchAll(/data-version="([^"]+)" data-count="(\d+)"/g)].map((m) => ({
    version: m[1]!,
    schemas: Number(m[2]),
  }));
const expectedBars = async (db: TestDatabase) =>
  (await versionCounts(db)).map((v) => ({ version: v.version ?? 'none', schemas: v.schemas }));

describe('report --html', () => {
  test('writes one page that fetches nothing and shows what the database records', async ({ db, dir }) => {
    const { env, html } = await setup(db, dir);
    // Nothing to fetch: no script, no link, no image, no URL; and a policy that forbids fetching.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|href=|url\(|@import|https?:/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);

    expect(histogram(html)).toEqual(await expectedBars(db));
    expect(rowsOf(html, 'dirty')).toEqual(['company_c']);
    expect(rowsOf(html, 'failed')).toEqual(['company_b', 'company_c']);
    // The drifted schemas are the ones `drift` names.
    const drift = JSON.parse((await inProcess(['drift', '--json'], env)).stdout) as {
      groups: Array<{ schemas: string[] }>;
    };
    expect(rowsOf(html, 'drifted').sort()).toEqual(drift.groups.flatMap((g) => g.schemas).sort());
    expect(rowsOf(html, 'drifted')).toContain('company_a');

    // The last run as recorded: its id, its stages (the global migration, then the tenant ones), its slowest schemas.
    const run = await db.query<{ id: string; summary: { stages: unknown[] } }>(
      'SELECT id, summary FROM migrate_tool.runs ORDER BY id DESC LIMIT 1',
    );
    expect(html).toContain(`data-run="${run.rows[0]!.id}"`);
    expect(listed(html, 'stages')).toBe(run.rows[0]!.summary.stages.length);
    expect(rowsOf(html, 'stages')).toEqual(['1', '2']); // the global migration, then the tenant ones
    expect(rowsOf(html, 'slowest').sort()).toEqual(['company_a', 'company_b', 'company_c', 'public']);
  });

  test('after a staged rollout, its stages as recorded, the last run being its last wave', async ({ db, dir }) => {
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, BASIC) };
    await createTenants(db, 'company_a', 'company_b', 'company_c', 'company_d', 'company_e');
    expect((await inProcess(['up', '--canary', 'company_a', '--waves', '2'], env)).code).toBe(0);
    const file = join(dir, 'rollout.html');
    expect((await inProcess(['report', '--html', file, '--no-drift'], env)).code).toBe(0);
    const html = await readFile(file, 'utf8');
    expect(rowsOf(html, 'rollout')).toEqual(['canary', 'wave 1/2', 'wave 2/2']);
    const runs = await db.query<{ stage: string; migrated: number }>(
      `SELECT summary->'rollout'->>'stage' AS stage, (summary->'counts'->>'migrated')::int AS migrated FROM migrate_tool.runs ORDER BY id`,
    );
    const migrated = [
      ...html.matchAll(/<tr><td>(canary|wave [^<]+)<\/td><td>[^<]*<\/td><td class="num">(\d+)<\/td>/g),
    ].map((m) => ({
      stage: m[1],
      migrated: Number(m[2]),
    }));
    expect(migrated).toEqual(runs.rows);
    expect(html).toMatch(/<p data-run="\d+">up \(wave 2\/2 of the rollout\) started /);
  });

  test('a global migration that failed is listed, as public', async ({ db, dir }) => {
    const files = { ...BASIC, '20250101000500_broken.up.sql': 'SELECT 1/0;', '20250101000500_broken.down.sql': '' };
    const env = { ...envFor(db.url), MIGRATIONS_DIR: await writeMigrations(dir, files) };
    expect((await inProcess(['up'], env)).code).toBe(1);
    const file = join(dir, 'public.html');
    expect((await inProcess(['report', '--html', file, '--no-drift'], env)).code).toBe(0);
    const html = await readFile(file, 'utf8');
    expect(rowsOf(html, 'failed')).toEqual(['public']);
    expect(html).toContain('failed <b data-fact="failed">1</b>');
    expect(html).toContain('20250101000500_broken.up.sql:1: division by zero');
  });

  test('a missing --html or a folder that does not exist is a usage error, before any connection', async ({ dir }) => {
    const env = { ...envFor('postgres://nobody@127.0.0.1:1/none'), MIGRATIONS_DIR: dir };
    const none = await inProcess(['report'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      'error: report needs --html FILE; fix: write e.g. migrate-tool report --html report.html',
    );
    const nowhere = await inProcess(['report', '--html', join(dir, 'no/such/report.html')], env);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain(`does not exist; fix: create ${join(dir, 'no/such')}`);
  });

  test('over a fleet, one page with a section and a histogram per target; a target not read says why', async ({
    db,
    dir,
  }) => {
    await withTwoTargets(db, dir, async (targets, env, us) => {
      // A third target whose database does not exist: its section says so, the others are drawn.
      const fleet = JSON.parse(await readFile(targets, 'utf8')) as { targets: Array<{ name: string; url: string }> };
      fleet.targets.push({ name: 'gone', url: fleet.targets[0]!.url.replace(/\/[^/]+$/, '/no_such_database') });
      await writeFile(targets, JSON.stringify(fleet));
      const file = join(dir, 'fleet.html');
      const r = await inProcess(['report', '--html', file, '--no-drift', '--targets', targets], env);
      expect(r.code).toBe(1); // a target failed: the fleet's exit code, the page written all the same
      expect(r.stdout).toContain(`Report written to ${file} (3 targets)`);
      const html = await readFile(file, 'utf8');
      const sections = html.split('<section class="target"').slice(1);
      expect(sections.map((s) => /data-target="([^"]+)"/.exec(s)?.[1])).toEqual(['eu', 'us', 'gone']);
      expect(histogram(sections[0]!)).toEqual(await expectedBars(db));
      expect(histogram(sections[1]!)).toEqual(await expectedBars(us));
      expect(sections[2]).toMatch(/<p class="error">Not read: .*no_such_database.* does not exist/);
    });
  });

  test.skipIf(Boolean(NO_CHROMIUM))(
    notRun(
      'renders in a real browser: the bars are drawn in order, in their colours, as long as their counts',
      NO_CHROMIUM,
    ),
    async ({ db, dir }) => {
      const { file } = await setup(db, dir);
      const { dom, png } = await render(file);
      const expected = await expectedBars(db);
      expect(histogram(dom)).toEqual(expected); // the browser parsed the page as written

      const drawn = bars(png, { latest: [0x2e, 0x7d, 0x32], older: [0xd9, 0x77, 0x06], none: [0x94, 0xa3, 0xb8] });
      expect(drawn.map((b) => b.color)).toEqual(
        expected.map((e) => (e.version === 'none' ? 'none' : e.version === expected[0]!.version ? 'latest' : 'older')),
      );
      // The track is 480 px wide; the longest bar fills it and the others in proportion (a bar is at least 2 px).
      const max = Math.max(...expected.map((e) => e.schemas));
      drawn.forEach((b, i) =>
        expect(Math.abs(b.width - Math.max(2, (480 * expected[i]!.schemas) / max))).toBeLessThanOrEqual(2),
      );
    },
  );
});
