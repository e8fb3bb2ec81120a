// What the doctor reports: one finding per check (cause, then the fix), rendered for a human or as JSON.
import { redact } from '../util/redact.js';

/** One result of one check. `ok: false` means a problem the user should fix. */
export interface Finding {
  /** Stable id of the check or problem, e.g. `webhook-set`, `local-process`. */
  id: string;
  /** True for a healthy check (shown as ✔), false for a problem (✖). */
  ok: boolean;
  /** One line: what was found and why it matters. */
  cause: string;
  /** One line: the command (or action) that fixes it; absent on healthy checks. */
  fix?: string;
  /** A local process the finding is about. */
  pid?: number;
  /** A file the finding is about (`--scan`). */
  file?: string;
  /** 1-based line in `file` (`--scan`). */
  line?: number;
  /** The bot id (the public part of a token). */
  botId?: number;
}

/** Render findings for a terminal: `✔ cause`, or `✖ cause` then `  → fix`. Always redacted. */
export function renderFindings(findings: readonly Finding[]): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.ok ? '✔' : '✖'} ${f.cause}`);
    if (f.fix) lines.push(`  → ${f.fix}`);
  }
  return redact(lines.join('\n') + (lines.length ? '\n' : ''));
}

/** Render findings as one JSON array (for scripts). Always redacted. */
export function renderFindingsJson(findings: readonly Finding[]): string {
  return redact(JSON.stringify(findings, null, 2)) + '\n';
}

/** True when no finding is a problem. */
export function allHealthy(findings: readonly Finding[]): boolean {
  return findings.every((f) => f.ok);
}
