/**
 * The true daily cost of a dispatch: grid import at the hourly price, the
 * real quadratic CHP cost and the boiler cost. It is computed from the
 * physical variables only, independently of the LP objective (whose CHP cost
 * is piecewise linear and whose selfish variant is biased).
 *
 * @module
 */
import { chpCostUsdPerHour, type DispatchModel } from "./dispatch.ts";

/** A day's cost in $, split by source. */
export interface CostBreakdown {
  /** Total, $ per day. */
  total: number;
  /** Grid import, $. */
  grid: number;
  /** CHP units (quadratic cost), $. */
  chp: number;
  /** Gas boilers, $. */
  boiler: number;
}

/**
 * The true cost of dispatch x under the model's case (one-hour periods).
 *
 * @example
 * ```ts
 * import { loadUomCase, buildDispatchModel, solveLp, trueCost } from "../../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const { x } = await solveLp(model.lp);
 * console.log(trueCost(model, x).total.toFixed(2)); // about 743.9
 * ```
 */
export function trueCost(model: DispatchModel, x: ArrayLike<number>): CostBreakdown {
  const { ies, layout } = model;
  let grid = 0, chp = 0, boiler = 0;
  for (let t = 0; t < layout.hours; t++) {
    grid += ies.grid.import_price_usd_per_kwh[t] * x[layout.gridImportKw[t]];
  }
  ies.hubs.forEach((hub, k) => {
    const cols = layout.hubs[k];
    for (let t = 0; t < layout.hours; t++) {
      chp += chpCostUsdPerHour(hub, x[cols.chpElectricKw[t]]);
      boiler += hub.gas_boiler.cost_usd_per_kwh_heat * x[cols.boilerHeatKw[t]];
    }
  });
  return { total: grid + chp + boiler, grid, chp, boiler };
}
