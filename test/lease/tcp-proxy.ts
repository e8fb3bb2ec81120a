// A loopback TCP proxy the tests can black-hole (connections stay open, nothing flows) to fake a frozen/unreachable backend.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Stop forwarding in both directions; new connections hang too. */
  blackhole(): void;
  /** Forward again (buffered bytes flow). */
  restore(): void;
  close(): Promise<void>;
}

/** Proxy 127.0.0.1:<random> → 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let holed = false;
  const pairs = new Set<[Socket, Socket]>();
  const held: { to: Socket; data: Buffer }[] = [];
  const forward = (from: Socket, to: Socket): void => {
    from.on('data', (data: Buffer) => {
      if (holed) held.push({ to, data });
      else to.write(data);
    });
  };
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    forward(client, upstream);
    forward(upstream, client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    blackhole() {
      holed = true;
    },
    restore() {
      holed = false;
      for (const { to, data } of held.splice(0)) if (!to.destroyed) to.write(data);
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
