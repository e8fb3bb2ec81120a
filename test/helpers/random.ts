// Seeded randomness for tests and fixtures: the same seed draws the same values on every run (TEST_SEED overrides).

/** The suite's seed: `TEST_SEED` when set (to replay a run), else a fixed one. */
export const TEST_SEED = Number(process.env.TEST_SEED ?? 0x5eed) >>> 0;

/** A deterministic generator of floats in [0, 1) (mulberry32). */
export function seededRandom(seed: number = TEST_SEED): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** An integer in [min, max] drawn from `rand`. */
export function randomInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

let uniqueSeq = 0;
/** A name no other test process on this machine uses at the same time (pid + counter): for keys, tables, bot ids. Not random. */
export function uniqueSuffix(): string {
  return `${process.pid}_${Date.now().toString(36)}_${uniqueSeq++}`;
}
