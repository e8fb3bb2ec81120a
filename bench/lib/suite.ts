// What a benchmark suite is given (deadline, abort signal, scratch dir, a reaper for stray pids) and returns.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killPid } from './proc.js';
import { isProcessAlive } from '../../src/process/liveness.js';
import type { BenchTable } from './table.js';

/** Shared by all suites of one run. */
export interface SuiteContext {
  /** Aborted when the run's time is up or the user pressed Ctrl-C: loops must end. */
  signal: AbortSignal;
  /** Wall-clock ms by which this suite should have returned. */
  deadline: number;
  /** Print a progress line (stderr, so stdout stays the report). */
  log(line: string): void;
  /** Print and record a finished table at once. */
  emit(table: BenchTable): void;
  /** A fresh temp dir, removed at the end of the run. */
  tempDir(prefix: string): string;
  /** Remember a pid to SIGKILL at the end of the run if it is still alive (bots that supervisors detach). */
  track(pid: number): void;
  /** Options from the command line. */
  quick: boolean;
}

/** One benchmark: id for `--only`, a budget, and the function that measures and emits tables. */
export interface Suite {
  id: string;
  title: string;
  /** Soft budget in ms; the harness aborts the suite's signal when it passes. */
  budgetMs: number;
  run(ctx: SuiteContext): Promise<void>;
}

/** Reaper + temp dirs for one run. */
export class RunResources {
  private readonly pids = new Set<number>();
  private readonly dirs: string[] = [];

  track(pid: number): void {
    if (pid > 0) this.pids.add(pid);
  }

  tempDir(prefix: string): string {
    const d = mkdtempSync(path.join(os.tmpdir(), `bw-bench-${prefix}-`));
    this.dirs.push(d);
    return d;
  }

  /** SIGKILL every tracked pid still alive; returns how many there were. Safe to call twice. */
  reap(): number {
    let n = 0;
    for (const pid of this.pids) {
      if (pid !== process.pid && isProcessAlive(pid)) {
        killPid(pid, 'SIGKILL');
        n++;
      }
    }
    this.pids.clear();
    return n;
  }

  /** Reap, then remove the temp dirs. */
  cleanup(): number {
    const n = this.reap();
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    return n;
  }
}
