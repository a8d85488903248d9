// Builds the benchmark's template database once (1,000 tenant schemas at the baseline, recorded by
// every tool) and hands out identical copies of it, one per timed run.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { ensureBuilt, migrateTool } from '../lib/cli';
import { createDatabase, dropDatabase, runScript, withClient } from '../lib/db';
import { mustSucceed } from '../lib/measure';
import { BASELINE, createSchemasScript, peerBaselineScript, seedScript, writeMigrateToolDir } from './fixture';

export interface Template {
  name: string;
  schemas: number;
  /** A fresh copy, replacing any database of that name. */
  copy(name: string): Promise<string>;
  drop(): Promise<void>;
}

export interface TemplateOptions {
  /** Record the baseline for node-pg-migrate and dbmate too (default true). */
  peers?: boolean;
  /**
   * Seed in transactions of 500 schemas, and copy the files instead of WAL-logging every block:
   * for thousands of schemas, where one transaction would run out of lock slots and a copy
   * would write gigabytes of WAL.
   */
  large?: boolean;
}

export async function buildTemplate(
  adminUrl: string,
  name: string,
  schemas: number,
  workDir: string,
  opts: TemplateOptions = {},
): Promise<Template> {
  const url = await createDatabase(adminUrl, name);
  await runScript(url, createSchemasScript(schemas));
  // The baseline is applied by migrate-tool itself, so its state is exactly what a real run leaves.
  const baselineDir = await writeMigrateToolDir(join(workDir, 'baseline'), [BASELINE]);
  await ensureBuilt();
  mustSucceed('migrate-tool hash (baseline)', await migrateTool(['hash'], url, baselineDir));
  mustSucceed('migrate-tool up (baseline)', await migrateTool(['up'], url, baselineDir));
  await runScript(url, opts.large ? seedScript(schemas) : seedScript());
  if (opts.peers ?? true) await runScript(url, peerBaselineScript());
  await withClient(url, (c) => c.query('VACUUM ANALYZE'));
  // No session (autovacuum included) may sit in the template while it is copied.
  await withClient(adminUrl, (c) =>
    c.query(`ALTER DATABASE ${pg.escapeIdentifier(name)} WITH ALLOW_CONNECTIONS false`),
  );

  return {
    name,
    schemas,
    async copy(copyName) {
      const url = await createDatabase(adminUrl, copyName, name, opts.large ? 'FILE_COPY' : undefined);
      // The copy writes ~0.5 GB of WAL: flush it now, so that no checkpoint lands inside a timed run.
      await withClient(adminUrl, (c) => c.query('CHECKPOINT'));
      // And have the kernel write those pages out now (for a server on this machine): left to
      // background writeback, they slow the timed run's commits by up to 30%, at random.
      execFileSync('sync');
      return url;
    },
    drop: () => dropDatabase(adminUrl, name),
  };
}
