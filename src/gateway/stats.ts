// The gateway's counters: kept for snapshot() (the /status page) and mirrored to Prometheus when metrics are given.
import type { ConflictCause, Metrics } from '../metrics/botwarden-metrics.js';
import type { DropPendingKind } from './drop-pending.js';

/** What the gateway has seen so far (see `Gateway.snapshot()`). */
export interface GatewaySnapshot {
  /** Requests the bot (or anyone) made to the gateway, all paths. */
  requests: number;
  /** Updates handed to the bot in getUpdates answers. */
  updatesForwarded: number;
  /** Upstream 409s kept from the bot, by likely cause. */
  conflictsAbsorbed: { total: number; byCause: Record<ConflictCause, number> };
  /** Upstream getUpdates answers with updates that came after leadership was lost: discarded, the bot got []. */
  lateDiscarded: number;
  /** When the bot last called getUpdates (epoch ms), null before its first call. */
  lastGetUpdatesAt: number | null;
  /** The `offset` of the bot's latest getUpdates as sent (may be 0 or negative), null before its first call. */
  lastOffsetSeen: number | null;
  /** The highest positive offset the bot sent: every update below it is processed. 0 = none yet. */
  ackedOffset: number;
  /** The highest offset sent upstream in a getUpdates (what Telegram has been told is confirmed). 0 = none yet. */
  upstreamOffset: number;
  /** The highest update_id handed to the bot, null before the first update. */
  highestUpdateId: number | null;
  /** False after the last upstream call failed to get a Bot API answer (network error, 5xx). */
  upstreamReachable: boolean;
  /** False after stopPolling() until resumePolling(). */
  polling: boolean;
  /** The bot's drop-pending requests kept from Telegram (see drop-pending.ts), by method. */
  dropPendingKept: { total: number; byMethod: Record<DropPendingKind, number> };
}

/** Mutable counters shared by the gateway's parts. */
export class GatewayStats {
  requests = 0;
  updatesForwarded = 0;
  conflicts: Record<ConflictCause, number> = { webhook: 0, 'other-poller': 0 };
  lateDiscarded = 0;
  lastGetUpdatesAt: number | null = null;
  lastOffsetSeen: number | null = null;
  ackedOffset = 0;
  upstreamOffset = 0;
  highestUpdateId: number | null = null;
  upstreamReachable = true;
  dropPendingKept: Record<DropPendingKind, number> = { getUpdates: 0, deleteWebhook: 0, setWebhook: 0 };

  constructor(private readonly metrics: Metrics | undefined) {}

  /** The bot asked for updates with this offset (undefined = none given). */
  sawGetUpdates(offset: number | undefined): void {
    this.lastGetUpdatesAt = Date.now();
    this.lastOffsetSeen = offset ?? 0;
    if (offset !== undefined && offset > this.ackedOffset) this.ackedOffset = offset;
  }

  forwarded(count: number, highestId: number | undefined): void {
    this.updatesForwarded += count;
    this.metrics?.updatesForwarded.inc(count);
    if (highestId !== undefined && (this.highestUpdateId === null || highestId > this.highestUpdateId)) this.highestUpdateId = highestId;
  }

  conflict(cause: ConflictCause): void {
    this.conflicts[cause]++;
    this.metrics?.conflictsAbsorbed.labels(cause).inc();
  }

  dropPending(kind: DropPendingKind): void {
    this.dropPendingKept[kind]++;
    this.metrics?.dropPendingKept.labels(kind).inc();
  }

  late(): void {
    this.lateDiscarded++;
    this.metrics?.lateDiscarded.inc();
  }

  snapshot(polling: boolean): GatewaySnapshot {
    return {
      requests: this.requests,
      updatesForwarded: this.updatesForwarded,
      conflictsAbsorbed: { total: this.conflicts.webhook + this.conflicts['other-poller'], byCause: { ...this.conflicts } },
      lateDiscarded: this.lateDiscarded,
      lastGetUpdatesAt: this.lastGetUpdatesAt,
      lastOffsetSeen: this.lastOffsetSeen,
      ackedOffset: this.ackedOffset,
      upstreamOffset: this.upstreamOffset,
      highestUpdateId: this.highestUpdateId,
      upstreamReachable: this.upstreamReachable,
      polling,
      dropPendingKept: {
        total: this.dropPendingKept.getUpdates + this.dropPendingKept.deleteWebhook + this.dropPendingKept.setWebhook,
        byMethod: { ...this.dropPendingKept },
      },
    };
  }
}
