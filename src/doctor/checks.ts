// `botwarden doctor`: the checks in order (token → getMe → webhook → local processes → lease → other poller). Read-only.
import { ExitCode } from '../errors.js';
import type { LeaseRecord } from '../lease/types.js';
import type { TokenHolder } from '../process/conflicts.js';
import { botIdOf, redactKnown } from '../util/redact.js';
import type { BotApiClient } from '../telegram/client.js';
import type { Finding } from './findings.js';
import { passiveProbe, probeForPoller, type ProbeMode } from './probe.js';

/** The Bot API calls the doctor makes: the client's `answer` (never throws for a refusal or an unreachable API). */
export type DoctorApi = Pick<BotApiClient, 'apiRoot' | 'answer'>;

/** What the doctor calls; each piece can be swapped (tests). */
export interface DoctorDeps {
  /** Opened once the token's format is known to be valid (a malformed token is never put in a URL). */
  openApi: () => DoctorApi;
  /** This host's processes holding the token, each with its role (process/conflicts.ts); rejects when unreadable; absent = not checked. */
  findLocalProcesses?: (token: string) => Promise<TokenHolder[]>;
  /** The lease holder for a bot (only when `--lease` was given); rejects when the backend is unreachable. */
  leaseHolder?: (botId: number) => Promise<LeaseRecord | null>;
  /** Where the lease lives, for messages (no password). */
  leaseDescription?: string;
}

export interface DoctorOptions {
  /** The bot token; required. */
  token: string;
  /** `passive` (default), `safe`, `active` or `off`: see probe.ts for what each may disturb. */
  probe?: ProbeMode;
  /** How long the passive probe watches the pending count, ms (tests shorten it). */
  passiveWatchMs?: number;
  /** Aborts the checks (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * The findings, and the exit code: 0 healthy, 1 a problem found — whatever it is (a bad token, an unreachable API or
 * lease backend too: the finding's id and cause say which). Only a usage error (no token at all) exits otherwise (2).
 */
export interface DoctorReport {
  findings: Finding[];
  exitCode: number;
}

interface WebhookInfo {
  url: string;
  pending_update_count: number;
  last_error_date?: number;
  last_error_message?: string;
}

/** Run every check; stops early only when the token or the API make the rest meaningless. */
export async function runDoctor(deps: DoctorDeps, opts: DoctorOptions): Promise<DoctorReport> {
  const findings: Finding[] = [];
  const token = opts.token;
  const signal = opts.signal;
  const callOpts = signal ? { signal } : {};
  const clean = (s: string): string => redactKnown(s, [token]);
  const finish = (): DoctorReport => ({ findings, exitCode: findings.every((f) => f.ok) ? ExitCode.ok : ExitCode.failure });

  // 1. Token format.
  const botId = botIdOf(token);
  if (botId === undefined) {
    findings.push({
      id: 'token-format',
      ok: false,
      cause: 'the token is not of the form <bot id>:<secret> (digits, a colon, then 35 letters, digits, _ or -)',
      fix: 'copy the token again from @BotFather (/mybots → API Token) and export BOT_TOKEN=<token>, or put it alone in a --token-file',
    });
    return finish();
  }
  findings.push({ id: 'token-format', ok: true, cause: `token format is valid (bot id ${botId})`, botId });
  const api = deps.openApi();

  // 2. getMe: does Telegram accept the token?
  const me = await api.answer<{ id: number; username?: string }>('getMe', {}, callOpts);
  if (me.kind === 'unreachable') {
    findings.push({
      id: 'api-unreachable',
      ok: false,
      cause: `cannot reach the Bot API at ${api.apiRoot}: ${clean(me.reason)}`,
      fix: 'check the network, a proxy or firewall, and --api-root / BOTWARDEN_API_ROOT; then run `botwarden doctor` again',
    });
    return finish();
  }
  if (me.kind === 'refused') {
    const rejected = me.errorCode === 401 || me.errorCode === 404;
    findings.push({
      id: rejected ? 'token-rejected' : 'getme-failed',
      ok: false,
      cause: rejected
        ? `Telegram rejected the token for bot ${botId} (${me.errorCode} ${me.description}): it is wrong, or was revoked in @BotFather`
        : `getMe failed: ${me.errorCode} ${me.description}`,
      fix: rejected
        ? 'get the current token from @BotFather (/mybots → API Token), export BOT_TOKEN=<token>, then run `botwarden doctor` again'
        : 'wait and run `botwarden doctor` again; if it persists, check --api-root',
      botId,
    });
    return finish();
  }
  if (me.result.id !== botId) {
    findings.push({
      id: 'token-id-mismatch',
      ok: false,
      cause: `the token says bot ${botId} but getMe answered bot ${me.result.id}`,
      fix: 'copy the token again from @BotFather; check --api-root points at the real Bot API',
      botId,
    });
  } else {
    findings.push({ id: 'token', ok: true, cause: `token accepted: @${me.result.username ?? '?'} (id ${botId})`, botId });
  }

  // 3. Webhook: a set webhook makes every getUpdates answer 409 (cause 6 in docs/bot-api-semantics.md §13).
  const wh = await api.answer<WebhookInfo>('getWebhookInfo', {}, callOpts);
  let pending = 0;
  let webhookSet = false;
  if (wh.kind !== 'ok') {
    findings.push({
      id: 'webhook-unknown',
      ok: false,
      cause: `getWebhookInfo failed: ${wh.kind === 'refused' ? `${wh.errorCode} ${wh.description}` : wh.reason}`,
      fix: 'run `botwarden doctor` again; if it persists, check --api-root',
    });
  } else {
    pending = wh.result.pending_update_count ?? 0;
    const lastError = wh.result.last_error_message
      ? `; last delivery error: "${clean(wh.result.last_error_message)}"${wh.result.last_error_date ? ` at ${new Date(wh.result.last_error_date * 1000).toISOString()}` : ''}`
      : '';
    if (wh.result.url) {
      webhookSet = true;
      findings.push({
        id: 'webhook-set',
        ok: false,
        cause: `a webhook is set (${clean(wh.result.url)}, ${pending} pending${lastError}): every getUpdates gets 409 "can't use getUpdates method while webhook is active"`,
        fix: `\`botwarden run\` removes it at start (keeping updates); to do it now: curl -s "${api.apiRoot}/bot$BOT_TOKEN/deleteWebhook?drop_pending_updates=false"`,
      });
    } else {
      findings.push({ id: 'webhook', ok: true, cause: `no webhook set (polling mode); ${pending} update(s) pending${lastError}` });
    }
  }

  // 4. Local processes holding the token: which conflict is the same definition `run`'s preflight uses.
  let managedHere: TokenHolder[] = [];
  if (deps.findLocalProcesses) {
    let procs: TokenHolder[] | undefined;
    try {
      procs = await deps.findLocalProcesses(token);
    } catch (err) {
      findings.push({ id: 'local-processes', ok: true, cause: `local processes not inspected: ${clean(err instanceof Error ? err.message : String(err))}` });
    }
    if (procs !== undefined) {
      managedHere = procs.filter((p) => p.role === 'botwarden' || p.role === 'managed');
      for (const p of procs) {
        const cmd = clean(p.command).slice(0, 160);
        if (p.role === 'botwarden' || p.role === 'managed') {
          const what = p.role === 'botwarden' ? 'is a botwarden instance for this bot' : 'holds this token under botwarden';
          findings.push({ id: 'local-process-managed', ok: true, cause: `pid ${p.pid} ${what}${p.managedBy ? ` (instance ${p.managedBy})` : ''}: ${cmd}`, pid: p.pid });
        } else if (p.role === 'pass-through') {
          findings.push({ id: 'local-process-pass-through', ok: true, cause: `pid ${p.pid} holds this token only to pass it on (a shell or terminal multiplexer; it does not poll): ${cmd}`, pid: p.pid });
        } else {
          findings.push({
            id: 'local-process',
            ok: false,
            cause: `pid ${p.pid} holds this token and is not run by botwarden (a forgotten or second copy of the bot polls → 409): ${cmd}`,
            fix: `stop it: kill ${p.pid}   (or let \`botwarden run --takeover -- <command>\` stop it for you)`,
            pid: p.pid,
          });
        }
      }
      if (procs.length === 0) findings.push({ id: 'local-processes', ok: true, cause: 'no other process on this host holds this token' });
    }
  }

  // 5. Lease holder (only with --lease).
  if (deps.leaseHolder) {
    const where = deps.leaseDescription ?? 'the lease backend';
    try {
      const h = await deps.leaseHolder(botId);
      findings.push(
        h
          ? {
              id: 'lease',
              ok: true,
              cause: `lease for bot ${botId} in ${where}: held by instance ${h.instanceId} on ${h.host} (pid ${h.pid}), fence ${h.fence}, expires in ${Math.max(0, Math.round((h.expiresAt - Date.now()) / 1000))} s`,
            }
          : { id: 'lease', ok: true, cause: `lease for bot ${botId} in ${where}: free (no botwarden leader is running)` },
      );
    } catch (err) {
      findings.push({
        id: 'lease-unreachable',
        ok: false,
        cause: `cannot read the lease from ${where}: ${clean(err instanceof Error ? err.message : String(err))}`,
        fix: 'check that the backend runs and the --lease URL is right (host, port, password, database)',
      });
      return finish();
    }
  }

  // 6. Another poller? (probe.ts explains why the probe can neither confirm nor drop an update.)
  const mode = opts.probe ?? 'passive';
  if (mode === 'off') {
    findings.push({ id: 'poller', ok: true, cause: 'other-poller probe skipped (--probe off)' });
  } else if (webhookSet) {
    findings.push({ id: 'poller', ok: true, cause: 'other-poller probe skipped: a webhook is set, so nobody can poll (see above)' });
  } else {
    // A botwarden instance on this host polls for this bot: do not abort its poll (its gateway would count a 409).
    const effective = mode === 'active' && managedHere.length > 0 ? 'safe' : mode;
    const r = effective === 'passive' ? await passiveProbe(api, pending, signal, opts.passiveWatchMs) : await probeForPoller(api, effective, pending, signal);
    const localUnmanaged = findings.filter((f) => f.id === 'local-process');
    if (r.verdict === 'poller') {
      if (managedHere.length > 0 && localUnmanaged.length === 0) {
        findings.push({ id: 'poller', ok: true, cause: `getUpdates is being polled, by botwarden on this host (pid ${managedHere.map((p) => p.pid).join(', ')}) (${clean(r.how)})` });
      } else if (localUnmanaged.length > 0) {
        findings.push({
          id: 'poller-active',
          ok: false,
          cause: `another getUpdates poller is active (${clean(r.how)}); likely pid ${localUnmanaged.map((f) => f.pid).join(', ')} above`,
          fix: `stop it (kill ${localUnmanaged.map((f) => f.pid).join(' ')}) and run the bot only through \`botwarden run -- <command>\``,
        });
      } else {
        findings.push({
          id: 'poller-active',
          ok: false,
          cause: `another getUpdates poller is active for bot ${botId}, not on this host (${clean(r.how)}): a second copy (another server, a container, a dev laptop) or a leaked token`,
          fix: 'stop the other copy, or run every copy as `botwarden run --lease redis://… -- <command>` so only one polls; cannot find it? revoke the token in @BotFather (/revoke)',
        });
      }
    } else if (r.verdict === 'webhook') {
      findings.push({
        id: 'webhook-set',
        ok: false,
        cause: `a webhook was set while the doctor ran (${clean(r.how)})`,
        fix: `curl -s "${api.apiRoot}/bot$BOT_TOKEN/deleteWebhook?drop_pending_updates=false"`,
      });
    } else if (r.verdict === 'waiting') {
      findings.push({ id: 'poller', ok: true, cause: `no poller is consuming updates: ${r.pending} update(s) wait for the bot (kept up to 24 h)` });
    } else if (r.verdict === 'quiet') {
      const here = managedHere.length > 0 ? `; botwarden runs this bot here (pid ${managedHere.map((p) => p.pid).join(', ')})` : '';
      findings.push({ id: 'poller', ok: true, cause: `getUpdates not probed (the doctor changes nothing): ${clean(r.how)}${here}` });
    } else if (r.verdict === 'none') {
      const note = effective === 'safe' && mode === 'active' ? ' (only the safe probe: botwarden polls here)' : '';
      findings.push({ id: 'poller', ok: true, cause: `no other getUpdates poller detected${note} (${clean(r.how)})` });
    } else {
      findings.push({ id: 'poller-unknown', ok: false, cause: `could not tell whether another poller is active: ${clean(r.how)}`, fix: 'run `botwarden doctor` again' });
    }
  }
  return finish();
}
