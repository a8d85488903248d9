// `npm run bench`: runs every bench/*.bench.ts (or only those named: `npm run bench -- engine startup`),
// each in its own process, one after another, all against one PostgreSQL server: BENCH_DATABASE_URL
// if it answers, otherwise an embedded server started here once. Flags after a name go to that
// benchmark (`npm run bench -- engine --repeat 3 startup --runs 40`); flags before any name go to
// every benchmark. Each benchmark prints its own figures.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seconds } from './lib/measure';
import { benchServer } from './lib/server';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const { chosen, unknown, flagsFor } = parseCommandLine(process.argv.slice(2));
if (unknown.length > 0) {
  console.error(
    `no benchmark named ${unknown.join(', ')}; there are: ${available.map((f) => f.replace(/\.bench\.ts$/, '')).join(', ')}`,
  );
  process.exit(2);
}

const server = await benchServer();
console.log(`bench server: ${server.description}\n`);
const outcomes: Array<{ file: string; code: number | null; ms: number }> = [];
try {
  for (const file of chosen) {
    console.log(`=== ${file} ===`);
    const started = performance.now();
    const code = await run(file);
    outcomes.push({ file, code, ms: performance.now() - started });
    console.log();
  }
} finally {
  await server.stop();
}

console.log('=== summary ===');
for (const o of outcomes)
  console.log(`${o.code === 0 ? 'ok    ' : `FAILED (exit ${o.code})`}  ${o.file}  ${seconds(o.ms)}`);
process.exitCode = outcomes.every((o) => o.code === 0) ? 0 : 1;

function run(file: string): Promise<number | null> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(file, import.meta.url)), ...flagsFor(file)],
    {
      stdio: 'inherit',
      env: { ...process.env, BENCH_DATABASE_URL: server.url, BENCH_SERVER_DESCRIPTION: server.description },
    },
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(signal ? 128 : code));
  });
}

/** Splits `[flags] [name [flags]]...` into the benchmarks to run and the flags each one gets. */
function parseCommandLine(args: string[]) {
  const fileOf = (name: string) => available.find((f) => f === name || f === `${name}.bench.ts`);
  // `scale` is the scale of issue-sized figures: `up` at 1,000 to 10,000 schemas, then the
  // read-only commands and a new tenant on 10,000 schemas (readonly.bench.ts).
  // `online`: the application's worst latency during `up` with a blocker, and during a 1,000,000-row
  // backfill, each beside today's behaviour measured in the same run (issue-sized figures too).
  const groups: Record<string, string[]> = {
    scale: ['scale.bench.ts', 'readonly.bench.ts'],
    online: ['online-blockers.bench.ts', 'online-backfill.bench.ts'],
  };
  const common: string[] = [];
  const own = new Map<string, string[]>();
  const unknown: string[] = [];
  let current: string[] = common;
  for (const [i, arg] of args.entries()) {
    const prev = args[i - 1];
    const isValue = prev !== undefined && prev.startsWith('--') && !prev.includes('=');
    if (arg.startsWith('-') || (isValue && !fileOf(arg) && !groups[arg])) {
      current.push(arg);
      continue;
    }
    const files = groups[arg] ?? (fileOf(arg) ? [fileOf(arg)!] : []);
    if (files.length === 0) {
      unknown.push(arg);
      continue;
    }
    // Flags after a group's name go to its first benchmark; the group runs in its own order.
    current = own.get(files[0]!) ?? [];
    own.set(files[0]!, current);
    for (const file of files.slice(1)) if (!own.has(file)) own.set(file, []);
  }
  const chosen = own.size > 0 ? [...own.keys()] : available;
  return { chosen, unknown, flagsFor: (file: string) => [...common, ...(own.get(file) ?? [])] };
}
