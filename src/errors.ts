// Typed errors. Each carries the exit code the CLI contract gives it and, where there is one,
// what to do about it: a remedy as data (remedy.ts) and the library's wording of it (`advice`).
// The CLI prints the message and its own wording of the remedy, never a stack.
import { asRemedy, libraryWords, type Remedy } from './remedy';

// 4: `status --exit-code` found versions in the database that the folder lacks (an older release).
export const EXIT = { ok: 0, failed: 1, usage: 2, pending: 3, unknownVersions: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What an error is about (a version, a schema), for a caller that words its own advice from the code. */
export type ErrorFacts = Readonly<Record<string, string | boolean | readonly string[]>>;

export class MigrateToolError extends Error {
  readonly exitCode: ExitCode = EXIT.failed;
  readonly facts?: ErrorFacts;
  /** What to do, as data: the options and operations it names, the schema and versions of a force. */
  readonly remedy?: Remedy;
  /** The remedy in the library's words (libraryWords): what an application shows or logs. */
  readonly advice?: string;
  /**
   * `advice` is a remedy, or a plain text (a remedy of kind text) that reads the same for every
   * caller. The CLI words a remedy with its flags and commands (cli/advice.ts), and its own errors
   * name flags. Some engine messages still name a CLI flag or variable (BACKUP_DIR, --target,
   * --canary, test --from, --targets): docs/design.md, "Configuration and output", lists them.
   */
  constructor(
    message: string,
    readonly code: string,
    advice?: string | Remedy,
    options?: ErrorOptions & { facts?: ErrorFacts },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.remedy = asRemedy(advice);
    if (this.remedy) this.advice = libraryWords(this.remedy);
    if (options?.facts) this.facts = options.facts;
  }
}

/** Bad flags, bad files or bad configuration: found before anything was touched (exit 2). */
export class UsageError extends MigrateToolError {
  override readonly exitCode = EXIT.usage;
  constructor(message: string, advice?: string | Remedy, code = 'USAGE', facts?: ErrorFacts) {
    super(message, code, advice, facts && { facts });
  }
}

/** Every configuration problem at once, each naming what to set (exit 2). */
export class ConfigError extends UsageError {
  constructor(readonly problems: string[]) {
    super(
      `Configuration error: ${problems.join('; ')}`,
      'set or correct each variable named (in the environment or .env), then run again',
      'CONFIG',
    );
  }
}

/** The operation failed after it started: SQL, connection, lock, state (exit 1). */
export class OperationError extends MigrateToolError {}

export function isMigrateToolError(e: unknown): e is MigrateToolError {
  return e instanceof MigrateToolError;
}
