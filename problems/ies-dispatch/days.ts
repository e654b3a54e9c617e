/**
 * Consecutive days of dispatch (`poso run --days N`): day d's case is the
 * bundled day with every hourly load factor scaled by one daily factor drawn
 * deterministically from the run's seed and d, so a rerun reproduces every
 * day's LP (and a ledger can be rechecked) from the seed alone.
 *
 * @module
 */
import type { IesCase } from "./case.ts";

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

/**
 * The case of a day whose loads are `factor` times the bundled ones (every
 * electric, heat and gas load follows `load_factor`).
 *
 * @example
 * ```ts
 * import { loadUomCase } from "./case.ts";
 * const day2 = caseForDay(await loadUomCase(), 1.03);
 * console.log(day2.load_factor.length); // 24
 * ```
 */
export function caseForDay(ies: IesCase, factor: number): IesCase {
  if (factor === 1) return ies;
  return { ...ies, load_factor: ies.load_factor.map((f) => f * factor) };
}
