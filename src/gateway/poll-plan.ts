// The getUpdates policy as a pure function: given the bot's poll, the lease and the upstream's state, what to do next.

/** The server's long-poll cap (docs/bot-api-semantics.md §4.1). */
export const MAX_TIMEOUT_S = 50;
/** A short poll with the same offset within 3 s of the previous one is raised to a 3 s long poll by the server (§4.2). */
export const SAME_OFFSET_WINDOW_MS = 3000;

/**
 * Whether a lease can always cover the 3 s poll the server makes of a getUpdates repeating its offset: just before a
 * renewal the leader has `ttl − safety margin − renew interval` left, less the gateway's own margin. When it cannot, the
 * gateway forwards such a poll only once per 3 s while the bot has nothing new, and a reply can wait up to ~3 s.
 */
export function leaseCoversRaisedPoll(l: { ttlMs: number; safetyMarginMs: number; renewEveryMs: number; leaseMarginMs: number }): boolean {
  return l.ttlMs - l.safetyMarginMs - l.renewEveryMs - l.leaseMarginMs >= SAME_OFFSET_WINDOW_MS;
}

/** Everything the decision depends on, at one instant. */
export interface PollSituation {
  /** This instance is leader and polling is not stopped. */
  mayForward: boolean;
  /** Polling was stopped (the bot is being stopped): a short poll is answered at once, not held. */
  pollingStopped?: boolean;
  /** What is left of the bot's own timeout, ms (0 for a short poll). */
  remainingMs: number;
  /** The bot's timeout, s (clamped to [0, 50]). */
  timeoutS: number;
  /** How many upstream getUpdates this poll has made already. */
  upstreamCalls: number;
  /** Until the upstream may be called again after an error or 429, ms (≤ 0: now). */
  backoffMs: number;
  /** Lease left, ms (`LeaderView.msLeft()`). */
  msLeft: number;
  /** The bot's offset equals the last one sent upstream, and that call started < 3 s ago. */
  sameOffsetRecently: boolean;
  leaseMarginMs: number;
  shortPollHoldMs: number;
  holdWhenStandbyMs: number;
}

/** The next step for a held poll. */
export type PollStep =
  | { kind: 'hold-for-leader'; ms: number }
  | { kind: 'wait'; ms: number; thenEmpty: boolean }
  | { kind: 'forward'; timeoutS: number };

/**
 * Outcome table (first matching row wins):
 *
 * | situation                                                   | step                                                        |
 * |-------------------------------------------------------------|-------------------------------------------------------------|
 * | polling stopped, short poll (e.g. a stopping bot's confirm)  | [] now (the bot is being stopped; holding it only delays its exit) |
 * | not leader, or polling stopped                              | hold until leadership (then re-decide) or for the poll's time left (a short poll: shortPollHoldMs), capped by holdWhenStandbyMs; then [] |
 * | backing off, short poll                                     | wait min(backoff, shortPollHoldMs), then []                 |
 * | backing off for at least the poll's time left               | wait the time left, then []                                 |
 * | backing off                                                 | wait the backoff, re-decide                                 |
 * | nothing left of the poll and it went upstream already       | [] now                                                      |
 * | the lease cannot hold even 1 s, the offset is new           | forward with timeout 0 (confirms what the bot acknowledged now; a new offset is not raised to 3 s) |
 * | the lease cannot hold the poll (+ margin), incl. a 3 s raise| wait ≤ 250 ms for a renewal, re-decide; nothing left: wait shortPollHoldMs, then [] |
 * | otherwise                                                   | forward with min(time left rounded up, lease − margin, 50 s) |
 */
export function planPoll(s: PollSituation): PollStep {
  if (!s.mayForward && s.pollingStopped && s.timeoutS === 0) return { kind: 'hold-for-leader', ms: 0 };
  if (!s.mayForward) return { kind: 'hold-for-leader', ms: Math.min(s.timeoutS > 0 ? s.remainingMs : s.shortPollHoldMs, s.holdWhenStandbyMs) };
  if (s.backoffMs > 0) {
    if (s.remainingMs <= 0) return { kind: 'wait', ms: Math.min(s.backoffMs, s.shortPollHoldMs), thenEmpty: true };
    if (s.backoffMs >= s.remainingMs) return { kind: 'wait', ms: s.remainingMs, thenEmpty: true };
    return { kind: 'wait', ms: s.backoffMs, thenEmpty: false };
  }
  // What is left of the bot's own timeout, rounded up (so a first call forwards the bot's timeout unchanged).
  const wantS = Math.min(s.timeoutS, Math.ceil(Math.max(0, s.remainingMs) / 1000));
  if (wantS === 0 && s.upstreamCalls > 0) return { kind: 'wait', ms: 0, thenEmpty: true };
  const budgetMs = s.msLeft - s.leaseMarginMs;
  const timeoutS = Math.max(0, Math.min(wantS, Math.floor(budgetMs / 1000), MAX_TIMEOUT_S));
  const effectiveS = timeoutS < 3 && s.sameOffsetRecently ? 3 : timeoutS;
  const fits = budgetMs >= 0 && effectiveS * 1000 <= budgetMs && !(wantS >= 1 && timeoutS < 1 && s.sameOffsetRecently);
  if (!fits) {
    return s.remainingMs <= 0 ? { kind: 'wait', ms: s.shortPollHoldMs, thenEmpty: true } : { kind: 'wait', ms: Math.min(s.remainingMs, 250), thenEmpty: false };
  }
  return { kind: 'forward', timeoutS };
}
