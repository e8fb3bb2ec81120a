// An HTTP proxy on 127.0.0.1 that adds a fixed delay before forwarding each request and counts them (round trips).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running proxy; `close()` is safe twice. */
export interface LatencyProxy {
  url: string;
  /** Start times (ms epoch) and paths of every request received, tokens replaced by <token>. */
  requests: { at: number; path: string }[];
  /** Change the delay for later requests (ms). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

/** Proxy to `upstream` (http://host:port), waiting `delayMs` before forwarding each request. */
export async function startLatencyProxy(upstream: string, delayMs: number): Promise<LatencyProxy> {
  const target = new URL(upstream);
  let wait = delayMs;
  const requests: LatencyProxy['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ at: Date.now(), path: (req.url ?? '').replace(/\/bot\d+:[^/]+/, '/bot<token>') });
    const timer = setTimeout(() => {
      const up = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      res.on('close', () => up.destroy());
      req.pipe(up);
    }, wait);
    res.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setDelay: (ms) => {
      wait = ms;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
