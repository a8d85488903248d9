import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, test } from 'vitest';
import { SettingsFilter, unknownSettings } from '../../src/backup/settings-filter';

// The start of what pg_restore 17.12 writes with --file=- (seen from the image), and a table whose data holds the same text.
const SCRIPT = [
  '\\restrict abc',
  'SET idle_in_transaction_session_timeout = 0;',
  'SET transaction_timeout = 0;',
  "SET client_encoding = 'UTF8';",
  'COPY public.t (id, s) FROM stdin;',
  '1\tSET transaction_timeout = 0;',
  '\\.',
  'SET transaction_timeout = 0;',
  '\\unrestrict abc',
  '',
].join('\n');

async function filtered(script: string, settings: string[], chunk = 7) {
  const filter = new SettingsFilter(settings);
  const bytes = Buffer.from(script);
  const chunks = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) =>
    bytes.subarray(i * chunk, (i + 1) * chunk),
  );
  return { out: await text(Readable.from(chunks).pipe(filter)), removed: filter.removed };
}

describe('settings filter', () => {
  test('drops only whole SET lines of the settings the server lacks, never a row of COPY data', async () => {
    const { out, removed } = await filtered(SCRIPT, unknownSettings(15));
    expect(removed).toBe(2);
    expect(out).toBe(
      SCRIPT.replace(
        'SET idle_in_transaction_session_timeout = 0;\nSET transaction_timeout = 0;\n',
        'SET idle_in_transaction_session_timeout = 0;\n',
      ).replace('\\.\nSET transaction_timeout = 0;\n', '\\.\n'),
    );
  });

  test('a server that knows every setting gets the script unchanged, multi-byte characters split across chunks included', async () => {
    expect(unknownSettings(17)).toEqual([]);
    const script = `${SCRIPT}-- Zürich, 東京\n`;
    for (const chunk of [1, 2, 5])
      expect(await filtered(script, unknownSettings(17), chunk)).toEqual({ out: script, removed: 0 });
  });
});
