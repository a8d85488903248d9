// Fan-out over tenant schemas: each schema takes its chain of items in order, at most `concurrency`
// schemas at once, and the result is one entry per schema (as kysely's Migrator returns result
// sets) instead of writes into a shared result. Generic over the work: `runOne(schema, item)` does
// one item in one schema; what an item is (a migration, a seed set) is the caller's business.
//
// A schema whose item failed gets nothing more (its later items are NotExecuted, 'earlier-error'),
// so its history never has a gap; the other schemas go on unless `failFast` is set. Once the
// signal aborts (Ctrl-C, a lost lock) or fail-fast stops the run, no schema starts a new item.

export type ItemStatus = 'Success' | 'Error' | 'NotExecuted';
export type NotExecutedReason = 'interrupted' | 'fail-fast' | 'earlier-error';

export interface ItemResult<I, R> {
  item: I;
  status: ItemStatus;
  /** What `runOne` returned (Success). */
  value?: R;
  /** What `runOne` threw (Error). */
  error?: unknown;
  /** Why it did not run (NotExecuted). */
  reason?: NotExecutedReason;
}

export interface TenantResult<I, R> {
  schema: string;
  results: Array<ItemResult<I, R>>;
}

/** One schema with the items it needs, in order. */
export interface Chain<I> {
  schema: string;
  items: I[];
}

export interface PerTenantOptions<I, R> {
  concurrency: number;
  runOne: (schema: string, item: I) => Promise<R>;
  signal?: AbortSignal;
  /** After the first Error, start no new item anywhere. */
  failFast?: boolean;
  /** Each schema's result as soon as its chain ends (not for chains that never started). */
  onTenantDone?: (result: TenantResult<I, R>) => void;
}

/** Runs every chain; returns one result per chain, in the order of `chains`. */
export async function runPerTenant<I, R>(
  chains: Array<Chain<I>>,
  opts: PerTenantOptions<I, R>,
): Promise<Array<TenantResult<I, R>>> {
  let failed = false;
  const interrupted = () => Boolean(opts.signal?.aborted);
  const stop = () => interrupted() || (Boolean(opts.failFast) && failed);
  const stopReason = (): NotExecutedReason => (interrupted() ? 'interrupted' : 'fail-fast');
  const byChain = new Map<Chain<I>, TenantResult<I, R>>();

  const runSchemaItems = async ({ schema, items }: Chain<I>): Promise<TenantResult<I, R>> => {
    const results: Array<ItemResult<I, R>> = [];
    const rest = (from: number, reason: NotExecutedReason) =>
      items.slice(from).forEach((item) => results.push({ item, status: 'NotExecuted', reason }));
    for (const [k, item] of items.entries()) {
      // A chain already taken runs its first item unless interrupted: fail-fast stops between items.
      if (interrupted() || (k > 0 && stop())) {
        rest(k, stopReason());
        break;
      }
      try {
        results.push({ item, status: 'Success', value: await opts.runOne(schema, item) });
      } catch (error) {
        failed = true;
        results.push({ item, status: 'Error', error });
        rest(k + 1, 'earlier-error');
        break;
      }
    }
    return { schema, results };
  };

  const notStarted = await fanOut(
    chains,
    opts.concurrency,
    async (chain) => {
      const result = await runSchemaItems(chain);
      byChain.set(chain, result);
      opts.onTenantDone?.(result);
    },
    stop,
  );
  for (const chain of notStarted)
    byChain.set(chain, {
      schema: chain.schema,
      results: chain.items.map((item) => ({ item, status: 'NotExecuted', reason: stopReason() })),
    });
  return chains.map((chain) => byChain.get(chain)!);
}

/** Steps that each name the schemas they run in, turned into each schema's chain, in step order. */
export function chainsBySchema<S extends { schemas: string[] }>(steps: S[]): Array<Chain<S>> {
  const chains = new Map<string, S[]>();
  for (const step of steps)
    for (const schema of step.schemas) chains.set(schema, [...(chains.get(schema) ?? []), step]);
  return [...chains].map(([schema, items]) => ({ schema, items }));
}

// Bounded concurrency: runs `worker` over `items` with at most `limit` at once, and stops
// taking new items once `stop()` says so (fail-fast, Ctrl-C). Returns the items never started.
export async function fanOut<T>(
  items: T[],
  limit: number,
  worker: (item: T) => Promise<void>,
  stop: () => boolean,
): Promise<T[]> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !stop()) {
      const item = items[next++]!;
      await worker(item);
    }
  });
  await Promise.all(lanes);
  return items.slice(next);
}
