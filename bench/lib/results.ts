// Writes the raw figures (JSON) and one SVG chart per table under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MachineInfo } from './machine.js';
import { machineLine } from './machine.js';
import type { BenchTable } from './table.js';
import { toSvg } from './svg.js';

/** Everything one `npm run bench` produced. */
export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  machine: MachineInfo;
  versions: Record<string, string>;
  tables: BenchTable[];
  errors: { suite: string; message: string }[];
}

/** File-name-safe timestamp, e.g. 2025-01-02T03-04-05Z. */
export function stampOf(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/**
 * Write `<dir>/<stamp>.json` and `<dir>/<stamp>-<table>.svg`; a complete run (`latest`) also writes `latest.json` and
 * `latest-<table>.svg`, the figures README quotes — a partial run (`--only`) leaves them as they are.
 * Returns the paths written.
 */
export function writeReport(dir: string, report: BenchReport, opts: { latest: boolean } = { latest: true }): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = stampOf(new Date(report.startedAt));
  const json = JSON.stringify(report, null, 2) + '\n';
  const written: string[] = [];
  const put = (name: string, text: string): void => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    written.push(p);
  };
  put(`${stamp}.json`, json);
  if (opts.latest) put('latest.json', json);
  for (const t of report.tables) {
    const svg = toSvg(t, `${machineLine(report.machine)} — ${report.startedAt}`);
    put(`${stamp}-${t.id}.svg`, svg);
    if (opts.latest) put(`latest-${t.id}.svg`, svg);
  }
  return written;
}
