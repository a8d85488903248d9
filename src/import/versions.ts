// New versions for imported migrations. Digits are zero-padded on the left to 14: order is kept
// (numeric order is then string order) and the original number stays readable (`3` becomes
// `00000000000003`, a 14-digit timestamp stays itself, unix seconds `1700000000` become
// `00001700000000`). Where two would collide or go backwards (Prisma's duplicate timestamps), the
// later one takes the next free number, in the tool's own order, and the report says so.
import type { SourceMigration } from './types';

export interface Versioned {
  source: SourceMigration;
  version: string;
  /** Set when the version is not the padded original. */
  renumbered?: string;
}

export function assignVersions(migrations: SourceMigration[], problems: string[]): Versioned[] {
  const out: Versioned[] = [];
  let previous: bigint | undefined;
  for (const source of migrations) {
    if (source.version.length > 14) {
      problems.push(`${source.up.file}: version ${source.version} is longer than 14 digits; rename it to a 14-digit UTC timestamp first`);
      continue;
    }
    let n = BigInt(source.version);
    let renumbered: string | undefined;
    if (previous !== undefined && n <= previous) {
      const wanted = pad(n);
      n = previous + 1n;
      renumbered = `version ${wanted} is already taken by the migration before it in the tool's order; renumbered to ${pad(n)}`;
    }
    previous = n;
    out.push({ source, version: pad(n), renumbered });
  }
  return out;
}

function pad(n: bigint): string {
  return String(n).padStart(14, '0');
}
