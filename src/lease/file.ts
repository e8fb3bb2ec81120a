// File lease (the default): one JSON record per bot in `<dir>/leases/`, guarded by an O_EXCL lock file; this host only.
// The record, fence and lock files are a few bytes in the local state directory: they are read, and the lock created
// and removed, with synchronous calls (microseconds each), where the promise API allocates ~8 KB per call (file
// handle, promises, buffers): ~60 KB per renewal, ~2 MB/s of garbage at rest with a hundred bots under `up`. Only the
// rename of the atomic write stays off the event loop: ext4 flushes the data of a file renamed over another (ms).
import { hostname } from 'node:os';
import { join } from 'node:path';
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { silentLogger, type Logger } from '../log.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { randomUUID } from '../util/crypto-lite.js';
import { sleep } from '../util/sleep.js';
import { monotonicMs } from '../util/clock.js';
import { isSameProcess, processStartTime } from '../process/identity.js';
import { leaseUnreachable, messageOf } from './errors.js';
import type { AcquireResult, LeaseBackend, LeaseClaim, LeaseRecord } from './types.js';

/** Options of the file lease. */
export interface FileLeaseOptions {
  /** The state directory; records live in `<dir>/leases/<botId>.json`. */
  dir: string;
  logger?: Logger;
  /** How often `watchRelease` re-reads the record besides the file watch (ms). Default 250. */
  pollMs?: number;
  /**
   * A lock file older than this is broken even though its process is alive (that process is frozen inside a
   * critical section of a few ms). Default 3000 ms. A lock of a dead process is broken at once.
   */
  lockStaleMs?: number;
  /** How long an operation waits for the lock before failing with LEASE_UNREACHABLE (ms). Default lockStaleMs + 2000. */
  lockWaitMs?: number;
}

interface LockInfo {
  pid: number;
  processStart: string | null;
  host: string;
  nonce: string;
}

/** File-based LeaseBackend: instant takeover from a dead (or pid-reused) holder, TTL expiry for a frozen one. */
export class FileLeaseBackend implements LeaseBackend {
  readonly kind = 'file';
  readonly description: string;
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly lockStaleMs: number;
  private readonly lockWaitMs: number;
  private readonly host = hostname();
  private ownStart: string | null | undefined;
  private readonly unwatchers = new Set<() => void>();
  private closed = false;

  constructor(opts: FileLeaseOptions) {
    this.dir = join(opts.dir, 'leases');
    this.description = `file:${this.dir}`;
    this.logger = opts.logger ?? silentLogger;
    this.pollMs = opts.pollMs ?? 250;
    this.lockStaleMs = opts.lockStaleMs ?? 3000;
    this.lockWaitMs = opts.lockWaitMs ?? this.lockStaleMs + 2000;
  }

  async open(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (err) {
      throw this.fsError(`cannot create ${this.dir}`, err);
    }
    this.ownStart = await processStartTime(process.pid);
  }

  async tryAcquire(claim: LeaseClaim, ttlMs: number): Promise<AcquireResult> {
    const processStart = await this.startOf(claim.pid);
    return this.withLock(claim.botId, async (stillLocked) => {
      const current = await this.readRecord(claim.botId);
      if (current && !(await this.isFree(current, claim, processStart))) return { acquired: false, holder: current };
      const fence = Math.max(await this.readFence(claim.botId), current?.fence ?? 0) + 1;
      const now = Date.now();
      const record: LeaseRecord = {
        botId: claim.botId,
        instanceId: claim.instanceId,
        host: claim.host,
        pid: claim.pid,
        fence,
        since: now,
        expiresAt: now + ttlMs,
        ...(processStart === null ? {} : { processStart }),
      };
      await stillLocked();
      // The fence counter first: if we die between the two writes, the next holder still gets a larger fence.
      await this.atomicWrite(this.fencePath(claim.botId), String(fence));
      await this.atomicWrite(this.recordPath(claim.botId), JSON.stringify(record));
      return { acquired: true, record };
    });
  }

  async renew(record: LeaseRecord, ttlMs: number): Promise<boolean> {
    return this.withLock(record.botId, async (stillLocked) => {
      const current = await this.readRecord(record.botId);
      if (!current || !sameHolding(current, record) || current.expiresAt <= Date.now()) return false;
      await stillLocked();
      await this.atomicWrite(this.recordPath(record.botId), JSON.stringify({ ...current, expiresAt: Date.now() + ttlMs }));
      return true;
    });
  }

  async release(record: LeaseRecord): Promise<void> {
    await this.withLock(record.botId, async (stillLocked) => {
      const current = await this.readRecord(record.botId);
      if (!current || !sameHolding(current, record)) return;
      await stillLocked();
      // Removing the record is the notification: watchers see the directory change.
      try {
        unlinkSync(this.recordPath(record.botId));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw this.fsError('cannot remove the lease record', err);
      }
    });
  }

  async holder(botId: number): Promise<LeaseRecord | null> {
    const current = await this.readRecord(botId);
    if (!current || current.expiresAt <= Date.now()) return null;
    if (await this.holderGone(current)) return null;
    return current;
  }

  async watchRelease(botId: number, onRelease: () => void): Promise<() => void> {
    let wasHeld: boolean | undefined;
    let running = false;
    let again = false;
    let stopped = false;
    const check = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          let held: boolean;
          try {
            held = (await this.holder(botId)) !== null;
          } catch {
            continue;
          }
          if (wasHeld === true && !held && !stopped) onRelease();
          wasHeld = held;
        } while (again && !stopped);
      } finally {
        running = false;
      }
    };
    await check();
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(this.dir, { persistent: false }, (_event, filename) => {
        if (filename === null || filename === `${botId}.json`) void check();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined; // no file watching here (e.g. inotify limit): the poll below still notices within pollMs
    }
    const timer = setInterval(() => void check(), this.pollMs);
    timer.unref();
    const unwatch = (): void => {
      stopped = true;
      clearInterval(timer);
      watcher?.close();
      this.unwatchers.delete(unwatch);
    };
    this.unwatchers.add(unwatch);
    return unwatch;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const unwatch of [...this.unwatchers]) unwatch();
  }

  /** Free for `claim`: expired, held by `claim` itself, or its holder process on this host is gone (or the pid was reused). */
  private async isFree(current: LeaseRecord, claim: LeaseClaim, claimStart: string | null): Promise<boolean> {
    if (current.expiresAt <= Date.now()) return true;
    if (
      current.instanceId === claim.instanceId &&
      current.host === claim.host &&
      current.pid === claim.pid &&
      (current.processStart ?? null) === claimStart
    ) {
      return true;
    }
    return this.holderGone(current);
  }

  /** The holder's process is on this host and no longer exists (or its pid now belongs to another process). */
  private async holderGone(record: LeaseRecord): Promise<boolean> {
    if (record.host !== this.host) return false;
    return !(await isSameProcess(record.pid, record.processStart ?? null));
  }

  private async startOf(pid: number): Promise<string | null> {
    if (pid === process.pid) {
      if (this.ownStart === undefined) this.ownStart = await processStartTime(pid);
      return this.ownStart;
    }
    return processStartTime(pid);
  }

  private recordPath(botId: number): string {
    return join(this.dir, `${botId}.json`);
  }
  private fencePath(botId: number): string {
    return join(this.dir, `${botId}.fence`);
  }
  private lockPath(botId: number): string {
    return join(this.dir, `${botId}.lock`);
  }

  private async readRecord(botId: number): Promise<LeaseRecord | null> {
    let raw: string;
    try {
      raw = readFileSync(this.recordPath(botId), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.fsError('cannot read the lease record', err);
    }
    const rec = parseRecord(raw);
    if (!rec) this.logger.warn('ignoring a malformed lease record', { path: this.recordPath(botId) });
    return rec;
  }

  private async readFence(botId: number): Promise<number> {
    try {
      const n = Number(readFileSync(this.fencePath(botId), 'utf8').trim());
      return Number.isSafeInteger(n) && n > 0 ? n : 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw this.fsError('cannot read the fence counter', err);
    }
  }

  /** Write via a temp file + rename (util/atomic-write), so readers never see a half-written file. */
  private async atomicWrite(path: string, data: string): Promise<void> {
    try {
      await writeFileAtomic(path, data, { mode: 'umask' });
    } catch (err) {
      throw this.fsError(`cannot write ${path}`, err);
    }
  }

  /**
   * Run `fn` holding the host-wide lock `<botId>.lock` (created with O_EXCL, holds pid + start time). A lock whose
   * process is gone is broken at once; one older than lockStaleMs is broken too. `fn` calls `stillLocked()` right
   * before it writes, so a holder that was frozen past lockStaleMs and lost the lock aborts instead of writing.
   */
  private async withLock<T>(botId: number, fn: (stillLocked: () => Promise<void>) => Promise<T>): Promise<T> {
    const path = this.lockPath(botId);
    const info: LockInfo = { pid: process.pid, processStart: await this.startOf(process.pid), host: this.host, nonce: randomUUID() };
    const content = JSON.stringify(info);
    const started = monotonicMs();
    let delayMs = 2;
    for (;;) {
      try {
        const fd = openSync(path, 'wx');
        try {
          writeSync(fd, content);
        } finally {
          closeSync(fd);
        }
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // EPERM: Windows reports a file that is being deleted this way.
        if (code !== 'EEXIST' && code !== 'EPERM') throw this.fsError(`cannot create the lock ${path}`, err);
        if (await this.breakStaleLock(path)) continue;
        if (monotonicMs() - started > this.lockWaitMs) {
          throw leaseUnreachable(this.description, `the lock ${path} stayed busy for more than ${this.lockWaitMs} ms`);
        }
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 20);
      }
    }
    const lockedAt = monotonicMs();
    const stillLocked = async (): Promise<void> => {
      const heldMs = monotonicMs() - lockedAt;
      const now = readOr(path, '');
      if (heldMs > this.lockStaleMs / 2 || now !== content) {
        throw leaseUnreachable(this.description, `lost the lock ${path} after ${Math.round(heldMs)} ms (was this process paused?)`);
      }
    };
    try {
      return await fn(stillLocked);
    } finally {
      if (readOr(path, '') === content) removeQuietly(path);
    }
  }

  /** Break the lock at `path` if its owner is dead or it is older than lockStaleMs. True when the caller should retry now. */
  private async breakStaleLock(path: string): Promise<boolean> {
    let raw: string;
    let ageMs: number;
    try {
      raw = readFileSync(path, 'utf8');
      ageMs = Date.now() - statSync(path).mtimeMs;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT';
    }
    const info = parseLock(raw);
    const ownerGone = info !== null && info.host === this.host && !(await isSameProcess(info.pid, info.processStart));
    if (!ownerGone && ageMs <= this.lockStaleMs) return false;
    // Move it aside (only one breaker can move a given file), then check we moved the one we judged stale.
    const aside = `${path}.${randomUUID().slice(0, 8)}.stale`;
    try {
      renameSync(path, aside);
    } catch {
      return true;
    }
    const moved = readOr(aside, null);
    if (moved !== raw) {
      // We moved a fresh lock taken in between: put it back (fails if yet another one exists; its owner's stillLocked() then aborts).
      try {
        linkSync(aside, path);
      } catch {
        // another lock exists: its owner's stillLocked() aborts
      }
    } else {
      this.logger.warn('broke a stale lease lock', { path, pid: info?.pid, reason: ownerGone ? 'owner process gone' : `older than ${this.lockStaleMs} ms` });
    }
    removeQuietly(aside);
    return true;
  }

  private fsError(what: string, err: unknown) {
    return leaseUnreachable(this.description, `${what}: ${messageOf(err)}`, err);
  }
}

/** The file's text, or `fallback` when it cannot be read (gone). */
function readOr<T>(path: string, fallback: T): string | T {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Same holder and same term (fence). */
function sameHolding(a: LeaseRecord, b: LeaseRecord): boolean {
  return a.instanceId === b.instanceId && a.fence === b.fence && a.pid === b.pid && a.host === b.host;
}

function parseRecord(raw: string): LeaseRecord | null {
  try {
    const r = JSON.parse(raw) as Partial<LeaseRecord>;
    const nums = [r.botId, r.pid, r.fence, r.since, r.expiresAt];
    if (!nums.every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
    if (typeof r.instanceId !== 'string' || typeof r.host !== 'string') return null;
    return {
      botId: r.botId as number,
      instanceId: r.instanceId,
      host: r.host,
      pid: r.pid as number,
      fence: r.fence as number,
      since: r.since as number,
      expiresAt: r.expiresAt as number,
      ...(typeof r.processStart === 'string' ? { processStart: r.processStart } : {}),
    };
  } catch {
    return null;
  }
}

function parseLock(raw: string): LockInfo | null {
  try {
    const l = JSON.parse(raw) as Partial<LockInfo>;
    if (typeof l.pid !== 'number' || typeof l.host !== 'string' || typeof l.nonce !== 'string') return null;
    return { pid: l.pid, host: l.host, nonce: l.nonce, processStart: typeof l.processStart === 'string' ? l.processStart : null };
  } catch {
    return null;
  }
}
