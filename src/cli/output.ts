// Everything the CLI prints goes through here: results on stdout (text, or one JSON document
// with --json), notes and progress on stderr, and every line scrubbed of the password.
import { redact } from '../internal';

export interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** `--progress-interval` when not given: a job's log hears from a long run every 5 s. */
export const DEFAULT_PROGRESS_INTERVAL_S = 5;
/** On a terminal the line is redrawn in place, so it can follow the clock closely. */
const TERMINAL_REDRAW_MS = 1000;

export class Output {
  /** Without a terminal, a progress line every this many ms; 0: no progress at all. */
  progressIntervalMs = DEFAULT_PROGRESS_INTERVAL_S * 1000;
  private progressShown = false;
  private progressSource?: () => string;
  private progressTimer?: NodeJS.Timeout;
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
    this.eraseProgress();
    this.streams.stdout.write(`${this.scrub(line)}\n`);
  }

  /** A note on stderr (target, waiting, warnings, errors), in both modes. */
  note(line: string): void {
    this.eraseProgress();
    this.streams.stderr.write(`${this.scrub(line)}\n`);
  }

  /** A closing line that a log must carry in both modes: on stdout as text, on stderr beside --json's document. */
  closing(line: string): void {
    if (this.json) this.note(line);
    else this.print(line);
  }

  /** The JSON document, with --json. Progress stops first, so no line of it can land inside the document. */
  data(doc: unknown): void {
    if (!this.json) return;
    this.clearProgress();
    this.streams.stdout.write(`${this.scrub(JSON.stringify(doc, null, 2))}\n`);
  }

  /**
   * Progress on stderr, never on stdout. On a terminal one line redrawn in place (not with --json,
   * whose reader is a program); elsewhere (a pipe, docker logs, a CI job) the latest state as a
   * line of its own every `progressIntervalMs`, so a long run is never silent. A function is read
   * again at each line, so the elapsed time, the rate and the ETA stay current between events.
   */
  progress(text: string | (() => string)): void {
    const terminal = Boolean(this.streams.stderr.isTTY);
    if (this.progressIntervalMs <= 0 || (terminal && this.json)) return;
    this.progressSource = typeof text === 'string' ? () => text : text;
    if (terminal) this.drawProgress();
    if (this.progressTimer) return;
    const tick = terminal ? () => this.drawProgress() : () => this.logProgress();
    this.progressTimer = setInterval(tick, terminal ? TERMINAL_REDRAW_MS : this.progressIntervalMs);
    this.progressTimer.unref(); // a finished command never waits for its progress line
  }

  /** The progress is over: no more lines, and the terminal's line is erased. */
  clearProgress(): void {
    clearInterval(this.progressTimer);
    this.progressTimer = undefined;
    this.progressSource = undefined;
    this.eraseProgress();
  }

  scrub(text: string): string {
    return redact(text, this.secrets);
  }

  private drawProgress(): void {
    if (!this.progressSource) return;
    this.streams.stderr.write(`\r\x1b[2K${this.scrub(this.progressSource())}`);
    this.progressShown = true;
  }

  private logProgress(): void {
    if (this.progressSource) this.streams.stderr.write(`${this.scrub(this.progressSource())}\n`);
  }

  private eraseProgress(): void {
    if (!this.progressShown) return;
    this.streams.stderr.write('\r\x1b[2K');
    this.progressShown = false;
  }
}
