// The .env parser: every line is blank, a comment or KEY=value; any other line is an error that
// names it, so no line can silently swallow the next one.
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/cli/dotenv';

const parse = (text: string | Uint8Array) => parseDotenv(typeof text === 'string' ? Buffer.from(text) : text);

function failure(text: string | Uint8Array): { message: string; exitCode: number } {
  try {
    parse(text);
  } catch (error) {
    return error as { message: string; exitCode: number };
  }
  throw new Error('parsed without an error');
}

describe('.env parsing', () => {
  it('reads KEY=value lines with the usual quoting, comments, export and Windows line endings', () => {
    const text = [
      '\uFEFF# the target', // a byte-order mark, then a comment
      'POSTGRES_HOST=db.internal',
      '',
      'export POSTGRES_PORT = 6543',
      "POSTGRES_PASSWORD='pa ss#1'",
      'POSTGRES_USER="app"   # the application role',
      'APP_ENV=prod # comment',
      'EMPTY=',
      '   ',
    ].join('\r\n');
    expect(parse(text)).toEqual({
      POSTGRES_HOST: 'db.internal',
      POSTGRES_PORT: '6543',
      POSTGRES_PASSWORD: 'pa ss#1',
      POSTGRES_USER: 'app',
      APP_ENV: 'prod',
      EMPTY: '',
    });
  });

  it('keeps a `#` inside an unquoted value: only a `#` after a space starts a comment', () => {
    expect(parse('POSTGRES_PASSWORD=abc#123\nA=#x\nB=x #y\nC= #z\nD=a\t# tab\n')).toEqual({
      POSTGRES_PASSWORD: 'abc#123',
      A: '#x',
      B: 'x',
      C: '',
      D: 'a',
    });
  });

  it('refuses a line without "=" and names it, instead of joining it to the next line', () => {
    const error = failure('POSTGRES_HOST=db\nPOSTGRES_SSLMODE disable\nAPP_ENV=prod\n');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('.env line 2 is not KEY=value, a comment or blank (it starts with POSTGRES_SSLMODE)');
  });

  it('never prints the text of a bad line, which may be a password', () => {
    const error = failure('POSTGRES_PASSWORD Secret-Value-93kd\n');
    expect(error.message).toContain('line 1');
    expect(error.message).not.toContain('Secret-Value-93kd');
    for (const line of ['Secret-Value-93kd', 'SECRETVALUE93', 'secret value 93'])
      expect(failure(`${line}\n`).message).not.toMatch(/secret/i);
  });

  it('refuses a quoted value that runs past its line', () => {
    expect(failure('POSTGRES_PASSWORD="abc\nAPP_ENV=prod"\n').message).toBe(
      '.env line 1 (POSTGRES_PASSWORD) has a quoted value that does not end on its line',
    );
    expect(failure('A="x" y\n').message).toContain('line 1');
  });

  it('refuses a binary file, or one that is not UTF-8, before any of its lines is used', () => {
    const binary = Buffer.concat([
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]),
      Buffer.from('\nPOSTGRES_PORT=6543\n'),
    ]);
    expect(failure(binary).message).toBe('.env line 1 holds control characters (is it a binary file?)');
    expect(failure(Buffer.from([0x41, 0x3d, 0xff, 0xfe, 0x0a])).message).toBe('.env is not UTF-8 text');
  });
});
