/**
 * Floating-point error bounds and vector checks that every certificate
 * checker shares (lp/certificate.ts for LPs, problems/market/checker.ts for
 * the market): checkers widen each tolerance by a rigorous bound on their own
 * rounding error, so that rounding never turns a rejection into an acceptance.
 *
 * @module
 */

/** Unit roundoff u of IEEE 754 binary64 (round to nearest): 2^-53. */
export const UNIT_ROUNDOFF = 2 ** -53;
/** Smallest positive normal binary64 number: the most an underflowing product can lose, absolutely. */
export const SMALLEST_NORMAL = 2 ** -1022;

/**
 * Higham's γ_n = n·u / (1 − n·u): a bound on the relative error of an n-term floating-point sum
 * (relative to the sum of the terms' magnitudes).
 *
 * @example
 * ```ts
 * import { gamma } from "./rounding.ts";
 * console.log(gamma(10) < 1.2e-15); // true
 * ```
 */
export function gamma(n: number): number {
  return (n * UNIT_ROUNDOFF) / (1 - n * UNIT_ROUNDOFF);
}

/**
 * Why `v` is not an array of `length` finite numbers (naming the first bad entry), or undefined.
 * `of` names what fixes the length ("the LP", "the market").
 *
 * @example
 * ```ts
 * import { vectorProblem } from "./rounding.ts";
 * console.log(vectorProblem([1, NaN], "x", 2, "the LP")); // x[1] is NaN, not a finite number
 * ```
 */
export function vectorProblem(v: unknown, name: string, length: number, of: string): string | undefined {
  if (v === null || typeof v !== "object" || typeof (v as ArrayLike<number>).length !== "number") {
    return `${name} is not an array`;
  }
  const a = v as ArrayLike<unknown>;
  if (a.length !== length) return `${name} has ${a.length} entries, ${of} has ${length}`;
  for (let k = 0; k < length; k++) {
    const e = a[k];
    if (typeof e !== "number" || !Number.isFinite(e)) {
      return `${name}[${k}] is ${
        typeof e === "number" ? String(e) : JSON.stringify(e) ?? typeof e
      }, not a finite number`;
    }
  }
  return undefined;
}
