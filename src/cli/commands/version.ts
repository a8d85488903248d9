import { loadMigrations, version as readVersion } from '../../index';
import { EXIT } from '../../internal';
import { engineOptions, type Command } from '../context';
import { versionLines } from '../format';

export const version: Command = {
  name: 'version',
  summary: 'print the current version and the dirty flag, then a tenants line',
  usage: 'version [--json]',
  database: true,
  async run(ctx) {
    const report = await readVersion(engineOptions(ctx));
    const forNew = report.tenants.count === 0 ? await newTenantVersion(ctx.config.migrationsDir) : undefined;
    ctx.out.data({ ...report, ...(forNew ? { newTenantVersion: forNew } : {}) });
    for (const line of versionLines(report)) ctx.out.print(line);
    if (forNew)
      ctx.out.print(`a new tenant schema gets tenant migrations up to ${forNew} from the next up (or migrateTenant)`);
    return EXIT.ok;
  },
};

/**
 * On a first setup there is no tenant schema to show a version: say what one created now would
 * receive, the newest tenant migration of this folder.
 */
async function newTenantVersion(dir: string): Promise<string | undefined> {
  const folder = await loadMigrations(dir);
  return folder.migrations.filter((m) => m.scope === 'tenant').at(-1)?.version;
}
