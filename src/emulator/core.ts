// The emulator's shared state and the operations the Bot API, the control API and webhooks all use.
import { Faults } from './faults.js';
import { unixNow } from './objects.js';
import type { EmulatorSwitches } from './options.js';
import type { Params } from './params.js';
import { endAllWaits, finishPending, SHUTDOWN_ERROR, wakePending } from './polling.js';
import { randomFirstUpdateId } from './queue.js';
import { Registry, type BotState } from './state.js';
import { createWebhookAgents, WebhookDelivery, type WebhookAgents } from './webhook.js';
import { RivalPoller, type RivalPollerOptions } from './rival-poller.js';

/** Lifetimes by update type (§4.5), for types without a message date. */
const SHORT_LIVED_MS: Record<string, number> = { inline_query: 30_000, callback_query: 150_000, shipping_query: 150_000, pre_checkout_query: 150_000, chosen_inline_result: 600_000 };

/** Why an injected update was not queued. */
export type DropReason = 'filtered by allowed_updates' | 'queue full';

/** Shared emulator state. */
export class EmulatorCore {
  readonly registry: Registry;
  readonly faults = new Faults();
  readonly startedAtMs = Date.now();
  private readonly deliveries = new Map<BotState, WebhookDelivery>();
  private readonly agents: WebhookAgents = createWebhookAgents();
  private sweepTimer: NodeJS.Timeout;
  readonly rivalPollers = new Map<BotState, RivalPoller>();
  /** The emulator's own base URL (set once listening; rival pollers poll it). */
  baseUrl = '';
  /** Set by the method table so webhook replies can call methods. */
  runMethod: ((bot: BotState, method: string, params: Params) => void) | undefined;

  constructor(
    public switches: EmulatorSwitches,
    readonly initialSwitches: EmulatorSwitches,
    firstUpdateId: number | undefined,
  ) {
    this.registry = new Registry(firstUpdateId === undefined ? randomFirstUpdateId : () => firstUpdateId);
    this.sweepTimer = setInterval(() => this.sweep(), 30_000);
    this.sweepTimer.unref();
  }

  /**
   * Queue an update of `type` whose object is `obj` (serialised once, here). Returns the update_id, or why it was
   * dropped (the real server drops silently).
   */
  addUpdate(bot: BotState, type: string, obj: unknown, expiresAtMs?: number): number | DropReason {
    if (!bot.allowed.has(type)) return 'filtered by allowed_updates';
    if (bot.queue.size >= this.switches.maxPendingUpdates) return 'queue full';
    const expires = expiresAtMs ?? Date.now() + (SHORT_LIVED_MS[type] ?? this.switches.retentionMs);
    const id = bot.queue.push(type, `"${type}":${JSON.stringify(obj)}`, expires);
    this.afterPush(bot);
    return id;
  }

  /** Queue `n` copies of a pre-serialised update body (bulk loading for benchmarks). Returns the first and last id. */
  addUpdatesBulk(bot: BotState, type: string, bodyJson: string, n: number): { first: number; last: number; queued: number } {
    let first = 0;
    let last = 0;
    let queued = 0;
    const expires = Date.now() + this.switches.retentionMs;
    if (bot.allowed.has(type)) {
      for (let i = 0; i < n && bot.queue.size < this.switches.maxPendingUpdates; i++) {
        last = bot.queue.push(type, `"${type}":${bodyJson}`, expires);
        if (i === 0) first = last;
        queued++;
      }
    }
    if (queued > 0) this.afterPush(bot);
    return { first, last, queued };
  }

  private afterPush(bot: BotState): void {
    wakePending(bot, this.switches);
    if (bot.webhook.url !== '') this.delivery(bot).kick();
  }

  /** The webhook delivery of a bot (created on first use). */
  delivery(bot: BotState): WebhookDelivery {
    let d = this.deliveries.get(bot);
    if (!d) {
      d = new WebhookDelivery(bot, () => this.switches, (b, m, p) => this.runMethod?.(b, m, p), this.agents);
      this.deliveries.set(bot, d);
    }
    return d;
  }

  /** Stop a bot's webhook delivery (webhook deleted or replaced). */
  stopDelivery(bot: BotState): void {
    const d = this.deliveries.get(bot);
    if (d) {
      d.stop();
      this.deliveries.delete(bot);
    }
  }

  /** logOut/close: the bot object goes away, the pending poll is answered with what exists (§4.4 point 6). */
  closeBotObject(bot: BotState): void {
    finishPending(bot, Date.now());
  }

  /** Start (or replace) the rival poller of a bot. */
  startRivalPoller(bot: BotState, opts: RivalPollerOptions): void {
    this.stopRivalPoller(bot);
    const path = `/bot${bot.bot.token}/${bot.env === 'test' ? 'test/' : ''}getUpdates`;
    const rival = new RivalPoller(this.baseUrl, path, opts);
    this.rivalPollers.set(bot, rival);
    rival.start();
  }

  /** Stop a bot's rival poller, if any. */
  stopRivalPoller(bot: BotState): void {
    this.rivalPollers.get(bot)?.stop();
    this.rivalPollers.delete(bot);
  }

  /** Every bot state (both environments). */
  *states(): IterableIterator<BotState> {
    for (const e of this.registry.byId.values()) {
      yield e.prod;
      if (e.test) yield e.test;
    }
  }

  /** End every wait and delivery of one bot (its state is being dropped). */
  retire(bot: BotState): void {
    this.stopRivalPoller(bot);
    endAllWaits(bot, SHUTDOWN_ERROR);
    this.stopDelivery(bot);
  }

  /** Forget every bot, fault and switch change. */
  reset(): void {
    for (const s of this.states()) this.retire(s);
    this.registry.clear();
    this.faults.clear();
    this.switches = { ...this.initialSwitches };
  }

  /** Shut down: answer every wait (429 retry after 5, as the real server), stop deliveries and timers. */
  shutdown(): void {
    clearInterval(this.sweepTimer);
    for (const s of this.states()) this.retire(s);
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private sweep(): void {
    const now = Date.now();
    for (const s of this.states()) {
      s.queue.sweep(now);
      for (const [id, cb] of s.callbacks) if (cb.expiresAtMs <= now) s.callbacks.delete(id);
    }
  }
}

/** Unix seconds now (re-exported for modules that build messages). */
export { unixNow };
