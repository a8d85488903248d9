// Writing a result: a command's Rendering on one database, and an error as every output path
// reports it (one line on stderr ending in what to do; with --json, an `error` in the document).
import { isMigrateToolError, type ExitCode } from '../index';
import { EXIT } from '../internal';
import { describeError, type AdviceContext } from './advice';
import type { Line, Rendering } from './context';
import type { Output } from './output';

export interface ErrorDoc {
  code: string;
  message: string;
  advice: string;
}

/** An error as the output reports it, its remedy in the CLI's words, and the exit code it gives. */
export function errorReport(error: unknown, ctx: AdviceContext): { doc: ErrorDoc; exitCode: ExitCode } {
  if (isMigrateToolError(error)) {
    // Every error says what to do, in text and in --json alike: a script reads `advice` unconditionally.
    const advice =
      describeError(error, ctx) ??
      (error.exitCode === EXIT.usage
        ? 'correct what the message names, then run again (nothing was changed)'
        : 'see the message; re-run once it is fixed');
    return { doc: { code: error.code, message: error.message, advice }, exitCode: error.exitCode };
  }
  const message = error instanceof Error ? error.message : String(error);
  const advice = 'this is a bug in migrate-tool: report it with the command that was run';
  return { doc: { code: 'INTERNAL', message, advice }, exitCode: EXIT.failed };
}

/** One database's result: its document, its lines, then the error it failed with after them (a lost lock). */
export function show(r: Rendering, out: Output, advice: AdviceContext): ExitCode {
  const failure = r.error === undefined ? undefined : errorReport(r.error, advice);
  if (r.doc !== undefined || failure) out.data({ ...r.doc, ...(failure ? { error: failure.doc } : {}) });
  writeLines(r.lines ?? [], out);
  if (failure) out.note(errorLine(failure.doc));
  return failure ? failure.exitCode : r.code;
}

/** An error that stopped a command before it had a result. */
export function showError(error: unknown, out: Output, advice: AdviceContext): ExitCode {
  const { doc, exitCode } = errorReport(error, advice);
  out.note(errorLine(doc));
  out.data({ error: doc });
  return exitCode;
}

export const errorLine = (e: ErrorDoc) => `error: ${e.message}; fix: ${e.advice}`;

/** Text lines in runs of one write each (a 10,000-line table is not 10,000 system calls); closing lines as the output closes. */
export function writeLines(lines: readonly Line[], out: Pick<Output, 'print' | 'closing'>): void {
  let run: string[] = [];
  const flush = () => {
    if (run.length) out.print(run.join('\n'));
    run = [];
  };
  for (const line of lines) {
    if (typeof line === 'string') {
      run.push(line);
    } else {
      flush();
      out.closing(line.closing);
    }
  }
  flush();
}

/** Lines built by a render helper that writes line by line. */
export class Lines {
  readonly lines: Line[] = [];
  print(line = ''): void {
    this.lines.push(line);
  }
  closing(line: string): void {
    this.lines.push({ closing: line });
  }
}
