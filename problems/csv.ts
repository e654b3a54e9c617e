/**
 * CSV text for spreadsheets and pandas, shared by every problem kind's CSV
 * (problems/types.ts ProblemCsv) and by a run's `days.csv`. Pure: every function returns text.
 *
 * - RFC 4180: a header line, comma-separated fields, CRLF after every record, a field
 *   quoted (its quotes doubled) when it holds a comma, a quote, CR or LF, or starts or ends
 *   with a space.
 * - Numbers are written so that a reader takes them as floats: shortest round-trip form,
 *   with `.0` after a whole number (`150.0`), `0.0` for -0, an empty field for a value
 *   that is missing or not a number (pandas reads it as NaN), `inf`/`-inf` for infinities.
 *   Counts (`day`, `hour`, `round`) are whole numbers.
 * - Every column name carries its unit: an amount of a kind's objective ends in its
 *   currency's code (`cost_usd`), or has none when the objective is not money (`sum`).
 *
 * @module
 */
import type { CostUnit } from "./types.ts";

/** Line end of every CSV record (RFC 4180). */
const CRLF = "\r\n";

/** Largest magnitude JavaScript writes without an exponent; below it a whole number gets `.0`. */
const PLAIN_LIMIT = 1e21;

/**
 * One CSV field from a number, so that pandas and spreadsheets read a float: `150.0`, `0.25`,
 * `1e-7`; `0.0` for -0; empty for undefined, null or NaN; `inf` / `-inf` for infinities.
 *
 * @example
 * ```ts
 * import { csvNumber } from "./csv.ts";
 * console.log([150, 0.25, -0, NaN, undefined].map(csvNumber).join("|")); // 150.0|0.25|0.0||
 * ```
 */
export function csvNumber(v: number | null | undefined): string {
  if (v === undefined || v === null || Number.isNaN(v)) return "";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (Object.is(v, -0)) return "0.0";
  return Number.isInteger(v) && Math.abs(v) < PLAIN_LIMIT ? v.toFixed(1) : String(v);
}

/**
 * One CSV field from text (RFC 4180): quoted, its quotes doubled, when it holds a comma, a
 * quote, CR or LF, or starts or ends with a space; else as it is.
 *
 * @example
 * ```ts
 * import { csvText } from "./csv.ts";
 * console.log(csvText("D"), csvText('say "hi", then')); // D "say ""hi"", then"
 * ```
 */
export function csvText(s: string): string {
  return /[",\r\n]|^ | $/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * One CSV record: the fields (already written by {@link csvNumber} or {@link csvText}) joined
 * by commas, then CRLF.
 *
 * @example
 * ```ts
 * import { csvRecord } from "./csv.ts";
 * console.log(JSON.stringify(csvRecord(["1", "2.0"]))); // "1,2.0\r\n"
 * ```
 */
export function csvRecord(fields: string[]): string {
  return fields.join(",") + CRLF;
}

/**
 * The name of a column holding amounts of a kind's objective: `name`, then `_` and the lower-case
 * currency code when the objective is money (`cost_usd`, `gap_cny`), else `name` alone.
 *
 * @example
 * ```ts
 * import { amountColumn, problemKind } from "../mod.ts";
 * console.log(amountColumn(problemKind("ies-dispatch").cost, "cost"), amountColumn(problemKind("simple-sum").cost, "gap")); // cost_usd gap
 * ```
 */
export function amountColumn(unit: CostUnit, name: string): string {
  return unit.currency ? `${name}_${unit.currency.toLowerCase()}` : name;
}

/** One day (block) of a run, as `days.csv` shows it; a missing figure is an empty field. */
export interface DayRow {
  /** Block height = day number (1-based). */
  day: number;
  /** The day's load factor (dimensionless). */
  loadFactor?: number;
  /** Round (1-based) in which the accepted block was committed; absent when no block was. */
  round?: number;
  /** That round's leader. */
  leader?: string;
  /** True cost of the accepted solution, in the run's cost unit ($ per day for the dispatch). */
  costUsd?: number;
  /** Optimality gap its certificate proves, in the same unit. */
  gapUsd?: number;
}

/**
 * `days.csv`: one record per day: `day,load_factor,round,leader`, then the accepted solution's
 * true cost and certified gap, named after the kind's cost unit ({@link amountColumn}: the
 * unit's quantity and `gap`): `cost_usd,gap_usd` for the dispatch, `sum,gap` for SimpleSum.
 *
 * @example
 * ```ts
 * import { daysCsv, DISPATCH_COST } from "../mod.ts";
 * const text = daysCsv([{ day: 1, loadFactor: 1, round: 2, leader: "D", costUsd: 743.91, gapUsd: 1e-8 }, { day: 2 }], DISPATCH_COST);
 * console.log(JSON.stringify(text)); // "day,load_factor,round,leader,cost_usd,gap_usd\r\n1,1.0,2,D,743.91,1e-8\r\n2,,,,,\r\n"
 * ```
 */
export function daysCsv(rows: DayRow[], unit: CostUnit): string {
  const header = [
    "day",
    "load_factor",
    "round",
    "leader",
    amountColumn(unit, unit.quantity),
    amountColumn(unit, "gap"),
  ];
  return csvRecord(header.map(csvText)) +
    rows.map((r) =>
      csvRecord([
        String(r.day),
        csvNumber(r.loadFactor),
        r.round === undefined ? "" : String(r.round),
        csvText(r.leader ?? ""),
        csvNumber(r.costUsd),
        csvNumber(r.gapUsd),
      ])
    ).join("");
}

/** A file name a kind's CSV may have: letters, digits, `_` or `-`, then `.csv`, at most 64 characters. */
const CSV_FILE_NAME = /^[A-Za-z0-9_-]{1,60}\.csv$/;

/**
 * Why a kind's CSV file name is unusable, or undefined: it names a file in the `--csv` directory,
 * so it holds no path separator, and it is not `days.csv` (a run's own).
 *
 * @example
 * ```ts
 * import { csvFileProblem } from "./csv.ts";
 * console.log(csvFileProblem("dispatch.csv"), csvFileProblem("../x.csv")); // undefined "../x.csv" is not letters, digits, _ or - then .csv
 * ```
 */
export function csvFileProblem(file: string): string | undefined {
  if (!CSV_FILE_NAME.test(file)) return `${JSON.stringify(file)} is not letters, digits, _ or - then .csv`;
  if (file === DAYS_CSV) return `${DAYS_CSV} is a run's own file`;
  return undefined;
}

/** The run's file of one record per day, whatever its kind. */
export const DAYS_CSV = "days.csv";
