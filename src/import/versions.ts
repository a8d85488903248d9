// New versions for imported migrations. Digits are zero-padded on the left to 14: order is kept
// (numeric order is then string order) and the original number stays readable (`3` becomes
// `00000000000003`, a 14-digit timestamp stays itself, unix seconds `1700000000` become
// `00001700000000`). Where two would collide or go backwards (Prisma's duplicate timestamps), the
// later one takes the next free number, in the tool's own order, and the report says so.

/** What needs a version: the source's digits, and the file to name in a problem. */
export interface Unversioned {
  digits: string;
  file: string;
  /**
   * The digits only say where it goes (a later part of the same source file, a Prisma folder without
   * a timestamp): it takes the next free number, and whoever set this explains it.
   */
  placed?: boolean;
}

export type Versioned<T> = T & {
  version: string;
  /** Set when the version is not the padded original. */
  renumbered?: string;
};

export function assignVersions<T extends Unversioned>(items: T[], problems: string[]): Array<Versioned<T>> {
  const out: Array<Versioned<T>> = [];
  let previous: bigint | undefined;
  for (const item of items) {
    if (item.digits.length > 14) {
      problems.push(
        `${item.file}: version ${item.digits} is longer than 14 digits; rename it to a 14-digit UTC timestamp first`,
      );
      continue;
    }
    let n = BigInt(item.digits);
    let renumbered: string | undefined;
    if (previous !== undefined && n <= previous) {
      const wanted = pad(n);
      n = previous + 1n;
      if (!item.placed)
        renumbered = `version ${wanted} is already taken by the migration before it in the tool's order; renumbered to ${pad(n)}`;
    }
    previous = n;
    out.push({ ...item, version: pad(n), renumbered });
  }
  return out;
}

function pad(n: bigint): string {
  return String(n).padStart(14, '0');
}
