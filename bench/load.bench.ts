// Benchmark: loading a migrations folder whose one file holds many statements (read, UTF-8 check,
// checksum, split), at growing sizes, to show that loading grows linearly with the file. No server:
// loading happens before any connection. `up`, `hash`, `status` and every other command pay this.
// Run: `npm run bench -- load` or `tsx bench/load.bench.ts`.
//   --sizes A,B,...   statements per file (default 10000,100000,1000000; the last is about 60 MB)
//   --runs N          timed loads of each size (default 3, after 1 untimed warm-up load)
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMigrations } from '../src/migrations/files';
import { machine } from './lib/machine';
import { median, millis, table } from './lib/measure';

const { values: flags } = parseArgs({ options: { sizes: { type: 'string' }, runs: { type: 'string' } } });
const SIZES = (flags.sizes ?? '10000,100000,1000000').split(',').map(Number);
const RUNS = Math.max(1, Number(flags.runs ?? 3));

const work = await mkdtemp(join(tmpdir(), 'migrate-tool-bench-load-'));
try {
  console.log('load: loadMigrations of a folder with one file of N statements');
  console.log(`machine: ${machine()}\n`);
  const rows = [['statements', 'file size', 'median load', 'per 1,000 statements']];
  for (const n of SIZES) {
    const dir = join(work, String(n));
    await mkdir(dir);
    const file = join(dir, '20250101000000_bulk.up.sql');
    await writeFile(
      file,
      Array.from({ length: n }, (_, i) => `INSERT INTO t (id, name) VALUES (${i}, 'row ${i}; still row ${i}');\n`).join(
        '',
      ),
    );
    const size = (await stat(file)).size;
    const times: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      const started = performance.now();
      const folder = await loadMigrations(dir);
      const ms = performance.now() - started;
      if (folder.migrations[0]!.up.statements.length !== n) throw new Error(`expected ${n} statements`);
      if (run > 0) times.push(ms);
    }
    const ms = median(times);
    rows.push([n.toLocaleString('en-US'), `${(size / 2 ** 20).toFixed(1)} MB`, millis(ms), millis((ms / n) * 1000)]);
  }
  console.log(table(rows));
} finally {
  await rm(work, { recursive: true, force: true });
}
