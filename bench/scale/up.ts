// The scale benchmark's `up` section: 3 pending tenant migrations over 1,000, 5,000 and 10,000
// tenant schemas, `migrate-tool up` against the DO-loop floor (one transaction per migration over
// every schema, which a default server cannot hold at 5,000: its lock table fills) and the chunked
// floor (one transaction per migration and 500 schemas), and the parallel floor (the same SQL, one
// transaction per schema, on as many sessions as up's default --concurrency, recording nothing:
// what the design of one transaction per schema costs here before any bookkeeping). Each run gets
// a fresh copy of the size's template and is checked afterwards; the ratios compare medians taken
// in the same rounds.
import { join } from 'node:path';
import { migrateTool } from '../lib/cli';
import { dropDatabase, psql, withClient } from '../lib/db';
import { median, mustSucceed, ratio, runProcess, seconds, table } from '../lib/measure';
import {
  BASELINE,
  chunkedDoLoopScript,
  doLoopScript,
  parallelFloorScripts,
  PENDING,
  writeMigrateToolDir,
} from '../engine/fixture';
import { buildTemplate } from '../engine/template';
import { verifyApplied } from '../engine/verify';

export const TARGET = { floorRatio: 0.6, linear: 10.5, peakRssMb: 150 };
const CHUNK = 500;
const COPY = 'mtbench_scale_run';
/** `up` runs with the default --concurrency; it may hold that many worker connections and the lock's. */
const DEFAULT_CONCURRENCY = 4;

interface Run {
  ms: number;
  peakRssMb?: number;
  /** Most connections of migrate-tool seen at once (sampled every 20 ms). */
  connections?: number;
  /** The contender failed: its error, as it printed it. */
  failed?: string;
}

interface SizeResult {
  schemas: number;
  floor: Run[];
  chunked: Run[];
  /** The same SQL, one transaction per schema, on DEFAULT_CONCURRENCY sessions, nothing recorded. */
  parallel: Run[];
  up: Run[];
}

export interface UpScaleOptions {
  adminUrl: string;
  work: string;
  sizes: number[];
  repeat: number;
}

/** Runs the section and prints its tables; returns false when a contender that must work failed. */
export async function upAtScale(o: UpScaleOptions): Promise<boolean> {
  const dir = await writeMigrateToolDir(join(o.work, 'scale-up'), [BASELINE, ...PENDING]);
  mustSucceed('migrate-tool hash', await migrateTool(['hash'], o.adminUrl, dir));
  const results: SizeResult[] = [];
  for (const n of o.sizes) {
    const started = performance.now();
    const template = await buildTemplate(o.adminUrl, `mtbench_scale_${n}`, n, o.work, { peers: false, large: true });
    console.log(`${n} tenant schemas: template built in ${seconds(performance.now() - started)}`);
    const r: SizeResult = { schemas: n, floor: [], chunked: [], parallel: [], up: [] };
    try {
      for (let round = 1; round <= o.repeat; round++) {
        // The floor is run once more only while it works: where it fails, it fails the same way.
        if (!r.floor.some((x) => x.failed))
          r.floor.push(await timed(o.adminUrl, template.copy, 'floor', runPsql(doLoopScript(PENDING)), n));
        r.chunked.push(
          await timed(
            o.adminUrl,
            template.copy,
            `chunked floor (${CHUNK} schemas per DO block)`,
            runPsql(chunkedDoLoopScript(PENDING, n, CHUNK)),
            n,
          ),
        );
        r.parallel.push(
          await timed(
            o.adminUrl,
            template.copy,
            `parallel floor (${DEFAULT_CONCURRENCY} sessions, a transaction per schema, nothing recorded)`,
            runParallelPsql(parallelFloorScripts(PENDING, n, DEFAULT_CONCURRENCY)),
            n,
          ),
        );
        r.up.push(
          await timed(o.adminUrl, template.copy, 'migrate-tool up', (url) => runUp(url, dir, o.adminUrl, n), n),
        );
      }
    } finally {
      await dropDatabase(o.adminUrl, COPY).catch(() => {});
      await template.drop().catch(() => {});
    }
    results.push(r);
  }
  report(results);
  return results.every(
    (r) => r.up.every((x) => !x.failed) && r.chunked.every((x) => !x.failed) && r.parallel.every((x) => !x.failed),
  );
}

/** One run on a fresh copy: timed, checked, and the copy dropped. */
async function timed(
  adminUrl: string,
  copy: (name: string) => Promise<string>,
  label: string,
  run: (url: string) => Promise<Run>,
  n: number,
): Promise<Run> {
  const url = await copy(COPY);
  try {
    const r = await run(url);
    if (!r.failed) await verifyApplied(label, url, n);
    const extra = [
      r.peakRssMb ? `peak RSS ${r.peakRssMb.toFixed(0)} MB` : '',
      r.connections ? `${r.connections} connections` : '',
    ].filter(Boolean);
    console.log(
      `  ${label}: ${r.failed ? `FAILED after ${seconds(r.ms)}: ${r.failed}` : seconds(r.ms)}${extra.length ? `, ${extra.join(', ')}` : ''}`,
    );
    return r;
  } finally {
    await dropDatabase(adminUrl, COPY);
  }
}

/** The scripts on as many psql sessions at once, timed from the first start to the last end. */
function runParallelPsql(scripts: string[]): (url: string) => Promise<Run> {
  return async (url) => {
    const started = performance.now();
    const runs = await Promise.all(scripts.map((s) => runPsql(s)(url)));
    const failed = runs.find((r) => r.failed);
    return { ms: performance.now() - started, ...(failed ? { failed: failed.failed } : {}) };
  };
}

function runPsql(script: string): (url: string) => Promise<Run> {
  return async (url) => {
    const bin = psql();
    if (!bin) throw new Error('the scale benchmark needs psql on PATH for the floor');
    const run = await runProcess(bin, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url], {
      input: script,
      measureRss: false,
    });
    if (run.code === 0) return { ms: run.ms };
    const error = run.stderr.split('\n').find((l) => l.includes('ERROR:')) ?? run.stderr.trim();
    const hint = run.stderr.split('\n').find((l) => l.includes('HINT:'));
    return {
      ms: run.ms,
      failed: [error, hint]
        .filter(Boolean)
        .join(' ')
        .replace(/\s+/g, ' ')
        .replace(/^psql:<stdin>:\d+: /, ''),
    };
  };
}

/** `migrate-tool up` (default settings) while another session counts its connections. */
async function runUp(url: string, dir: string, adminUrl: string, n: number): Promise<Run> {
  const database = new URL(url).pathname.slice(1);
  let most = 0;
  let sampling = true;
  const sampler = withClient(adminUrl, async (c) => {
    while (sampling) {
      const { rows } = await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'migrate-tool'`,
        [database],
      );
      most = Math.max(most, rows[0]!.n);
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  try {
    const run = mustSucceed('migrate-tool up', await migrateTool(['up'], url, dir));
    return { ms: run.ms, peakRssMb: run.peakRssMb, connections: most };
  } finally {
    sampling = false;
    await sampler;
    await verifyState(url, dir, n);
  }
}

/** migrate-tool's own record agrees: every pending migration applied in every tenant schema. */
async function verifyState(url: string, dir: string, n: number): Promise<void> {
  const run = mustSucceed('migrate-tool status', await migrateTool(['status', '--json'], url, dir));
  const report = JSON.parse(run.stdout) as { migrations: Array<{ version: string; tenantsApplied?: number }> };
  for (const m of PENDING) {
    const got = report.migrations.find((r) => r.version === m.version)?.tenantsApplied;
    if (got !== n) throw new Error(`migrate-tool status: ${m.version} applied in ${got} tenant schemas, expected ${n}`);
  }
}

function report(results: SizeResult[]): void {
  const ok = (runs: Run[]) => runs.filter((r) => !r.failed).map((r) => r.ms);
  const med = (runs: Run[]) => (ok(runs).length ? median(ok(runs)) : undefined);
  const show = (runs: Run[]) => {
    const failed = runs.find((r) => r.failed);
    if (failed) return `FAILED after ${seconds(failed.ms)}: ${failed.failed}`;
    return `${seconds(med(runs)!)} [runs: ${runs.map((r) => (r.ms / 1000).toFixed(2)).join(', ')}]`;
  };
  const verdict = (good: boolean) => (good ? 'met' : 'MISSED');
  console.log(
    `\nup of ${PENDING.length} tenant migrations, default settings (--concurrency ${DEFAULT_CONCURRENCY}), medians`,
  );
  const rows = [
    [
      'tenant schemas',
      'floor (one DO block per migration)',
      `chunked floor (${CHUNK} per block)`,
      `parallel floor (${DEFAULT_CONCURRENCY} sessions)`,
      'migrate-tool up',
      'up / floor',
      'up / chunked',
      'up / parallel',
      'parallel / floor',
      'peak RSS',
      'connections',
    ],
  ];
  for (const r of results) {
    const up = med(r.up)!;
    const floor = med(r.floor);
    const chunked = med(r.chunked);
    const parallel = med(r.parallel);
    const rss = Math.max(...r.up.map((x) => x.peakRssMb ?? 0));
    const conns = Math.max(...r.up.map((x) => x.connections ?? 0));
    const single = floor ?? chunked;
    rows.push([
      String(r.schemas),
      show(r.floor),
      show(r.chunked),
      show(r.parallel),
      show(r.up),
      floor ? ratio(up, floor) : '-',
      chunked ? ratio(up, chunked) : '-',
      parallel ? ratio(up, parallel) : '-',
      parallel && single ? ratio(parallel, single) : '-',
      `${rss.toFixed(0)} MB`,
      String(conns),
    ]);
  }
  console.log(table(rows));
  console.log('\ntargets');
  for (const r of results) {
    const up = med(r.up)!;
    const against = med(r.floor) ?? med(r.chunked);
    const which = med(r.floor) ? 'floor' : 'chunked floor';
    if (against)
      console.log(
        `  ${r.schemas}: up / ${which} ≤ ${TARGET.floorRatio}×: ${ratio(up, against)} (${verdict(up / against <= TARGET.floorRatio)})`,
      );
    const chunked = med(r.chunked);
    if (chunked && which === 'floor')
      console.log(
        `  ${r.schemas}: up / chunked floor ≤ ${TARGET.floorRatio}×: ${ratio(up, chunked)} (${verdict(up / chunked <= TARGET.floorRatio)})`,
      );
    const rss = Math.max(...r.up.map((x) => x.peakRssMb ?? 0));
    const conns = Math.max(...r.up.map((x) => x.connections ?? 0));
    console.log(
      `  ${r.schemas}: peak RSS ≤ ${TARGET.peakRssMb} MB: ${rss.toFixed(0)} MB (${verdict(rss <= TARGET.peakRssMb)}); connections ≤ ${DEFAULT_CONCURRENCY + 1}: ${conns} (${verdict(conns <= DEFAULT_CONCURRENCY + 1)})`,
    );
  }
  const first = results[0]!;
  for (const r of results.slice(1)) {
    const k = r.schemas / first.schemas;
    const grew = med(r.up)! / med(first.up)!;
    const limit = (TARGET.linear * k) / 10;
    console.log(
      `  ${r.schemas} / ${first.schemas}: up took ${grew.toFixed(2)}× as long for ${k}× the schemas (≤ ${limit.toFixed(2)}×: ${verdict(grew <= limit)})`,
    );
  }
  console.log(
    `  parallel / floor is where a tool that keeps one transaction per schema on ${DEFAULT_CONCURRENCY} connections, and records nothing, lands: the lowest up / floor this machine allows that design`,
  );
  console.log(
    '  every run was checked afterwards: the new column, table and index in every schema, and `status --json` shows all three applied everywhere',
  );
}
