// Everything the CLI prints goes through here: results on stdout (text, or one JSON document
// with --json), notes and progress on stderr, and every line scrubbed of the password.
import { redact } from '../index';

export interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export class Output {
  private progressShown = false;
  private readonly secrets: string[] = [];

  constructor(
    readonly json: boolean,
    private readonly streams: Streams,
  ) {}

  /** Registers a secret (the password) that must never be printed. */
  addSecret(secret: string | undefined): void {
    if (secret) this.secrets.push(secret);
  }

  /** A result line on stdout; silent with --json, where `data` carries the result. */
  print(line = ''): void {
    if (this.json) return;
    this.clearProgress();
    this.streams.stdout.write(`${this.scrub(line)}\n`);
  }

  /** A note on stderr (target, waiting, warnings, errors), in both modes. */
  note(line: string): void {
    this.clearProgress();
    this.streams.stderr.write(`${this.scrub(line)}\n`);
  }

  /** The JSON document, with --json. */
  data(doc: unknown): void {
    if (!this.json) return;
    this.streams.stdout.write(`${this.scrub(JSON.stringify(doc, null, 2))}\n`);
  }

  /** A transient line on a terminal (never with --json, never into a pipe or a log file). */
  progress(text: string): void {
    if (this.json || !this.streams.stderr.isTTY) return;
    this.streams.stderr.write(`\r\x1b[2K${this.scrub(text)}`);
    this.progressShown = true;
  }

  clearProgress(): void {
    if (!this.progressShown) return;
    this.streams.stderr.write('\r\x1b[2K');
    this.progressShown = false;
  }

  scrub(text: string): string {
    return redact(text, this.secrets);
  }
}
