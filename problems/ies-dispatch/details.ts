/**
 * What `poso solve` shows of a dispatch beyond what every kind shows: the true
 * cost by source, the LP objective, the energy each hub and the grid supplied
 * over the horizon, and, for the bundled case, the article's published costs.
 *
 * @module
 */
import { type Certificate, groupedFixed } from "../../lp/certificate.ts";
import { objectiveValue } from "../../lp/lp.ts";
import type { ProposalVariant } from "../../consensus/types.ts";
import { formatAmount, type SolutionDetails } from "../types.ts";
import { dispatchCostUnit, HOURS_PER_DAY, trueCost } from "./cost.ts";
import type { DispatchModel } from "./dispatch.ts";

/** Published reference costs of the bundled UoM case's dispatches (docs/model.md, "Reference figures"), $ per day. */
export const PUBLISHED_COST_USD: Partial<Record<ProposalVariant, number>> = {
  optimal: 744.09,
  selfish: 904.17,
};

/** Hourly values of one hub, kW. */
export interface HubReport {
  /** The hub's id in the case. */
  id: number;
  /** CHP electric output, kW per hour. */
  chpElectricKw: number[];
  /** CHP heat output (electric output × heat-to-power ratio), kW per hour. */
  chpHeatKw: number[];
  /** Gas-boiler heat output, kW per hour. */
  boilerHeatKw: number[];
  /** Battery injection into its bus (discharge × eff − charge / eff), kW per hour. */
  batteryInjectionKw: number[];
  /** Heat-tank injection into its heat node, kW per hour. */
  tankInjectionKw: number[];
}

/** The hourly values of every hub of dispatch x. */
function hubReports(model: DispatchModel, x: ArrayLike<number>): HubReport[] {
  const at = (cols: number[]) => cols.map((j) => x[j]);
  return model.layout.hubs.map((h, k) => {
    const hub = model.ies.hubs[k];
    const inject = (out: number[], inn: number[], eff: number) =>
      out.map((j, t) => x[j] * eff - x[inn[t]] / eff);
    return {
      id: h.id,
      chpElectricKw: at(h.chpElectricKw),
      chpHeatKw: at(h.chpElectricKw).map((p) => p * hub.chp.heat_to_power_ratio),
      boilerHeatKw: at(h.boilerHeatKw),
      batteryInjectionKw: inject(h.batteryDischargeKw, h.batteryChargeKw, hub.battery.efficiency),
      tankInjectionKw: inject(h.tankDischargeKw, h.tankChargeKw, hub.heat_tank.efficiency),
    };
  });
}

const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
/** kWh with thousands separators and no decimals: `12,345`. */
const kwh = (v: number) => groupedFixed(v, 0);

/**
 * A dispatch's details for `poso solve`: JSON fields `hours`, `lpObjectiveUsd`,
 * `publishedCostUsd` (null unless the bundled case's optimal or selfish dispatch),
 * `costBreakdownUsd` (grid, chp, boiler), `gridImportKw` and `hubs`; the cost by source and
 * the LP objective as lines; the energy by hub and source over the horizon as a table.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, dispatchDetails, loadUomCase, solveVariant } from "../../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const { certificate } = await solveVariant(model, "optimal");
 * const d = dispatchDetails(model, certificate, { variant: "optimal", bundledCase: true });
 * console.log(d.fields.publishedCostUsd, d.tables[0].header[0]); // 744.09 source
 * ```
 */
export function dispatchDetails(
  model: DispatchModel,
  cert: Certificate,
  context: { variant: ProposalVariant; bundledCase: boolean },
): SolutionDetails {
  const x = cert.x, unit = dispatchCostUnit(model.layout.hours);
  const cost = trueCost(model, x), lpObjectiveUsd = objectiveValue(model.lp, x);
  const published = context.bundledCase ? PUBLISHED_COST_USD[context.variant] ?? null : null;
  const hubs = hubReports(model, x), gridImportKw = model.layout.gridImportKw.map((j) => x[j]);
  const usd = (v: number) => formatAmount(unit, v);
  const rows = hubs.map((h) => [
    `hub ${h.id}`,
    kwh(sum(h.chpElectricKw)),
    kwh(sum(h.chpHeatKw)),
    kwh(sum(h.boilerHeatKw)),
    kwh(sum(h.batteryInjectionKw)),
    kwh(sum(h.tankInjectionKw)),
  ]);
  rows.push(["grid", kwh(sum(gridImportKw)), "", "", "", ""]);
  const horizon = model.layout.hours === HOURS_PER_DAY ? "day" : "horizon";
  return {
    fields: {
      hours: model.layout.hours,
      lpObjectiveUsd,
      publishedCostUsd: published,
      costBreakdownUsd: { grid: cost.grid, chp: cost.chp, boiler: cost.boiler },
      gridImportKw,
      hubs,
    },
    ...(published === null ? {} : {
      costNote: `(published: ${usd(published)}, ${
        (((cost.total - published) / published) * 100).toFixed(3)
      } %)`,
    }),
    lines: [
      `  grid import ${usd(cost.grid)}`,
      `  CHP units   ${usd(cost.chp)}`,
      `  gas boilers ${usd(cost.boiler)}`,
      `LP objective  ${usd(lpObjectiveUsd)} (piecewise-linear CHP cost)`,
    ],
    tables: [{
      title: `Energy over the ${horizon}, kWh (storage: net injection)`,
      header: ["source", "CHP elec", "CHP heat", "boiler heat", "battery", "heat tank"],
      rows,
      align: ["left", "right", "right", "right", "right", "right"],
    }],
  };
}
