/**
 * A dispatch's hourly series as CSV text, for spreadsheets and pandas: the `ies-dispatch`
 * kind's {@link DISPATCH_CSV} (`poso solve --csv DIR`, `poso run … --csv DIR`). Pure: every
 * function returns text. Fields follow the rules of problems/csv.ts; every column name carries
 * its unit: `_kw` (average power over the hour, kW), `_kwh` (energy held, kWh).
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
import { csvNumber, csvRecord as record, csvText } from "../csv.ts";
import type { ProblemCsv } from "../types.ts";
import { type BalanceSeries, type DispatchSeries, isDispatchSeries } from "./series.ts";

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

/**
 * The `ies-dispatch` kind's CSV: `dispatch.csv`, {@link dispatchCsv} of one dispatch and
 * {@link runDispatchCsv} of a run's accepted days.
 *
 * @example
 * ```ts
 * import { DISPATCH_CSV } from "../../mod.ts";
 * console.log(DISPATCH_CSV.file, JSON.stringify(DISPATCH_CSV.days([]))); // dispatch.csv "day,hour\r\n"
 * ```
 */
export const DISPATCH_CSV: ProblemCsv = {
  file: "dispatch.csv",
  title: "the hourly dispatch per source and hub",
  solution(series) {
    if (!isDispatchSeries(series)) throw new TypeError("dispatch CSV: not a dispatch's hourly series");
    return dispatchCsv(series);
  },
  days: (days) =>
    runDispatchCsv(
      days.flatMap((d) => isDispatchSeries(d.series) ? [{ day: d.day, series: d.series }] : []),
    ),
};
