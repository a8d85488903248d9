// A PostgreSQL server with a stand-in `citus` extension, since no Citus package exists here. The
// stand-in has only what migrate-tool looks at: citus_version(), the pg_dist_schema catalog table,
// and the one behaviour that broke the tool on a real cluster: with
// citus.enable_schema_based_sharding = on, CREATE SCHEMA makes a distributed schema (a row in
// pg_dist_schema, by an event trigger here). It proves the SQL the tool sends and the paths it
// takes on a coordinator, not Citus's own behaviour. The installed PostgreSQL is copied into a
// folder of the test's own, because extensions are found beside the binaries.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runAsPostgres, toolFolder } from './as-postgres';
import { freePort } from './server';

const ROOT = '/usr/lib/postgresql';
const version = existsSync(ROOT)
  ? readdirSync(ROOT).find((v) => existsSync(join(ROOT, v, 'bin', 'initdb')) && existsSync(`/usr/share/postgresql/${v}`))
  : undefined;

export const citusStandInMissing = version ? undefined : 'no PostgreSQL server binaries under /usr/lib/postgresql with their /usr/share/postgresql';

const CONTROL = `comment = 'test stand-in for Citus: only what migrate-tool looks at'
default_version = '13.2'
relocatable = false
superuser = true
`;

const SCRIPT = `
CREATE FUNCTION pg_catalog.citus_version() RETURNS text LANGUAGE sql AS $$ SELECT 'Citus 13.2.0 (stand-in) on x86_64-pc-linux-gnu, compiled by gcc' $$;
CREATE TABLE pg_catalog.pg_dist_schema (schemaid oid PRIMARY KEY, colocationid integer NOT NULL);
CREATE FUNCTION pg_catalog.citus_standin_distribute_schema() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('citus.enable_schema_based_sharding', true), '') = 'on' THEN
    INSERT INTO pg_catalog.pg_dist_schema SELECT objid, 1 FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE SCHEMA';
  END IF;
END $$;
CREATE EVENT TRIGGER citus_standin_distribute_schema ON ddl_command_end WHEN TAG IN ('CREATE SCHEMA')
  EXECUTE FUNCTION pg_catalog.citus_standin_distribute_schema();
`;

export interface StandIn {
  url: string;
  stop(): Promise<void>;
}

export async function startCitusStandIn(): Promise<StandIn> {
  const dir = await toolFolder('mt-citus-standin-');
  // The same layout as the installation, so the copied binaries find the copied share folder.
  const lib = join(dir, 'usr/lib/postgresql', version!);
  const share = join(dir, 'usr/share/postgresql', version!);
  await mkdir(join(dir, 'usr/lib/postgresql'), { recursive: true });
  await mkdir(join(dir, 'usr/share/postgresql'), { recursive: true });
  execFileSync('cp', ['-a', join(ROOT, version!), lib]);
  execFileSync('cp', ['-a', `/usr/share/postgresql/${version}`, share]);
  await writeFile(join(share, 'extension', 'citus.control'), CONTROL);
  await writeFile(join(share, 'extension', 'citus--13.2.sql'), SCRIPT);
  execFileSync('chmod', ['-R', 'a+rX', join(dir, 'usr')]);
  const data = join(dir, 'data');
  const port = await freePort();
  await runAsPostgres(join(lib, 'bin', 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c allow_system_table_mods=on -c fsync=off`;
  await runAsPostgres(join(lib, 'bin', 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await runAsPostgres(join(lib, 'bin', 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
