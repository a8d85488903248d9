// Bounded concurrency: runs `worker` over `items` with at most `limit` at once, and stops
// taking new items once `stop()` says so (fail-fast, Ctrl-C). Returns the items never started.
export async function fanOut<T>(items: T[], limit: number, worker: (item: T) => Promise<void>, stop: () => boolean): Promise<T[]> {
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
