// V8 tier-up, delayed while `botwarden run` starts. Resolving and loading its ~60 modules makes a few of Node's own
// loader functions hot, and a single optimizing (TurboFan) compilation pulls the compiler's code into memory: ~4 MB
// of RSS that an idle supervisor then carries for its whole life. So the interrupt budget (how much a function must
// run before V8 considers optimizing it) is raised 10× at start and set back to V8's default once the bot is up: hot
// paths such as the gateway are optimized as usual after that. The baseline compiler stays off (RUN_STEADY_V8_FLAGS).
import v8 from 'node:v8';

interface TierDefaults {
  interruptBudget: number;
  earlyOptBytes: number;
}
/** V8's defaults of the flags changed here, by V8 major.minor; on another V8 nothing is changed (they may differ). */
const DEFAULTS: Readonly<Record<string, TierDefaults>> = {
  '11.3': { interruptBudget: 67_584, earlyOptBytes: 81 },
};

/**
 * The V8 flags a running `botwarden run` keeps after start-up (benchmarks start the gateway with them). The baseline
 * compiler (Sparkplug) is off for good: it batch-compiles start-up code that runs once (~1 MB), and the gateway's
 * latency is the same without it (bench: added p50/p99 within run-to-run noise), its hot path being optimized anyway.
 */
export const RUN_STEADY_V8_FLAGS: readonly string[] = ['--no-sparkplug'];
const START_FACTOR = 10;

let delayed = false;

function v8Defaults(): TierDefaults | undefined {
  const [major, minor] = process.versions.v8.split('.');
  return DEFAULTS[`${major}.${minor}`];
}

/** Raise the budget for start-up; false when this V8's default is unknown or the user set the flag. */
export function delayTierUp(): boolean {
  const d = v8Defaults();
  const own = ['--interrupt-budget', '--max-bytecode-size-for-early-opt', '--sparkplug', '--no-sparkplug'];
  if (d === undefined || delayed || process.execArgv.some((a) => own.some((f) => a.startsWith(f)))) return false;
  // Functions that already exist keep their current budget until it runs out once, and a small one is optimized at
  // that first tick: early optimization is off during start-up too.
  v8.setFlagsFromString(`--interrupt-budget=${d.interruptBudget * START_FACTOR}`);
  v8.setFlagsFromString('--max-bytecode-size-for-early-opt=0');
  for (const flag of RUN_STEADY_V8_FLAGS) v8.setFlagsFromString(flag);
  delayed = true;
  return true;
}

/** Back to V8's default (no-op unless delayTierUp raised it). */
export function restoreTierUp(): void {
  const d = v8Defaults();
  if (!delayed || d === undefined) return;
  v8.setFlagsFromString(`--interrupt-budget=${d.interruptBudget}`);
  v8.setFlagsFromString(`--max-bytecode-size-for-early-opt=${d.earlyOptBytes}`);
  delayed = false;
}
