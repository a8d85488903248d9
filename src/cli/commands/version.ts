import { loadMigrations, version as readVersion, type VersionReport } from '../../index';
import { EXIT } from '../../internal';
import { engineOptions, type Command } from '../context';
import { versionLines } from '../format';

/** The version report, and on a first setup what a new tenant schema would receive. */
type VersionShown = VersionReport & { newTenantVersion?: string };

export const version: Command<VersionShown> = {
  name: 'version',
  summary: 'print the current version and the dirty flag, then a tenants line',
  usage: 'version [--json]',
  database: true,
  fleet: true,
  async execute(ctx) {
    const report = await readVersion(engineOptions(ctx));
    const forNew = report.tenants.count === 0 ? await newTenantVersion(ctx.config.migrationsDir) : undefined;
    return { ...report, ...(forNew ? { newTenantVersion: forNew } : {}) };
  },
  render: (report) => ({
    doc: report,
    lines: [
      ...versionLines(report),
      ...(report.newTenantVersion
        ? [
            `a new tenant schema gets tenant migrations up to ${report.newTenantVersion} from the next up (or migrateTenant)`,
          ]
        : []),
    ],
    code: EXIT.ok,
  }),
};

/**
 * On a first setup there is no tenant schema to show a version: say what one created now would
 * receive, the newest tenant migration of this folder.
 */
async function newTenantVersion(dir: string): Promise<string | undefined> {
  const folder = await loadMigrations(dir);
  return folder.migrations.filter((m) => m.scope === 'tenant').at(-1)?.version;
}
