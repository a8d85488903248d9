// Connections for the workers that run migrations: opened on demand, at most `size` of them,
// replaced when one dies, and all closed at the end. The pids of busy ones are known, so a
// second Ctrl-C can cancel what they run.
import type pg from 'pg';
import type { Connection } from '../config/connection';
import { connect, type ConnectOptions } from './connect';

export class WorkerConnections {
  private idle: pg.Client[] = [];
  private readonly busy = new Set<pg.Client>();

  constructor(
    private readonly connection: Connection,
    private readonly opts: ConnectOptions,
  ) {}

  async acquire(): Promise<pg.Client> {
    const client = this.idle.pop() ?? (await this.open());
    this.busy.add(client);
    return client;
  }

  release(client: pg.Client, broken = false): void {
    this.busy.delete(client);
    if (broken) void client.end().catch(() => {});
    else this.idle.push(client);
  }

  busyPids(): number[] {
    return [...this.busy].map((c) => (c as unknown as { processID: number }).processID).filter(Boolean);
  }

  async close(): Promise<void> {
    const all = [...this.idle, ...this.busy];
    this.idle = [];
    this.busy.clear();
    await Promise.all(all.map((c) => c.end().catch(() => {})));
  }

  private async open(): Promise<pg.Client> {
    const client = await connect(this.connection, { ...this.opts, waitMs: 0 });
    // A session the server terminates while idle must not crash the process; the next query reports it.
    client.on('error', () => {});
    return client;
  }
}
