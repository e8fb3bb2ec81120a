// The shape of one benchmark table, and its markdown rendering with ratios to each peer.
import { round } from './stats.js';

/** One measured quantity (a column of the table, a panel of its chart). */
export interface Metric {
  key: string;
  label: string;
  /** Unit printed after the value, e.g. "ms", "MB", "%", "req/s", "" for counts. */
  unit: string;
  /** Whether a smaller value is better (restart time) or a bigger one (throughput). Default true. */
  lowerIsBetter?: boolean;
}

/** One value: the median of `samples` (or a single figure), or `na` saying why there is none. */
export interface Cell {
  value: number | null;
  samples?: number[];
  p99?: number;
  /** Why there is no value ("run not built yet"), or a short remark shown next to it. */
  na?: string;
  note?: string;
}

/** A goal from the issue, checked against a cell. */
export interface Goal {
  text: string;
  /** true met, false missed, null not measurable in this run. */
  met: boolean | null;
}

/** One benchmark table: rows are subjects (botwarden and its peers), columns are metrics. */
export interface BenchTable {
  id: string;
  title: string;
  metrics: Metric[];
  /** Row order; the first one named `botwarden…` (or `baseline`) is the reference for ratios. */
  subjects: string[];
  cells: Record<string, Record<string, Cell>>;
  /** Subject whose values are divided by each peer's; default the first subject starting with "botwarden". */
  baseline?: string;
  goals?: Goal[];
  notes?: string[];
}

/** Make an n/a cell. */
export function naCell(reason: string): Cell {
  return { value: null, na: reason };
}

/** Format a number for a table: 3 significant-ish digits, no exponent. */
export function fmt(x: number, unit: string): string {
  if (!Number.isFinite(x)) return 'n/a';
  const abs = Math.abs(x);
  const v = abs >= 100 ? Math.round(x).toString() : abs >= 10 ? round(x, 1).toString() : round(x, 2).toString();
  return unit ? `${v} ${unit}` : v;
}

/** The subject ratios are computed against, if it has any value. */
export function baselineOf(t: BenchTable): string | undefined {
  return t.baseline ?? t.subjects.find((s) => s.startsWith('botwarden'));
}

/** baseline ÷ peer for one metric, or undefined when either is missing or the peer is 0. */
export function ratio(t: BenchTable, peer: string, metric: string): number | undefined {
  const base = baselineOf(t);
  if (!base || base === peer) return undefined;
  const b = t.cells[base]?.[metric]?.value;
  const p = t.cells[peer]?.[metric]?.value;
  if (b == null || p == null || p === 0) return undefined;
  return b / p;
}

/** Render the table as markdown: each peer cell carries "(bw ÷ peer = 0.42×)"; goals and notes follow. */
export function toMarkdown(t: BenchTable): string {
  const base = baselineOf(t);
  const header = ['', ...t.metrics.map((m) => (m.unit ? `${m.label} (${m.unit})` : m.label))];
  const lines = [`### ${t.title}`, '', `| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const s of t.subjects) {
    const row = [s];
    for (const m of t.metrics) {
      const c = t.cells[s]?.[m.key];
      let text: string;
      if (!c || c.value == null) text = c?.na ? `n/a (${c.na})` : 'n/a';
      else {
        text = fmt(c.value, '');
        if (c.p99 !== undefined && Number.isFinite(c.p99)) text += ` / p99 ${fmt(c.p99, '')}`;
        const r = ratio(t, s, m.key);
        if (r !== undefined) text += ` (${shortName(base ?? '')} ${r.toFixed(2)}×)`;
        if (c.note) text += ` ${c.note}`;
      }
      row.push(text.replace(/\|/g, '\\|'));
    }
    lines.push(`| ${row.join(' | ')} |`);
  }
  if (base && t.subjects.length > 1) lines.push('', `Ratios are ${base} ÷ that row (below 1× means ${shortName(base)} is smaller).`);
  for (const g of t.goals ?? []) lines.push(`- Goal: ${g.text} — ${g.met === null ? 'not measured' : g.met ? 'met' : 'MISSED'}`);
  for (const n of t.notes ?? []) lines.push(`- ${n}`);
  return lines.join('\n');
}

function shortName(subject: string): string {
  return subject.startsWith('botwarden') ? 'bw' : subject.split(' ')[0] ?? subject;
}
