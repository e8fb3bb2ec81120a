// Fault injection: the next `count` matching Bot API calls answer a chosen status, late, as HTML, or not at all.

/** One fault rule (`POST /_emulator/faults`). */
export interface FaultRule {
  /** Only this bot id; undefined = every bot. */
  bot: number | undefined;
  /** Only this method (case-insensitive); undefined = every method. */
  method: string | undefined;
  /** Status to answer; 200 (or 0) means "answer normally" (useful with `delay_ms`). */
  status: number;
  /** How many more calls this rule applies to. */
  count: number;
  /** `parameters.retry_after` and the `Retry-After` header of a 429 (seconds, default 5). */
  retryAfterS: number | undefined;
  /** Wait this long before answering (ms). */
  delayMs: number;
  /** Destroy the connection instead of answering. */
  drop: boolean;
  /** Answer the nginx HTML page instead of the JSON envelope (a 2016-style 502). */
  html: boolean;
  /** Override the envelope's description. */
  description: string | undefined;
}

/** Parse a fault from its JSON body; throws an Error naming the bad field. */
export function parseFault(body: unknown): FaultRule {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('expected a JSON object');
  const b = body as Record<string, unknown>;
  const num = (k: string, def: number | undefined, min: number): number | undefined => {
    const v = b[k];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new Error(`${k}: expected a number ≥ ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const drop = b.drop === true;
  const status = num('status', drop ? 0 : undefined, 0);
  if (status === undefined) throw new Error('status: required (e.g. 429, 502), or drop: true');
  if (status !== 0 && (status < 100 || status > 599)) throw new Error(`status: expected 100–599, got ${status}`);
  if (b.method !== undefined && typeof b.method !== 'string') throw new Error('method: expected a string');
  if (b.description !== undefined && typeof b.description !== 'string') throw new Error('description: expected a string');
  return {
    bot: num('bot', undefined, 1),
    method: typeof b.method === 'string' ? b.method.toLowerCase() : undefined,
    status,
    count: Math.floor(num('count', 1, 1) ?? 1),
    retryAfterS: num('retry_after', undefined, 0),
    delayMs: num('delay_ms', 0, 0) ?? 0,
    drop,
    html: b.html === true,
    description: typeof b.description === 'string' ? b.description : undefined,
  };
}

/** The active fault rules, in the order they were added. */
export class Faults {
  private rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push(rule);
  }

  /** The first rule matching this call, with one use consumed; undefined when none. */
  take(botId: number | undefined, methodLower: string): FaultRule | undefined {
    if (this.rules.length === 0) return undefined;
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i] as FaultRule;
      if (r.bot !== undefined && r.bot !== botId) continue;
      if (r.method !== undefined && r.method !== methodLower) continue;
      r.count--;
      if (r.count <= 0) this.rules.splice(i, 1);
      return r;
    }
    return undefined;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
  }
}
