/**
 * The day's SimpleSum problem as a one-column LP. With v_i the day's values
 * (the case's numbers times the day's load factor):
 *
 *   min s   subject to   s >= Σ v_i   (row `s>=sum`),   -B <= s <= B,   B = 2 (Σ |v_i| + 1).
 *
 * Its optimum is s = Σ v_i, and y = 1 on the row certifies it: the checker's
 * duality bound is then exactly Σ v_i, computed by the follower from the LP
 * it built itself. A sum that is too large is feasible but fails the gap (it
 * is `suboptimal` by its excess); one that is too small breaks the row
 * (`infeasible`). An equality row s = Σ v_i would certify the sum as well,
 * but it makes both errors `infeasible` and leaves no feasible wrong answer
 * for the `selfish` and `feasible` proposals (variants.ts).
 *
 * B is finite because the checker's bound needs finite column bounds (and
 * the `feasible` proposal is the LP's maximum). It is twice the largest
 * magnitude a sum of these values can have (|Σ v_i| <= Σ |v_i|), plus 2, so
 * the wrong answers of variants.ts (the sum ± its markup) stay inside it, and
 * s is not pinned when every value is 0.
 *
 * @module
 */
import { LpBuilder, type SparseLp } from "../../lp/lp.ts";
import type { SumCase } from "./case.ts";

/** The day's numbers, their sum and the LP that asks for it. */
export interface SumModel {
  /** The case's name. */
  caseName: string;
  /** The day's load factor (dimensionless) the case's values were scaled by. */
  loadFactor: number;
  /** The node labels, sorted (code-unit order), so the LP does not depend on the file's key order. */
  nodes: string[];
  /** Each node's number on the day, in the order of {@link SumModel.nodes}. */
  values: number[];
  /** Σ values, added left to right in that order (every participant adds them the same way). */
  sum: number;
  /** B: the bound on |s|. */
  bound: number;
  /** The LP: column `s`, row `s>=sum`. */
  lp: SparseLp;
}

/** B = {@link BOUND_FACTOR} × (Σ |v_i| + 1). */
export const BOUND_FACTOR = 2;

/** Name of the LP's only column. */
export const SUM_COLUMN = "s";
/** Name of the LP's only row. */
export const SUM_ROW = "s>=sum";

/**
 * The LP of a case's day: its values times `loadFactor` (a positive, finite number).
 *
 * @example
 * ```ts
 * import { buildSumModel } from "./model.ts";
 * const m = buildSumModel({ name: "two", values: { B: 2, A: 1 } }, 1.5);
 * console.log(m.nodes, m.values, m.sum, m.bound); // [ "A", "B" ] [ 1.5, 3 ] 4.5 11
 * ```
 */
export function buildSumModel(c: SumCase, loadFactor: number): SumModel {
  if (!(Number.isFinite(loadFactor) && loadFactor > 0)) {
    throw new RangeError(`load factor ${loadFactor} is not a positive finite number`);
  }
  const nodes = Object.keys(c.values).sort();
  const values = nodes.map((n) => c.values[n] * loadFactor);
  let sum = 0, magnitude = 0;
  for (const v of values) {
    sum += v;
    magnitude += Math.abs(v);
  }
  const bound = BOUND_FACTOR * (magnitude + 1);
  const b = new LpBuilder(`SimpleSum ${c.name} (load factor ${loadFactor})`);
  const s = b.addCol(SUM_COLUMN, -bound, bound, 1);
  b.addRow(SUM_ROW, sum, Infinity, [[s, 1]]);
  return { caseName: c.name, loadFactor, nodes, values, sum, bound, lp: b.build() };
}
