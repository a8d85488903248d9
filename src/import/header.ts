// The line each imported file carries: which tool and which of its identifiers it came from. It is
// part of the file, hence of its checksum, and it is what `adopt` maps another tool's history with:
// no side file to lose, and a reader of the folder sees where each migration came from.
// An identifier that is not one plain word (a Prisma folder named `..._user copy`) is written as a
// JSON string, so it comes back exactly. `(tenant part)` marks the tenant SQL converted from a
// global file's loops over the tenant schemas: the other tool recorded it once, in public.
import type { Tool } from './types';

const HEADER_RE = /^-- imported from (\S+) ("(?:[^"\\]|\\.)*"|[^\s"]+)( \(tenant part\))?: (.*)$/;
const PLAIN_ID = /^[^\s"\\]+$/;

export function importHeader(tool: Tool, id: string, file: string, tenantPart = false): string {
  return `-- imported from ${tool} ${PLAIN_ID.test(id) ? id : JSON.stringify(id)}${tenantPart ? ' (tenant part)' : ''}: ${file}`;
}

export interface ImportOrigin {
  tool: string;
  id: string;
  file: string;
  /** Tenant SQL converted from a global file: applied in a tenant schema when public's history has `id`. */
  tenantPart: boolean;
}

/** The origin named in the first lines of a file (after `-- migrate:no-transaction`, if any). */
export function parseImportHeader(text: string): ImportOrigin | undefined {
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/, 3)) {
    const m = HEADER_RE.exec(line.trim());
    if (m)
      return {
        tool: m[1]!,
        id: m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!,
        file: m[4]!,
        tenantPart: m[3] !== undefined,
      };
  }
  return undefined;
}
