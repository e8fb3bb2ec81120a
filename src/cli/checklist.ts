// Shows preflight steps: a live checklist on a terminal, one log line per finished step otherwise.
import type { Logger } from '../log.js';
import type { StepEvent } from '../health/status.js';

const MARKS: Record<StepEvent['state'], string> = { running: '…', ok: '✔', warn: '!', fail: '✖', skipped: '-' };

/** A step listener for `Steps`: TTY → rewrites the running line in place; otherwise → logger lines. */
export function checklistRenderer(opts: { tty: boolean; out: NodeJS.WritableStream; logger: Logger }): (ev: StepEvent) => void {
  let liveLine: string | undefined;
  return (ev) => {
    const text = `${MARKS[ev.state]} ${ev.label}${ev.detail ? ` — ${ev.detail}` : ''}${ev.durationMs !== undefined && ev.durationMs >= 50 ? ` (${ev.durationMs} ms)` : ''}`;
    if (opts.tty) {
      if (liveLine === ev.id) opts.out.write('\r\x1b[2K');
      else if (liveLine !== undefined) opts.out.write('\n');
      opts.out.write(text);
      if (ev.state === 'running') liveLine = ev.id;
      else {
        opts.out.write('\n');
        liveLine = undefined;
      }
      return;
    }
    if (ev.state === 'running' && !ev.detail) return;
    const fields = opts.logger.json ? { step: ev.id, state: ev.state, ...(ev.durationMs !== undefined ? { ms: ev.durationMs } : {}) } : {};
    const level = ev.state === 'fail' ? 'error' : ev.state === 'warn' ? 'warn' : 'info';
    opts.logger.log(level, text, fields);
  };
}
