/**
 * Exact clearing of the convex market (the leader's work).
 *
 * The market as one optimisation: minimise the communities' gas and plant
 * costs plus the outside sellers' supply at their prices, subject to every
 * community's balances and device curves (out <= a·in² + c·in, a convex set
 * because a < 0) and the market rows Σ_i E_i = grid supply, Σ_{i in zone} H_i =
 * zone plant supply. Its Lagrangian dual over the market prices p = (e, h_1..h_Z),
 *
 *   φ(p) = Σ_i min cost_i(p) + min_{0<=S<=S_max} (P_grid − e)·S + Σ_z min_{Q_z} (P_z − h_z)·Q_z,
 *
 * is concave, and its (super)gradient is the excess demand: demand (the sum of the
 * communities' exact best responses, response.ts) minus the outside sellers' supply. The
 * problem is convex with a strictly feasible interior in the cases at hand, so the prices
 * that maximise φ are the clearing prices, the duals of the market rows, and the best
 * responses at those prices are the optimal allocation.
 *
 * φ is maximised exactly, by nested monotone 1-D root searches rather than by a general
 * solver: a zone's heat price enters only its own communities' responses, so for a fixed
 * electricity price each zone clears on its own (its heat demand does not increase with
 * its price: a 1-D root), and the electricity price is then the root of the total
 * electricity excess demand with every zone cleared (the derivative of a concave function
 * of e: non-increasing too). Each root is found by bracketing and the Illinois method to a
 * market residual of {@link MARKET_RESIDUAL_MW} (or until the bracket is a few units in the
 * last place wide). An outside seller's supply jumps from its minimum to its maximum at its
 * price, so each market is first tried at exactly that price: when the demand there lies
 * within the seller's range the price is the seller's and the seller supplies the rest; else
 * the root is sought on the side where the seller's supply is fixed.
 *
 * The allocation is then every community's best response at the clearing prices and the
 * sellers' supplies, so it is feasible for the true curves (not for a linearised surrogate),
 * and the market rows hold up to the residual of the root search.
 *
 * @module
 */
import type { MarketModel, OutsideSeller } from "./model.ts";
import { bestResponse, type CommunityResponse, type SeenPrices } from "./response.ts";

/** The market's prices, CNY/MWh. */
export interface MarketPrices {
  /** Electricity price. */
  electricity: number;
  /** Heat price of each zone, in zone order. */
  heat: number[];
}

/** Multipliers a community applies to the prices it answers to (1 each for an honest market). */
export interface PriceBias {
  /** Factor on the gas price. */
  gas: number;
  /** Factor on the electricity price. */
  electricity: number;
  /** Factor on its zone's heat price. */
  heat: number;
}

/** Options of {@link clearMarket}. */
export interface ClearOptions {
  /**
   * The biases of some communities, by index in the model (a manipulated market: e.g. one
   * community made to see 0.4 times the electricity price). Each must be positive. The clearing
   * is then the equilibrium of that market: the allocation stays feasible, the prices are the ones
   * that clear it.
   */
  bias?: ReadonlyMap<number, PriceBias>;
}

/** A cleared market. */
export interface Clearing {
  /** The clearing prices. */
  prices: MarketPrices;
  /** Every community's response at the prices it answered to, in model order. */
  responses: CommunityResponse[];
  /** The grid's supply, MW. */
  gridMw: number;
  /** Each zone heat plant's supply, MW, in zone order. */
  heatPlantMw: number[];
  /** The allocation as a certificate's x (model.ts layout), MW. */
  x: Float64Array;
  /** The prices as a certificate's y: electricity, then each zone's heat, CNY/MWh. */
  y: Float64Array;
  /** Best responses computed on the way (a measure of the work). */
  responsesComputed: number;
}

/**
 * The market residual at which a price search stops, MW: the clearing's market rows hold to about
 * this (far below the checker's feasibility tolerance, 1e-6 MW).
 */
export const MARKET_RESIDUAL_MW = 1e-9;

/** The largest |price| a search explores, CNY/MWh: a market that clears nowhere within it is an error. */
export const MAX_SEARCH_PRICE = 1e7;

/** Most steps of one price search (bracket growth, then Illinois steps). */
const MAX_SEARCH_STEPS = 400;

/** Relative bracket width at which a search stops (a few units in the last place). */
const BRACKET_CLOSED = 4 * Number.EPSILON;

/** The first step of a bracket search away from its start, relative to (1 + |start|). */
const FIRST_STEP = 1e-3;

/** A market that cannot clear (no price within ±{@link MAX_SEARCH_PRICE} balances it). */
export class MarketClearingError extends Error {
  /** @param message which market, and why */
  constructor(message: string) {
    super(message);
    this.name = "MarketClearingError";
  }
}

/**
 * The price p at which the non-increasing excess `f(p)` (demand minus the supply the seller's
 * side fixes) changes sign, within [lo, hi] where f(lo) > 0 >= f(hi); Illinois steps with a
 * bisection whenever a step would leave the bracket.
 */
function illinois(f: (p: number) => number, lo: number, fLo: number, hi: number, fHi: number): number {
  let side = 0;
  for (let k = 0; k < MAX_SEARCH_STEPS; k++) {
    if (hi - lo <= BRACKET_CLOSED * Math.max(Math.abs(lo), Math.abs(hi), 1)) break;
    let p = hi - fHi * (hi - lo) / (fHi - fLo);
    if (!(p > lo && p < hi)) p = lo + (hi - lo) / 2;
    const fp = f(p);
    if (Math.abs(fp) <= MARKET_RESIDUAL_MW) return p;
    if (fp > 0) {
      lo = p;
      fLo = fp;
      if (side === -1) fHi /= 2;
      side = -1;
    } else {
      hi = p;
      fHi = fp;
      if (side === 1) fLo /= 2;
      side = 1;
    }
  }
  return Math.abs(fLo) < Math.abs(fHi) ? lo : hi;
}

/**
 * Clears one market: demand `d(p)` (continuous, non-increasing) against an outside seller. `guess`
 * (a previous clearing price) only speeds the search up. Returns the price.
 */
function clearOne(d: (p: number) => number, seller: OutsideSeller, what: string, guess?: number): number {
  const P = seller.price;
  const atP = d(P);
  if (atP >= seller.min && atP <= seller.max) return P;
  // Above the seller's price it supplies its maximum; below, its minimum.
  const dir = atP > seller.max ? 1 : -1;
  const target = dir > 0 ? seller.max : seller.min;
  const f = (p: number) => d(p) - target;
  // Grow a bracket away from P (from the guess when it lies on the right side).
  let near = P, fNear = atP - target;
  let far: number, fFar: number;
  let step = FIRST_STEP * (1 + Math.abs(P));
  if (guess !== undefined && Number.isFinite(guess) && (guess - P) * dir > 0) {
    const fg = f(guess);
    if (fg * dir > 0) {
      near = guess;
      fNear = fg;
    } else {
      far = guess;
      fFar = fg;
      step = FIRST_STEP * (1 + Math.abs(guess));
      // Close in from the guess towards P: a near end within a small step of it.
      let k = 0;
      while (true) {
        const p = far - dir * step;
        if ((p - P) * dir <= 0) break;
        const fp = f(p);
        if (fp * dir > 0) {
          near = p;
          fNear = fp;
          break;
        }
        far = p;
        fFar = fp;
        step *= 4;
        if (++k > MAX_SEARCH_STEPS) break;
      }
      if (fFar === 0) return far;
      return dir > 0 ? illinois(f, near, fNear, far, fFar) : illinois(f, far, fFar, near, fNear);
    }
  }
  for (let k = 0;; k++) {
    const p = near + dir * step;
    if (Math.abs(p) > MAX_SEARCH_PRICE || k > MAX_SEARCH_STEPS) {
      throw new MarketClearingError(
        `${what} does not clear at any price ${dir > 0 ? "up to" : "down to"} ${
          dir * MAX_SEARCH_PRICE
        } CNY/MWh ` +
          `(demand ${d(near).toPrecision(6)} MW against a supply of ${target} MW)`,
      );
    }
    const fp = f(p);
    if (fp * dir > 0) {
      near = p;
      fNear = fp;
      step *= 4;
      continue;
    }
    far = p;
    fFar = fp;
    break;
  }
  if (fFar === 0) return far;
  // f is non-increasing: its positive end is the lower price.
  return dir > 0 ? illinois(f, near, fNear, far, fFar) : illinois(f, far, fFar, near, fNear);
}

/** The supply of a seller at price p facing demand d: its minimum below its price, its maximum above, the demand (clipped) at it. */
export function sellerSupply(seller: OutsideSeller, price: number, demand: number): number {
  if (price < seller.price) return seller.min;
  if (price > seller.price) return seller.max;
  return demand <= seller.min ? seller.min : demand >= seller.max ? seller.max : demand;
}

/**
 * Clears the day's market exactly (see the module documentation): the clearing prices, every
 * community's best response, the sellers' supplies, and the certificate's x and y. Throws a
 * {@link MarketClearingError} naming the market when one cannot clear.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { clearMarket } from "./equilibrium.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * const { prices } = clearMarket(m);
 * console.log(prices.electricity.toFixed(4), prices.heat.map((h) => h.toFixed(4))); // 639.5726 [ "204.7105", "176.4711", "191.2253" ]
 * ```
 */
export function clearMarket(model: MarketModel, options: ClearOptions = {}): Clearing {
  const { communities, zones } = model;
  const bias = options.bias;
  for (const [i, b] of bias ?? []) {
    if (!(b.gas > 0 && b.electricity > 0 && b.heat > 0) || !communities[i]) {
      throw new RangeError(
        `price bias of community index ${i} must be three positive factors of a community`,
      );
    }
  }
  let computed = 0;
  const respond = (i: number, e: number, h: number): CommunityResponse => {
    computed++;
    const b = bias?.get(i);
    const p: SeenPrices = b
      ? { gas: model.gasPrice * b.gas, electricity: e * b.electricity, heat: h * b.heat }
      : { gas: model.gasPrice, electricity: e, heat: h };
    return bestResponse(communities[i], p);
  };
  const heat = zones.map((z) => z.price);
  const responses: CommunityResponse[] = new Array(communities.length);

  /** Clears every zone at electricity price e (responses left at the zone's clearing price); total electricity demand. */
  const electricityDemand = (e: number): number => {
    zones.forEach((z, k) => {
      const demand = (h: number) => {
        let s = 0;
        for (const i of z.communities) s += (responses[i] = respond(i, e, h)).heat;
        return s;
      };
      heat[k] = clearOne(demand, z, `the heat market of zone ${z.id}`, heat[k]);
      // The responses must be those at the clearing price (the search's last evaluation may be elsewhere).
      for (const i of z.communities) responses[i] = respond(i, e, heat[k]);
    });
    let s = 0;
    for (const r of responses) s += r.electricity;
    return s;
  };

  const e = clearOne(electricityDemand, model.grid, "the electricity market");
  const total = electricityDemand(e);
  const gridMw = sellerSupply(model.grid, e, total);
  const heatPlantMw = zones.map((z, k) => {
    let s = 0;
    for (const i of z.communities) s += responses[i].heat;
    return sellerSupply(z, heat[k], s);
  });
  const x = new Float64Array(model.xLength);
  communities.forEach((c, i) => x.set(responses[i].x, c.col));
  x[model.gridCol] = gridMw;
  heatPlantMw.forEach((q, k) => x[model.gridCol + 1 + k] = q);
  const y = Float64Array.of(e, ...heat);
  return {
    prices: { electricity: e, heat: [...heat] },
    responses: [...responses],
    gridMw,
    heatPlantMw,
    x,
    y,
    responsesComputed: computed,
  };
}
