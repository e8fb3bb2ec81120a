// The Telegram Bot API emulator: `startEmulator()` serves the Bot API and the /_emulator/ control API on loopback.
import type { AddressInfo } from 'node:net';
import { EmulatorCore } from './core.js';
import { switchesFrom, type EmulatorOptions, type EmulatorSwitches } from './options.js';
import { createServer, runMethodFromWebhook } from './server.js';

export type { ConflictMode, EmulatorOptions, EmulatorSwitches, ErrorStyle } from './options.js';
export { DEFAULT_SWITCHES } from './options.js';
export { EmulatorClient, EmulatorControlError, type BotApiEnvelope, type BotEnv, type SentQuery } from './control-client.js';
export type * from './control-types.js';

/** A running emulator. */
export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:8081` (no trailing slash): use it as the bot's API root. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The current switches (a copy). */
  switches(): EmulatorSwitches;
  /** Change switches at run time (same as `POST /_emulator/config`). */
  configure(changes: Partial<EmulatorSwitches>): void;
  /** Stop: answers pending polls (429 retry after 5, as the real server on shutdown), stops webhooks, closes sockets. Safe twice. */
  close(): Promise<void>;
}

/** Start an emulator. Defaults: 127.0.0.1, a free port, production-like switches (see `EmulatorSwitches`). */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port: expected 0–65535, got ${String(port)}`);
  const switches = switchesFrom(opts);
  const core = new EmulatorCore({ ...switches }, switches, opts.firstUpdateId);
  core.runMethod = (bot, method, params) => runMethodFromWebhook(core, bot, method, params);
  const { server, sockets } = createServer(core);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      core.shutdown();
      reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  core.baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : shownHost}:${addr.port}`;
  return {
    url: `http://${shownHost}:${addr.port}`,
    port: addr.port,
    switches: () => ({ ...core.switches }),
    configure: (changes) => {
      core.switches = { ...core.switches, ...switchesFrom({ ...core.switches, ...changes }) };
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        core.shutdown();
        server.close(() => resolve());
        // Let the answers written by shutdown() flush, then drop idle keep-alive sockets.
        setImmediate(() => {
          server.closeIdleConnections();
          for (const s of sockets) if (!s.writableLength) s.destroy();
          setTimeout(() => {
            for (const s of sockets) s.destroy();
          }, 200).unref();
        });
      });
      return closing;
    },
  };
}
