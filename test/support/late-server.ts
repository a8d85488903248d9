// A server that comes up late: the CLI is started against a port nothing listens on, and once it
// says it is waiting (or after 30 s) a TCP relay to the real server behind `url` opens there. That
// is what `--wait` is for. Waiting for its word, not a fixed delay, keeps a slow start on a busy
// machine from finding the server already up.
import { connect, createServer, type Socket } from 'node:net';
import { collect, envFor, spawnCli, type CliResult } from './cli';
import { freePort } from './server';

export async function cliWithLateServer(
  args: string[],
  opts: { url: string; dir: string; env: Record<string, string> },
): Promise<CliResult> {
  const port = await freePort();
  const child = spawnCli(args, {
    cwd: opts.dir,
    env: { ...envFor(opts.url), ...opts.env, POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(port) },
  });
  const done = collect(child, { timeoutMs: 60_000 });
  await new Promise<void>((resolve) => {
    let seen = '';
    const timer = setTimeout(resolve, 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('Waiting for the database')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const target = new URL(opts.url);
  const relay = createServer((client: Socket) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => relay.listen(port, '127.0.0.1', r));
  try {
    return await done;
  } finally {
    relay.close();
  }
}
