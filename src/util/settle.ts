// Two pieces of work at once, as Promise.all runs them, but settled both before the first error is
// thrown: an operation that has returned, failed or not, must leave nothing of its own running (a
// connection still being opened would outlive it, and its later error would belong to no one).

/** Both values; else the first of the two errors in argument order. */
export async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}
