// `botwarden doctor`: explain what stands between this bot and exactly one live poller; changes nothing.
import { Command, InvalidArgumentError, Option } from '../commander.js';
import { BotwardenError, ExitCode } from '../../errors.js';
import type { DoctorDeps } from '../../doctor/checks.js';
import type { Finding } from '../../doctor/findings.js';
import type { ProbeMode } from '../../doctor/probe.js';
import type { LeaseBackend } from '../../lease/types.js';
import type { KnownInstance, TokenHolder } from '../../process/conflicts.js';
import { botIdOf } from '../../util/redact.js';

interface DoctorCliOptions {
  scan?: string;
  tokenFile?: string;
  apiRoot?: string;
  lease?: string;
  stateDir?: string;
  probe?: ProbeMode;
  json?: boolean;
  maxFileSize?: number;
  gitignore?: boolean;
}

/** Register `botwarden doctor`. */
export function registerDoctorCommand(program: Command): void {
  const cmd = program
    .command('doctor')
    .description('check the token, webhook, local processes, lease and other pollers; changes nothing')
    .option('--scan <dir>', 'instead: report files and lines under DIR that hold a bot token (secret never printed)')
    .addOption(
      new Option('--max-file-size <bytes>', '--scan: skip files larger than this many bytes').default(2 * 1024 * 1024).argParser(parseBytes),
    )
    .option('--no-gitignore', '--scan: also search files that .gitignore excludes')
    .option('--json', 'print the findings as a JSON array [{id, ok, cause, fix, pid?}]')
    .option('--token-file <path>', 'file holding the bot token (default: BOT_TOKEN / TELEGRAM_BOT_TOKEN)')
    .option('--api-root <url>', 'Bot API root (default: BOTWARDEN_API_ROOT or https://api.telegram.org)')
    .option('--lease <url>', 'also show who holds the lease: file:, redis://…, postgres://…')
    .option('--state-dir <dir>', "this host's botwarden state directory (for a file: lease)")
    .addOption(
      new Option('--probe <mode>', 'other-poller probe: passive (default: pending_update_count over 3 s, no getUpdates), safe (+ getUpdates timeout=0), active (+ a 1 s long poll: can stop another poller), off')
        .choices(['passive', 'safe', 'active', 'off'])
        .default('passive'),
    );
  cmd.action(async (opts: DoctorCliOptions) => {
    // Loaded here, not at the top: `botwarden run` (a long-lived process) must not pay for the doctor's modules.
    const [{ BotApiClient }, { runDoctor }, { allHealthy, renderFindings, renderFindingsJson }, { scanFindings, scanForTokens }, { readApiRoot, readTokenSource }] =
      await Promise.all([
        import('../../telegram/client.js'),
        import('../../doctor/checks.js'),
        import('../../doctor/findings.js'),
        import('../../doctor/scan.js'),
        import('../../doctor/token-source.js'),
      ]);
    let findings: Finding[];
    if (opts.scan !== undefined) {
      const result = await scanForTokens(opts.scan, {
        ...(opts.maxFileSize === undefined ? {} : { maxFileBytes: opts.maxFileSize }),
        respectGitignore: opts.gitignore !== false,
      });
      findings = scanFindings(result, opts.scan);
      process.stdout.write(opts.json ? renderFindingsJson(findings) : renderFindings(findings));
      process.exitCode = allHealthy(findings) ? ExitCode.ok : ExitCode.failure;
      return;
    }
    const token = readTokenSource(opts.tokenFile);
    if (!token) {
      throw new BotwardenError('NO_TOKEN', 'doctor: no bot token', {
        exit: 'usage',
        hint: 'export BOT_TOKEN=<token from @BotFather>, or pass --token-file PATH',
      });
    }
    const apiRoot = readApiRoot(opts.apiRoot);
    const deps: DoctorDeps = { openApi: () => new BotApiClient({ apiRoot, token }), findLocalProcesses: (t) => findLocalTokenHolders(t, opts.stateDir) };
    let lease: LeaseBackend | undefined;
    if (opts.lease) {
      lease = await openLease(opts.lease, opts.stateDir);
      if (lease) {
        const backend = lease;
        deps.leaseHolder = (botId) => backend.holder(botId);
        deps.leaseDescription = backend.description;
      }
    }
    const ac = new AbortController();
    const onSignal = (): void => ac.abort(new BotwardenError('INTERRUPTED', 'doctor: interrupted'));
    process.once('SIGINT', onSignal);
    try {
      const probe = opts.probe ?? 'passive';
      if (probe === 'active') {
        process.stderr.write('warning: --probe active long-polls getUpdates for 1 s: a poller outside botwarden (bare grammY, Telegraf, node-telegram-bot-api) gets a 409 and may stop polling\n');
      }
      const report = await runDoctor(deps, { token, probe, signal: ac.signal });
      if (opts.lease && !lease) {
        report.findings.push({ id: 'lease', ok: true, cause: `lease not checked: this build has no lease backends yet (${opts.lease})` });
      }
      process.stdout.write(opts.json ? renderFindingsJson(report.findings) : renderFindings(report.findings));
      process.exitCode = report.exitCode;
    } finally {
      process.removeListener('SIGINT', onSignal);
      await lease?.close();
    }
  });
}

/**
 * This host's processes holding the token, judged as `run`'s preflight judges them; this bot's live instances from
 * the state dir's records count as botwarden even where the scan sees command lines only (macOS, Windows).
 */
async function findLocalTokenHolders(token: string, stateDirFlag: string | undefined): Promise<TokenHolder[]> {
  const [{ findTokenHolders }, { readHostInstances }, { resolveStateDir }] = await Promise.all([
    import('../../process/conflicts.js'),
    import('../../control/instances.js'),
    import('../../config/index.js'),
  ]);
  const botId = botIdOf(token);
  let instances: KnownInstance[] = [];
  try {
    // The doctor changes nothing: stale records stay for `run`/`status` to remove.
    if (botId !== undefined) instances = (await readHostInstances(resolveStateDir(stateDirFlag), botId, { removeStale: false })).live.map((r) => ({ pid: r.pid, instanceId: r.instanceId }));
  } catch {
    // no readable state dir: the scan alone decides
  }
  return findTokenHolders(token, { instances });
}

/** Open the lease backend read-only through `src/lease`'s factory, when that module is present in this build. */
async function openLease(url: string, stateDir: string | undefined): Promise<LeaseBackend | undefined> {
  const modulePath = '../../lease/index.js';
  let mod: { createLeaseBackend?: (url: string, opts: { stateDir?: string }) => LeaseBackend | Promise<LeaseBackend> };
  try {
    mod = (await import(modulePath)) as typeof mod;
  } catch {
    return undefined;
  }
  if (typeof mod.createLeaseBackend !== 'function') return undefined;
  const backend = await mod.createLeaseBackend(url, stateDir ? { stateDir } : {});
  await backend.open();
  return backend;
}

function parseBytes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`--max-file-size: expected a positive number of bytes, got ${JSON.stringify(value)}`);
  return n;
}
