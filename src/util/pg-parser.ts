// PostgreSQL's own parser (libpg-query: the server's grammar compiled to WebAssembly, ~1.7 MB),
// loaded once, on first use, by the lock model (the blocker check of up and down, plan, lint), backfill
// files and import's loops. Where it cannot be loaded (a single-file CLI copied without the file
// beside it), the blocker check is off, with a note, and what cannot do without it says where the file goes.
import type * as Pg from 'libpg-query';
import { OperationError } from '../errors';

let parser: Promise<typeof Pg> | undefined;

/** What to do when it cannot be loaded: where the single-file CLI runs, the file goes beside it. */
export const PARSER_BESIDE =
  'copy libpg-query.wasm beside the migrate-tool file (in an application image: COPY --from=<migrate-tool image> /app/libpg-query.wasm ./)';

/** The parser's WebAssembly could not be read (a single-file CLI copied without the file beside it). */
export class ParserUnavailable extends OperationError {
  constructor(message: string, options: ErrorOptions) {
    super(message, 'PARSER_UNAVAILABLE', PARSER_BESIDE, options);
  }
}

export function loadPgParser(): Promise<typeof Pg> {
  parser ??= import('libpg-query')
    .then(async (mod) => {
      await mod.loadModule();
      return mod;
    })
    .catch((error: unknown) => {
      const why = error instanceof Error ? error.message : String(error);
      throw new ParserUnavailable(`PostgreSQL's parser (libpg-query.wasm) could not be loaded: ${why}`, {
        cause: error,
      });
    });
  return parser;
}
