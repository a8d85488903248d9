import { EXIT, version as readVersion } from '../../index';
import { engineOptions, type Command } from '../context';
import { versionLines } from '../format';

export const version: Command = {
  name: 'version',
  summary: 'print the current version and the dirty flag, then a tenants line',
  usage: 'version [--json]',
  database: true,
  async run(ctx) {
    const report = await readVersion(engineOptions(ctx));
    ctx.out.data(report);
    for (const line of versionLines(report)) ctx.out.print(line);
    return EXIT.ok;
  },
};
