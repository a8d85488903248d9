// PostgreSQL's own parser (libpg-query: the server's grammar compiled to WebAssembly, ~1.7 MB),
// loaded once, on first use: only the lock model, backfill files and `import` of loops need it,
// and `up` of a folder without them never pays for it.
import type * as Pg from 'libpg-query';

let parser: Promise<typeof Pg> | undefined;

export function loadPgParser(): Promise<typeof Pg> {
  parser ??= import('libpg-query').then(async (mod) => {
    await mod.loadModule();
    return mod;
  });
  return parser;
}
