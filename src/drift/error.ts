// The error of `up --check-drift`, apart from drift itself so that the CLI can name it without loading
// the catalog queries (src/index.ts loads drift lazily).
import { EXIT, MigrateToolError } from '../errors';

/** `up --check-drift` found public drifted: nothing was touched (exit 3, the contract's code for drift). */
export class DriftError extends MigrateToolError {
  override readonly exitCode = EXIT.pending;
  constructor(message: string, advice: string) {
    super(message, 'DRIFT', advice);
  }
}
