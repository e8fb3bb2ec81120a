// A small Prometheus client: counters, gauges and histograms on a private registry, rendered in the text exposition
// format 0.0.4 (the same lines prom-client writes: HELP, TYPE, one sample per line, blocks separated by a blank line).

/** Label values by label name; a label left out is not written. */
export type LabelValues<L extends string> = Partial<Record<L, string | number>>;

/** Options shared by every metric. */
export interface MetricOptions<L extends string> {
  /** Metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  name: string;
  /** One line of help text (`# HELP`). */
  help: string;
  /** Label names, in the order they are written. Default none. */
  labelNames?: readonly L[];
  /** Registries to add the metric to. Default none (not exported). */
  registers?: readonly Registry[];
  /** Runs before each exposition to bring the values up to date (may be async). */
  collect?: () => void | Promise<void>;
}

type MetricType = 'counter' | 'gauge' | 'histogram';

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A sample value as Prometheus writes it (`+Inf`, `-Inf`, `NaN`, else the shortest round-trip decimal). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return `${v}`;
}

/** Escape a label value: backslash, double quote and line feed. */
export function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Escape HELP text: backslash and line feed. */
export function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** One labelled series: its label pairs already rendered (`a="1",b="2"`, or '' for none). */
interface Series<V> {
  labels: string;
  value: V;
}

/** What every metric type shares: name, help, labels, series by label values, registration and exposition. */
abstract class Metric<L extends string, V> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  abstract readonly type: MetricType;
  /** Series in creation order (the order they are written). */
  protected readonly series = new Map<string, Series<V>>();
  /** `labels(…)` handles by their values, so a hot call site pays one Map lookup (cleared with the series). */
  private readonly children = new Map<string, unknown>();
  private readonly collectFn: (() => void | Promise<void>) | undefined;

  constructor(opts: MetricOptions<L>) {
    if (!NAME_RE.test(opts.name)) throw new Error(`metric name: expected [a-zA-Z_:][a-zA-Z0-9_:]*, got ${JSON.stringify(opts.name)}`);
    const labelNames = opts.labelNames ?? [];
    for (const l of labelNames) {
      if (!LABEL_RE.test(l) || l.startsWith('__')) throw new Error(`${opts.name}: invalid label name ${JSON.stringify(l)}`);
    }
    if (new Set(labelNames).size !== labelNames.length) throw new Error(`${opts.name}: duplicate label names`);
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = labelNames;
    this.collectFn = opts.collect;
    for (const r of opts.registers ?? []) r.register(this);
  }

  /** Forget every series (an unlabelled metric starts again from zero). */
  reset(): void {
    this.series.clear();
    this.children.clear();
    if (this.labelNames.length === 0) this.seriesFor(undefined);
  }

  /** Run `collect` (if any) and render this metric's block: HELP, TYPE, then one line per sample. */
  async render(): Promise<string> {
    if (this.collectFn) await this.collectFn();
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.series.values()) this.renderSeries(s, lines);
    return lines.join('\n');
  }

  protected abstract initial(): V;
  protected abstract renderSeries(s: Series<V>, out: string[]): void;

  /** The series for these label values, created on first use. */
  protected seriesFor(labels: LabelValues<L> | undefined): Series<V> {
    if (labels === undefined || this.labelNames.length === 0) {
      if (labels !== undefined) this.check(labels);
      return this.getOrCreate('', '');
    }
    this.check(labels);
    let key = '';
    let rendered = '';
    for (const n of this.labelNames) {
      const v = labels[n];
      key += v === undefined ? '\u0000' : `${String(v)}\u0001`;
      if (v !== undefined) rendered += `${rendered ? ',' : ''}${n}="${escapeLabelValue(String(v))}"`;
    }
    return this.getOrCreate(key, rendered);
  }

  /** The cached handle for label values given in `labelNames` order, made by `make` on first use (valid until `reset()`). */
  protected child<C>(values: readonly (string | number)[], make: (labels: LabelValues<L>) => C): C {
    const key = values.length === 1 ? String(values[0]) : values.join('\u0001');
    let c = this.children.get(key) as C | undefined;
    if (c === undefined) {
      c = make(this.positional(values));
      this.children.set(key, c);
    }
    return c;
  }

  /** Label values given in `labelNames` order (prom-client's `labels('a', 'b')`). */
  protected positional(values: readonly (string | number)[]): LabelValues<L> {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name}: expected ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`);
    }
    const out: LabelValues<L> = {};
    this.labelNames.forEach((n, i) => (out[n] = values[i]));
    return out;
  }

  private getOrCreate(key: string, rendered: string): Series<V> {
    let s = this.series.get(key);
    if (!s) {
      s = { labels: rendered, value: this.initial() };
      this.series.set(key, s);
    }
    return s;
  }

  private check(labels: LabelValues<L>): void {
    for (const k of Object.keys(labels)) {
      if (!(this.labelNames as readonly string[]).includes(k)) throw new Error(`${this.name}: label "${k}" is not one of [${this.labelNames.join(', ')}]`);
    }
  }
}

function checkNumber(name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${name}: value is not a number: ${String(v)}`);
  return v;
}

/** Split `(labels, value)` / `(value)` call forms. */
function args<L extends string>(a?: LabelValues<L> | number, b?: number): [LabelValues<L> | undefined, number | undefined] {
  return typeof a === 'object' && a !== null ? [a, b] : [undefined, a];
}

/** A metric whose series hold one number each (counters and gauges); an unlabelled one has its series from the start. */
abstract class NumberMetric<L extends string> extends Metric<L, number> {
  constructor(opts: MetricOptions<L>) {
    super(opts);
    if (this.labelNames.length === 0) this.seriesFor(undefined);
  }

  /** The current value of one series (0 when it does not exist yet). */
  value(labels?: LabelValues<L>): number {
    return this.seriesFor(labels).value;
  }

  protected initial(): number {
    return 0;
  }

  protected renderSeries(s: Series<number>, out: string[]): void {
    out.push(`${this.name}${s.labels ? `{${s.labels}}` : ''} ${formatValue(s.value)}`);
  }
}

/** A value that only goes up (`_total`). */
export class Counter<L extends string = never> extends NumberMetric<L> {
  readonly type = 'counter';

  /** Add `value` (default 1, never negative) to the series of `labels`. */
  inc(value?: number): void;
  inc(labels: LabelValues<L>, value?: number): void;
  inc(a?: LabelValues<L> | number, b?: number): void {
    const [labels, value] = args(a, b);
    const v = checkNumber(this.name, value ?? 1);
    if (!Number.isFinite(v)) throw new TypeError(`${this.name}: value is not a finite number: ${v}`);
    if (v < 0) throw new Error(`${this.name}: a counter cannot decrease (got ${v})`);
    this.seriesFor(labels).value += v;
  }

  /** The series with these label values (in `labelNames` order). */
  labels(...values: (string | number)[]): { inc(value?: number): void } {
    return this.child(values, (labels) => {
      const s = this.seriesFor(labels);
      return {
        inc: (value = 1): void => {
          if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return this.inc(labels, value); // throws the usual error
          s.value += value;
        },
      };
    });
  }

}

/** A value that goes up and down. */
export class Gauge<L extends string = never> extends NumberMetric<L> {
  readonly type = 'gauge';

  /** Set the series of `labels` to `value`. */
  set(value: number): void;
  set(labels: LabelValues<L>, value: number): void;
  set(a: LabelValues<L> | number, b?: number): void {
    const [labels, value] = args(a, b);
    this.seriesFor(labels).value = checkNumber(this.name, value);
  }

  /** Add `value` (default 1). */
  inc(value?: number): void;
  inc(labels: LabelValues<L>, value?: number): void;
  inc(a?: LabelValues<L> | number, b?: number): void {
    const [labels, value] = args(a, b);
    this.seriesFor(labels).value += checkNumber(this.name, value ?? 1);
  }

  /** Subtract `value` (default 1). */
  dec(value?: number): void;
  dec(labels: LabelValues<L>, value?: number): void;
  dec(a?: LabelValues<L> | number, b?: number): void {
    const [labels, value] = args(a, b);
    this.seriesFor(labels).value -= checkNumber(this.name, value ?? 1);
  }

  /** The series with these label values (in `labelNames` order). */
  labels(...values: (string | number)[]): { set(value: number): void; inc(value?: number): void; dec(value?: number): void } {
    return this.child(values, (labels) => ({ set: (v: number) => this.set(labels, v), inc: (v?: number) => this.inc(labels, v), dec: (v?: number) => this.dec(labels, v) }));
  }

}

/** Per-series histogram state: a count per bucket (not cumulative), sum and count. */
interface HistogramValue {
  buckets: number[];
  sum: number;
  count: number;
}

/** Observations counted in buckets by upper bound (`_bucket{le}` cumulative, `_sum`, `_count`). */
export class Histogram<L extends string = never> extends Metric<L, HistogramValue> {
  readonly type = 'histogram';
  /** Upper bounds, ascending, without `+Inf`. */
  readonly buckets: readonly number[];
  private readonly leLabels: readonly string[];

  constructor(opts: MetricOptions<L> & { buckets: readonly number[] }) {
    if ((opts.labelNames ?? []).includes('le' as L)) throw new Error(`${opts.name}: le is a reserved label name`);
    const buckets = [...new Set(opts.buckets)].sort((a, b) => a - b);
    if (buckets.some((b) => !Number.isFinite(b))) throw new Error(`${opts.name}: buckets must be finite numbers`);
    super(opts);
    this.buckets = buckets;
    this.leLabels = buckets.map((b) => `le="${formatValue(b)}"`);
    if (this.labelNames.length === 0) this.seriesFor(undefined);
  }

  /** Count one observation (a finite number, e.g. seconds) in the series of `labels`. */
  observe(value: number): void;
  observe(labels: LabelValues<L>, value: number): void;
  observe(a: LabelValues<L> | number, b?: number): void {
    const [labels, value] = args(a, b);
    this.count(this.seriesFor(labels).value, checkNumber(this.name, value));
  }

  private count(s: HistogramValue, v: number): void {
    let i = 0;
    while (i < this.buckets.length && v > (this.buckets[i] as number)) i++;
    if (i < this.buckets.length) s.buckets[i] = (s.buckets[i] as number) + 1;
    s.sum += v;
    s.count++;
  }

  /** The series with these label values (in `labelNames` order). */
  labels(...values: (string | number)[]): { observe(value: number): void } {
    return this.child(values, (labels) => {
      const s = this.seriesFor(labels).value;
      return {
        observe: (v: number): void => {
          if (typeof v !== 'number') return this.observe(labels, v); // throws the usual error
          this.count(s, v);
        },
      };
    });
  }

  /** A copy of one series: cumulative counts per bucket (+Inf last), sum and count. */
  snapshot(labels?: LabelValues<L>): { cumulative: number[]; sum: number; count: number } {
    const s = this.seriesFor(labels).value;
    let acc = 0;
    return { cumulative: [...s.buckets.map((n) => (acc += n)), s.count], sum: s.sum, count: s.count };
  }

  protected initial(): HistogramValue {
    return { buckets: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
  }

  protected renderSeries(s: Series<HistogramValue>, out: string[]): void {
    const extra = s.labels ? `,${s.labels}` : '';
    let acc = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      acc += s.value.buckets[i] as number;
      out.push(`${this.name}_bucket{${this.leLabels[i] as string}${extra}} ${acc}`);
    }
    out.push(`${this.name}_bucket{le="+Inf"${extra}} ${s.value.count}`);
    const own = s.labels ? `{${s.labels}}` : '';
    out.push(`${this.name}_sum${own} ${formatValue(s.value.sum)}`);
    out.push(`${this.name}_count${own} ${s.value.count}`);
  }
}

/** Anything a registry can render. */
export interface Renderable {
  readonly name: string;
  render(): Promise<string>;
}

/** A set of metrics exposed together (one per daemon; never a global one). */
export class Registry {
  /** The content type of `metrics()`: Prometheus text format 0.0.4. */
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly byName = new Map<string, Renderable>();

  /** Add a metric; a second metric with the same name is an error. */
  register(metric: Renderable): void {
    const had = this.byName.get(metric.name);
    if (had && had !== metric) throw new Error(`a metric named ${metric.name} is already registered`);
    this.byName.set(metric.name, metric);
  }

  /** The registered metric called `name`, if any. */
  get(name: string): Renderable | undefined {
    return this.byName.get(name);
  }

  /** Every metric in registration order, in the Prometheus text format (ends with a line feed). */
  async metrics(): Promise<string> {
    const blocks: string[] = [];
    for (const m of this.byName.values()) blocks.push(await m.render());
    return `${blocks.join('\n\n')}\n`;
  }
}
