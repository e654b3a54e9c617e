/**
 * The schedule of a chain's days, the same for every problem kind: day d's
 * demand is the case's day scaled by one load factor drawn deterministically
 * from the run's seed and d, so a rerun reproduces every day's problem (and a
 * ledger can be rechecked) from the seed alone.
 *
 * @module
 */

/** Largest relative change of a day's loads against the bundled day: ±5 %. */
export const DAILY_LOAD_VARIATION = 0.05;

/**
 * Load factor of day `day` (1-based) for `seed`: 1 on day 1 (the published
 * case), then uniform in [1 − {@link DAILY_LOAD_VARIATION}, 1 + {@link DAILY_LOAD_VARIATION}],
 * rounded to 4 decimals so it prints and stores exactly.
 *
 * @example
 * ```ts
 * console.log(dayLoadFactor(7, 1)); // 1
 * console.log(dayLoadFactor(7, 2) === dayLoadFactor(7, 2)); // true
 * ```
 */
export function dayLoadFactor(seed: number, day: number): number {
  if (day <= 1) return 1;
  // splitmix32 of (seed, day): a well-mixed u32 per day.
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(day >>> 0, 0x85ebca77)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97) >>> 0;
  z = (z ^ (z >>> 15)) >>> 0;
  const u = z / 2 ** 32;
  return Math.round((1 + DAILY_LOAD_VARIATION * (2 * u - 1)) * 1e4) / 1e4;
}
