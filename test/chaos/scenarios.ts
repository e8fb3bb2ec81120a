// Chaos scenarios shared by the Redis and PostgreSQL files: real `botwarden run` instances as separate hosts on one
// lease backend, messages injected throughout, and the emulator's and proxies' records checked afterwards.
import assert from 'node:assert/strict';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { dumpTimeline, logGapMs, RoleMonitor, statusCommand, UpstreamJournal } from '../helpers/chaos.js';
import type { Spawned } from '../helpers/cli.js';
import { EXAMPLES, startInstance, waitForAnyLeader, waitForRole, type Instance, type RunningEmulator } from '../helpers/fleet.js';
import { describeReport, Traffic, type TrafficReport } from '../helpers/traffic.js';
import { eventually } from '../helpers/wait.js';

/** A real client library's bot (grammY long polling). */
export const GRAMMY = [process.execPath, path.join(EXAMPLES, 'grammy.mjs')];
/** An echo bot that, on SIGTERM, confirms exactly what it processed (test/fixtures/chaos/careful-echo.mjs). */
export const CAREFUL = [process.execPath, path.join(import.meta.dirname, '..', 'fixtures', 'chaos', 'careful-echo.mjs')];

/** Where a scenario runs. */
export interface ScenarioEnv {
  emu: RunningEmulator;
  /** `--lease` URL. */
  lease: string;
  /** `--lease-ttl` (ms). */
  ttlMs: number;
  /** `redis` or `postgres`, for messages. */
  label: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One "host" of a scenario: `botwarden run` with its own state dir and process groups, the token by file (so no
 * process of it has the token in its environment), `--stop-timeout 3000`, reached through `journal` when given.
 */
export async function startHost(env: ScenarioEnv, token: string, name: string, o: { journal?: UpstreamJournal; command?: string[]; args?: string[]; waitForHealth?: boolean; onSpawn?: (p: Spawned) => void } = {}): Promise<Instance> {
  const apiRoot = o.journal ? await o.journal.proxy(name) : env.emu.url;
  return startInstance({ name, token, apiRoot, lease: env.lease, ttlMs: env.ttlMs, tokenVia: 'file', args: ['--stop-timeout', '3000', ...(o.args ?? [])], ...(o.command ? { command: o.command } : {}), ...(o.waitForHealth === false ? { waitForHealth: false } : {}), ...(o.onSpawn ? { onSpawn: o.onSpawn } : {}) });
}

/** Which instances sent `echo: <text>`, per text (from the proxies' records). */
export function repliers(journal: UpstreamJournal): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of journal.calls) {
    if (!/^sendmessage$/i.test(c.method) || !c.text?.startsWith('echo: ')) continue;
    const text = c.text.slice(6);
    out.set(text, [...(out.get(text) ?? []), c.instance]);
  }
  return out;
}

/**
 * update_ids the emulator gave `instance` in getUpdates answers (as its proxy saw them), leaving out the gateway's own
 * offset confirmation on a graceful stop (`timeout 0, limit 1`): Telegram answers it with the next update, which
 * the gateway drops and the next leader receives, so the emulator counts it twice though no bot saw it twice.
 */
export function receivedBy(journal: UpstreamJournal, instance: string, until = Infinity): Set<number> {
  return new Set(journal.calls.filter((c) => c.instance === instance && c.start < until && !(c.timeout === 0 && c.limit === 1)).flatMap((c) => c.updateIds ?? []));
}

/**
 * A time before which `leader`'s lease cannot run out: the time left its /status reports (its own deadline, earlier
 * than the backend's expiry) counted from before the request was sent. Renewals only move the expiry later.
 */
async function leaseFloor(leader: Instance): Promise<{ expiryFloorAt: number }> {
  const askedAt = Date.now();
  const s = await leader.status();
  assert.equal(s?.role, 'leader', `${leader.name} leads`);
  return { expiryFloorAt: askedAt + (s?.lease.msLeft ?? 0) };
}

/** Checks every scenario makes: nothing lost, no 409, never two pollers, fences only grow. */
function assertSafety(t: TestContext, report: TrafficReport, journal: UpstreamJournal, monitor: RoleMonitor): void {
  t.diagnostic(describeReport(report));
  t.diagnostic(`leadership terms: ${monitor.terms.map((x) => `${x.name}@fence ${x.fence}`).join(' → ')}`);
  assert.deepEqual(report.lostTexts, [], 'every injected message got its reply');
  assert.equal(report.conflicts, 0, 'the emulator answered no 409');
  const overlaps = journal.overlappingPolls();
  assert.deepEqual(
    overlaps.map(([a, b]) => `${a.instance}[${a.start}..${a.end ?? '∞'}] × ${b.instance}[${b.start}..${b.end ?? '∞'}]`),
    [],
    'no two instances had a getUpdates upstream at the same time',
  );
  assert.deepEqual(monitor.doubleLeaders, [], 'no two instances said leader (polling) at the same time');
  assert.ok(monitor.fencesGrow(), `every new holder has a larger fence: ${JSON.stringify(monitor.terms)}`);
}

/**
 * Three hosts: the leader stops gracefully (a standby takes over, no duplicate), then the new leader is killed -9
 * with its bot (the last standby takes over once the lease could have run out, not before). Returns the measured
 * figures; how fast is the benchmark's business (`npm run bench -- --only failover`), here only a hang fails.
 */
export async function handoverThenKill(t: TestContext, env: ScenarioEnv): Promise<{ handoverMs: number; releaseToAcquireMs: number; failoverMs: number; firstReplyMs: number }> {
  const { emu, ttlMs } = env;
  const bot = await emu.createBot();
  const journal = new UpstreamJournal(emu.url);
  const insts: Instance[] = [];
  let monitor: RoleMonitor | undefined;
  let injector: Traffic | undefined;
  try {
    insts.push(...(await Promise.all(['A', 'B', 'C'].map((name) => startHost(env, bot.token, name, { journal, command: CAREFUL })))));
    const { leader: first } = await waitForAnyLeader(insts, 15_000);
    const standbys = insts.filter((i) => i !== first);
    for (const s of standbys) await waitForRole(s, 'standby', 15_000);
    const firstStatus = await first.status();
    assert.ok(firstStatus?.child.pid, 'the leader runs its bot');
    for (const s of standbys) assert.equal((await s.status())?.child.pid, null, `${s.name} (standby) runs no bot`);

    monitor = new RoleMonitor(insts);
    injector = new Traffic(emu, bot.id).start();
    // `botwarden status` on a standby's host shows the holder as the backend has it.
    const shown = await statusCommand(standbys[0]?.stateDir ?? '');
    assert.equal(shown.code, 0, shown.out);
    assert.match(shown.out, /role: standby/);
    assert.match(shown.out, new RegExp(`lease \\(${env.label}[^)]*\\): held by \\S+ pid ${first.pid}, fence ${firstStatus?.lease.fence}, since \\d{4}-[^,]+Z, expires \\d{4}-\\S+Z`), shown.out);

    // 1. Graceful stop of the leader: a standby takes over at once (release notice), nothing lost or doubled.
    const termAt = Date.now();
    const exited = first.stop();
    const { leader: second, at: secondAt } = await waitForAnyLeader(standbys, 30_000);
    assert.equal(await exited, 0, first.stderr());
    const handoverMs = secondAt - termAt;
    const releaseToAcquireMs = logGapMs(first.stderr(), /leadership ended: stopping/, second.stderr(), /leader: lease acquired/) ?? NaN;
    // That the release notice (pub/sub, NOTIFY) wakes a standby is test/lease/elector-backends.ts's check (it counts
    // the notices); here the figures are reported and the safety checks below judge the hand-over.
    t.diagnostic(`${env.label}: graceful handover ${first.name}→${second.name}: SIGTERM → new leader ${handoverMs} ms (bot stop included); release → acquire ${releaseToAcquireMs} ms (a standby's own retry: every ${ttlMs / 4} ms)`);
    assert.ok(releaseToAcquireMs >= 0, `the new leader acquired after the old one's release (${releaseToAcquireMs} ms)`);
    // Traffic flows through the new leader (it has updates in hand) before it is killed.
    await eventually('a reply from the new leader', () => journal.firstReplyBy(second.name, secondAt), 30_000);
    await injector.sendsMore(20);

    // 2. kill -9 of the new leader and its bot: the last standby takes over after the lease runs out.
    const third = standbys.find((s) => s !== second) as Instance;
    const confirmedBefore = (await emu.stats(bot.id)).confirmedUpTo;
    // The killed leader's lease lasts at least this long (renewals only extend it): nobody may lead before.
    const { expiryFloorAt } = await leaseFloor(second);
    const killAt = Date.now();
    await second.kill9();
    const tookAt = await waitForRole(third, 'leader', ttlMs + 30_000);
    const failoverMs = tookAt - killAt;
    const firstReply = await eventually('a reply from the new leader', () => journal.firstReplyBy(third.name, killAt), 30_000);
    const firstReplyMs = firstReply.start - killAt;
    t.diagnostic(`${env.label}: kill -9 of ${second.name}: → ${third.name} leader ${failoverMs} ms, → its first reply ${firstReplyMs} ms (TTL ${ttlMs} ms; the killed lease lasted ≥ ${expiryFloorAt - killAt} ms more)`);
    assert.ok(tookAt >= expiryFloorAt, `${third.name} led ${expiryFloorAt - tookAt} ms before the killed leader's lease could run out`);
    await injector.sendsMore(20); // traffic flows through the last leader before the count
    await injector.stop();
    const report = await injector.report();
    await monitor.stop();
    assertSafety(t, report, journal, monitor);

    // Duplicates: none across the graceful handover; across the kill, only updates the killed leader had in hand
    // (delivered to it, not yet confirmed upstream when it died).
    const who = repliers(journal);
    const idOf = new Map(injector.texts.map((x, i) => [x, injector?.updateIds[i] ?? 0]));
    const toFirst = receivedBy(journal, first.name);
    const gracefulRedelivered = [...toFirst].filter((id) => receivedBy(journal, second.name).has(id) || receivedBy(journal, third.name).has(id));
    const gracefulDup = [...who].filter(([, names]) => names.includes(first.name) && names.length > 1);
    const inHand = [...receivedBy(journal, second.name, killAt)].filter((id) => id > confirmedBefore);
    const killDup = [...who].filter(([, names]) => !names.includes(first.name) && names.length > 1);
    t.diagnostic(
      `${env.label}: graceful handover: ${gracefulDup.length} processed twice, ${gracefulRedelivered.length} delivered twice; kill -9: ${killDup.length} processed twice (${killDup.map(([x]) => x).join(' ')}) of ${inHand.length} the killed leader had in hand`,
    );
    assert.equal(gracefulDup.length, 0, `processed twice across the graceful handover: ${gracefulDup.map(([x]) => x).join(' ')}`);
    // Not asserted: an upstream answer the stopping leader's gateway aborted (stopPolling) may still have been sent by
    // the server; its updates stay unconfirmed and go to the next leader — delivered twice, processed once.
    for (const [text] of killDup) assert.ok(inHand.includes(idOf.get(text) ?? 0), `${text} was processed twice, but the killed leader did not have it in hand`);
    return { handoverMs, releaseToAcquireMs, failoverMs, firstReplyMs };
  } finally {
    await injector?.stop();
    await monitor?.stop();
    dumpTimeline(t, journal, insts);
    await Promise.all(insts.map((i) => i.dispose()));
    await journal.close();
  }
}

/**
 * Two hosts: the leader and its bot are frozen (SIGSTOP) longer than the TTL while a getUpdates it sent is still
 * being answered; the standby takes over after the TTL, the old leader's late answer is discarded, and after
 * SIGCONT the old leader steps down by itself. Returns the takeover time (freeze → standby is leader).
 */
export async function frozenLeader(t: TestContext, env: ScenarioEnv): Promise<{ takeoverMs: number }> {
  const { emu, ttlMs } = env;
  const bot = await emu.createBot();
  const journal = new UpstreamJournal(emu.url);
  const insts: Instance[] = [];
  let monitor: RoleMonitor | undefined;
  let injector: Traffic | undefined;
  try {
    insts.push(...(await Promise.all(['A', 'B'].map((name) => startHost(env, bot.token, name, { journal, command: GRAMMY })))));
    const { leader: old } = await waitForAnyLeader(insts, 15_000);
    const standby = insts.find((i) => i !== old) as Instance;
    await waitForRole(standby, 'standby', 15_000);
    const oldStatus = await old.status();
    const botPid = oldStatus?.child.pid;
    assert.ok(botPid, 'the leader runs its bot');

    monitor = new RoleMonitor(insts);
    injector = new Traffic(emu, bot.id).start();
    await eventually('the first replies', async () => (await emu.sent(bot.id)).length >= 3, 30_000);
    await injector.sendsMore(20); // traffic flows through the leader before the freeze

    // Make the leader's next getUpdates slow to answer, and freeze the leader while the emulator holds it: the
    // answer (with updates) arrives while the leader is frozen and is read only after SIGCONT, far too late.
    const lateMs = 600;
    await emu.addFault({ bot: bot.id, method: 'getUpdates', status: 200, count: 1, delay_ms: lateMs });
    await eventually('the slow getUpdates to be in flight', async () => (await emu.faults()).length === 0, 10_000, 5);
    const confirmedBefore = (await emu.stats(bot.id)).confirmedUpTo;
    const { expiryFloorAt } = await leaseFloor(old);
    const frozeAt = Date.now();
    const groups = old.freeze();
    assert.ok(groups.includes(old.pid) && groups.length >= 2, `froze botwarden and its bot (groups ${groups.join(', ')}; bot pid ${botPid})`);
    const pollsBeforeThaw = journal.pollsBy(old.name).length;

    const tookAt = await waitForRole(standby, 'leader', ttlMs + 30_000);
    const takeoverMs = tookAt - frozeAt;
    t.diagnostic(`${env.label}: leader ${old.name} frozen: ${standby.name} leader after ${takeoverMs} ms (TTL ${ttlMs} ms; the frozen lease lasted ≥ ${expiryFloorAt - frozeAt} ms more)`);
    // Not before the frozen holder's lease could have run out; how soon after is the benchmark's figure.
    assert.ok(tookAt >= expiryFloorAt, `took over ${expiryFloorAt - tookAt} ms before the frozen leader's lease could expire`);
    // The leader stays frozen well past the TTL (the scenario), then is woken.
    await sleep(Math.max(0, frozeAt + ttlMs + 1000 - Date.now()));

    const thawAt = Date.now();
    old.thaw();
    await waitForRole(old, 'standby', 30_000);
    const after = await eventually('the old leader to stop its bot', async () => {
      const s = await old.status();
      return s && s.child.pid === null && !s.gateway.polling ? s : undefined;
    });
    t.diagnostic(`${env.label}: after SIGCONT ${old.name} is ${after.role}, late answers discarded: ${after.gateway.lateDiscarded}, its upstream getUpdates since: ${journal.pollsBy(old.name, thawAt).length}`);
    // The answer to the slow getUpdates reached the frozen leader's socket while it was frozen: none of its updates
    // may reach the old leader's bot (the gateway discards it, or aborts it on stepping down); the new leader answers them.
    const late = journal.pollsBy(old.name).filter((c) => c.start < frozeAt).at(-1);
    assert.ok(late && (late.end ?? Infinity) > frozeAt && (late.updateIds?.length ?? 0) > 0, `a getUpdates with updates was answered during the freeze: ${JSON.stringify(late)}`);
    const lateTexts = new Set((late.updateIds ?? []).map((id) => injector?.texts[injector.updateIds.indexOf(id)]));
    const who = repliers(journal);
    const lateByOld = [...lateTexts].filter((x) => x !== undefined && who.get(x)?.includes(old.name));
    t.diagnostic(`${env.label}: the late answer carried ${lateTexts.size} updates; the old leader's bot got ${lateByOld.length} of them; counted as discarded: ${after.gateway.lateDiscarded}`);
    assert.deepEqual(lateByOld, [], 'the late answer never reached the old leader\'s bot');
    assert.equal(journal.pollsBy(old.name).length, pollsBeforeThaw, 'the old leader sent no getUpdates upstream after the freeze');
    assert.equal((await standby.role()) ?? 'no answer', 'leader', 'the new leader keeps leading');

    await injector.sendsMore(20); // traffic flows through the new leader before the count
    await injector.stop();
    const report = await injector.report();
    await monitor.stop();
    assertSafety(t, report, journal, monitor);
    const whoNow = repliers(journal);
    for (const x of lateTexts) if (x !== undefined) assert.ok(whoNow.get(x)?.includes(standby.name), `${x} (from the discarded answer) was answered by the new leader`);
    const inHand = [...receivedBy(journal, old.name, frozeAt)].filter((id) => id > confirmedBefore);
    const idOf = new Map(injector.texts.map((x, i) => [x, injector?.updateIds[i] ?? 0]));
    const dup = [...whoNow].filter(([, names]) => names.length > 1);
    t.diagnostic(`${env.label}: updates processed twice across the freeze: ${dup.length} (${dup.map(([x, n]) => `${x}:${n.join('+')}`).join(' ')}) of ${inHand.length} the frozen leader had in hand`);
    for (const [text] of dup) assert.ok(inHand.includes(idOf.get(text) ?? 0), `${text} was processed twice, but the frozen leader did not have it in hand`);
    return { takeoverMs };
  } finally {
    await injector?.stop();
    await monitor?.stop();
    dumpTimeline(t, journal, insts);
    await Promise.all(insts.map((i) => i.dispose()));
    await journal.close();
  }
}
