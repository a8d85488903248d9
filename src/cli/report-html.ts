// `report --html`: one page an operator opens after a job. Self-contained: inline CSS, no script,
// no font, image or link to fetch, and a Content-Security-Policy that forbids fetching anything,
// so it opens the same from a CI artifact, a mail attachment or an air-gapped laptop.
import type { RunRecord } from '../index';
import { thousands as n } from './format';
import type { TenantsSummaryDoc } from './tenant-filters';

export interface ReportTarget {
  name: string;
  /** Where it is (host, port, database; never a password). */
  where: string;
  /** The target could not be read: the page says why instead of its figures. */
  error?: string;
  globalVersion?: string | null;
  /** The folder's newest tenant version: the bars at it are drawn as done. */
  latest?: string | null;
  summary?: TenantsSummaryDoc;
  dirty?: Array<{ schema: string; version: string | null }>;
  failed?: Array<{ schema: string; version: string; error: string; at: string }>;
  /** Absent: drift not checked (`reason` says why). */
  drift?:
    | { checked: number; differ: Array<{ schema: string; version: string | null; summary: string }>; unchecked: number }
    | { reason: string };
  lastRun?: RunRecord;
  /** When the last run was a stage of a staged rollout: its kept stages, oldest first. */
  rollout?: RunRecord[];
}

export interface ReportPage {
  generatedAt: string;
  toolVersion: string;
  targets: ReportTarget[];
}

/** Rows listed per table at most: the page stays small at 10,000 failed schemas; the count says the rest. */
export const MAX_ROWS = 200;

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;color:#1f2328;margin:24px;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}small,.muted{color:#656d76}
.facts span{display:inline-block;margin-right:16px}.facts b{font-size:16px}
.row{display:flex;align-items:center;margin:3px 0}.label{width:130px;font-family:monospace}
.track{width:480px;height:18px;background:#f3f4f6;display:inline-block}
.bar{display:block;height:18px;min-width:2px}.bar.latest{background:#2e7d32}.bar.older{background:#d97706}.bar.none{background:#94a3b8}
.count{margin-left:8px;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;margin:4px 0}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}td.err{max-width:560px;white-space:pre-wrap;font-family:monospace;font-size:12px}
.error{color:#b42318}`;

export function reportHtml(page: ReportPage): string {
  const title = `migrate-tool report, ${page.generatedAt}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // Nothing may be fetched: the page carries all it shows.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${esc(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>Migration report</h1><p class="muted">Generated ${esc(when(page.generatedAt))} by migrate-tool ${esc(page.toolVersion)}, from each target's recorded state (drift: from its live catalog).</p>`,
    ...page.targets.map(targetSection),
    '</body></html>',
    '',
  ].join('\n');
}

function targetSection(t: ReportTarget): string {
  const head = `<section class="target" data-target="${esc(t.name)}"><h2>${esc(t.name)} <small>${esc(t.where)}</small></h2>`;
  if (t.error || !t.summary) return `${head}<p class="error">Not read: ${esc(t.error ?? 'no data')}</p></section>`;
  const s = t.summary;
  const driftCount = t.drift && 'differ' in t.drift ? String(t.drift.differ.length) : 'not checked';
  const facts = [
    ['global version', t.globalVersion ?? 'none'],
    ['tenant schemas', n(s.count)],
    ['behind', n(s.behind)],
    ['dirty', n(s.dirty)],
    ['failed', n((t.failed ?? []).length)], // public's too, when a global migration failed
    ['drifted', driftCount],
  ];
  return [
    head,
    `<p class="facts">${facts.map(([k, v]) => `<span>${esc(k!)} <b data-fact="${esc(k!)}">${esc(v!)}</b></span>`).join('')}</p>`,
    '<h3>Tenant schemas per version</h3>',
    histogram(s, t.latest ?? null),
    '<h3>Dirty schemas</h3>',
    list(t.dirty ?? [], 'dirty', ['schema', 'version'], (d) => [d.schema, d.version ?? 'none']),
    '<h3>Failed schemas</h3>',
    list(
      t.failed ?? [],
      'failed',
      ['schema', 'version', 'error', 'run ended'],
      (f) => [f.schema, f.version, f.error, when(f.at)],
      2,
    ),
    '<h3>Drifted schemas</h3>',
    driftPart(t.drift),
    ...(t.rollout ? ['<h3>Rollout</h3>', rolloutPart(t.rollout)] : []),
    '<h3>Last run</h3>',
    lastRun(t.lastRun),
    '</section>',
  ].join('\n');
}

function histogram(s: TenantsSummaryDoc, latest: string | null): string {
  if (s.versions.length === 0) return '<p class="muted">No tenant schemas.</p>';
  const max = Math.max(...s.versions.map((v) => v.schemas));
  const rows = s.versions.map((v) => {
    const kind = v.version === null ? 'none' : v.version === latest ? 'latest' : 'older';
    const width = ((v.schemas / max) * 100).toFixed(2);
    return (
      `<div class="row" data-version="${esc(v.version ?? 'none')}" data-count="${v.schemas}"><span class="label">${esc(v.version ?? 'none')}</span>` +
      `<span class="track"><span class="bar ${kind}" style="width:${width}%"></span></span><span class="count">${n(v.schemas)}</span></div>`
    );
  });
  return `<div class="histogram">${rows.join('')}</div><p class="muted">Green: the folder's newest tenant version; amber: older; grey: nothing applied.</p>`;
}

/** A table of at most MAX_ROWS rows, or "none"; `errCol`: the column shown as an error text. */
function list<T>(items: T[], kind: string, head: string[], cells: (item: T) => string[], errCol = -1): string {
  if (items.length === 0) return `<p class="muted" data-list="${kind}" data-count="0">None.</p>`;
  const rows = items.slice(0, MAX_ROWS).map(
    (item) =>
      `<tr>${cells(item)
        .map((c, i) => `<td${i === errCol ? ' class="err"' : ''}>${esc(c)}</td>`)
        .join('')}</tr>`,
  );
  const more =
    items.length > MAX_ROWS
      ? `<p class="muted">and ${n(items.length - MAX_ROWS)} more (migrate-tool tenants --${kind})</p>`
      : '';
  return `<table data-list="${kind}" data-count="${items.length}"><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.join('')}</table>${more}`;
}

function driftPart(drift: ReportTarget['drift']): string {
  if (!drift) return '<p class="muted">Not checked.</p>';
  if ('reason' in drift) return `<p class="muted">Not checked: ${esc(drift.reason)}</p>`;
  const unchecked = drift.unchecked
    ? `<p class="muted">${n(drift.unchecked)} schema(s) could not be checked (migrate-tool drift says why).</p>`
    : '';
  return (
    list(drift.differ, 'drifted', ['schema', 'recorded version', 'difference'], (d) => [
      d.schema,
      d.version ?? 'none',
      d.summary,
    ]) + unchecked
  );
}

function lastRun(run: RunRecord | undefined): string {
  if (!run)
    return '<p class="muted">No run recorded (runs of up and down that had work are recorded, the newest 20).</p>';
  const c = run.counts;
  const stage = run.rollout ? ` (${run.rollout.stage} of the rollout)` : '';
  const what = `${run.direction}${stage} started ${when(run.startedAt)}, ${seconds(run.ms)}${run.interrupted ? ', interrupted' : ''}: `;
  const counts = `${n(c.migrated)} schema(s) migrated, ${n(c.failed)} failed, ${n(c.skipped)} skipped; ${n(c.migrations)} migration(s) ${run.direction === 'up' ? 'applied' : 'rolled back'}`;
  const stages = run.stages.map((s, i) => [
    String(i + 1),
    s.scope,
    versionsText(s.versions),
    n(s.schemas),
    n(s.done),
    n(s.failed),
    seconds(s.ms),
  ]);
  const slowest = run.slowest.map((s) => [s.schema, seconds(s.ms)]);
  return [
    `<p data-run="${run.id}">${esc(what + counts)}</p>`,
    '<h3>Stages</h3>',
    stages.length
      ? numeric(['stage', 'scope', 'versions', 'schemas', 'done', 'failed', 'time'], stages, 'stages')
      : '<p class="muted">No stage ran (every schema was refused).</p>',
    '<h3>Slowest schemas</h3>',
    slowest.length ? numeric(['schema', 'time'], slowest, 'slowest') : '<p class="muted">None.</p>',
  ].join('\n');
}

/** A staged rollout's stages, one engine run each (a stage with nothing to do in this database is not recorded). */
function rolloutPart(runs: RunRecord[]): string {
  const rows = runs.map((r) => [
    r.rollout!.stage,
    when(r.startedAt),
    n(r.counts.migrated),
    n(r.counts.failed),
    n(r.counts.skipped),
    seconds(r.ms),
  ]);
  const started = `<p>Started ${esc(when(runs[0]!.rollout!.id))}; its stages as recorded here (the newest 20 runs are kept):</p>`;
  return started + numeric(['stage', 'started', 'schemas migrated', 'failed', 'skipped', 'time'], rows, 'rollout');
}

function numeric(head: string[], rows: string[][], kind: string): string {
  const cell = (c: string) => `<td${/^[\d,.]+( s)?$/.test(c) ? ' class="num"' : ''}>${esc(c)}</td>`;
  return `<table data-list="${kind}" data-count="${rows.length}"><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.map(cell).join('')}</tr>`)
    .join('')}</table>`;
}

/** `2026-12-06 04:39:14Z`: an ISO time as people read it, to the second. */
const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const versionsText = (v: string[]) => (v.length <= 3 ? v.join(', ') : `${v[0]} … ${v.at(-1)} (${v.length})`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
