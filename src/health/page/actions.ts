// The status page's actions (restart the bot, step down): off unless allowed, POST only, secret in a header, same origin.
import { constantTimeEqual, loadCrypto, randomBytes } from '../../util/crypto-lite.js';
import { rmSync } from 'node:fs';
import { writeFileAtomicSync } from '../../util/atomic-write.js';
import type http from 'node:http';
import path from 'node:path';

/** What the page can ask for. */
export type PageAction = 'restart' | 'step-down';
export const PAGE_ACTIONS: readonly PageAction[] = ['restart', 'step-down'];

/** The request header that carries the action secret (a header, not a cookie: a cross-site form cannot send it). */
export const ACTIONS_SECRET_HEADER = 'x-botwarden-secret';

/** Actions the page may trigger; present only with `--health-allow-actions`. */
export interface PageActions {
  /** The secret a request must carry in `X-Botwarden-Secret`. Never the bot token. */
  secret: string;
  /**
   * Start `action` and return null, or return why it cannot be done now (answered 409), e.g. "standby: no bot runs
   * here". Must not throw; the work itself runs in the background and reports through the log.
   */
  perform(action: PageAction, requestedBy: string): string | null;
}

/** An answer to an action request. */
export interface ActionAnswer {
  status: number;
  body: { ok: boolean; action?: PageAction; error?: string };
}

/** Decide an action request (pure apart from `perform`): method, switch, origin, secret, then the action itself. */
export function answerAction(req: Pick<http.IncomingMessage, 'method' | 'headers' | 'socket'>, action: PageAction, actions: PageActions | undefined): ActionAnswer {
  if (req.method !== 'POST') return { status: 405, body: { ok: false, error: `use POST for /actions/${action}` } };
  if (!actions) {
    return { status: 403, body: { ok: false, error: 'actions are off: this page is read-only unless botwarden run was started with --health-allow-actions' } };
  }
  const crossSite = crossSiteReason(req.headers);
  if (crossSite) return { status: 403, body: { ok: false, error: `refused: ${crossSite}` } };
  const given = req.headers[ACTIONS_SECRET_HEADER];
  if (typeof given !== 'string' || !secretMatches(given, actions.secret)) {
    return { status: 401, body: { ok: false, error: `a valid action secret is required in the ${ACTIONS_SECRET_HEADER} header` } };
  }
  const refused = actions.perform(action, req.socket.remoteAddress ?? 'unknown');
  if (refused !== null) return { status: 409, body: { ok: false, action, error: refused } };
  return { status: 202, body: { ok: true, action } };
}

/** Compare in constant time (both sides hashed first, so their lengths do not leak either). */
export function secretMatches(given: string, expected: string): boolean {
  const { createHash } = loadCrypto();
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return constantTimeEqual(a, b) && given.length === expected.length;
}

/** Why a request looks cross-site (Origin or Sec-Fetch-Site from another site), or null. */
function crossSiteReason(headers: http.IncomingHttpHeaders): string | null {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `a ${site} request`;
  const origin = headers.origin;
  if (origin === undefined) return null;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `origin ${JSON.stringify(origin.slice(0, 100))} is not a URL`;
  }
  if (originHost !== headers.host) return `origin ${originHost} is not this page's host`;
  return null;
}

/** A fresh action secret (192 random bits, base64url). */
export function newActionsSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** Where a generated action secret is kept: `<stateDir>/instances/<botId>.<instanceId>.actions-secret` (0600). */
export function actionsSecretPath(stateDir: string, botId: number, instanceId: string): string {
  return path.join(stateDir, 'instances', `${botId}.${instanceId.replace(/[^A-Za-z0-9_.-]/g, '_')}.actions-secret`);
}

/** Write the secret (atomically, mode 0600 in a 0700 directory); returns the path. */
export function writeActionsSecretFile(file: string, secret: string): string {
  writeFileAtomicSync(file, `${secret}\n`, { mode: 0o600, dirMode: 0o700 });
  return file;
}

/** Remove the secret file (no error when absent). */
export function removeActionsSecretFile(file: string): void {
  rmSync(file, { force: true });
}
