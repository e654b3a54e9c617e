/**
 * A dispatch's hourly series and a run's days as CSV text, for spreadsheets and pandas
 * (`poso solve --csv DIR`, `poso run … --csv DIR`). Pure: every function returns text.
 *
 * - RFC 4180: a header line, comma-separated fields, CRLF after every record, a field
 *   quoted (its quotes doubled) when it holds a comma, a quote, CR or LF, or starts or ends
 *   with a space.
 * - Numbers are written so that a reader takes them as floats: shortest round-trip form,
 *   with `.0` after a whole number (`150.0`), `0.0` for -0, an empty field for a value
 *   that is missing or not a number (pandas reads it as NaN), `inf`/`-inf` for infinities.
 *   Counts (`day`, `hour`, `round`) are whole numbers.
 * - Every column name carries its unit: `_kw` (average power over the hour, kW), `_kwh`
 *   (energy held, kWh), `_usd` ($).
 *
 * `dispatch.csv` columns, after `hour` (the period's start, hours from the start of the
 * horizon: 0 is 00:00-01:00) and, for a run, `day` before it: `electric_load_kw`,
 * `heat_load_kw`, `heat_pipe_loss_kw`, `grid_import_kw`, then for each hub N
 * `hubN_chp_p_kw` (CHP electric output), `hubN_chp_heat_kw`, `hubN_boiler_heat_kw`,
 * `hubN_battery_charge_kw` (drawn from the bus: charge / efficiency),
 * `hubN_battery_discharge_kw` (delivered: efficiency × discharge), `hubN_battery_energy_kwh`,
 * `hubN_tank_charge_kw`, `hubN_tank_discharge_kw`, `hubN_tank_energy_kwh`: exactly the
 * quantities of series.ts, so each hour's electricity and heat balance can be summed from
 * the columns.
 *
 * @module
 */
import type { BalanceSeries, DispatchSeries } from "./series.ts";

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

/** A column of a dispatch CSV: its header and one value per hour. */
interface Column {
  name: string;
  values: number[];
  /** Hub id, or null for the system-wide columns. */
  hub: number | null;
}

/** Order of a hub's columns, by the name after `hubN_`. */
const HUB_COLUMN_ORDER = [
  "chp_p_kw",
  "chp_heat_kw",
  "boiler_heat_kw",
  "battery_charge_kw",
  "battery_discharge_kw",
  "battery_energy_kwh",
  "tank_charge_kw",
  "tank_discharge_kw",
  "tank_energy_kwh",
];

/** The column name of a power series of series.ts: its key with `_` for `.`, what it is, and `_kw`. */
function powerColumnName(key: string, carrier: BalanceSeries["carrier"]): string {
  const base = key.replaceAll(".", "_");
  if (key === "grid") return "grid_import_kw";
  if (carrier === "electricity" && key.endsWith(".chp")) return `${base}_p_kw`;
  if (key.endsWith(".boiler")) return `${base}_heat_kw`;
  return `${base}_kw`;
}

function balanceColumns(b: BalanceSeries): Column[] {
  return [...b.supply, ...b.charge].map((s) => ({
    name: powerColumnName(s.key, b.carrier),
    values: s.kw,
    hub: s.hub,
  }));
}

/** The rank of a hub column in {@link HUB_COLUMN_ORDER} (unknown names last). */
function hubRank(name: string): number {
  const i = HUB_COLUMN_ORDER.indexOf(name.replace(/^hub\d+_/, ""));
  return i < 0 ? HUB_COLUMN_ORDER.length : i;
}

/**
 * The columns of `dispatch.csv` for one dispatch (without `hour`): loads, then the grid,
 * then each hub's columns in the order of {@link HUB_COLUMN_ORDER}.
 */
function dispatchColumns(s: DispatchSeries): Column[] {
  const all: Column[] = [
    { name: "electric_load_kw", values: s.electricity.loadKw, hub: null },
    { name: "heat_load_kw", values: s.heat.loadKw, hub: null },
    { name: "heat_pipe_loss_kw", values: s.heat.lossKw, hub: null },
    ...balanceColumns(s.electricity),
    ...balanceColumns(s.heat),
    ...[...s.battery, ...s.heatTank].map((st) => ({
      name: `${st.key.replaceAll(".", "_")}_energy_kwh`,
      values: st.kwh,
      hub: st.hub as number | null,
    })),
  ];
  const hubs = [...new Set(all.map((c) => c.hub).filter((h) => h !== null))];
  const byHub = (h: number) =>
    all.filter((c) => c.hub === h).sort((a, b) => hubRank(a.name) - hubRank(b.name));
  const columns = [...all.filter((c) => c.hub === null), ...hubs.flatMap(byHub)];
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name)) throw new Error(`dispatch CSV: two columns named ${c.name}`);
    if (c.values.length !== s.hours) throw new Error(`dispatch CSV: ${c.name} has ${c.values.length} values`);
    names.add(c.name);
  }
  return columns;
}

const record = (fields: string[]): string => fields.join(",") + CRLF;

/**
 * `dispatch.csv` of one dispatch: a header, then one record per hour (`hour`, then every
 * column of the module comment).
 *
 * @example
 * ```ts
 * import { buildDispatchModel, dispatchCsv, dispatchSeries, loadUomCase, solveVariant } from "../../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const series = dispatchSeries(model, (await solveVariant(model, "optimal")).certificate.x);
 * const lines = dispatchCsv(series).split("\r\n");
 * console.log(lines[0].split(",").slice(0, 6).join(","), lines.length); // hour,electric_load_kw,heat_load_kw,heat_pipe_loss_kw,grid_import_kw,hub1_chp_p_kw 26
 * ```
 */
export function dispatchCsv(series: DispatchSeries): string {
  const columns = dispatchColumns(series);
  return record(["hour", ...columns.map((c) => csvText(c.name))]) +
    Array.from(
      { length: series.hours },
      (_, t) => record([String(t), ...columns.map((c) => csvNumber(c.values[t]))]),
    )
      .join("");
}

/**
 * `dispatch.csv` of a run: `day`, `hour`, then the columns of {@link dispatchCsv}, one record
 * per hour of every day given (a day without an accepted dispatch has no records). Every day
 * must have the same columns (the run's case); an empty list gives the header `day,hour` only.
 *
 * @example
 * ```ts
 * import { runDispatchCsv } from "./csv.ts";
 * console.log(JSON.stringify(runDispatchCsv([]))); // "day,hour\r\n"
 * ```
 */
export function runDispatchCsv(days: { day: number; series: DispatchSeries }[]): string {
  const first = days.length > 0 ? dispatchColumns(days[0].series).map((c) => c.name) : [];
  const body = days.map(({ day, series }) => {
    const columns = dispatchColumns(series);
    const names = columns.map((c) => c.name);
    if (names.join() !== first.join()) {
      throw new Error(`dispatch CSV: day ${day} has other columns than the first`);
    }
    return Array.from(
      { length: series.hours },
      (_, t) => record([String(day), String(t), ...columns.map((c) => csvNumber(c.values[t]))]),
    ).join("");
  });
  return record(["day", "hour", ...first.map(csvText)]) + body.join("");
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
  /** True cost of the accepted dispatch, $ per horizon (a day for the bundled case). */
  costUsd?: number;
  /** Optimality gap its certificate proves, $. */
  gapUsd?: number;
}

/**
 * `days.csv`: `day,load_factor,round,leader,cost_usd,gap_usd`, one record per day.
 *
 * @example
 * ```ts
 * import { daysCsv } from "./csv.ts";
 * const text = daysCsv([{ day: 1, loadFactor: 1, round: 2, leader: "D", costUsd: 743.91, gapUsd: 1e-8 }, { day: 2 }]);
 * console.log(JSON.stringify(text)); // "day,load_factor,round,leader,cost_usd,gap_usd\r\n1,1.0,2,D,743.91,1e-8\r\n2,,,,,\r\n"
 * ```
 */
export function daysCsv(rows: DayRow[]): string {
  return record(["day", "load_factor", "round", "leader", "cost_usd", "gap_usd"]) +
    rows.map((r) =>
      record([
        String(r.day),
        csvNumber(r.loadFactor),
        r.round === undefined ? "" : String(r.round),
        csvText(r.leader ?? ""),
        csvNumber(r.costUsd),
        csvNumber(r.gapUsd),
      ])
    ).join("");
}
