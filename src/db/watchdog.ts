// Notices a server that stopped answering. In a network partition nothing arrives and nothing
// fails: TCP retransmits for a quarter of an hour, and a keepalive is never sent while a query is
// outstanding. So the lock connection is pinged; a ping without an answer in `deadlineMs` means
// the path to the server is gone. The pings also keep the lock session from counting as idle
// under its server-side idle_session_timeout (session.ts).
import type pg from 'pg';

export const WATCHDOG = { intervalMs: 5_000, deadlineMs: 15_000 } as const;

export interface Watchdog {
  stop(): void;
}

/** Pings `client` every interval; calls `onSilent` once if a ping is not answered in time. */
export function watch(client: pg.Client, onSilent: (error: Error) => void, timing: { intervalMs: number; deadlineMs: number } = WATCHDOG): Watchdog {
  let sentAt: number | undefined;
  let answeredAt = Date.now();
  const answered = () => {
    sentAt = undefined;
    answeredAt = Date.now();
  };
  // Checked every second, so a missed deadline is seen promptly; pinged every interval.
  const timer = setInterval(
    () => {
      const now = Date.now();
      if (sentAt !== undefined) {
        if (now - sentAt < timing.deadlineMs) return;
        clearInterval(timer);
        return onSilent(new Error(`the server did not answer for ${Math.round(timing.deadlineMs / 1000)} s: a network partition, or a hung server`));
      }
      if (now - answeredAt < timing.intervalMs) return;
      sentAt = now;
      // Any answer, an error included, shows that the path works; a closed socket is reported by 'error'/'end'.
      client.query('SELECT 1').then(answered, answered);
    },
    Math.min(1_000, timing.intervalMs),
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Cuts a connection's socket at once, failing whatever waits on it: `end()` would wait on the dead peer. */
export function sever(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
