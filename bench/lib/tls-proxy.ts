// An HTTPS front for the emulator: what `botwarden run` talks to in production is api.telegram.org over TLS, and TLS
// (node:https, OpenSSL, the CA store) costs memory the plain-http emulator does not show. A self-signed certificate
// for 127.0.0.1 is made with the openssl CLI into a temp dir; botwarden trusts it through NODE_EXTRA_CA_CERTS.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCmd } from './proc.js';

/** A running HTTPS proxy to one http origin. */
export interface TlsProxy {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  /** The certificate to trust (PEM), for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  close(): Promise<void>;
}

/** Why an HTTPS front cannot be made here (no openssl CLI), or undefined. */
export async function tlsProxyMissing(): Promise<string | undefined> {
  const r = await runCmd('openssl', ['version'], { timeoutMs: 5_000 });
  return r.code === 0 ? undefined : 'openssl CLI not found';
}

/** Start an HTTPS proxy on 127.0.0.1 forwarding every request to `target` (http). */
export async function startTlsProxy(target: string): Promise<TlsProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bw-bench-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const made = await runCmd(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { timeoutMs: 20_000 },
  );
  if (made.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`openssl could not make a test certificate: ${made.output.slice(0, 300)}`);
  }
  const origin = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const up = http.request({ agent, host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: cert,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
