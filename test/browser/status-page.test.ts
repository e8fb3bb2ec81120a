// The status page in a real browser (Playwright driving Debian's chromium) against two real `botwarden run` instances
// and the emulator: standby → leader on a graceful handover without a reload, a crash counted, the token never shown.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { openSse } from '../health/sse-reader.js';
import { StatusPage, type PageFrame } from '../../src/health/page/index.js';
import { History } from '../../src/health/history.js';
import { RecentLines } from '../../src/health/recent-lines.js';
import { startHealthServer } from '../../src/health/server.js';
import type { StatusSnapshot } from '../../src/health/status.js';
import { silentLogger } from '../../src/log.js';

const CHROMIUM = '/usr/bin/chromium';
const IS_ROOT = process.getuid?.() === 0;
// CI runs as root after scripts/install-system-deps.sh, so there the test always runs (and fails if chromium is missing).
const SKIP = !existsSync(CHROMIUM) && !IS_ROOT ? `${CHROMIUM} is missing and this is not root: install it with \`sudo bash scripts/install-system-deps.sh\` (apt-get install -y chromium)` : false;
const ACTIONS_SECRET = 'browser-test-actions-secret-42';
/** The committed screenshot is replaced only on request (or when missing), so test runs leave the work tree clean. */
const README_SHOT = path.join(REPO_ROOT, 'docs', 'status-page.png');

/**
 * Wait until `expr` (evaluated in the page) is truthy. Polled from here with page.evaluate: the page's CSP forbids
 * eval, which waitForFunction needs, and the test must run the page under its real CSP.
 */
async function until(page: Page, what: string, expr: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await page.evaluate(expr)) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const body = await page.innerText('body').catch(() => '(no page)');
  throw new Error(`page never showed ${what} within ${timeoutMs} ms${last ? ` (${String(last).split('\n')[0]})` : ''}\n--- page text ---\n${body.slice(0, 3000)}`);
}

let shared: Promise<Browser> | undefined;
/** One chromium for the whole file, closed after the last test. */
function browserOnce(): Promise<Browser> {
  return (shared ??= chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] }));
}
after(async () => {
  if (shared) await (await shared).close();
});

const textOf = (id: string): string => `((document.getElementById(${JSON.stringify(id)}) || {}).textContent || '')`;

/** Every piece of 12 characters of the token's secret part: none may appear anywhere. */
function tokenPieces(token: string): string[] {
  const secret = token.slice(token.indexOf(':') + 1);
  const out: string[] = [];
  for (let i = 0; i + 12 <= secret.length; i++) out.push(secret.slice(i, i + 12));
  return out;
}

function assertNoToken(text: string, token: string, where: string): void {
  for (const piece of tokenPieces(token)) assert.ok(!text.includes(piece), `${where} contains a piece of the token (${piece.slice(0, 3)}…)`);
}

test('status page: standby → leader on handover without reload, crash restart shown, token never shown', { skip: SKIP, timeout: 60_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run \`bash scripts/install-system-deps.sh\` as root`);
  const started = Date.now();
  let fleet: Fleet | undefined;
  try {
    fleet = await startFleet({ username: 'status_page_bot', names: [], env: { PRINT_TOKEN: '1' } });
    const { emu, bot } = fleet;
    const a = await fleet.add('A');
    await a.waitFor(/ready pid/, 20_000);
    const launching = browserOnce();
    const b = await fleet.add('B', { args: ['--health-allow-actions'], env: { BOTWARDEN_ACTIONS_SECRET: ACTIONS_SECRET } });
    await b.waitFor(/standby: the lease is held by/, 20_000);
    const page = await (await launching).newPage({ viewport: { width: 1100, height: 900 } });
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    await page.goto(`${b.healthUrl}/`);

    await until(page, 'role standby', `${textOf('role')} === 'standby'`);
    await until(page, 'the bot name', `${textOf('bot')} === '@status_page_bot'`);
    await until(page, 'the leader as holder', `${textOf('holder')}.includes('pid ${a.child.pid}')`);
    await page.evaluate('window.__sameDocument = 42');

    // Graceful stop of the leader: B's page turns to leader by itself.
    a.child.kill('SIGTERM');
    assert.equal(await a.exited(), 0, a.stderr());
    await until(page, 'role leader', `${textOf('role')} === 'leader'`);
    assert.equal(await page.evaluate('window.__sameDocument'), 42, 'the page was reloaded');
    await until(page, 'this instance as holder', `${textOf('holder')}.includes('(this instance)')`);
    await until(page, 'a running bot', `/^\\d+$/.test(${textOf('child-pid')})`);
    await until(page, 'the bot output', `${textOf('log')}.includes('(oops)')`);

    // A crash: one restart and a last exit reason.
    await emu.sendText(bot.id, 'crash');
    await until(page, 'restarts 1', `${textOf('restarts')} === '1'`);
    await until(page, 'the last exit', `${textOf('last-exit')}.startsWith('exited with code 1')`);
    await until(page, 'the crash in the log', `${textOf('log')}.includes('crashing on purpose')`);

    // The restart button (actions are on for B): the secret is typed, never served.
    await until(page, 'the actions panel', `!document.getElementById('actions').hidden`);
    await page.fill('#secret', ACTIONS_SECRET);
    page.once('dialog', (d) => void d.accept());
    await page.click('#do-restart');
    await until(page, 'the action accepted', `${textOf('action-result')} === 'restart: accepted'`);
    await until(page, 'restarts 2', `${textOf('restarts')} === '2'`, 20_000);
    await page.fill('#secret', '');

    // The token: not in the page's text or markup, not in the event stream.
    const text = await page.innerText('body');
    assert.match(text, /status_page_bot/);
    assert.match(text, /<redacted>/, 'the bot printed its token: the page shows it redacted');
    assertNoToken(text, bot.token, 'the page text');
    assertNoToken(await page.content(), bot.token, 'the page markup');
    assert.ok(!(await page.content()).includes(ACTIONS_SECRET), 'the action secret is in the page');
    const sse = await openSse(`${b.healthUrl}/events`);
    try {
      const frame = await sse.next<PageFrame>();
      assert.ok(frame.lines.some((l) => l.text.includes('(oops)')), 'the stream carries the lines the token was in');
      assertNoToken(sse.raw(), bot.token, 'the event stream');
    } finally {
      sse.close();
    }
    // Nothing was fetched from anywhere but this instance.
    const origin = new URL(b.healthUrl).origin;
    const foreign = requested.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:'));
    assert.deepEqual(foreign, [], 'requests outside the health server');
    // The page runs under its own strict CSP without a single violation or script error.
    assert.deepEqual(problems, []);

    // The screenshot for the README (token checked absent above, at this very state of the page).
    const shot = process.env['UPDATE_SCREENSHOTS'] === '1' || !existsSync(README_SHOT) ? README_SHOT : path.join(os.tmpdir(), 'botwarden-status-page.png');
    mkdirSync(path.dirname(shot), { recursive: true });
    await until(page, 'the memory of the bot', `${textOf('memory')}.endsWith('MB')`, 20_000);
    await until(page, 'a memory chart', `(document.getElementById('mem-line').getAttribute('d') || '').includes('L')`, 20_000);
    await page.evaluate("document.getElementById('log').scrollTop = 1e9");
    await page.screenshot({ path: shot });
    assert.ok(statSync(shot).size > 10_000, 'the screenshot is not empty');
    t.diagnostic(`screenshot: ${shot} (${statSync(shot).size} bytes)`);

    // Readable on a phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    await until(page, 'a layout without horizontal scrolling at 375 px', 'document.documentElement.scrollWidth <= 375', 20_000);
    t.diagnostic(`browser test took ${Date.now() - started} ms`);
  } finally {
    await fleet?.close();
  }
});

/** A status snapshot for the in-process page below. */
function fakeStatus(role: StatusSnapshot['role']): StatusSnapshot {
  const now = Date.now();
  return {
    role,
    bot: { id: 1234567, username: 'reconnect_bot' },
    instance: { id: 'here-1', host: 'here', pid: process.pid, startedAt: now, version: 'test' },
    child: { pid: null, restarts: 0, state: role, startedAt: null, lastExit: null, memoryBytes: null },
    conflicts: 0,
    conflictsByCause: {},
    lease: { backend: 'file:', ttlMs: 10_000, fence: null, msLeft: 0, holder: null },
    gateway: { root: null, used: false, polling: false, updatesForwarded: 0, lastGetUpdatesAt: null, lateDiscarded: 0, dropPendingKept: { total: 0, byMethod: {} } },
    api: { root: 'local', reachable: true },
    preflight: [],
    stallAfterMs: 90_000,
  };
}

test('status page: reconnects by itself when its server comes back, without a reload', { skip: SKIP, timeout: 30_000 }, async () => {
  let role: StatusSnapshot['role'] = 'standby';
  const serve = async (port: number): Promise<{ port: number; close(): Promise<void> }> => {
    const page = new StatusPage({ status: () => fakeStatus(role), history: new History(), lines: new RecentLines(), secrets: [], logger: silentLogger, frameEveryMs: 200 });
    const server = await startHealthServer({ port, status: () => fakeStatus(role), metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }), extra: page.handle, logger: silentLogger });
    return {
      port: server.port,
      close: async () => {
        page.close();
        await server.close();
      },
    };
  };
  let server = await serve(0);
  const page = await (await browserOnce()).newPage({ viewport: { width: 375, height: 700 } });
  try {
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await until(page, 'standby, live', `${textOf('role')} === 'standby' && ${textOf('conn')} === 'live'`);
    await page.evaluate('window.__sameDocument = 7');
    await server.close();
    await until(page, 'the lost connection', `${textOf('conn')} !== 'live'`, 20_000);
    role = 'leader';
    server = await serve(server.port);
    await until(page, 'leader, live again', `${textOf('role')} === 'leader' && ${textOf('conn')} === 'live'`, 10_000);
    assert.equal(await page.evaluate('window.__sameDocument'), 7, 'the page was reloaded');
  } finally {
    await page.close();
    await server.close();
  }
});
