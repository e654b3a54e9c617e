/**
 * The multi-energy market as a problem kind (`problem: energy-market`): one
 * hour of a district's electricity market and zone heat markets, cleared
 * exactly by the leader (equilibrium.ts) and certified by the followers
 * without solving (checker.ts). The 12-community Wuzhong case is bundled as
 * the default; the 120-community one next to it.
 *
 * Costs are in CNY per hour; the contract's `costUsd` fields carry them.
 * The `solver` option of `solve` is ignored: the market is not an LP.
 *
 * @module
 */
import type { Certificate } from "../../lp/certificate.ts";
import type { DayParams, Problem, ProblemKind } from "../types.ts";
import { MARKET_COST_UNIT } from "./unit.ts";
import { loadMarketCase, type MarketCase, parseMarketCase, WUZHONG_12_URL } from "./case.ts";
import { buildMarketModel, type MarketModel } from "./model.ts";
import { MARKET_VARIANTS, solveMarketVariant } from "./variants.ts";
import { makeMarketVerifier, marketSettlement, summariseMarket } from "./verifier.ts";

/**
 * The day's problem of a market model.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { marketProblem } from "./kind.ts";
 * const problem = marketProblem(buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1));
 * const { certificate, costUsd } = await problem.solve("optimal");
 * console.log(problem.shape, costUsd.toFixed(2), problem.verifier.verify(certificate).verdict); // { x: 165, y: 4 } 1686957.15 accepted
 * ```
 */
export function marketProblem(model: MarketModel): Problem & { model: MarketModel } {
  return {
    kind: ENERGY_MARKET.name,
    model,
    id: model.id,
    shape: { x: model.xLength, y: model.yLength },
    verifier: makeMarketVerifier(model),
    variants: MARKET_VARIANTS,
    solve(variant) {
      try {
        const s = solveMarketVariant(model, variant);
        return Promise.resolve({ certificate: s.certificate, costUsd: s.costCny });
      } catch (e) {
        return Promise.reject(e);
      }
    },
    summary: (certificate: Certificate) => summariseMarket(model, certificate),
    settlement: (certificate: Certificate) => marketSettlement(model, certificate),
  };
}

/**
 * The `energy-market` problem kind. Day d scales every community's electricity and heat loads by
 * the day's load factor (cooling loads stay: model.ts says why); day 1 is the case's hour.
 *
 * @example
 * ```ts
 * import { ENERGY_MARKET } from "./kind.ts";
 * const c = await ENERGY_MARKET.loadCase(ENERGY_MARKET.defaultCase);
 * const problem = ENERGY_MARKET.problemFor(c, { height: 1, loadFactor: 1 });
 * console.log(problem.kind, (await problem.solve("optimal")).costUsd.toFixed(0)); // energy-market 1686957
 * ```
 */
export const ENERGY_MARKET: ProblemKind<MarketCase> = {
  cost: MARKET_COST_UNIT,
  name: "energy-market",
  title: "one hour of a multi-energy market: electricity and zone heat prices cleared exactly " +
    "(concave device curves; Lagrangian certificate with best-response checks)",
  defaultCase: WUZHONG_12_URL,
  loadCase: (path) => loadMarketCase(path),
  parseCase: (value, file) => parseMarketCase(value, file),
  caseName: (c) => c.name,
  problemFor: (c: MarketCase, day: DayParams) => marketProblem(buildMarketModel(c, day.loadFactor)),
};
