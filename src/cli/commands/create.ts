import { relative } from 'node:path';
import { UsageError, createMigration, type Created } from '../../index';
import { EXIT } from '../../internal';
import { boolFlag, stringFlag } from '../args';
import type { Command } from '../context';

export const create: Command<Created> = {
  name: 'create',
  summary: 'write an empty .up.sql/.down.sql pair with the current UTC timestamp',
  usage: 'create NAME [--tenant]',
  flags: {
    name: { type: 'string', value: 'NAME', desc: 'the migration name (same as the positional NAME)' },
    tenant: { type: 'boolean', desc: 'a tenant migration, in tenant/' },
  },
  database: false,
  noDryRun: true,
  async execute(ctx) {
    const name = ctx.args.positionals[0] ?? stringFlag(ctx.args, 'name');
    if (!name)
      throw new UsageError(
        'create needs a name',
        'write `migrate-tool create add_employee_bio` or -action=create -name=add_employee_bio',
      );
    return createMigration(ctx.config.migrationsDir, name, { tenant: boolFlag(ctx.args, 'tenant') });
  },
  render: (created, ctx) => ({
    doc: created,
    lines: [
      `Created ${relative(ctx.cwd, created.up)}`,
      `Created ${relative(ctx.cwd, created.down)}`,
      // migrate.sum now holds the empty files' checksums: without this, the first `up` after editing
      // them refuses the folder, and the operator learns about `hash` from an error.
      'Write the SQL, then run `migrate-tool hash` to record the edited files in migrate.sum',
    ],
    code: EXIT.ok,
  }),
};
