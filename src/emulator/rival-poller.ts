// A rival poller: a built-in second poller for a bot (docs/bot-api-semantics.md §12 item 7): it long-polls the emulator itself over HTTP,
// like a forgotten second instance, so tests can reproduce the two-instance 409 ping-pong without a second process.
import http from 'node:http';

/** Options of a rival poller (`POST /_emulator/bots/<id>/rival-poller`). */
export interface RivalPollerOptions {
  /** getUpdates timeout, s. Default 30. */
  timeoutS: number;
  /** Wait after a 409 or another error before polling again, ms. Default 1000. */
  retryMs: number;
  /** Confirm (consume) the updates it receives, as a real second instance would. Default true. */
  confirm: boolean;
}

/** Counters of a running rival poller. */
export interface RivalPollerStats {
  polls: number;
  conflicts: number;
  received: number;
}

/** A background poller; `stop()` aborts its request and ends the loop. */
export class RivalPoller {
  readonly stats: RivalPollerStats = { polls: 0, conflicts: 0, received: 0 };
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private req: http.ClientRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private offset = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly path: string,
    readonly opts: RivalPollerOptions,
  ) {}

  /** Start polling. */
  start(): void {
    this.poll();
  }

  /** Stop for good (safe twice). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.req?.destroy();
    this.agent.destroy();
  }

  private poll(): void {
    if (this.stopped) return;
    this.stats.polls++;
    const body = JSON.stringify(this.opts.confirm && this.offset ? { offset: this.offset, timeout: this.opts.timeoutS } : { timeout: this.opts.timeoutS });
    const req = http.request(`${this.baseUrl}${this.path}`, { method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'botwarden-emulator-rival-poller' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => this.onAnswer(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      res.on('error', () => this.later());
    });
    req.on('error', () => this.later());
    this.req = req;
    req.end(body);
  }

  private onAnswer(status: number, text: string): void {
    if (status === 409) this.stats.conflicts++;
    if (status !== 200) {
      this.later();
      return;
    }
    try {
      const r = JSON.parse(text) as { result?: Array<{ update_id: number }> };
      for (const u of r.result ?? []) {
        this.stats.received++;
        this.offset = u.update_id + 1;
      }
    } catch {
      // not JSON: treat as an empty answer
    }
    this.poll();
  }

  private later(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poll();
    }, this.opts.retryMs);
  }
}
