import { rewriteSum } from '../../index';
import { EXIT } from '../../internal';
import type { Command } from '../context';

export const hash: Command<{ path: string; files: number }> = {
  name: 'hash',
  summary: 'rewrite migrate.sum from the migrations folder',
  usage: 'hash',
  database: false,
  noDryRun: true,
  execute: (ctx) => rewriteSum(ctx.config.migrationsDir),
  render: (r) => ({ doc: r, lines: [`Wrote ${r.path} (${r.files} file${r.files === 1 ? '' : 's'})`], code: EXIT.ok }),
};
