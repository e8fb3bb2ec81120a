// The one place that opens listening sockets: bind a server to loopback (by default) and close it with its connections.
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';

/** Where a server ended up listening. */
export interface ListenAddress {
  host: string;
  port: number;
  /** `http://HOST:PORT`, no trailing slash (IPv6 hosts in brackets). */
  url: string;
}

/** Options for `listenLoopback`. */
export interface ListenOptions {
  /** Address to bind. Default `127.0.0.1`: botwarden's servers are not reachable from other hosts unless asked. */
  host?: string;
  /** TCP port; 0 lets the OS pick a free one. */
  port: number;
}

/** Listen on `host:port` (default 127.0.0.1) and resolve with the address actually bound; rejects on EADDRINUSE etc. */
export function listenLoopback(server: NetServer, opts: ListenOptions): Promise<ListenAddress> {
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const addr = server.address() as AddressInfo;
      const shown = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
      resolve({ host: addr.address, port: addr.port, url: `http://${shown}:${addr.port}` });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port: opts.port });
  });
}

/**
 * Stop accepting connections and end the open ones: idle keep-alive sockets at once, busy ones after
 * `graceMs` (default 0: at once). Resolves when the server has closed. Safe to call twice and on a server that never listened.
 */
export async function closeServer(server: HttpServer, opts: { graceMs?: number } = {}): Promise<void> {
  if (!server.listening) {
    server.closeAllConnections();
    return;
  }
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const graceMs = opts.graceMs ?? 0;
  let timer: NodeJS.Timeout | undefined;
  if (graceMs > 0) timer = setTimeout(() => server.closeAllConnections(), graceMs);
  else server.closeAllConnections();
  try {
    await closed;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Stop a plain TCP server from accepting, and resolve once its own connections are gone (close or hand them off first). */
export function closeNetServer(server: NetServer): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
