// Notices a server that stopped answering. In a network partition nothing arrives and nothing
// fails: TCP retransmits for a quarter of an hour, and a keepalive is never sent while a query is
// outstanding. So the lock connection is pinged; a ping without an answer in `deadlineMs` means
// the path to the server is gone. The pings also keep the lock session from counting as idle
// under its server-side idle_session_timeout (session.ts).
//
// A ping waits behind whatever else the session runs (a seed's long statement, an application's
// query on a client it lent us): an unanswered ping alone does not tell "busy" from "gone". So an
// overdue ping is checked from a second, short connection (`probe`): if the session's backend is
// running a statement of its own, it is busy, and the ping gets another deadline; if the probe
// cannot connect, or the backend is gone or idle (the ping never arrived), the path is lost.
import type pg from 'pg';

export const WATCHDOG = { intervalMs: 5_000, deadlineMs: 15_000 } as const;

/** The ping's text, so that a probe can tell it from the session's own work. */
export const PING = 'SELECT 1 /* migrate-tool watchdog */';

/** What a probe found: the session is `busy` with a statement of its own, or `silent`, with why. */
export type ProbeResult = { busy: true } | { busy: false; reason: string };

export interface Watchdog {
  stop(): void;
}

interface Timing {
  intervalMs: number;
  deadlineMs: number;
}

/** Pings `client` every interval; calls `onSilent` once if a ping is not answered in time (and `probe` does not find it busy). */
export function watch(
  client: pg.Client,
  onSilent: (error: Error) => void,
  timing: Timing = WATCHDOG,
  probe?: () => Promise<ProbeResult>,
): Watchdog {
  let sentAt: number | undefined;
  let answeredAt = Date.now();
  let probing = false;
  let stopped = false;
  const answered = () => {
    sentAt = undefined;
    answeredAt = Date.now();
  };
  // The message stays the same whatever the probe found; what it found is the error's cause.
  const silent = (found?: string) => {
    if (stopped) return;
    stop();
    const why = `the server did not answer for ${Math.round(timing.deadlineMs / 1000)} s: a network partition, or a hung server`;
    onSilent(new Error(why, found ? { cause: new Error(found) } : undefined));
  };
  const overdue = () => {
    if (!probe) return silent();
    probing = true;
    probe().then(
      (r) => {
        probing = false;
        if (stopped || sentAt === undefined) return; // answered meanwhile
        if (r.busy)
          sentAt = Date.now(); // still working on its own statement: a new deadline
        else silent(r.reason);
      },
      (error: Error) => silent(`a second connection failed too: ${error.message}`),
    );
  };
  // Checked every second, so a missed deadline is seen promptly; pinged every interval.
  const timer = setInterval(
    () => {
      const now = Date.now();
      if (probing) return;
      if (sentAt !== undefined) {
        if (now - sentAt >= timing.deadlineMs) overdue();
        return;
      }
      if (now - answeredAt < timing.intervalMs) return;
      sentAt = now;
      // Any answer, an error included, shows that the path works; a closed socket is reported by 'error'/'end'.
      client.query(PING).then(answered, answered);
    },
    Math.min(1_000, timing.intervalMs),
  );
  timer.unref();
  function stop() {
    stopped = true;
    clearInterval(timer);
  }
  return { stop };
}

/** Asks, from another connection, whether backend `pid` is running a statement other than the ping. */
export async function probeSession(other: pg.Client, pid: number): Promise<ProbeResult> {
  const r = await other.query<{ state: string | null; query: string }>(
    'SELECT state, query FROM pg_stat_activity WHERE pid = $1',
    [pid],
  );
  const row = r.rows[0];
  if (!row) return { busy: false, reason: `its session ${pid} is gone` };
  if (row.state === 'active' && row.query !== PING) return { busy: true };
  return { busy: false, reason: `its session ${pid} is ${row.state ?? 'in an unknown state'} and never got the ping` };
}

/** Cuts a connection's socket at once, failing whatever waits on it: `end()` would wait on the dead peer. */
export function sever(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
