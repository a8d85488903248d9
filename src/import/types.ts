// What every source-tool reader produces: the tool's migrations in the tool's own order, each with
// the identifier that tool writes into its history table, so `adopt` can map history to files.
export const TOOLS = ['golang-migrate', 'atlas', 'dbmate', 'prisma', 'node-pg-migrate'] as const;
export type Tool = (typeof TOOLS)[number];

export interface SourceSql {
  /** Path relative to SRC, as the tool names it. */
  file: string;
  text: string;
  /** The tool itself runs it outside a transaction (dbmate `transaction:false`, Atlas `txmode none`). */
  noTransaction?: boolean;
}

export interface SourceMigration {
  /** What the tool records as applied: a version, a folder name or a file stem, exactly. */
  id: string;
  /** Digits the new 14-digit version is made from (at most 14; padded with zeros on the left). */
  version: string;
  name: string;
  /** Set when `version` only places it (the tool orders by name, and this name has no version): why, for the report. */
  placed?: string;
  up: SourceSql;
  down?: SourceSql;
}

export interface SourceFolder {
  migrations: SourceMigration[];
  /** One line each: what the reader could not accept, naming the file. */
  problems: string[];
  /** Remarks for the report that refuse nothing (e.g. a renumbered duplicate). */
  notes: string[];
}

export function isTool(name: string): name is Tool {
  return (TOOLS as readonly string[]).includes(name);
}
