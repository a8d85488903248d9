// Benchmark: `restore` over a database that grew after its backup. The backup holds a few tenant
// schemas; N more are created and migrated after it; `restore --latest` keeps them (their rows in the
// state and their foreign keys into public.roles go back in the restore's transaction). Then `up`
// and `status --exit-code` must be clean. The same backup restored with no schema to keep is the floor.
// Run: `npm run bench -- restore-kept` or `tsx bench/restore-kept.bench.ts`.
//   --kept N           schemas created after the backup (default 1000)
//   --no-foreign-key   the tenant table without its REFERENCES public.roles
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pgDumpSkipReason } from '../test/backup/support';
import { FIXTURES } from '../test/seed/support';
import { BIN, cliEnv, ensureBuilt, ROOT } from './lib/cli';
import { createDatabase, dropDatabase, runScript } from './lib/db';
import { machine } from './lib/machine';
import { mustSucceed, runProcess, seconds, table } from './lib/measure';
import { benchServer } from './lib/server';

const { values: flags } = parseArgs({ options: { kept: { type: 'string' }, 'no-foreign-key': { type: 'boolean' } } });
const KEPT = Math.max(1, Number(flags.kept ?? 1000));
const FOREIGN_KEY = !flags['no-foreign-key'];
const BEFORE = 10;
const DB = 'mtbench_restore_kept';

const schemas = (prefix: string, n: number) =>
  `DO $$ BEGIN FOR i IN 1..${n} LOOP EXECUTE format('CREATE SCHEMA ${prefix}_%s', i); END LOOP; END $$;`;

const server = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-restore-'));
try {
  console.log('restore-kept: `restore --latest` keeping the tenant schemas created after the backup');
  console.log(`machine: ${machine()}`);
  console.log(`server:  ${server.description}`);
  const skip = await pgDumpSkipReason(server.url);
  if (skip) console.log(`\nskipped: ${skip}`);
  else await measure();
} finally {
  await dropDatabase(server.url, DB).catch(() => {});
  await rm(work, { recursive: true, force: true });
  await server.stop();
}

async function measure(): Promise<void> {
  const migrations = join(work, 'migrations');
  await cp(join(FIXTURES, 'migrations'), migrations, { recursive: true });
  if (!FOREIGN_KEY) {
    const tenantFile = join(migrations, 'tenant', '20250101000100_settings.up.sql');
    await writeFile(tenantFile, (await readFile(tenantFile, 'utf8')).replace(' REFERENCES public.roles (id)', ''));
  }
  const url = await createDatabase(server.url, DB);
  const env = { ...cliEnv(url, migrations), BACKUP_DIR: join(work, 'backups') };
  const cli = async (...args: string[]) =>
    mustSucceed(
      `migrate-tool ${args.join(' ')}`,
      await runProcess(process.execPath, [BIN, ...args], { env, cwd: ROOT, measureRss: false }),
    );
  await ensureBuilt();
  await cli('hash');
  await runScript(url, schemas('company_before', BEFORE));
  await cli('up');
  await cli('backup');
  await runScript(url, schemas('company_after', KEPT));
  const up = await cli('up');

  const kept = await cli('restore', '--latest', '--json');
  const result = JSON.parse(kept.stdout) as {
    method: string;
    kept: { schemas: string[]; rows: number; foreignKeys: string[] };
  };
  const next = await cli('up');
  const status = await runProcess(process.execPath, [BIN, 'status', '--exit-code'], {
    env,
    cwd: ROOT,
    measureRss: false,
  });
  // The floor: the same backup, nothing to keep.
  // One transaction per schema: dropping them all in one would need a lock slot per table.
  const drops = Array.from({ length: KEPT }, (_, i) => `DROP SCHEMA company_after_${i + 1} CASCADE;`);
  await runScript(url, ['SET client_min_messages = warning;', ...drops].join('\n'));
  const floor = await cli('restore', '--latest');

  console.log(
    `\n${BEFORE} tenant schemas in the backup, ${KEPT} created after it (tenant table ${FOREIGN_KEY ? 'with' : 'without'} a foreign key into public.roles)\n`,
  );
  console.log(
    table([
      ['step', 'wall time', 'result'],
      ['up over the new schemas', seconds(up.ms), 'exit 0'],
      [
        'restore --latest, keeping them',
        seconds(kept.ms),
        `${result.kept.schemas.length} schemas, ${result.kept.rows} state rows, ${result.kept.foreignKeys.length} foreign keys kept (${result.method})`,
      ],
      ['up after it', seconds(next.ms), next.stdout.trim()],
      ['status --exit-code', '', `exit ${status.code}`],
      ['restore --latest, nothing to keep', seconds(floor.ms), 'exit 0'],
    ]),
  );
  if (status.code !== 0 || next.stdout.trim() !== 'no change') process.exitCode = 1;
}
