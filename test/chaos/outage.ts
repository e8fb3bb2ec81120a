// Lease backend outages, shared by the Redis and PostgreSQL outage files: unreachable at start (retry, then exit 6),
// coming up late (retry, then lead), and lost mid-run (the leader steps down before its lease could expire; when the
// backend is back, someone leads again and every update is answered). Runs against a PRIVATE server only.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { dumpTimeline, logTime, RoleMonitor, UpstreamJournal } from '../helpers/chaos.js';
import type { Spawned } from '../helpers/cli.js';
import { isProcessAlive, waitForAnyLeader, waitForRole, type Instance } from '../helpers/fleet.js';
import type { PrivateServer } from '../helpers/services.js';
import { describeReport, Traffic } from '../helpers/traffic.js';
import { eventually } from '../helpers/wait.js';
import { GRAMMY, receivedBy, repliers, startHost, type ScenarioEnv } from './scenarios.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Nothing listens at `env.lease`: a clear message, retries, then exit 6 once --startup-timeout has passed. */
export async function unreachableAtStart(t: TestContext, env: ScenarioEnv): Promise<void> {
  const bot = await env.emu.createBot();
  const startupTimeoutMs = 1500;
  const inst = await startHost(env, bot.token, 'A', { waitForHealth: false, args: ['--startup-timeout', String(startupTimeoutMs)] });
  try {
    const startedAt = Date.now();
    const code = await Promise.race([inst.exited(), sleep(20_000).then(() => 'still running')]);
    const err = inst.stderr();
    t.diagnostic(`${env.label}: unreachable at start → exit ${code} after ${Date.now() - startedAt} ms`);
    assert.equal(code, 6, err);
    assert.match(err, /lease backend .* unreachable; retry \d/, 'says it retries');
    assert.match(err, /cannot reach the lease backend/, 'says what failed');
    assert.match(err, /→ check that the backend runs/, 'says what to do');
    assert.doesNotMatch(err, new RegExp(bot.token.split(':')[1] ?? 'x'), 'never shows the token');
  } finally {
    await inst.dispose();
  }
}

/** The backend is down when botwarden starts and comes up a little later: botwarden keeps retrying, then leads. */
export async function comesUpLate(t: TestContext, env: ScenarioEnv, server: PrivateServer): Promise<void> {
  const bot = await env.emu.createBot();
  await server.stop();
  let spawned: Spawned | undefined;
  const starting = startHost(env, bot.token, 'A', { args: ['--startup-timeout', '8000'], onSpawn: (p) => (spawned = p) });
  let inst: Instance | undefined;
  try {
    // Bring the backend up only once botwarden has said it cannot reach it and is retrying.
    await eventually('botwarden to retry the backend', () => /lease backend .* unreachable; retry 2/.test(spawned?.stderr() ?? ''), 20_000, 20);
    const upAt = Date.now();
    await server.start();
    inst = await starting;
    const leadAt = await waitForRole(inst, 'leader', 10_000);
    t.diagnostic(`${env.label}: backend up → leader ${leadAt - upAt} ms`);
    const id = await env.emu.sendText(bot.id, 'after the late start');
    await eventually('the reply', async () => (await env.emu.sent(bot.id)).some((m) => m.text === 'echo: after the late start'), 10_000);
    assert.ok(id > 0);
  } finally {
    inst ??= await starting.catch(() => undefined);
    await inst?.dispose();
    await server.start().catch(() => undefined);
  }
}

/** How an outage went. */
export interface OutageFigures {
  /** Backend stopped → leader seen as standby with polling off. */
  stepDownMs: number;
  /** Backend stopped → the leader's bot process gone. */
  botGoneMs: number;
  /** The leader's local deadline and the backend's earliest expiry, relative to the backend stop. */
  deadlineMs: number;
  expiryMs: number;
  /** Backend back → a leader again. */
  reelectMs: number;
  /** Fences before and after the outage. */
  fenceBefore: number | null;
  fenceAfter: number | null;
}

/**
 * Two hosts on a private backend; the backend is stopped for longer than the TTL, then started again. The leader
 * must stop polling and stop its bot before its lease could expire, nobody leads meanwhile, and afterwards one
 * instance leads and every update injected throughout (also during the outage) is answered, with no 409.
 */
export async function outageMidRun(t: TestContext, env: ScenarioEnv, server: PrivateServer, opts: { crash: boolean }): Promise<OutageFigures> {
  const { emu, ttlMs } = env;
  const bot = await emu.createBot();
  const journal = new UpstreamJournal(emu.url);
  const insts: Instance[] = [];
  let monitor: RoleMonitor | undefined;
  let injector: Traffic | undefined;
  try {
    insts.push(...(await Promise.all(['A', 'B'].map((name) => startHost(env, bot.token, name, { journal, command: GRAMMY })))));
    const { leader } = await waitForAnyLeader(insts, 15_000);
    const standby = insts.find((i) => i !== leader) as Instance;
    await waitForRole(standby, 'standby', 15_000);
    monitor = new RoleMonitor(insts);
    injector = new Traffic(emu, bot.id).start();
    await eventually('the first replies', async () => (await emu.sent(bot.id)).length >= 3, 30_000);
    await injector.sendsMore(20); // traffic flows through the leader when the backend goes
    const before = await leader.status();
    const botPid = before?.child.pid;
    assert.ok(botPid, 'the leader runs its bot');

    // The backend goes away. From now on no renewal can succeed, so what /status says now is final: the leader may
    // act until its local deadline; the backend could expire the lease from deadline + TTL/5 (the safety margin) on.
    const outAt = Date.now();
    await server.stop({ crash: opts.crash });
    const s = await leader.status();
    const deadlineAt = Date.now() + (s?.role === 'leader' ? s.lease.msLeft : 0);
    const expiryAt = deadlineAt + ttlMs / 5;
    const downAt = await eventually('the leader to step down', async () => {
      const x = await leader.status();
      return x && x.role !== 'leader' && !x.gateway.polling ? Date.now() : undefined;
    }, ttlMs + 30_000, 10); // a bound that only catches a hang: the safety checks are below
    const goneAt = await eventually('its bot to stop', () => (isProcessAlive(botPid) ? undefined : Date.now()), 10_000, 10);
    const lastPoll = journal.pollsBy(leader.name).at(-1);
    const confirmedAtStepDown = (await emu.stats(bot.id)).confirmedUpTo;
    const figures = { stepDownMs: downAt - outAt, botGoneMs: goneAt - outAt, deadlineMs: deadlineAt - outAt, expiryMs: expiryAt - outAt };
    t.diagnostic(`${env.label}: backend ${opts.crash ? 'killed' : 'stopped'}: leader's deadline +${figures.deadlineMs} ms, lease expires ≥ +${figures.expiryMs} ms; stepped down (polling off) +${figures.stepDownMs} ms, bot gone +${figures.botGoneMs} ms, last upstream getUpdates ended +${(lastPoll?.end ?? 0) - outAt} ms`);
    // Safety: nothing of the old leader's reached upstream once the lease could expire (how soon after its deadline
    // it stepped down is a figure, above: a busy machine makes timers late, never early).
    assert.ok(lastPoll?.end !== undefined && lastPoll.end < expiryAt, 'its last getUpdates upstream ended before the lease could expire');
    assert.match(leader.stderr(), /stepping down: lease not renewed within \d+ ms/);
    assert.match(leader.stderr(), /stopping the bot \(pid \d+\): lost the lease/);
    const stopBegan = logTime(leader.stderr(), /stopping the bot \(pid \d+\): lost the lease/);
    assert.ok(stopBegan !== undefined, 'the stop of its bot is logged with its time');
    t.diagnostic(`${env.label}: began stopping its bot ${stopBegan - deadlineAt} ms after its deadline`);

    // Nobody leads while the backend is away (checked after the lease could have expired: the wait is the scenario).
    await sleep(Math.max(0, expiryAt + 300 - Date.now()));
    const during = await Promise.all(insts.map((i) => i.status()));
    assert.deepEqual(during.map((x) => x?.role), ['standby', 'standby'], 'nobody leads during the outage');
    assert.equal(journal.pollsBy(leader.name, downAt).length + journal.pollsBy(standby.name, outAt).length, 0, 'no getUpdates went upstream during the outage');

    // The outage lasts longer than the TTL (the scenario), then the backend comes back.
    await sleep(Math.max(0, outAt + ttlMs + 1000 - Date.now()));
    const backAt = Date.now();
    await server.start();
    const { leader: next, at } = await waitForAnyLeader(insts, 30_000);
    const reelectMs = at - backAt;
    await injector.sendsMore(20); // traffic flows through the new leader before the count
    await injector.stop();
    const report = await injector.report();
    await monitor.stop();
    const after = await next.status();
    t.diagnostic(`${env.label}: backend back → ${next.name} leads after ${reelectMs} ms; fence ${before?.lease.fence} → ${after?.lease.fence}`);
    t.diagnostic(describeReport(report));
    assert.deepEqual(report.lostTexts, [], 'every update injected before, during and after the outage was answered');
    assert.equal(report.conflicts, 0, 'no 409');
    assert.deepEqual(journal.overlappingPolls().map(([a, b]) => `${a.instance}×${b.instance}@${a.start}`), [], 'never two pollers');
    assert.deepEqual(monitor.doubleLeaders, [], 'never two leaders');
    // Stepping down without the lease, the old leader cannot confirm what its bot acknowledged last: only those
    // updates (delivered to it, unconfirmed when it stepped down) may be processed again by the next leader.
    const inHand = [...receivedBy(journal, leader.name, downAt)].filter((id) => id > confirmedAtStepDown);
    const idOf = new Map(injector.texts.map((x, i) => [x, injector?.updateIds[i] ?? 0]));
    const dup = [...repliers(journal)].filter(([, names]) => names.length > 1);
    t.diagnostic(`${env.label}: updates processed twice across the outage: ${dup.length} (${dup.map(([x]) => x).join(' ')}) of ${inHand.length} the old leader had in hand`);
    for (const [text] of dup) assert.ok(inHand.includes(idOf.get(text) ?? 0), `${text} was processed twice, but the old leader did not have it in hand`);
    return { ...figures, reelectMs, fenceBefore: before?.lease.fence ?? null, fenceAfter: after?.lease.fence ?? null };
  } finally {
    await injector?.stop();
    await monitor?.stop();
    dumpTimeline(t, journal, insts);
    await Promise.all(insts.map((i) => i.dispose()));
    await journal.close();
    await server.start().catch(() => undefined);
  }
}
