/**
 * The true daily cost of a dispatch: grid import at the hourly price, the
 * real quadratic CHP cost and the boiler cost. It is computed from the
 * physical variables only, independently of the LP objective (whose CHP cost
 * is piecewise linear and whose selfish variant is biased).
 *
 * @module
 */
import { CLAIM_TOLERANCE_USD } from "../../consensus/digest.ts";
import type { CostUnit } from "../types.ts";
import { chpCostUsdPerHour, type DispatchModel } from "./dispatch.ts";

/** Hours of a day: a dispatch over this horizon costs `per day`. */
export const HOURS_PER_DAY = 24;

/**
 * The dispatch's cost unit: US dollars per day, written `$743.91`, in trace cells `<$744>D`,
 * claims within a cent ({@link CLAIM_TOLERANCE_USD}).
 *
 * @example
 * ```ts
 * import { DISPATCH_COST, formatAmount } from "../../mod.ts";
 * console.log(`${formatAmount(DISPATCH_COST, 743.914)} per ${DISPATCH_COST.per}`); // $743.91 per day
 * ```
 */
export const DISPATCH_COST: CostUnit = Object.freeze({
  symbol: "$",
  currency: "USD",
  quantity: "cost",
  solution: "dispatch",
  per: "day",
  decimals: 2,
  claimTolerance: CLAIM_TOLERANCE_USD,
});

/**
 * The cost unit of a dispatch over `hours` one-hour periods: {@link DISPATCH_COST}, per day for
 * 24 hours and per `<hours> h` for any other horizon (a scaled case of several days).
 *
 * @example
 * ```ts
 * import { dispatchCostUnit } from "../../mod.ts";
 * console.log(dispatchCostUnit(24).per, dispatchCostUnit(48).per); // day 48 h
 * ```
 */
export function dispatchCostUnit(hours: number): CostUnit {
  return hours === HOURS_PER_DAY ? DISPATCH_COST : Object.freeze({ ...DISPATCH_COST, per: `${hours} h` });
}

/** A day's cost in $, split by source. */
export interface CostBreakdown {
  /** Total, $ per day (per the case's horizon). */
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
