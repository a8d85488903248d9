// A TCP relay in front of a server that a test can "partition": both directions stop forwarding
// while every socket stays open, as when a network path dies without a FIN or RST reaching
// either end. Nothing fails, nothing arrives.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './server';

export interface CuttableProxy {
  port: number;
  partition(): void;
  close(): Promise<void>;
}

export async function startCuttableProxy(targetHost: string, targetPort: number): Promise<CuttableProxy> {
  const port = await freePort();
  const pairs: Array<[Socket, Socket]> = [];
  let cut = false;
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    pairs.push([client, upstream]);
    if (cut) return freeze(client, upstream);
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    partition() {
      cut = true;
      for (const [a, b] of pairs) freeze(a, b);
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise((r) => server.close(r));
    },
  };
}

function freeze(a: Socket, b: Socket) {
  a.unpipe(b);
  b.unpipe(a);
  a.pause();
  b.pause();
  // A closed end must not be passed on either: that would tell the other side.
  a.removeAllListeners('end');
  b.removeAllListeners('end');
}
