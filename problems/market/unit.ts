/**
 * What a market's amounts are in: CNY per hour (one hour of trading).
 *
 * @module
 */
import type { CostUnit } from "../types.ts";

/**
 * What the market's cost is measured in, in the shape of a per-kind cost unit: yuan per hour, shown
 * as `¥1,686,957.15`; a leader's claim may differ from the follower's own figure by at most 0.01 CNY
 * (the rounding of another implementation; both sum the same terms in the same order).
 */
export const MARKET_COST_UNIT: CostUnit = {
  symbol: "¥",
  currency: "CNY",
  quantity: "cost",
  solution: "market clearing",
  per: "hour",
  decimals: 2,
  claimTolerance: 0.01,
};
