/**
 * Results as CSV (problems/ies-dispatch/csv.ts): RFC 4180 text whose numbers a float parser
 * reads as floats, whose column names carry units, and whose columns hold each hour's whole
 * electricity and heat balance.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  csvNumber,
  csvText,
  daysCsv,
  DISPATCH_COST,
  dispatchCsv,
  type DispatchSeries,
  dispatchSeries,
  runDispatchCsv,
} from "../mod.ts";
import { FLOAT_FIELD, parseCsv, table } from "./csv_fixture.ts";
import { bookVariant as variant, fixtureModel as uomModel } from "./consensus_fixture.ts";

Deno.test("numbers are written as floats, text as RFC 4180 fields", () => {
  const cases: [number | undefined, string][] = [
    [150, "150.0"],
    [0, "0.0"],
    [-0, "0.0"],
    [-3, "-3.0"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e-7, "1e-7"],
    [1e21, "1e+21"],
    [NaN, ""],
    [undefined, ""],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
  ];
  for (const [v, text] of cases) {
    assert.equal(csvNumber(v), text, String(v));
    assert.match(text, FLOAT_FIELD);
    if (v !== undefined && Number.isFinite(v)) assert.equal(Number(text), v === 0 ? 0 : v);
  }
  for (const s of ["D", "a,b", 'say "hi"', "two\r\nlines", " padded", "lf\nonly"]) {
    const text = daysCsv([{ day: 1, leader: s }], DISPATCH_COST);
    assert.equal(parseCsv(text)[1][3], s, JSON.stringify(s));
  }
  assert.equal(csvText("node_7-B"), "node_7-B");
});

Deno.test("dispatch.csv holds every hour's whole electricity and heat balance, in kW", async () => {
  const model = await uomModel();
  const series = dispatchSeries(model, (await variant("optimal")).certificate.x);
  const text = dispatchCsv(series);
  const [header, ...records] = parseCsv(text);
  assert.equal(records.length, series.hours);
  assert.equal(header[0], "hour");
  // Every other column's name carries its unit.
  for (const name of header.slice(1)) assert.match(name, /^[a-z0-9_]+_(kw|kwh)$/, name);
  assert.ok(header.includes("grid_import_kw") && header.includes("hub3_chp_p_kw"));
  assert.equal(new Set(header).size, header.length);
  for (const r of records) for (const f of r.slice(1)) assert.match(f, FLOAT_FIELD);
  assert.deepEqual(records.map((r) => r[0]), records.map((_, t) => String(t)));
  const hubs = model.ies.hubs.map((h) => `hub${h.id}`);
  const sum = (r: Record<string, string>, suffix: string) =>
    hubs.reduce((s, h) => s + Number(r[`${h}_${suffix}`]), 0);
  table(text).forEach((r, t) => {
    const electricity = Number(r.grid_import_kw) + sum(r, "chp_p_kw") + sum(r, "battery_discharge_kw") -
      sum(r, "battery_charge_kw") - Number(r.electric_load_kw);
    const heat = sum(r, "chp_heat_kw") + sum(r, "boiler_heat_kw") + sum(r, "tank_discharge_kw") -
      sum(r, "tank_charge_kw") - Number(r.heat_load_kw) - Number(r.heat_pipe_loss_kw);
    assert.ok(
      Math.abs(electricity) <= series.electricity.toleranceKw[t],
      `hour ${t}: electricity ${electricity}`,
    );
    assert.ok(Math.abs(heat) <= series.heat.toleranceKw[t], `hour ${t}: heat ${heat}`);
    assert.equal(Number(r.hub3_battery_energy_kwh), series.battery[2].kwh[t]);
  });
});

Deno.test("a run's dispatch.csv has a day column; every day must have the run's columns", async () => {
  const model = await uomModel();
  const series = dispatchSeries(model, (await variant("optimal")).certificate.x);
  const rows = table(runDispatchCsv([{ day: 1, series }, { day: 3, series }]));
  assert.equal(rows.length, 2 * series.hours);
  assert.deepEqual([rows[0].day, rows[0].hour, rows.at(-1)!.day, rows.at(-1)!.hour], ["1", "0", "3", "23"]);
  const other: DispatchSeries = { ...series, battery: series.battery.slice(1) };
  assert.throws(
    () => runDispatchCsv([{ day: 1, series }, { day: 2, series: other }]),
    /day 2 has other columns/,
  );
});

Deno.test("days.csv: one record per day, an empty field for what a day lacks", () => {
  const rows = table(daysCsv([
    { day: 1, loadFactor: 1, round: 2, leader: "D", costUsd: 743.91, gapUsd: 0 },
    { day: 2, loadFactor: 1.0312 },
  ], DISPATCH_COST));
  assert.deepEqual(rows, [
    { day: "1", load_factor: "1.0", round: "2", leader: "D", cost_usd: "743.91", gap_usd: "0.0" },
    { day: "2", load_factor: "1.0312", round: "", leader: "", cost_usd: "", gap_usd: "" },
  ]);
});
