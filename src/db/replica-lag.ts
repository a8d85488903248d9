// How far the replicas are behind a writer's own commits, for a writer that paces itself by it (a
// backfill's batches). pg_stat_replication's replay_lag alone is not enough: it is measured only
// when new WAL reaches a replica, so once the writer pauses it stays as it was, too low or too high
// (docs/design.md, backfills, has what was seen). So each commit's place in the WAL is kept with
// its time, and a replica is behind by the age of the oldest commit it has not replayed yet
// (replay_lsn): exact for the writer's own work, and 0 the moment every replica has replayed it.
// While some of that work is not replayed, replay_lag counts too: it is fresh then (WAL flows), and
// it sees lag that other writers caused.
import type { Queryable } from './queryable';

interface Commit {
  lsn: bigint;
  at: number;
}

/** Commits kept at most: a replica further behind than this many is behind by at least the oldest kept. */
const KEPT = 10_000;

export class ReplicaLag {
  private commits: Commit[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** After a commit of the writer's session: where the WAL is now (past that commit), and when. */
  async committed(client: Queryable): Promise<void> {
    const r = await client.query<{ lsn: string }>('SELECT pg_catalog.pg_current_wal_lsn()::text AS lsn');
    this.commits.push({ lsn: lsnValue(r.rows[0]!.lsn), at: this.now() });
    if (this.commits.length > KEPT) this.commits.splice(0, this.commits.length - KEPT);
  }

  /**
   * The most any replica is behind, in ms; 0 without replicas. `hidden`: there are replicas whose
   * positions this role may not read (pg_read_all_stats or pg_monitor lets it), so it cannot know.
   */
  async behind(client: Queryable): Promise<{ ms: number; hidden: boolean }> {
    const r = await client.query<{ replayed: string | null; lag_ms: number | null }>(
      `SELECT replay_lsn::text AS replayed, extract(epoch FROM replay_lag)::float8 * 1000 AS lag_ms
         FROM pg_catalog.pg_stat_replication`,
    );
    if (r.rows.length === 0) return { ms: 0, hidden: false };
    const positions = r.rows.map((row) => row.replayed);
    if (positions.every((p) => p === null)) return { ms: 0, hidden: true };
    // A replica that has not reported a position yet has replayed nothing of the writer's.
    const replayed = positions
      .map((p) => (p === null ? 0n : lsnValue(p)))
      .reduce((min, v) => (v < min ? v : min), MAX_LSN);
    while (this.commits.length && this.commits[0]!.lsn <= replayed) this.commits.shift();
    if (this.commits.length === 0) return { ms: 0, hidden: false };
    const ours = this.now() - this.commits[0]!.at;
    const theirs = Math.max(0, ...r.rows.map((row) => row.lag_ms ?? 0));
    return { ms: Math.max(ours, theirs), hidden: false };
  }
}

const MAX_LSN = 0xffffffffffffffffn;

/** `16/B374D848` as a number: the high and low 32 bits, in hex. */
export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}
