// botwarden doctor against the emulator (real HTTP on 127.0.0.1): healthy, webhook, second poller, local process, bad token;
// and the doctor never changes the bot's queue or webhook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import path from 'node:path';
import { startEmulator, EmulatorClient, type ControlStats, type Emulator } from '../../src/emulator/index.js';
import { closeServer, listenLoopback } from '../../src/server.js';
import { spawnCli, spawnProcess } from '../helpers/cli.js';
import { eventually } from '../helpers/wait.js';

const GRAMMY = path.join(import.meta.dirname, '..', '..', 'examples', 'bots', 'grammy.mjs');

async function json<T>(url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, {
    ...(body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  });
  return (await res.json()) as T;
}

async function setup(t: { after(fn: () => Promise<void> | void): void }): Promise<{ emu: Emulator; client: EmulatorClient; id: number; token: string; stats(): Promise<ControlStats>; send(text: string): Promise<void> }> {
  const emu = await startEmulator({ port: 0 });
  t.after(() => emu.close());
  const client = new EmulatorClient(emu.url);
  const bot = await client.createBot('doctor_test_bot');
  return {
    emu,
    client,
    id: bot.id,
    token: bot.token,
    stats: () => client.stats(bot.id),
    send: async (text) => {
      await client.sendText(bot.id, text);
    },
  };
}

function doctor(token: string, apiRoot: string, extra: string[] = []): ReturnType<typeof spawnCli> {
  return spawnCli(['doctor', '--api-root', apiRoot, ...extra], { env: { BOT_TOKEN: token, TELEGRAM_BOT_TOKEN: '' } });
}

const unchanged = (s: ControlStats): unknown => ({ confirmedUpTo: s.confirmedUpTo, pending: s.pending, webhook: s.webhook.url });

test('healthy bot (updates waiting, nobody polling) → exit 0; queue and webhook unchanged', async (t) => {
  const b = await setup(t);
  await b.send('one');
  await b.send('two');
  const before = await b.stats();
  const d = doctor(b.token, b.emu.url);
  assert.equal(await d.exited(), 0, d.stdout() + d.stderr());
  assert.match(d.stdout(), /✔ token accepted: @doctor_test_bot/);
  assert.match(d.stdout(), /✔ no webhook set/);
  assert.match(d.stdout(), /2 update\(s\) wait/);
  assert.deepEqual(unchanged(await b.stats()), unchanged(before));
  assert.doesNotMatch(d.stdout() + d.stderr(), new RegExp(b.token.split(':')[1]!));
});

test('by default no getUpdates at all: an empty queue gives exit 0 and says a passive look cannot tell', async (t) => {
  const b = await setup(t);
  const before = await b.stats();
  const d = doctor(b.token, b.emu.url, ['--json']);
  assert.equal(await d.exited(), 0, d.stdout() + d.stderr());
  const findings = JSON.parse(d.stdout()) as Array<{ id: string; ok: boolean; cause: string }>;
  assert.ok(findings.some((f) => f.id === 'poller' && /getUpdates not probed .*--probe active/.test(f.cause)), d.stdout());
  const after = await b.stats();
  assert.equal(after.getUpdatesCalls, before.getUpdatesCalls, 'doctor called getUpdates');
  assert.deepEqual(unchanged(after), unchanged(before));
});

test('grammY polling this bot directly while doctor runs: it keeps polling, 0 conflicts, doctor exit 1 naming its pid', async (t) => {
  const b = await setup(t);
  const bot = spawnProcess(process.execPath, [GRAMMY], { env: { BOT_TOKEN: b.token, TELEGRAM_API_ROOT: b.emu.url } });
  t.after(() => bot.stop());
  await bot.waitFor(/ready/, 20_000);
  const d = doctor(b.token, b.emu.url, ['--json']);
  // Meant to land while doctor runs; sent before or after it, the checks below hold all the same (no sync needed).
  await new Promise((r) => setTimeout(r, 500));
  await b.send('during doctor');
  assert.equal(await d.exited(), 1, d.stdout() + d.stderr());
  const findings = JSON.parse(d.stdout()) as Array<{ id: string; ok: boolean; pid?: number }>;
  assert.ok(findings.some((f) => f.id === 'local-process' && f.pid === bot.child.pid), d.stdout());
  await b.send('after doctor');
  const sent = async (): Promise<string[]> => (await b.client.sent(b.id)).map((m) => m.text ?? '');
  await eventually('the echo of "after doctor"', async () => (await sent()).includes('echo: after doctor'), 30_000, 100).catch(() => undefined);
  assert.ok((await sent()).includes('echo: during doctor'), 'the update sent while doctor ran was answered');
  assert.ok((await sent()).includes('echo: after doctor'), 'the bot still polls after doctor');
  assert.equal((await b.stats()).conflicts, 0, 'no 409 at the emulator');
});

test('healthy bot with an empty queue → exit 0 after the active probe (with its warning); --json gives findings', async (t) => {
  const b = await setup(t);
  const before = await b.stats();
  const d = doctor(b.token, b.emu.url, ['--probe', 'active', '--json']);
  assert.equal(await d.exited(), 0, d.stdout() + d.stderr());
  const findings = JSON.parse(d.stdout()) as Array<{ id: string; ok: boolean; cause: string }>;
  assert.ok(findings.every((f) => f.ok));
  assert.ok(findings.some((f) => f.id === 'poller' && /no other getUpdates poller/.test(f.cause)));
  assert.match(d.stderr(), /warning: --probe active .* gets a 409 and may stop polling/);
  assert.deepEqual(unchanged(await b.stats()), unchanged(before));
});

test('webhook set → exit 1 with the deleteWebhook fix; the webhook stays', async (t) => {
  const b = await setup(t);
  await json(`${b.emu.url}/bot${b.token}/setWebhook`, { url: 'https://example.invalid/hook' });
  const d = doctor(b.token, b.emu.url);
  assert.equal(await d.exited(), 1, d.stdout() + d.stderr());
  assert.match(d.stdout(), /✖ a webhook is set \(https:\/\/example\.invalid\/hook/);
  assert.match(d.stdout(), /→ .*deleteWebhook\?drop_pending_updates=false/);
  assert.equal((await b.stats()).webhook.url, 'https://example.invalid/hook');
});

test('a second poller (a looping long-poll client) → exit 1, finding names it; no update is lost', async (t) => {
  const b = await setup(t);
  const ac = new AbortController();
  let offset = 0;
  let conflictsSeen = 0;
  const received: number[] = [];
  const loop = (async () => {
    while (!ac.signal.aborted) {
      try {
        const r = await json<{ ok: boolean; error_code?: number; result?: Array<{ update_id: number }> }>(`${b.emu.url}/bot${b.token}/getUpdates`, { offset, timeout: 5 }, ac.signal);
        if (r.ok) {
          for (const u of r.result ?? []) {
            received.push(u.update_id);
            offset = u.update_id + 1;
          }
        } else if (r.error_code === 409) conflictsSeen++;
      } catch {
        // aborted at the end of the test
      }
    }
  })();
  t.after(async () => {
    ac.abort();
    await loop;
  });
  await eventually('the looping client to poll', async () => (await b.stats()).longPollWaiting, 30_000);
  const d = doctor(b.token, b.emu.url, ['--probe', 'active']);
  assert.equal(await d.exited(), 1, d.stdout() + d.stderr());
  assert.match(d.stdout(), /✖ another getUpdates poller is active for bot \d+, not on this host/);
  assert.match(d.stdout(), /→ .*botwarden run --lease/);
  // The poller still gets every update after the probe.
  const update_id = await b.client.sendText(b.id, 'after');
  await eventually('the poller to receive the update', () => received.includes(update_id), 30_000, 100).catch(() => undefined);
  assert.ok(received.includes(update_id), 'the poller received the update sent after the probe');
  assert.ok(conflictsSeen <= 2, `the probe cost the poller at most a couple of 409s (saw ${conflictsSeen})`);
});

test('a local process with the token in its environment → exit 1, finding names its pid', async (t) => {
  const b = await setup(t);
  const holder = spawnProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: { BOT_TOKEN: b.token } });
  t.after(() => holder.stop());
  const pid = holder.child.pid!;
  const d = doctor(b.token, b.emu.url, ['--probe', 'off', '--json']);
  assert.equal(await d.exited(), 1, d.stdout() + d.stderr());
  const findings = JSON.parse(d.stdout()) as Array<{ id: string; ok: boolean; pid?: number; fix?: string; cause: string }>;
  const f = findings.find((x) => x.id === 'local-process');
  assert.ok(f, d.stdout());
  assert.equal(f.pid, pid);
  assert.match(f.cause, new RegExp(`pid ${pid}`));
  assert.match(f.fix ?? '', new RegExp(`kill ${pid}`));
});

test('bad token → exit 1, a problem found (malformed, and revoked); no token → exit 2', async (t) => {
  const b = await setup(t);
  const malformed = doctor('not-a-token', b.emu.url);
  assert.equal(await malformed.exited(), 1);
  assert.match(malformed.stdout(), /✖ the token is not of the form/);
  await b.client.revoke(b.id);
  const revoked = doctor(b.token, b.emu.url);
  assert.equal(await revoked.exited(), 1, revoked.stdout() + revoked.stderr());
  assert.match(revoked.stdout(), /✖ Telegram rejected the token/);
  const none = spawnCli(['doctor', '--api-root', b.emu.url], { env: { BOT_TOKEN: '', TELEGRAM_BOT_TOKEN: '' } });
  assert.equal(await none.exited(), 2);
});

test('API unreachable → exit 1, a problem found', async () => {
  const d = doctor(`123456789:${'A'.repeat(35)}`, 'http://127.0.0.1:9');
  assert.equal(await d.exited(), 1);
  assert.match(d.stdout(), /✖ cannot reach the Bot API at http:\/\/127\.0\.0\.1:9/);
});

test('a root that answers 200 with something else (a captive portal) is unreachable, as for `run` → exit 1', async (t) => {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Sign in to the Wi-Fi</html>');
  });
  const addr = await listenLoopback(server, { port: 0 });
  t.after(() => closeServer(server));
  const d = doctor(`123456789:${'A'.repeat(35)}`, addr.url);
  assert.equal(await d.exited(), 1, d.stdout() + d.stderr());
  assert.match(d.stdout(), /✖ cannot reach the Bot API at .*HTTP 200 with a body that is not a Bot API answer/);
});
