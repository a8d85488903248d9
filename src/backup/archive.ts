// What a custom-format archive holds, read with `pg_restore --list`: its header (database,
// time, versions) and the schemas and relations it restores.
import type { ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { UsageError } from '../errors';
import { operation, remedy } from '../remedy';
import { runTool, tail, type ToolEnv } from './tools';

export interface ArchiveInfo {
  file: string;
  bytes: number;
  /** The database it was dumped from. */
  database?: string;
  createdAt?: string;
  serverVersion?: string;
  pgDumpVersion?: string;
  /** The archive format's version (`1.14`): pg_restore reads the formats of its own release and older ones. */
  format?: string;
  entries: number;
  /** `schema` names and `schema.relation` names (tables, views, sequences) it creates. */
  schemas: Set<string>;
  relations: Set<string>;
}

// Longest first: `TABLE DATA` and `SEQUENCE SET` are data of a relation, not the relation.
const DESCS = [
  'MATERIALIZED VIEW DATA',
  'MATERIALIZED VIEW',
  'SEQUENCE OWNED BY',
  'SEQUENCE SET',
  'FOREIGN TABLE',
  'TABLE DATA',
  'SEQUENCE',
  'SCHEMA',
  'TABLE',
  'VIEW',
];
const RELATIONS = new Set(['MATERIALIZED VIEW', 'FOREIGN TABLE', 'SEQUENCE', 'TABLE', 'VIEW']);

export async function inspectArchive(file: string, tools: ToolEnv): Promise<ArchiveInfo> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile())
    throw new UsageError(
      `Backup file ${file} does not exist`,
      remedy`give the path of a file written by ${operation('backup')}`,
      'NO_BACKUP_FILE',
    );
  const info: ArchiveInfo = { file, bytes: st.size, entries: 0, schemas: new Set(), relations: new Set() };
  const r = await runTool('pg_restore', ['--list', file], { ...tools, onLine: (line) => readLine(line, info) });
  if (r.code !== 0) {
    throw new UsageError(
      `${file} is not a backup pg_restore can read: ${tail(r.stderr) || `exit ${r.code}`}`,
      remedy`give a file written by ${operation('backup')} (pg_dump -F c), read by a pg_restore at least as new as the pg_dump that wrote it`,
      'BAD_BACKUP_FILE',
    );
  }
  return info;
}

/**
 * The archive's header only (database, time, versions, format): pg_restore --list is stopped once
 * the header is read, so a listing of many large backups does not read their tables of contents.
 * Throws pg_restore's message when it cannot read the file.
 */
export async function readHeader(file: string, bytes: number, tools: ToolEnv): Promise<ArchiveInfo> {
  const info: ArchiveInfo = { file, bytes, entries: 0, schemas: new Set(), relations: new Set() };
  let child: ChildProcess | undefined;
  let read = false;
  const onLine = (line: string) => {
    if (read) return;
    readLine(line, info);
    if (!line.startsWith('; Selected TOC Entries')) return;
    read = true;
    child?.kill('SIGTERM');
  };
  const r = await runTool('pg_restore', ['--list', file], { ...tools, onLine, onSpawn: (c) => (child = c) });
  if (!read && r.code !== 0)
    throw new Error(tail(r.stderr).replace(/^pg_restore: error: /, '') || `pg_restore exit ${r.code}`);
  return info;
}

function readLine(line: string, info: ArchiveInfo): void {
  // `; Archive created at 2025-12-10 21:58:00 UTC`, `;     dbname: maindb`, ...
  const header =
    /^;\s+(Archive created at|dbname:|Dump Version:|Dumped from database version:|Dumped by pg_dump version:)\s*(.*)$/.exec(
      line,
    );
  if (header) {
    const value = header[2]!.trim();
    if (header[1] === 'Archive created at') info.createdAt = value;
    else if (header[1] === 'Dump Version:') info.format = value.split('-')[0];
    else if (header[1] === 'dbname:') info.database = value;
    else if (header[1]!.startsWith('Dumped from')) info.serverVersion = value.split(' ')[0];
    else info.pgDumpVersion = value.split(' ')[0];
    return;
  }
  // `215; 1259 16390 TABLE public roles postgres`: id; catalog oid, desc, schema, name, owner
  const entry = /^\d+; \d+ \d+ (.*)$/.exec(line);
  if (!entry) return;
  info.entries++;
  const rest = entry[1]!;
  const desc = DESCS.find((d) => rest.startsWith(`${d} `));
  if (!desc) return;
  const [schema, ...more] = rest.slice(desc.length + 1).split(' ');
  const name = more.slice(0, -1).join(' ');
  if (desc === 'SCHEMA') info.schemas.add(name);
  else if (RELATIONS.has(desc)) info.relations.add(`${schema}.${name}`);
}
