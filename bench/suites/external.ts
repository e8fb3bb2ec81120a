// Suites written by other engineers (bench/gateway.ts, bench/emulator.ts), loaded when they exist.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../lib/botwarden.js';
import type { Suite, SuiteContext } from '../lib/suite.js';
import type { BenchTable } from '../lib/table.js';

/**
 * The contract for an external bench module: export `fnName(ctx: SuiteContext)` returning a table, tables, or
 * nothing (it may call `ctx.emit` itself). It must honour `ctx.signal`/`ctx.deadline` and stop what it starts.
 */
export type ExternalBench = (ctx: SuiteContext) => Promise<BenchTable | BenchTable[] | void>;

function isTable(x: unknown): x is BenchTable {
  return typeof x === 'object' && x !== null && 'id' in x && 'metrics' in x && 'subjects' in x && 'cells' in x;
}

/** A suite that imports `bench/<file>` and calls its `fnName`; a table saying "not written yet" when it is missing. */
export function externalSuite(o: { id: string; title: string; file: string; fnName: string; budgetMs: number }): Suite {
  return {
    id: o.id,
    title: o.title,
    budgetMs: o.budgetMs,
    run: async (ctx) => {
      const file = path.join(ROOT, 'bench', o.file);
      const fn = existsSync(file) ? ((await import(pathToFileURL(file).href)) as Record<string, unknown>)[o.fnName] : undefined;
      if (typeof fn !== 'function') {
        const why = existsSync(file) ? `bench/${o.file} does not export ${o.fnName}()` : `bench/${o.file} not written yet`;
        ctx.emit({ id: o.id, title: o.title, metrics: [{ key: 'x', label: 'result', unit: '' }], subjects: ['botwarden'], cells: { botwarden: { x: { value: null, na: why } } } });
        return;
      }
      const out = await (fn as ExternalBench)(ctx);
      for (const t of Array.isArray(out) ? out : out ? [out] : []) {
        if (isTable(t)) ctx.emit(t);
        else ctx.log(`${o.fnName}() returned something that is not a BenchTable: ${JSON.stringify(t).slice(0, 300)}`);
      }
    },
  };
}
