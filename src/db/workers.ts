// Connections for the workers that run migrations: opened on demand, at most `size` of them,
// replaced when one dies, and all closed at the end. The pids of busy ones are known, so a
// second Ctrl-C can cancel what they run.
//
// When the server refuses a new connection because it is full ("too many clients", 53300) while
// this pool already holds some, the pool shrinks to what it holds and the worker waits for one of
// them: a full server slows the run down instead of failing schema after schema.
//
// Why not a pg.Pool: its `max` is fixed and a refused connection fails the checkout (no shrinking
// and waiting on 53300); it builds clients from one config (no SSL "prefer" fallback or one-line
// errors of connect.ts); it does not await its `connect` event (the session limits and the backend
// pid must be in place before a worker gets the client); and it does not hand out its clients,
// which severAll and the busy pids of a second Ctrl-C need. See docs/design.md (Execution).
import type pg from 'pg';
import type { Connection } from '../config/connection';
import { connect, type ConnectOptions } from './connect';
import { limitSession } from './session';
import { sever } from './watchdog';

const TOO_MANY_CONNECTIONS = '53300';

export interface WorkerOptions extends ConnectOptions {
  /** Called once when the server's connection limit shrinks the pool below what was asked for. */
  onShrink?: (size: number, reason: string) => void;
}

export class WorkerConnections {
  private idle: pg.Client[] = [];
  private readonly busy = new Set<pg.Client>();
  /** Backend pids, from the server: behind a pooler the startup key is not the backend's pid. */
  private readonly pids = new Map<pg.Client, number>();
  private opening = 0;
  private limit = Infinity;
  private shrunk = false;
  private waiters: Array<(client: pg.Client | Error) => void> = [];

  constructor(
    private readonly connection: Connection,
    private readonly opts: WorkerOptions,
  ) {}

  async acquire(): Promise<pg.Client> {
    const client = this.idle.pop() ?? (await this.openOrWait());
    this.busy.add(client);
    return client;
  }

  release(client: pg.Client, broken = false): void {
    this.busy.delete(client);
    if (broken) {
      this.pids.delete(client);
      void client.end().catch(() => {});
      // A broken connection frees a server slot: a waiter may open a new one in its place.
      const waiter = this.waiters.shift();
      if (waiter) this.open().then(waiter, waiter);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(client);
    else this.idle.push(client);
  }

  busyPids(): number[] {
    return [...this.busy].map((c) => this.pids.get(c)).filter((pid): pid is number => pid !== undefined);
  }

  /** Cuts every connection at once: what they run fails here, and the server rolls it back. */
  severAll(): void {
    for (const c of [...this.busy, ...this.idle]) sever(c);
  }

  async close(): Promise<void> {
    const all = [...this.idle, ...this.busy];
    this.idle = [];
    this.busy.clear();
    for (const waiter of this.waiters.splice(0)) waiter(new Error('the run ended'));
    await Promise.all(all.map((c) => c.end().catch(() => {})));
  }

  private get size(): number {
    return this.pids.size + this.opening;
  }

  private async openOrWait(): Promise<pg.Client> {
    if (this.size >= this.limit) return this.waitForOne();
    try {
      return await this.open();
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code !== TOO_MANY_CONNECTIONS) throw error;
      this.limit = this.size; // what is open, or still opening, is what the server lets us have
      if (this.size === 0) {
        for (const waiter of this.waiters.splice(0)) waiter(error as Error);
        throw error;
      }
      if (!this.shrunk) this.opts.onShrink?.(this.pids.size || this.size, (error as Error).message);
      this.shrunk = true;
      return this.waitForOne();
    }
  }

  private waitForOne(): Promise<pg.Client> {
    return new Promise((resolve, reject) => this.waiters.push((c) => (c instanceof Error ? reject(c) : resolve(c))));
  }

  private async open(): Promise<pg.Client> {
    this.opening++;
    try {
      const client = await connect(this.connection, { ...this.opts, waitMs: 0 });
      // A session the server terminates while idle must not crash the process; the next query reports it.
      client.on('error', () => {});
      try {
        this.pids.set(client, await limitSession(client));
      } catch (error) {
        await client.end().catch(() => {});
        throw error;
      }
      return client;
    } finally {
      this.opening--;
    }
  }
}
