// Formatting shared by several commands: tables, sizes, durations, the version and tenants lines.
// One module, so that commands never import each other to print alike.
import { isAbsolute, relative } from 'node:path';
import type { TenantsSummary, VersionReport } from '../index';

export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}

/** `2,012`: counts in messages and pages read alike everywhere. */
export const thousands = (x: number): string => x.toLocaleString('en-US');

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Relative to the working directory (`cwd`) when the file is below it (./backups), absolute otherwise (/backups in the image). */
export function shortPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The guide's two lines (`20251128112901`, `dirty: false`), or `no migration`; then the tenants line. */
export function versionLines(report: VersionReport): string[] {
  const head =
    report.version === null && !report.dirty
      ? ['no migration']
      : [report.version ?? 'no migration', `dirty: ${report.dirty}`];
  return [
    ...head,
    tenantsLine(report.tenants),
    ...invalidIndexLines(report.invalidIndexes),
    ...unknownVersionLines(report.unknownVersions),
  ];
}

/**
 * Versions the database has and the folder lacks: a rolled-back image running against a database
 * that a newer release migrated. Nothing when there are none.
 */
export function unknownVersionLines(list: string[] = []): string[] {
  if (list.length === 0) return [];
  const shown = `${list.slice(0, 5).join(', ')}${list.length > 5 ? `, and ${list.length - 5} more` : ''}`;
  const count = list.length === 1 ? '1 version' : `${list.length} versions`;
  return [
    `the database has ${count} this folder does not have: ${shown}; is this an older release? Run the release that has them (this one cannot roll them back)`,
  ];
}

/** Nothing when there are none, so the guide's output stays as it is. */
export function invalidIndexLines(list: string[] = []): string[] {
  if (list.length === 0) return [];
  const shown = `${list.slice(0, 5).join(', ')}${list.length > 5 ? `, and ${list.length - 5} more` : ''}`;
  return [
    `invalid indexes: ${list.length} (${shown}): unusable, left by index builds that did not finish; drop them with DROP INDEX CONCURRENTLY and re-run up`,
  ];
}

export function tenantsLine(t: TenantsSummary): string {
  const list = (names: string[]) =>
    names.length ? ` (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})` : '';
  return `tenants: ${t.count} matching ${t.pattern}, ${t.behind.length} behind${list(t.behind)}, ${t.dirty.length} dirty${list(t.dirty)}`;
}

/** A time span as a log reads it: `4.2 s`, `34 s`, `2 min 05 s`, `1 h 02 min`. */
export function duration(ms: number): string {
  const s = ms / 1000;
  // Compared after rounding, so 9.98 s reads `10 s`, not `10.0 s`, and 59.7 s `1 min 00 s`.
  if (s < 9.95) return `${s.toFixed(1)} s`;
  if (Math.round(s) < 60) return `${Math.round(s)} s`;
  const two = (n: number) => String(n).padStart(2, '0');
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${two(whole % 60)} s`;
  return `${Math.floor(whole / 3600)} h ${two(Math.floor((whole % 3600) / 60))} min`;
}

/** 2000 → `2,000`: counts in progress lines and summaries. */
export const count = (n: number): string => n.toLocaleString('en-US');
