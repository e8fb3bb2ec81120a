// `npm run demo`: the emulator, a sample bot under botwarden, a standby on the same host; the leader's "machine dies"
// (kill -9 of botwarden and its bot) and the standby answers. Offline, no token needed, ends by itself with exit 0.
// It uses the tests' harness (test/helpers/fleet.ts, traffic.ts) on the built executable (dist/).
import path from 'node:path';
import { DIST_BIN, REPO_ROOT, startFleetEmulator, startInstance, tempStateDir, type Instance, type RunningEmulator } from '../test/helpers/fleet.js';
import { Traffic } from '../test/helpers/traffic.js';

const BIN = { dist: DIST_BIN };
const BOT = [process.execPath, path.join(REPO_ROOT, 'examples', 'demo-bot.mjs')];
const LEASE_TTL_MS = 3000;
const started = Date.now();
const instances: Instance[] = [];
let emu: RunningEmulator | undefined;

function say(line: string): void {
  process.stdout.write(`[demo +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
}

/** botwarden's lines worth showing, prefixed with the instance's name. */
function show(name: string): (chunk: string) => void {
  return (chunk) => {
    for (const line of chunk.split('\n')) if (line.trim() && /leader|standby|taking over|orphan|health:|409|stopped/.test(line)) process.stdout.write(`    ${name} │ ${line.trim()}\n`);
  };
}

async function main(): Promise<void> {
  const state = tempStateDir();
  try {
    say('starting the Bot API emulator (plays api.telegram.org, offline)');
    emu = await startFleetEmulator({ process: BIN });
    const bot = await emu.createBot('demo_bot');
    say(`emulator at ${emu.url}; created @${bot.username}`);

    const common = { token: bot.token, apiRoot: emu.url, stateDir: state.dir, ttlMs: LEASE_TTL_MS, command: BOT, bin: BIN };
    say('starting instance A: botwarden run -- node examples/demo-bot.mjs');
    const a = await startInstance({ ...common, name: 'A', onOutput: show('A') });
    instances.push(a);
    await a.waitFor(/ready: @demo_bot/, 30_000);
    say('starting instance B, the same command (a second copy would normally cause 409 Conflict)');
    const b = await startInstance({ ...common, name: 'B', onOutput: show('B') });
    instances.push(b);
    await b.waitFor(/standby/, 30_000);

    const traffic = new Traffic(emu, bot.id, { prefix: 'hello ', max: 10, tagOf: (reply) => /\(from (\S+)\)/.exec(reply)?.[1] });
    for (let i = 0; i < 5; i++) await traffic.sendOne();
    if (!(await traffic.drain(20_000))) throw new Error('A did not answer the first 5 messages');
    say('5 messages answered by A');

    const aStatus = await a.status();
    say(`A's machine dies: kill -9 of botwarden A (pid ${a.pid}) and its bot (pid ${aStatus.child.pid ?? '?'})`);
    const killedAt = Date.now();
    await a.kill9();
    for (let i = 0; i < 5; i++) await traffic.sendOne();
    if (!(await traffic.drain(30_000))) throw new Error('B did not answer the 5 messages sent after the kill');
    const lastReply = Math.max(...[...traffic.log.replies.values()].map((at) => Math.min(...at)));
    const failoverMs = lastReply - killedAt;
    say(`B took over and answered the 5 messages sent meanwhile, ${failoverMs} ms after the kill`);

    const report = await traffic.report();
    const byA = [...traffic.log.repliedBy.values()].filter((tag) => tag === aStatus.instance.id).length;
    const bCode = await b.stop();
    await emu.close();

    process.stdout.write('\n── summary ──────────────────────────────────────────\n');
    process.stdout.write(`messages sent           ${report.sent}\n`);
    process.stdout.write(`answered                ${report.sent - report.lost} (A: ${byA}, B: ${report.sent - report.lost - byA})\n`);
    process.stdout.write(`lost                    ${report.lost}\n`);
    process.stdout.write(`409 Conflict answered   ${report.conflicts}\n`);
    process.stdout.write(`delivered twice         ${report.redelivered}\n`);
    process.stdout.write(`failover after kill -9  ${failoverMs} ms (lease TTL ${LEASE_TTL_MS} ms; a dead holder on this host is taken over at once)\n`);
    process.stdout.write(`B stopped with exit     ${bCode}\n`);
    process.stdout.write(`total                   ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (report.lost || report.conflicts || bCode !== 0) throw new Error('the demo did not go as expected');
  } finally {
    await Promise.all(instances.map((i) => i.dispose()));
    await emu?.close();
    state.remove();
  }
}

const watchdog = setTimeout(() => {
  process.stderr.write('demo: took longer than 60 s; giving up\n');
  for (const i of instances) void i.kill9();
  process.exit(1);
}, 60_000);
main().then(
  () => {
    clearTimeout(watchdog);
    process.exit(0);
  },
  (err: unknown) => {
    clearTimeout(watchdog);
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
