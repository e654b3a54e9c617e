/**
 * The market outcomes a leader may propose, one per role of
 * consensus/types.ts PROPOSAL_VARIANTS:
 *
 * - `optimal`: the exact clearing (equilibrium.ts) with its prices, checked by the leader itself
 *   before it is proposed (an error if its own check does not accept it);
 * - `selfish`: the published cheat: one community ({@link CHEAT_COMMUNITY_ID}, the
 *   published community 5, or the first one in a case without it) is made to see
 *   {@link CHEAT_ELECTRICITY_FACTOR} times the electricity price; the market cleared
 *   with that community answering the manipulated price. Feasible (every community
 *   runs its devices within their curves and the markets balance) but costlier:
 *   rejected as `suboptimal`;
 * - `feasible`: the market cleared as if gas cost {@link FEASIBLE_GAS_FACTOR} times its
 *   price: the same feasible set, another objective, so a feasible allocation that
 *   burns less gas than it should and costs more: `suboptimal`;
 * - `corrupt`: the optimum with one gas-fired device credited with its outputs for
 *   {@link CORRUPT_GAS_SHARE} less gas (the gas purchase lowered to match): it looks
 *   cheaper and breaks the device's curves: `infeasible`;
 * - `alternative`: the optimum with the first community's electricity purchase raised
 *   by {@link ALTERNATIVE_SHIFT_MW} (0.1 W), within every tolerance: accepted, yet another
 *   x, so another proposal (what an equivocating leader sends as its second one).
 *
 * Each is computed once per day's model and cached.
 *
 * @module
 */
import { type Certificate, certificateFor, describeVerdict } from "../../lp/certificate.ts";
import { MARKET_COST_UNIT } from "./unit.ts";
import { PROPOSAL_VARIANTS, type ProposalVariant } from "../../consensus/types.ts";
import { type Clearing, clearMarket, type PriceBias } from "./equilibrium.ts";
import { checkMarketCertificate, marketCost } from "./checker.ts";
import type { MarketModel } from "./model.ts";

/** Every role, honest first: the market produces each. */
export const MARKET_VARIANTS: typeof PROPOSAL_VARIANTS = PROPOSAL_VARIANTS;

/** The community the published cheat targets (community 5 of the published result tables). */
export const CHEAT_COMMUNITY_ID = 5;

/** The factor on the electricity price the cheated community sees (published: 0.4). */
export const CHEAT_ELECTRICITY_FACTOR = 0.4;

/** The factor on the gas price of the `feasible` proposal's market. */
export const FEASIBLE_GAS_FACTOR = 1.25;

/** The share of gas the `corrupt` proposal takes from one device without lowering its outputs. */
export const CORRUPT_GAS_SHARE = 0.05;

/** What the `alternative` proposal adds to the first community's electricity purchase, MW (0.1 W). */
export const ALTERNATIVE_SHIFT_MW = 1e-7;

/** A solved market variant. */
export interface MarketSolution {
  /** The certificate: x the allocation, y the prices. */
  certificate: Certificate;
  /** The allocation's true cost, CNY/h (what the leader claims). */
  costCny: number;
  /** The clearing it came from (the optimum's for `corrupt` and `alternative`). */
  clearing: Clearing;
}

/**
 * Index (in the model) of the community the cheat targets: {@link CHEAT_COMMUNITY_ID}, or 0 when
 * the case has no such community.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { cheatedCommunity } from "./variants.ts";
 * console.log(cheatedCommunity(buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1))); // 4
 * ```
 */
export function cheatedCommunity(model: MarketModel): number {
  return Math.max(0, model.communities.findIndex((c) => c.id === CHEAT_COMMUNITY_ID));
}

const cache = new WeakMap<MarketModel, Map<ProposalVariant, MarketSolution>>();

function cleared(model: MarketModel, bias?: ReadonlyMap<number, PriceBias>): Clearing {
  return clearMarket(model, bias ? { bias } : {});
}

function solution(
  model: MarketModel,
  variant: ProposalVariant,
  clearing: Clearing,
  x: Float64Array,
): MarketSolution {
  return {
    certificate: makeMarketCertificate(model, x, clearing.y, variant),
    costCny: marketCost(model, x),
    clearing,
  };
}

/**
 * A certificate of the day's market: x and y copied into plain arrays (every -0 made +0, which
 * hashes and serialises differently), `lpId` the market's id.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { makeMarketCertificate } from "./variants.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * const cert = makeMarketCertificate(m, new Float64Array(m.xLength), [600, 200, 200, 200]);
 * console.log(cert.lpId === m.id, cert.x.length); // true 165
 * ```
 */
export function makeMarketCertificate(
  model: MarketModel,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  variant?: string,
): Certificate {
  return certificateFor(model.id, x, y, variant);
}

/**
 * Solves a variant of the day's market (see the module documentation); cached per model.
 * Throws the clearing's error when the market cannot clear.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { solveMarketVariant } from "./variants.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * console.log(solveMarketVariant(m, "optimal").costCny.toFixed(2)); // 1686957.15
 * ```
 */
export function solveMarketVariant(model: MarketModel, variant: ProposalVariant): MarketSolution {
  let byVariant = cache.get(model);
  if (!byVariant) cache.set(model, byVariant = new Map());
  const hit = byVariant.get(variant);
  if (hit) return hit;
  let s: MarketSolution;
  switch (variant) {
    case "optimal": {
      const c = cleared(model);
      s = solution(model, variant, c, c.x);
      // The leader checks its own proposal: a clearing whose searches stopped short would fail here.
      const v = checkMarketCertificate(model, s.certificate);
      if (v.verdict !== "accepted") {
        throw new Error(`the market's clearing fails its own check: ${describeVerdict(v, MARKET_COST_UNIT)}`);
      }
      break;
    }
    case "selfish": {
      const bias = new Map([[cheatedCommunity(model), {
        gas: 1,
        electricity: CHEAT_ELECTRICITY_FACTOR,
        heat: 1,
      }]]);
      const c = cleared(model, bias);
      s = solution(model, variant, c, c.x);
      break;
    }
    case "feasible": {
      const bias = new Map(
        model.communities.map((_, i) => [i, { gas: FEASIBLE_GAS_FACTOR, electricity: 1, heat: 1 }]),
      );
      const c = cleared(model, bias);
      s = solution(model, variant, c, c.x);
      break;
    }
    case "corrupt": {
      const opt = solveMarketVariant(model, "optimal").clearing;
      const x = Float64Array.from(opt.x);
      const community = model.communities.find((c) =>
        c.devices.some((d) => d.input === "gas" && x[d.col] > 0)
      );
      const device = community?.devices.find((d) => d.input === "gas" && x[d.col] > 0);
      if (community && device) {
        const saved = CORRUPT_GAS_SHARE * x[device.col];
        x[device.col] -= saved;
        x[community.col] -= saved;
      } else {
        // No gas-fired device runs: take a megawatt off the grid's supply instead (breaks the market row).
        x[model.gridCol] -= 1;
      }
      s = solution(model, variant, opt, x);
      break;
    }
    case "alternative": {
      const opt = solveMarketVariant(model, "optimal").clearing;
      const x = Float64Array.from(opt.x);
      x[model.communities[0].col + 1] += ALTERNATIVE_SHIFT_MW;
      s = solution(model, variant, opt, x);
      break;
    }
    default:
      throw new RangeError(`unknown proposal variant ${JSON.stringify(variant)}`);
  }
  byVariant.set(variant, s);
  return s;
}
