/**
 * SimpleSum's CSV (`poso solve --csv DIR`, `poso run … --csv DIR`): `values.csv`, the number
 * each node holds on the day, one record per node. The sum itself is in `days.csv` (column `sum`)
 * of a run, and in `poso solve`'s summary. The numbers have no unit, so neither have the columns.
 *
 * @module
 */
import { csvNumber, csvRecord, csvText } from "../csv.ts";
import type { ProblemCsv } from "../types.ts";
import type { SumSeries } from "./verifier.ts";

/**
 * Whether `s` is a {@link SumSeries} (as a report's `dispatch.series` of a SimpleSum run holds it).
 *
 * @example
 * ```ts
 * import { isSumSeries } from "./csv.ts";
 * console.log(isSumSeries({ nodes: ["A"], values: [1], sum: 1, expectedSum: 1 }), isSumSeries({ hours: 24 })); // true false
 * ```
 */
export function isSumSeries(s: unknown): s is SumSeries {
  if (typeof s !== "object" || s === null) return false;
  const v = s as Partial<SumSeries>;
  return Array.isArray(v.nodes) && Array.isArray(v.values) && v.nodes.length === v.values.length &&
    v.nodes.every((n) => typeof n === "string") && v.values.every((x) => typeof x === "number") &&
    typeof v.sum === "number" && typeof v.expectedSum === "number";
}

/**
 * `values.csv`: `node,value` (one solution) or `day,node,value` (a run), one record per node
 * in the order of the series (sorted labels).
 *
 * @example
 * ```ts
 * import { SUM_CSV } from "./csv.ts";
 * const series = { nodes: ["A", "B"], values: [600, 400], sum: 1000, expectedSum: 1000 };
 * console.log(JSON.stringify(SUM_CSV.solution(series))); // "node,value\r\nA,600.0\r\nB,400.0\r\n"
 * ```
 */
export const SUM_CSV: ProblemCsv = {
  file: "values.csv",
  title: "the number each node holds, one row per node",
  solution(series) {
    if (!isSumSeries(series)) throw new TypeError("SimpleSum CSV: not a SimpleSum series");
    return csvRecord(["node", "value"]) +
      series.nodes.map((n, k) => csvRecord([csvText(n), csvNumber(series.values[k])])).join("");
  },
  days: (days) =>
    csvRecord(["day", "node", "value"]) +
    days.flatMap(({ day, series }) =>
      isSumSeries(series)
        ? series.nodes.map((n, k) => csvRecord([String(day), csvText(n), csvNumber(series.values[k])]))
        : []
    ).join(""),
};
