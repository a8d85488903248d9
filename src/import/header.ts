// The line each imported file carries: which tool and which of its identifiers it came from. It is
// part of the file, hence of its checksum, and it is what `adopt` maps another tool's history with:
// no side file to lose, and a reader of the folder sees where each migration came from.
import type { Tool } from './types';

const HEADER_RE = /^-- imported from (\S+) (\S+): (.*)$/;

export function importHeader(tool: Tool, id: string, file: string): string {
  return `-- imported from ${tool} ${id}: ${file}`;
}

export interface ImportOrigin {
  tool: string;
  id: string;
  file: string;
}

/** The origin named in the first lines of a file (after `-- migrate:no-transaction`, if any). */
export function parseImportHeader(text: string): ImportOrigin | undefined {
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/, 3)) {
    const m = HEADER_RE.exec(line.trim());
    if (m) return { tool: m[1]!, id: m[2]!, file: m[3]! };
  }
  return undefined;
}
