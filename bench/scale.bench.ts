// Benchmark: migrate-tool at 1,000, 5,000 and 10,000 tenant schemas. Run: `npm run bench -- scale`
// or `tsx bench/scale.bench.ts`. Each section is one function below, measuring its commands against
// contenders in the same run, on fresh copies of the same databases; add a section as another one.
//   --schemas LIST   tenant schema counts (default 1000,5000,10000; the first is the base of the linearity check)
//   --repeat N       runs per contender and size, interleaved; medians are shown (default 3)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt } from './lib/cli';
import { machine } from './lib/machine';
import { benchServer, type BenchServer } from './lib/server';
import { upAtScale } from './scale/up';

const { values: flags } = parseArgs({ options: { schemas: { type: 'string' }, repeat: { type: 'string' } } });
const SIZES = (flags.schemas ?? '1000,5000,10000')
  .split(',')
  .map(Number)
  .filter((n) => n >= 1);
const REPEAT = Math.max(1, Number(flags.repeat ?? 3));

const server = await benchServer();
const work = await mkdtemp(join(tmpdir(), 'migrate-tool-scale-'));
let ok = true;
try {
  console.log(`scale: tenant schemas ${SIZES.join(', ')}; ${REPEAT} runs per contender and size, each on a fresh copy`);
  console.log(`machine: ${machine()}`);
  console.log(`server:  ${server.description}\n`);
  await ensureBuilt();
  ok = (await sectionUp(server)) && ok;
} finally {
  await rm(work, { recursive: true, force: true });
  await server.stop();
}
process.exitCode = ok ? 0 : 1;

/** `up` of 3 tenant migrations against the DO-loop floor and the chunked floor (bench/scale/up.ts). */
async function sectionUp(s: BenchServer): Promise<boolean> {
  console.log('== up ==');
  return upAtScale({ adminUrl: s.url, work, sizes: SIZES, repeat: REPEAT });
}
