// The Elector: campaigns for a bot's lease, renews it, and judges leadership on the MONOTONIC clock (freeze-safe).
import { silentLogger, type Logger } from '../log.js';
import { usageError } from '../errors.js';
import { monotonicMs } from '../util/clock.js';
import { messageOf } from './errors.js';
import type { LeaderView, LeaseBackend, LeaseClaim, LeaseRecord } from './types.js';

/** Options of an Elector. Durations in ms. */
export interface ElectorOptions {
  backend: LeaseBackend;
  claim: LeaseClaim;
  /** Lease time-to-live (ms). Default 10000. A crashed leader is replaced at most this long (+ ~20 ms) after its last renewal. */
  ttlMs?: number;
  logger?: Logger;
  /** Renew period (ms). Default ttlMs / 3. */
  renewEveryMs?: number;
  /** Stop acting as leader this long before the lease could expire in the backend (ms). Default ttlMs / 5. */
  safetyMarginMs?: number;
  /** Delay before retrying a failed renew; base of the standby's error backoff (ms). Default ttlMs / 20, within 25–500. */
  retryMs?: number;
  /** A standby's period between acquire attempts (ms); it also tries right when the holder's lease runs out and on a release notice. Default ttlMs / 4, within 50–2000. */
  campaignEveryMs?: number;
  /** After `stepDown({ campaign: true })`, wait this long before campaigning again so that a standby wins (ms). Default campaignEveryMs, at least 200. */
  holdOffMs?: number;
  /** Async work on transitions (see ElectorGuard); can also be set later with setGuard(). */
  guard?: ElectorGuard;
  /**
   * Asked before each acquire attempt of a standby, with the last holder it saw (null: none known): hold back this
   * many ms first (0 = try now). `botwarden up` on several hosts uses it so that a host already leading its fair
   * share lets a host below it take a free lease.
   */
  acquireDelay?: (lastHolder: LeaseRecord | null) => number;
}

/** What the daemon runs on transitions. */
export interface ElectorGuard {
  /** Runs after the lease was acquired and BEFORE isLeader() turns true (renewals continue meanwhile). Rejecting gives the lease back. */
  beforeLeading?: (record: LeaseRecord) => Promise<void>;
  /**
   * Runs as soon as leadership ends: the local deadline (acquire/renew send time + TTL − safety margin) passed without
   * a renewal, the backend says the lease is someone else's, or stepDown()/stop() was called. isLeader() is already
   * false when it runs; the lease is released (stepDown/stop) only after it resolves. May run while beforeLeading is
   * still pending (only if beforeLeading outlives the lease).
   */
  onLosing: (reason: string) => Promise<void>;
}

/** A role change (or, while standby, a change of who holds the lease). */
export interface ElectorChange {
  role: 'leader' | 'standby';
  /** Our lease record (role leader). */
  record?: LeaseRecord;
  /** The last known holder (ours or another instance's; null when free). */
  holder?: LeaseRecord | null;
  reason: string;
}

export type ElectorRole = 'leader' | 'standby' | 'stopped';

interface Term {
  record: LeaseRecord;
  /** Monotonic ms after which we must not act as leader. */
  deadline: number;
  nextRenewAt: number;
  ready: boolean;
  timer?: NodeJS.Timeout;
  /** Resolves when this term ends (so a renew that hangs does not hold the loop). */
  ended: Promise<void>;
  end: () => void;
}

/** Turns a LeaseBackend into leader/standby with a monotonic deadline; implements the gateway's LeaderView. */
export class Elector implements LeaderView {
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  readonly safetyMarginMs: number;
  readonly retryMs: number;
  readonly campaignEveryMs: number;
  readonly holdOffMs: number;
  private readonly backend: LeaseBackend;
  private readonly claim: LeaseClaim;
  private readonly logger: Logger;
  private guard: ElectorGuard | undefined;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private term: Term | null = null;
  private lastHolder: LeaseRecord | null = null;
  private campaigning = true;
  private holdOffUntil = 0;
  private controller = new AbortController();
  private readonly aborted: Promise<void>;
  private loop: Promise<void> | undefined;
  private wakeWaiter: (() => void) | undefined;
  private pendingWake = false;
  private losing: Promise<void> | undefined;
  private unwatch: (() => Promise<void> | void) | undefined;
  private watching: Promise<void> | undefined;
  private failures = 0;
  private emittedRole: 'leader' | 'standby' | undefined;
  private readonly listeners = new Set<(ev: ElectorChange) => void>();
  private stopping: Promise<void> | undefined;
  private readonly acquireDelay: ((lastHolder: LeaseRecord | null) => number) | undefined;
  private heldBack = false;

  constructor(opts: ElectorOptions) {
    const ttlMs = opts.ttlMs ?? 10_000;
    if (!Number.isInteger(ttlMs) || ttlMs < 100) throw usageError('--lease-ttl', 'an integer number of milliseconds ≥ 100', ttlMs);
    this.ttlMs = ttlMs;
    this.renewEveryMs = opts.renewEveryMs ?? Math.round(ttlMs / 3);
    this.safetyMarginMs = opts.safetyMarginMs ?? Math.round(ttlMs / 5);
    this.retryMs = opts.retryMs ?? clamp(Math.round(ttlMs / 20), 25, 500);
    this.campaignEveryMs = opts.campaignEveryMs ?? clamp(Math.round(ttlMs / 4), 50, 2000);
    this.holdOffMs = opts.holdOffMs ?? Math.max(this.campaignEveryMs, 200);
    if (!(this.safetyMarginMs >= 0 && this.safetyMarginMs < ttlMs)) {
      throw usageError('safetyMarginMs', `0 ≤ safetyMarginMs < ttlMs (${ttlMs})`, this.safetyMarginMs);
    }
    if (!(this.renewEveryMs > 0 && this.renewEveryMs < ttlMs - this.safetyMarginMs)) {
      throw usageError('renewEveryMs', `0 < renewEveryMs < ttlMs − safetyMarginMs (${ttlMs - this.safetyMarginMs})`, this.renewEveryMs);
    }
    for (const [name, v] of [['retryMs', this.retryMs], ['campaignEveryMs', this.campaignEveryMs], ['holdOffMs', this.holdOffMs]] as const) {
      if (!(v > 0 && Number.isFinite(v))) throw usageError(name, 'a positive number of milliseconds', v);
    }
    this.backend = opts.backend;
    this.aborted = new Promise((resolve) => this.controller.signal.addEventListener('abort', () => resolve(), { once: true }));
    this.claim = { ...opts.claim };
    this.logger = opts.logger ?? silentLogger;
    this.guard = opts.guard;
    this.acquireDelay = opts.acquireDelay;
  }

  /** Set (or replace) the transition hooks. */
  setGuard(guard: ElectorGuard | undefined): void {
    this.guard = guard;
  }

  /** Start campaigning (returns at once). A second call does nothing. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    const signal = this.controller.signal;
    this.loop = this.run(signal);
  }

  /** Stop: leadership ends at once (onLosing runs), the lease is released, watches removed. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.state === 'idle') {
        this.state = 'stopped';
        return;
      }
      this.state = 'stopping';
      this.campaigning = false;
      const t = this.term;
      const losing = t ? this.lose(t, 'stopping', true) : this.losing;
      this.controller.abort();
      await this.loop;
      await losing;
      await this.watching;
      try {
        await this.unwatch?.();
      } catch {
        // the backend may already be gone
      }
      this.unwatch = undefined;
      this.state = 'stopped';
    })();
    return this.stopping;
  }

  /**
   * Give up leadership now (onLosing runs, then the lease is released, which notifies standbys). With
   * `campaign: true` keep campaigning after holdOffMs (so a waiting standby wins); with `campaign: false` stay a
   * passive standby until resume(). Resolves once the lease was released.
   */
  async stepDown(opts: { campaign: boolean; reason?: string } = { campaign: true }): Promise<void> {
    this.campaigning = opts.campaign;
    this.holdOffUntil = monotonicMs() + this.holdOffMs;
    const t = this.term;
    if (t) await this.lose(t, opts.reason ?? 'stepped down', true);
    else await this.losing;
    this.wake();
  }

  /** Hand the lease over to a standby now and keep campaigning: stepDown({ campaign: true }). */
  release(): Promise<void> {
    return this.stepDown({ campaign: true, reason: 'released' });
  }

  /** Campaign again after stepDown({ campaign: false }). */
  resume(): void {
    this.campaigning = true;
    this.holdOffUntil = 0;
    this.wake();
  }

  role(): ElectorRole {
    if (this.state !== 'running') return 'stopped';
    return this.isLeader() ? 'leader' : 'standby';
  }

  /** True only while we hold the lease AND its local monotonic deadline has not passed (checked on every call). */
  isLeader(): boolean {
    const t = this.term;
    return this.state === 'running' && t !== null && t.ready && monotonicMs() < t.deadline;
  }

  msLeft(): number {
    const t = this.term;
    return this.isLeader() && t ? Math.max(0, Math.floor(t.deadline - monotonicMs())) : 0;
  }

  fence(): number | undefined {
    return this.isLeader() ? this.term?.record.fence : undefined;
  }

  /** The last known holder: our record while we lead, else the other instance's (null when free or unknown). */
  holder(): LeaseRecord | null {
    return this.term?.record ?? this.lastHolder;
  }

  /** Listen to role changes (and holder changes while standby). Returns an unsubscribe function. */
  onChange(listener: (ev: ElectorChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        if (this.losing) {
          await this.losing;
          continue;
        }
        const t = this.term;
        if (t) await this.leaderTick(t, signal);
        else await this.standbyTick(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.logger.error('lease elector: unexpected error', { error: messageOf(err) });
        await this.wait(this.retryMs, signal, false);
      }
    }
  }

  private async leaderTick(t: Term, signal: AbortSignal): Promise<void> {
    const now = monotonicMs();
    if (now >= t.deadline) {
      void this.lose(t, `lease not renewed within ${this.ttlMs - this.safetyMarginMs} ms`, false);
      return;
    }
    if (now < t.nextRenewAt) {
      await this.wait(Math.min(t.nextRenewAt, t.deadline) - now, signal, true);
      return;
    }
    const sent = monotonicMs();
    let ok: boolean;
    try {
      const answer = await settleFirst(this.backend.renew(t.record, this.ttlMs), t.ended, this.aborted);
      if (answer === undefined) return; // the term ended or we stop; a late answer no longer matters
      ok = answer.value;
    } catch (err) {
      if (this.term !== t) return;
      this.noteBackendError('renew', err);
      t.nextRenewAt = monotonicMs() + this.retryMs;
      return;
    }
    if (this.term !== t) return; // the deadline passed, or we stepped down, while the request was out
    this.noteBackendOk();
    if (!ok) {
      void this.lose(t, 'lease lost: the backend no longer has it as ours (expired or taken over)', false);
      return;
    }
    // Valid until TTL after the moment we SENT the renewal, minus the safety margin; never shortened.
    t.deadline = Math.max(t.deadline, sent + this.ttlMs - this.safetyMarginMs);
    t.nextRenewAt = sent + this.renewEveryMs;
    t.record = { ...t.record, expiresAt: Date.now() + this.ttlMs - Math.round(monotonicMs() - sent) };
    this.armDeadline(t);
  }

  private async standbyTick(signal: AbortSignal): Promise<void> {
    if (!this.campaigning) {
      await this.wait(Infinity, signal, true);
      return;
    }
    const now = monotonicMs();
    if (now < this.holdOffUntil) {
      await this.wait(this.holdOffUntil - now, signal, false);
      return;
    }
    this.ensureWatch();
    const holdBack = this.heldBack ? 0 : (this.acquireDelay?.(this.lastHolder) ?? 0);
    if (holdBack > 0) {
      this.heldBack = true;
      await this.wait(holdBack, signal, false);
      return;
    }
    this.heldBack = false;
    this.pendingWake = false;
    const sent = monotonicMs();
    let res;
    try {
      const acquiring = this.backend.tryAcquire(this.claim, this.ttlMs);
      const answer = await settleFirst(acquiring, this.aborted);
      if (answer === undefined) {
        // Stopping while the request is out: if it still succeeds, give the lease straight back.
        acquiring.then((r) => (r.acquired ? this.backend.release(r.record) : undefined)).catch(() => undefined);
        return;
      }
      res = answer.value;
    } catch (err) {
      this.noteBackendError('acquire', err);
      const backoff = Math.min(this.retryMs * 2 ** Math.min(this.failures, 6), Math.max(this.campaignEveryMs, 1000));
      await this.wait(backoff, signal, true);
      return;
    }
    this.noteBackendOk();
    if (res.acquired) {
      const t = newTerm(res.record, sent + this.ttlMs - this.safetyMarginMs, sent + this.renewEveryMs);
      if (signal.aborted || !this.campaigning || monotonicMs() < this.holdOffUntil || monotonicMs() >= t.deadline) {
        // Stopped or stepped down while the request was out (or the answer came too late to use): give it straight back.
        await this.backend.release(res.record).catch(() => undefined);
        return;
      }
      this.term = t;
      this.lastHolder = res.record;
      this.dropWatch();
      this.armDeadline(t);
      const before = this.guard?.beforeLeading;
      if (!before) {
        this.becomeReady(t);
        return;
      }
      void (async () => {
        try {
          await before(t.record);
        } catch (err) {
          if (this.term !== t) return;
          this.logger.error('lease: preparing to lead failed; giving the lease back', { error: messageOf(err) });
          this.holdOffUntil = monotonicMs() + this.holdOffMs;
          await this.lose(t, `beforeLeading failed: ${messageOf(err)}`, true);
          return;
        }
        if (this.term === t) this.becomeReady(t);
      })();
      return;
    }
    const holder = res.holder;
    if (this.emittedRole !== 'standby' || !sameTerm(holder, this.lastHolder)) {
      this.lastHolder = holder;
      this.logger.info(
        holder ? `standby: lease held by ${holder.instanceId} on ${holder.host} (pid ${holder.pid}, fence ${holder.fence})` : 'standby: lease is free, retrying',
        { bot: this.claim.botId },
      );
      this.emit({ role: 'standby', holder, reason: holder ? 'held by another instance' : 'lease free' });
    }
    this.lastHolder = holder;
    // Try again at the next period, or right after the holder's lease runs out, whichever comes first.
    const period = Math.round(this.campaignEveryMs * (0.9 + Math.random() * 0.2));
    const untilExpiry = holder ? holder.expiresAt - Date.now() + 20 : this.retryMs;
    await this.wait(clamp(untilExpiry, 5, period), signal, true);
  }

  private becomeReady(t: Term): void {
    t.ready = true;
    this.logger.info(`leader: lease acquired (fence ${t.record.fence})`, { bot: this.claim.botId, fence: t.record.fence });
    this.emit({ role: 'leader', record: t.record, holder: t.record, reason: 'acquired' });
  }

  /** End term `t` (once): isLeader() is false from now; run onLosing, then release when asked. */
  private lose(t: Term, reason: string, release: boolean): Promise<void> {
    if (this.term !== t) return this.losing ?? Promise.resolve();
    this.term = null;
    clearTimeout(t.timer);
    t.ready = false;
    t.end();
    this.lastHolder = null; // unknown until the next acquire attempt says who holds it
    (release ? this.logger.info : this.logger.warn).call(this.logger, `leadership ended: ${reason}`, { bot: this.claim.botId, fence: t.record.fence });
    this.emit({ role: 'standby', holder: this.lastHolder, reason });
    const guard = this.guard;
    const losing = (async () => {
      try {
        await guard?.onLosing(reason);
      } catch (err) {
        this.logger.error('lease: onLosing failed', { error: messageOf(err) });
      }
      if (release) {
        try {
          await this.backend.release(t.record);
        } catch (err) {
          this.logger.warn('lease: release failed; standbys take over when it expires', { error: messageOf(err) });
        }
      }
    })().finally(() => {
      if (this.losing === losing) this.losing = undefined;
      this.wake();
    });
    this.losing = losing;
    this.wake();
    return losing;
  }

  /** Fire when the deadline passes, even if the loop is stuck waiting for a renew answer. */
  private armDeadline(t: Term): void {
    clearTimeout(t.timer);
    t.timer = setTimeout(() => {
      if (this.term !== t) return;
      if (monotonicMs() >= t.deadline) void this.lose(t, `lease not renewed within ${this.ttlMs - this.safetyMarginMs} ms`, false);
      else this.armDeadline(t); // woke a little early
    }, Math.max(0, Math.ceil(t.deadline - monotonicMs())));
  }

  /** A leader needs no release notices (only a standby waits for one): stop watching; standbyTick watches again. */
  private dropWatch(): void {
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    if (unwatch) void Promise.resolve().then(unwatch).catch(() => undefined);
  }

  private ensureWatch(): void {
    if (this.unwatch || this.watching || this.state !== 'running') return;
    this.watching = this.backend
      .watchRelease(this.claim.botId, () => {
        if (!this.term) this.wake();
      })
      .then(
        async (unwatch) => {
          if (this.state === 'running' && !this.term) this.unwatch = unwatch;
          else await unwatch();
        },
        (err: unknown) => {
          this.logger.debug('lease: release watch not available yet; polling', { error: messageOf(err) });
        },
      )
      .finally(() => {
        this.watching = undefined;
      });
  }

  /** Sleep up to `ms`; `wakeable` sleeps end early on wake() (release notice, lost term). Never rejects. */
  private wait(ms: number, signal: AbortSignal, wakeable: boolean): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    if (wakeable && this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.wakeWaiter === done) this.wakeWaiter = undefined;
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)) : undefined;
      signal.addEventListener('abort', done, { once: true });
      if (wakeable) this.wakeWaiter = done;
    });
  }

  private wake(): void {
    const w = this.wakeWaiter;
    if (w) w();
    else this.pendingWake = true;
  }

  private noteBackendError(op: string, err: unknown): void {
    if (this.failures === 0) this.logger.warn(`lease backend error (${op}); retrying`, { backend: this.backend.description, error: messageOf(err) });
    else this.logger.debug(`lease backend error (${op})`, { error: messageOf(err) });
    this.failures++;
  }

  private noteBackendOk(): void {
    if (this.failures > 0) this.logger.info('lease backend answers again', { backend: this.backend.description });
    this.failures = 0;
  }

  private emit(ev: ElectorChange): void {
    this.emittedRole = ev.role;
    for (const l of [...this.listeners]) {
      try {
        l(ev);
      } catch (err) {
        this.logger.error('lease: onChange listener threw', { error: messageOf(err) });
      }
    }
  }
}

function newTerm(record: LeaseRecord, deadline: number, nextRenewAt: number): Term {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  return { record, deadline, nextRenewAt, ready: false, ended, end };
}

/** `{ value }` of `p` if it settles first (rejections propagate), undefined if one of `stops` resolves first. */
async function settleFirst<T>(p: Promise<T>, ...stops: Promise<void>[]): Promise<{ value: T } | undefined> {
  p.catch(() => undefined); // a late rejection after a stop is not unhandled
  return Promise.race([p.then((value) => ({ value })), ...stops.map((s) => s.then(() => undefined))]);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function sameTerm(a: LeaseRecord | null, b: LeaseRecord | null): boolean {
  if (a === null || b === null) return a === b;
  return a.instanceId === b.instanceId && a.fence === b.fence;
}
