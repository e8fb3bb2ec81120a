// `npm run bench`: runs the benchmark suites (or `--only a,b`), prints markdown tables, writes JSON + SVG to bench/results/.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, machineLine } from './lib/machine.js';
import { writeReport, type BenchReport } from './lib/results.js';
import { RunResources, type SuiteContext } from './lib/suite.js';
import { toMarkdown, type BenchTable } from './lib/table.js';
import { collectVersions } from './lib/versions.js';
import { SUITES } from './suites/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The whole run's hard bound: every suite fits (about 16 minutes on 2 cores), a suite that hangs does not hold the run. */
const TOTAL_BUDGET_MS = 22 * 60_000;

interface Flags {
  only?: string[];
  quick: boolean;
  list: boolean;
  out: string;
}

function parseFlags(argv: readonly string[]): Flags {
  const flags: Flags = { quick: false, list: false, out: path.join(HERE, 'results') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const eq = a.indexOf('=');
      if (eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--only' || a.startsWith('--only=')) flags.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--quick') flags.quick = true;
    else if (a === '--list') flags.list = true;
    else if (a === '--out' || a.startsWith('--out=')) flags.out = path.resolve(value());
    else if (a === '--help' || a === '-h') {
      console.log(
        'usage: npm run bench -- [--only id,id] [--quick] [--out DIR] [--list]\n' +
          `suites: ${SUITES.map((s) => s.id).join(', ')}\n--quick: fewer repeats (for checking the harness, not for figures)`,
      );
      flags.list = true;
      flags.only = [];
    } else throw new Error(`unknown option ${a} (expected --only, --quick, --out, --list)`);
  }
  if (flags.only) {
    const unknown = flags.only.filter((id) => !SUITES.some((s) => s.id === id));
    if (unknown.length) throw new Error(`--only: unknown suite ${unknown.join(', ')}; expected some of ${SUITES.map((s) => s.id).join(', ')}`);
  }
  return flags;
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.list) {
    if (!flags.only) for (const s of SUITES) console.log(`${s.id.padEnd(10)} ${s.title} (budget ${Math.round(s.budgetMs / 1000)} s)`);
    return 0;
  }
  const suites = SUITES.filter((s) => !flags.only || flags.only.includes(s.id));
  const started = new Date();
  const runEnd = Date.now() + TOTAL_BUDGET_MS;
  const machine = machineInfo();
  const versions = await collectVersions();
  const tables: BenchTable[] = [];
  const errors: BenchReport['errors'] = [];
  const resources = new RunResources();
  const interrupt = new AbortController();
  const onSigint = (): void => {
    console.error('\nbench: interrupted, stopping every process it started…');
    interrupt.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  console.log(`## botwarden benchmarks — ${started.toISOString()}\n`);
  console.log(`Machine: ${machineLine(machine)}`);
  console.log(`Versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  try {
    for (const suite of suites) {
      if (interrupt.signal.aborted) break;
      const left = runEnd - Date.now();
      if (left <= 5000) {
        errors.push({ suite: suite.id, message: 'skipped: the run is out of time' });
        console.log(`### ${suite.title}\n\nskipped: the run is out of time\n`);
        continue;
      }
      const budget = Math.min(suite.budgetMs, left);
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new Error(`${suite.id} passed its budget of ${budget} ms`)), budget);
      const onInterrupt = (): void => ac.abort(interrupt.signal.reason);
      interrupt.signal.addEventListener('abort', onInterrupt);
      const ctx: SuiteContext = {
        signal: ac.signal,
        deadline: Date.now() + budget,
        quick: flags.quick,
        log: (line) => console.error(`  [${suite.id}] ${line}`),
        emit: (t) => {
          tables.push(t);
          console.log(`${toMarkdown(t)}\n`);
        },
        tempDir: (p) => resources.tempDir(p),
        track: (pid) => resources.track(pid),
      };
      const t0 = Date.now();
      console.error(`bench: ${suite.id} — ${suite.title} (budget ${Math.round(budget / 1000)} s)`);
      try {
        await suite.run(ctx);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        errors.push({ suite: suite.id, message });
        console.log(`### ${suite.title}\n\nfailed: ${message}\n`);
      } finally {
        clearTimeout(timer);
        interrupt.signal.removeEventListener('abort', onInterrupt);
        const strays = resources.reap();
        if (strays) console.error(`  [${suite.id}] killed ${strays} stray process(es)`);
        console.error(`bench: ${suite.id} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    }
  } finally {
    resources.cleanup();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  const finished = new Date();
  const report: BenchReport = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    machine,
    versions,
    tables,
    errors,
  };
  const complete = !flags.only && !flags.quick && !interrupt.signal.aborted;
  const written = writeReport(flags.out, report, { latest: complete });
  const latestNote = complete ? 'and latest.json' : 'latest.json left as it was: only a complete run without --only or --quick replaces it';
  console.log(`Total ${(report.durationMs / 1000).toFixed(1)} s. Raw figures: ${path.relative(process.cwd(), written[0] ?? '')} (${latestNote}); charts: ${written.filter((w) => w.endsWith('.svg') && !path.basename(w).startsWith('latest-')).map((w) => path.relative(process.cwd(), w)).join(', ') || 'none'}`);
  return errors.some((e) => !e.message.startsWith('skipped')) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
