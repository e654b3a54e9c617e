/**
 * Hourly series of a dispatch, for charts and reports: where each hour's
 * electricity and heat came from, what it met, and how full every battery
 * and heat tank was.
 *
 * Everything is read from the dispatch vector x through the model's
 * {@link DispatchLayout} and from the case the model was built for, so the
 * series obey exactly the balances of the linear model (docs/model.md):
 *
 * - electricity, summed over every bus (the linearised DistFlow network is
 *   lossless, so branch flows cancel):
 *   grid import + Σ CHP electric output + Σ battery discharge delivered
 *   = electric load + Σ battery charging drawn;
 * - heat, summed over every node (pipe flows cancel; the constant pipe losses
 *   of {@link pipeHeatLossKw} do not):
 *   Σ CHP heat + Σ boiler heat + Σ tank discharge delivered
 *   = heat load + pipe losses + Σ tank charging drawn.
 *
 * Storage flows are taken on the network side, efficiency included:
 * "discharge delivered" is efficiency × discharge, "charging drawn" is
 * charge / efficiency (docs/model.md: injection = out × eff − in / eff). Reactive
 * power, gas and the network's internal flows are not part of the series.
 * A dispatch that satisfies every row makes each hour's `residualKw` zero up
 * to the solver's rounding; `toleranceKw` is the most a dispatch the
 * certificate checker accepts may leave.
 *
 * @module
 */
import type { Storage } from "./case.ts";
import { FEASIBILITY_TOLERANCE } from "../../lp/certificate.ts";
import { type DispatchModel, pipeHeatLossKw } from "./dispatch.ts";

/** One hourly power series of a balance. */
export interface PowerSeries {
  /** Stable identifier (no unit), e.g. `grid`, `hub3.chp`, `hub3.battery.discharge`. */
  key: string;
  /** Name for a legend (no unit), e.g. `Hub 3 CHP`. */
  label: string;
  /** Id of the hub it belongs to (dimensionless), or null for the grid. */
  hub: number | null;
  /** Power in kW, one value per hour of the day (index t covers hour t to t+1); never negative. */
  kw: number[];
}

/** One energy carrier's hourly balance over the whole network. */
export interface BalanceSeries {
  /** Carrier name (no unit): `electricity` or `heat`. */
  carrier: "electricity" | "heat";
  /** What feeds the network, kW per hour, each series non-negative (storage: discharge delivered). */
  supply: PowerSeries[];
  /** Storage charging drawn from the network (charge / efficiency), kW per hour, non-negative. */
  charge: PowerSeries[];
  /** Consumers' load (nominal load × the hour's load factor, summed over every bus or node), kW per hour. */
  loadKw: number[];
  /** Network losses the balance must also cover, kW per hour (heat: the constant pipe losses; electricity: 0). */
  lossKw: number[];
  /** Σ supply − Σ charge − load − losses, kW per hour: 0 for a dispatch that meets every balance row. */
  residualKw: number[];
  /**
   * Largest |residual| a dispatch that the certificate checker accepts may leave, kW per hour: the
   * feasibility tolerance, FEASIBILITY_TOLERANCE × (1 + |right-hand side|) kW, summed over the hour's rows.
   */
  toleranceKw: number[];
}

/** The energy held by one battery or heat tank over the day. */
export interface StorageSeries {
  /** Stable identifier (no unit), e.g. `hub3.battery`, `hub3.tank`. */
  key: string;
  /** Name for a legend (no unit), e.g. `Hub 3 battery`. */
  label: string;
  /** Id of the hub it belongs to (dimensionless). */
  hub: number;
  /**
   * The model's energy variable of each hour, kWh (docs/model.md, storage dynamics: a battery's E[t] is held at
   * the start of hour t; a tank's S[t] after hour t's flows, S[1] being the fixed initial energy).
   */
  kwh: number[];
  /** Lowest allowed energy, kWh. */
  minKwh: number;
  /** Capacity, kWh. */
  capacityKwh: number;
}

/**
 * Hourly series of one dispatch, plain JSON-serialisable numbers and strings.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, dispatchSeries, loadUomCase, solveVariant } from "../../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const s = dispatchSeries(model, (await solveVariant(model, "optimal")).certificate.x);
 * console.log(s.hours, s.electricity.supply[0].key, s.battery.length); // 24 grid 8
 * ```
 */
export interface DispatchSeries {
  /** Name of the case (no unit). */
  caseName: string;
  /** Number of periods, h (each period is one hour). */
  hours: number;
  /** Electricity balance over every bus, kW. */
  electricity: BalanceSeries;
  /** Heat balance over every district-heating node, kW. */
  heat: BalanceSeries;
  /** Every hub's battery, kWh. */
  battery: StorageSeries[];
  /** Every hub's heat tank, kWh. */
  heatTank: StorageSeries[];
}

/** Values below this, kW or kWh, are solver noise and are shown as 0 (GLPK leaves ~1e-12 residues). */
const NOISE_KW = 1e-9;

const clean = (v: number): number => (Math.abs(v) < NOISE_KW ? 0 : v);

/** The values of columns `cols` of x, times `scale`, solver noise zeroed. */
function seriesOf(x: ArrayLike<number>, cols: number[], scale = 1): number[] {
  return cols.map((j) => clean(scale * x[j]));
}

/** Σ of several hourly series, per hour. */
function sumHourly(hours: number, series: number[][]): number[] {
  return Array.from({ length: hours }, (_, t) => series.reduce((s, v) => s + v[t], 0));
}

/** The electric and heat balance of one hour, as residual and tolerance. */
function balanceOf(
  carrier: BalanceSeries["carrier"],
  hours: number,
  supply: PowerSeries[],
  charge: PowerSeries[],
  loadKw: number[],
  lossKw: number[],
  rowRhsKw: (t: number) => number[],
): BalanceSeries {
  const supplied = sumHourly(hours, supply.map((s) => s.kw));
  const drawn = sumHourly(hours, charge.map((s) => s.kw));
  const residualKw = supplied.map((s, t) => s - drawn[t] - loadKw[t] - lossKw[t]);
  const toleranceKw = Array.from(
    { length: hours },
    (_, t) => rowRhsKw(t).reduce((s, rhs) => s + FEASIBILITY_TOLERANCE * (1 + Math.abs(rhs)), 0),
  );
  return { carrier, supply, charge, loadKw, lossKw, residualKw, toleranceKw };
}

function storageSeries(
  key: string,
  label: string,
  hub: number,
  st: Storage,
  x: ArrayLike<number>,
  cols: number[],
): StorageSeries {
  return {
    key,
    label,
    hub,
    kwh: cols.map((j) => clean(x[j])),
    minKwh: st.min_kwh,
    capacityKwh: st.capacity_kwh,
  };
}

/**
 * The hourly series of dispatch x (one value per LP column of `model.lp`):
 * electricity supply by source (grid import, every hub's CHP, every battery's
 * delivered discharge) against the electric load and battery charging, heat
 * supply by source (every CHP's heat, every boiler, every tank's delivered
 * discharge) against the heat load, the pipe losses and tank charging, and
 * the energy of every battery and heat tank. See the module comment for
 * exactly what each balance includes.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, solveVariant } from "../../mod.ts";
 * import { dispatchSeries } from "./series.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const { certificate } = await solveVariant(model, "optimal");
 * const s = dispatchSeries(model, certificate.x);
 * console.log(s.electricity.residualKw.every((r, t) => Math.abs(r) <= s.electricity.toleranceKw[t])); // true
 * ```
 */
export function dispatchSeries(model: DispatchModel, x: ArrayLike<number>): DispatchSeries {
  const { ies, layout } = model;
  const n = model.lp.colNames.length;
  if (x.length !== n) throw new Error(`dispatchSeries: x has ${x.length} values, the model has ${n} columns`);
  const hours = layout.hours;
  const hubs = ies.hubs.map((hub, k) => ({ hub, cols: layout.hubs[k] }));

  const elecSupply: PowerSeries[] = [
    { key: "grid", label: "Grid import", hub: null, kw: seriesOf(x, layout.gridImportKw) },
    ...hubs.map(({ hub, cols }) => ({
      key: `hub${hub.id}.chp`,
      label: `Hub ${hub.id} CHP`,
      hub: hub.id,
      kw: seriesOf(x, cols.chpElectricKw),
    })),
    ...hubs.map(({ hub, cols }) => ({
      key: `hub${hub.id}.battery.discharge`,
      label: `Hub ${hub.id} battery discharge`,
      hub: hub.id,
      kw: seriesOf(x, cols.batteryDischargeKw, hub.battery.efficiency),
    })),
  ];
  const elecCharge: PowerSeries[] = hubs.map(({ hub, cols }) => ({
    key: `hub${hub.id}.battery.charge`,
    label: `Hub ${hub.id} battery charging`,
    hub: hub.id,
    kw: seriesOf(x, cols.batteryChargeKw, 1 / hub.battery.efficiency),
  }));
  const buses = ies.electric.buses;
  const elecLoad = (t: number) => buses.map((b) => b.p_kw * ies.load_factor[t]);
  const electricity = balanceOf(
    "electricity",
    hours,
    elecSupply,
    elecCharge,
    Array.from({ length: hours }, (_, t) => elecLoad(t).reduce((s, v) => s + v, 0)),
    Array.from({ length: hours }, () => 0),
    elecLoad,
  );

  const heatSupply: PowerSeries[] = [
    ...hubs.map(({ hub, cols }) => ({
      key: `hub${hub.id}.chp.heat`,
      label: `Hub ${hub.id} CHP heat`,
      hub: hub.id,
      kw: seriesOf(x, cols.chpElectricKw, hub.chp.heat_to_power_ratio),
    })),
    ...hubs.map(({ hub, cols }) => ({
      key: `hub${hub.id}.boiler`,
      label: `Hub ${hub.id} gas boiler`,
      hub: hub.id,
      kw: seriesOf(x, cols.boilerHeatKw),
    })),
    ...hubs.map(({ hub, cols }) => ({
      key: `hub${hub.id}.tank.discharge`,
      label: `Hub ${hub.id} heat tank discharge`,
      hub: hub.id,
      kw: seriesOf(x, cols.tankDischargeKw, hub.heat_tank.efficiency),
    })),
  ];
  const heatCharge: PowerSeries[] = hubs.map(({ hub, cols }) => ({
    key: `hub${hub.id}.tank.charge`,
    label: `Hub ${hub.id} heat tank charging`,
    hub: hub.id,
    kw: seriesOf(x, cols.tankChargeKw, 1 / hub.heat_tank.efficiency),
  }));
  const lossAt = pipeHeatLossKw(ies);
  const totalLossKw = [...lossAt.values()].reduce((s, v) => s + v, 0);
  const heatRhs = (t: number) =>
    ies.heat.nodes.map((node) => node.load_kw * ies.load_factor[t] + (lossAt.get(node.id) ?? 0));
  const heat = balanceOf(
    "heat",
    hours,
    heatSupply,
    heatCharge,
    Array.from(
      { length: hours },
      (_, t) => ies.heat.nodes.reduce((s, node) => s + node.load_kw * ies.load_factor[t], 0),
    ),
    Array.from({ length: hours }, () => totalLossKw),
    heatRhs,
  );

  return {
    caseName: ies.name,
    hours,
    electricity,
    heat,
    battery: hubs.map(({ hub, cols }) =>
      storageSeries(
        `hub${hub.id}.battery`,
        `Hub ${hub.id} battery`,
        hub.id,
        hub.battery,
        x,
        cols.batteryEnergyKwh,
      )
    ),
    heatTank: hubs.map(({ hub, cols }) =>
      storageSeries(
        `hub${hub.id}.tank`,
        `Hub ${hub.id} heat tank`,
        hub.id,
        hub.heat_tank,
        x,
        cols.tankEnergyKwh,
      )
    ),
  };
}

/**
 * True when `s` has the shape of a {@link DispatchSeries} (what a summary of
 * the `ies-dispatch` kind carries): how a report tells its charts apply.
 *
 * @example
 * ```ts
 * console.log(isDispatchSeries({ hours: 24 }), isDispatchSeries(null)); // false false
 * ```
 */
export function isDispatchSeries(s: unknown): s is DispatchSeries {
  if (s === null || typeof s !== "object") return false;
  const d = s as Record<string, unknown>;
  return typeof d.caseName === "string" && typeof d.hours === "number" && typeof d.electricity === "object" &&
    d.electricity !== null && typeof d.heat === "object" && d.heat !== null && Array.isArray(d.battery) &&
    Array.isArray(d.heatTank);
}
