/** A small seeded generator (mulberry32) of numbers in [0, 1), so that a failing fuzz run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a fuzz run: FUZZ_SEED when set (to replay a failure), else `fallback`. */
export const fuzzSeed = (fallback: number): number => Number(process.env.FUZZ_SEED ?? fallback);

/** Whole numbers in [0, below) drawn from `next`. */
export const randomInt =
  (next: () => number) =>
  (below: number): number =>
    Math.floor(next() * below);
