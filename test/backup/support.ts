// Backup tests need a pg_dump at least as new as the server; this says when there is none. It
// also puts recording wrappers around pg_dump and pg_restore, to see how the CLI started them.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { parseVersion } from '../../src/backup/tools';

/** Why pg_dump-based tests cannot run against this server and what to do, or undefined when they can. */
export async function pgDumpSkipReason(adminUrl: string): Promise<string | undefined> {
  let dump;
  try {
    dump = parseVersion(execFileSync('pg_dump', ['--version'], { encoding: 'utf8' }));
  } catch {
    return 'pg_dump is not installed: install the PostgreSQL client (Debian/Ubuntu: apt-get install postgresql-client)';
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const num = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num);
    const server = Math.floor(num / 10000);
    if (!dump)
      return "pg_dump --version gave no version this suite can read: install the PostgreSQL client of the server's version";
    if (dump.major < server) {
      return `pg_dump ${dump.text} cannot dump PostgreSQL ${server} (the suite's server): install postgresql-client-${server}, or set TEST_DATABASE_URL to a PostgreSQL ${dump.major} server`;
    }
    return undefined;
  } finally {
    await client.end();
  }
}

export function realPath(tool: string): string {
  return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
}

export interface Wrappers {
  /** Put this first on PATH. */
  bin: string;
  /** Each run's arguments and PGPASSWORD, one line per run. */
  log(): Promise<string[]>;
}

/**
 * Scripts named pg_dump and pg_restore that record their arguments and PGPASSWORD, wait
 * `delay` seconds (so a test can look at the process table), then run `body`: by default the real tool.
 */
export async function wrappers(
  dir: string,
  opts: { delay?: number; body?: Partial<Record<'pg_dump' | 'pg_restore', string>> } = {},
): Promise<Wrappers> {
  const bin = join(dir, 'fake-bin');
  const logDir = join(dir, 'tool-log');
  await mkdir(bin, { recursive: true });
  await mkdir(logDir, { recursive: true });
  for (const tool of ['pg_dump', 'pg_restore'] as const) {
    const body = opts.body?.[tool] ?? `exec ${realPath(tool)} "$@"`;
    const script = [
      '#!/bin/sh',
      `printf '%s argv=[%s] PGPASSWORD=[%s]\\n' ${tool} "$*" "$PGPASSWORD" > "${logDir}/$$-${tool}.log"`,
      opts.delay ? `case "$1" in --version) ;; *) sleep ${opts.delay} ;; esac` : '',
      body,
    ].join('\n');
    await writeFile(join(bin, tool), `${script}\n`);
    await chmod(join(bin, tool), 0o755);
  }
  return {
    bin,
    async log() {
      const files = await readdir(logDir);
      return Promise.all(files.sort().map(async (f) => (await readFile(join(logDir, f), 'utf8')).trim()));
    },
  };
}

/** Every process's argument list, as `ps` shows them to any user. */
export async function commandLines(): Promise<string[]> {
  const out: string[] = [];
  for (const pid of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd) out.push(cmd.split('\0').join(' ').trim());
  }
  return out;
}

/**
 * A stand-in for the image's pg_restore 17 on a machine that has only an older one: it reports
 * version 17 and adds the line pg_restore 17 writes at the start of every restore,
 * `SET transaction_timeout = 0;`. Connected to the server (`--dbname`), it sends that setting first,
 * as pg_restore 17 does, and fails where the server lacks it. `script` may rewrite the SQL script
 * further (a sed program), to make it fail half way.
 */
export async function pgRestore17(dir: string, opts: { script?: string; exitCode?: number } = {}): Promise<Wrappers> {
  const real = realPath('pg_restore');
  const body = `case "$1" in --version) echo "pg_restore (PostgreSQL) 17.6 (stand-in)"; exit 0;; --list) exec ${real} "$@";; esac
for arg in "$@"; do
  case "$arg" in
    --dbname=*) psql -X -q -v ON_ERROR_STOP=1 -c 'SET transaction_timeout = 0' >/dev/null || exit 1;;
    --file=-) script=1;;
  esac
done
[ -n "$script" ] || exec ${real} "$@"
out=$(mktemp)
${real} "$@" >"$out" || exit $?
sed -e '/^SET idle_in_transaction_session_timeout = 0;$/a SET transaction_timeout = 0;' ${opts.script ? `-e '${opts.script}'` : ''} "$out"
rm -f "$out"
exit ${opts.exitCode ?? 0}`;
  return wrappers(dir, { body: { pg_restore: body } });
}

/** A psql in `bin` that fails as a missing client would: restoring through the script is then impossible. */
export async function breakPsql(bin: string): Promise<void> {
  await writeFile(join(bin, 'psql'), '#!/bin/sh\necho "psql: simulated missing client" >&2\nexit 127\n');
  await chmod(join(bin, 'psql'), 0o755);
}
