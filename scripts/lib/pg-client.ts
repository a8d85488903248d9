// One connection for one piece of work, for the scripts, the benchmarks and the tests: connected,
// handed to `fn`, and ended whatever `fn` did (a socket error after the work is not theirs to see).
import pg from 'pg';

export async function withClient<T>(
  url: string,
  fn: (c: pg.Client) => Promise<T>,
  options: Partial<pg.ClientConfig> = {},
): Promise<T> {
  const client = new pg.Client({ connectionString: url, ...options });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}
