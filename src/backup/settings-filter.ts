// A pg_restore newer than the server writes settings the server does not know: pg_restore 17 sets
// `transaction_timeout = 0` at the start of every restore, and PostgreSQL 13 to 16 reject it
// (`unrecognized configuration parameter`), which fails the whole restore. When the restore goes
// through pg_restore's SQL script, this filter drops exactly those `SET` lines and nothing else.
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** Settings pg_restore may SET that older servers lack, with the major version that introduced them. */
export const NEWER_SETTINGS: Readonly<Record<string, number>> = {
  transaction_timeout: 17,
};

/** The settings the script must not SET on a server of this major version. */
export function unknownSettings(serverMajor: number): string[] {
  return Object.entries(NEWER_SETTINGS)
    .filter(([, since]) => serverMajor < since)
    .map(([name]) => name);
}

/**
 * Removes whole lines `SET <name> = ...;` for the given settings from a pg_restore script, outside
 * COPY data (a row of data is never touched, whatever it holds). Counts what it removed.
 */
export class SettingsFilter extends Transform {
  removed = 0;
  private rest = '';
  // A chunk may end inside a multi-byte character: decode across chunks.
  private readonly decoder = new StringDecoder('utf8');
  private inCopy = false;
  private readonly unknown: RegExp;

  constructor(settings: string[]) {
    super({ encoding: 'utf8' });
    const names = settings.map((s) => s.replace(/[^a-z_]/g, '')).join('|');
    this.unknown = names ? new RegExp(`^SET (${names}) = [^;]*;$`) : /^(?!)/;
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    const lines = (this.rest + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk))).split('\n');
    this.rest = lines.pop()!;
    const out = lines.filter((line) => this.keep(line));
    done(null, out.length ? `${out.join('\n')}\n` : undefined);
  }

  override _flush(done: TransformCallback): void {
    this.rest += this.decoder.end();
    done(null, this.rest && this.keep(this.rest) ? this.rest : undefined);
  }

  private keep(line: string): boolean {
    // pg_restore writes table data as `COPY ... FROM stdin;`, rows, then a line `\.`.
    if (this.inCopy) {
      if (line === '\\.') this.inCopy = false;
      return true;
    }
    if (/^COPY .* FROM stdin;$/.test(line)) this.inCopy = true;
    if (!this.unknown.test(line)) return true;
    this.removed++;
    return false;
  }
}
