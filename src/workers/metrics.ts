// The worker-mode Prometheus metrics (`botwarden_workers_*`), registered on the daemon's registry.
import { Counter, Gauge, type Registry } from '../metrics/registry.js';

/** Handles the poller and the feed update. */
export interface WorkerMetrics {
  /** `botwarden_workers_appended_total`: updates this instance's poller stored in a partition. */
  appended: Counter;
  /** `botwarden_workers_append_duplicates_total`: updates the poller got again and found already stored (not stored twice). */
  appendDuplicates: Counter;
  /** `botwarden_workers_delivered_total`: updates handed to the bot (each answer counts). */
  delivered: Counter;
  /** `botwarden_workers_acked_total`: updates the bot confirmed, deleted from their partition. */
  acked: Counter;
  /**
   * `botwarden_workers_redelivered_total{cause}`: updates handed to a bot again. `previous-owner`: a worker that was
   * killed (or frozen, or lost Redis) had it in hand unconfirmed; `unconfirmed`: this bot polled again without
   * confirming it (it restarted, or does not pass offsets).
   */
  redelivered: Counter<'cause'>;
  /** `botwarden_workers_fenced_total`: confirmations that came after the partition had passed to another instance. */
  fenced: Counter;
}

/** Create the worker metrics on `registry`; `gauges` are read at scrape time. */
export function createWorkerMetrics(registry: Registry, gauges: { partitions: () => number; inHand: () => number }): WorkerMetrics {
  const registers = [registry];
  const redelivered = new Counter({ name: 'botwarden_workers_redelivered_total', help: 'Updates handed to a bot again, by cause (previous-owner: a killed or frozen worker had it in hand; unconfirmed: the bot polled again without confirming it).', labelNames: ['cause'] as const, registers });
  redelivered.labels('previous-owner').inc(0);
  redelivered.labels('unconfirmed').inc(0);
  const partitions: Gauge = new Gauge({ name: 'botwarden_workers_partitions_owned', help: 'Partitions this instance owns.', registers, collect: (): void => partitions.set(gauges.partitions()) });
  const inHand: Gauge = new Gauge({ name: 'botwarden_workers_in_hand', help: 'Updates handed to the bot and not yet confirmed.', registers, collect: (): void => inHand.set(gauges.inHand()) });
  return {
    appended: new Counter({ name: 'botwarden_workers_appended_total', help: "Updates this instance's poller stored in a partition.", registers }),
    appendDuplicates: new Counter({ name: 'botwarden_workers_append_duplicates_total', help: 'Updates the poller received again and found already stored (stored once).', registers }),
    delivered: new Counter({ name: 'botwarden_workers_delivered_total', help: 'Updates handed to the bot.', registers }),
    acked: new Counter({ name: 'botwarden_workers_acked_total', help: 'Updates the bot confirmed, deleted from their partition.', registers }),
    redelivered,
    fenced: new Counter({ name: 'botwarden_workers_fenced_total', help: 'Confirmations that came after the partition had passed to another instance (those updates are delivered again there).', registers }),
  };
}
