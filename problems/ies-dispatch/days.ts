/**
 * Consecutive days of dispatch (`poso run --days N`): day d's case is the
 * case's day with every hourly load factor scaled by the day's load factor
 * (problems/schedule.ts), so a rerun reproduces every day's LP (and a ledger
 * can be rechecked) from the seed alone.
 *
 * @module
 */
import type { IesCase } from "./case.ts";

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
