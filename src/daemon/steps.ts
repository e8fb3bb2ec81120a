// The preflight checklist as data: each step's state and detail, kept for /status and shown by the CLI as it runs.
import type { StepEvent, StepState } from '../health/status.js';

/** Records steps in order and tells a listener about every change. */
export class Steps {
  private readonly steps = new Map<string, StepEvent & { startedMono: number }>();
  constructor(private readonly onChange: (ev: StepEvent) => void = () => undefined) {}

  /** Mark `id` as running (creates it). */
  start(id: string, label: string, detail?: string): void {
    const ev = { id, label, state: 'running' as const, at: Date.now(), startedMono: performance.now(), ...(detail ? { detail } : {}) };
    this.steps.set(id, ev);
    this.onChange(strip(ev));
  }
  ok(id: string, detail?: string): void {
    this.finish(id, 'ok', detail);
  }
  warn(id: string, detail?: string): void {
    this.finish(id, 'warn', detail);
  }
  fail(id: string, detail?: string): void {
    this.finish(id, 'fail', detail);
  }
  skip(id: string, label: string, detail?: string): void {
    this.start(id, label);
    this.finish(id, 'skipped', detail);
  }
  /** Update a running step's detail (e.g. "retrying in 2 s"). */
  progress(id: string, detail: string): void {
    const ev = this.steps.get(id);
    if (!ev || ev.state !== 'running') return;
    ev.detail = detail;
    ev.at = Date.now();
    this.onChange(strip(ev));
  }
  /** The steps so far, in order. */
  list(): StepEvent[] {
    return [...this.steps.values()].map(strip);
  }

  private finish(id: string, state: StepState, detail?: string): void {
    const ev = this.steps.get(id);
    if (!ev) return;
    ev.state = state;
    ev.at = Date.now();
    ev.durationMs = Math.round(performance.now() - ev.startedMono);
    if (detail !== undefined) ev.detail = detail;
    this.onChange(strip(ev));
  }
}

function strip(ev: StepEvent & { startedMono?: number }): StepEvent {
  const { startedMono: _unused, ...rest } = ev;
  return { ...rest };
}
