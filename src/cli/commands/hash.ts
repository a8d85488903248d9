import { rewriteSum } from '../../index';
import { EXIT } from '../../internal';
import type { Command } from '../context';

export const hash: Command = {
  name: 'hash',
  summary: 'rewrite migrate.sum from the migrations folder',
  usage: 'hash',
  database: false,
  noDryRun: true,
  async run(ctx) {
    const r = await rewriteSum(ctx.config.migrationsDir);
    ctx.out.data(r);
    ctx.out.print(`Wrote ${r.path} (${r.files} file${r.files === 1 ? '' : 's'})`);
    return EXIT.ok;
  },
};
