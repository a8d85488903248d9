// A fleet with a Citus coordinator beside a plain PostgreSQL database: a staged rollout (canary on
// the coordinator, then waves across both), status over the fleet, and down over it.
import { runCli } from '../support/cli';
import { citusMissing, citusSchema, citusTitle, describe, expect, test } from '../support/citus';
import { createDatabase } from '../support/db';
import { createTenants, writeMigrations } from '../support/migrations';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FLEET_PASSWORD, fleetDoc } from '../fleet/support';
import { FORWARDED, indexOnWorkers } from './support';

interface RolloutDoc {
  rollout: { canary: string[]; waves: string[][] };
  stages: Array<{ label: string; ok: boolean; failed: number }>;
}

describe.skipIf(citusMissing)(citusTitle('a fleet with a Citus target'), () => {
  test('a rollout with its canary on the coordinator and waves across both targets, then status and down over the fleet', async ({
    db,
    dir,
  }) => {
    const plain = await createDatabase();
    try {
      await createTenants(db, 'company_a', 'company_b');
      await createTenants(plain, 'company_c', 'company_d');
      const port = (url: string) => Number(new URL(url).port);
      // The plain target is the suite's server, which may ask for its own user's password (the
      // embedded server does); the coordinator trusts postgres, so any password does there.
      const plainUrl = new URL(plain.url);
      const file = join(dir, 'targets.json');
      await writeFile(
        file,
        JSON.stringify({
          targets: [
            { name: 'citus', url: `postgres://postgres:\${FLEET_PW}@127.0.0.1:${port(db.url)}/${db.name}` },
            {
              name: 'plain',
              url: `postgres://${plainUrl.username}:\${PLAIN_PW}@127.0.0.1:${port(plain.url)}/${plain.name}`,
            },
          ],
        }),
      );
      const env = {
        FLEET_PW: FLEET_PASSWORD,
        PLAIN_PW: decodeURIComponent(plainUrl.password) || FLEET_PASSWORD,
        MIGRATIONS_DIR: await writeMigrations(dir, FORWARDED),
      };
      const up = await runCli(['up', '--targets', file, '--canary', 'citus:company_a', '--waves', '2', '--json'], {
        env,
      });
      expect(up.stderr).not.toMatch(/error/i);
      expect(up.code).toBe(0);
      const doc = fleetDoc<RolloutDoc>(up.stdout);
      expect(doc.rollout).toEqual({
        canary: ['citus:company_a'],
        waves: [['citus:company_b', 'plain:company_c'], ['plain:company_d']],
      });
      expect(doc.stages.map((s) => [s.label, s.ok])).toEqual([
        ['canary', true],
        ['wave 1/2', true],
        ['wave 2/2', true],
      ]);
      for (const s of ['company_a', 'company_b']) {
        expect(await citusSchema(db, s)).toEqual({ distributed: true, colocations: 1, tables: 1 });
        expect(await indexOnWorkers(db, `${s}.items`, 'items_name_idx')).toBe(1);
      }
      for (const s of ['company_c', 'company_d'])
        expect(
          (await plain.query(`SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = $1`, [s])).rows[0].n,
        ).toBe(3);

      expect((await runCli(['status', '--targets', file, '--exit-code'], { env })).code).toBe(0);
      const down = await runCli(['down', '4', '--targets', file], { env });
      expect(down.code, down.stdout + down.stderr).toBe(0);
      for (const [t, s] of [
        [db, 'company_a'],
        [plain, 'company_d'],
      ] as const)
        expect((await t.query(`SELECT to_regclass($1) AS r`, [`${s}.items`])).rows[0].r).toBeNull();
      expect(up.stdout + up.stderr + down.stdout + down.stderr).not.toContain(FLEET_PASSWORD);
    } finally {
      await plain.drop();
    }
  });
});
