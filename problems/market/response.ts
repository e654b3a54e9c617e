/**
 * A community's exact best response at given prices, and the exact minimum of
 * its cost that the certificate's lower bound is made of.
 *
 * At prices (gas γ, electricity e, heat h) a community minimises
 *
 *   γ·G + e·E + h·H + plant cost(P)
 *
 * over its devices, with its balances fixing the purchases
 * (G = Σ gas inputs; E = load_e − renewables − P − Σ electricity outputs + Σ electricity inputs;
 * H = load_h − Σ heat outputs + Σ heat inputs) and its cooling met by its own devices
 * (Σ cooling outputs = load_c). Each output may be anything in [0, f(in)] with
 * f(in) = a·in² + c·in concave (a < 0); at a positive price an output is worth
 * its curve, at a negative one it is dumped.
 *
 * Relax the cooling balance with a multiplier μ >= 0 (a cooling "price" the
 * community sets for itself). Then every device is on its own: with input
 * price π_in and the positive parts π⁺ of its outputs' prices (μ for
 * cooling), it earns
 *
 *   v(in) = Σ_outputs π⁺·f(in) − π_in·in = A·in² + B·in,   A = Σ π⁺·a <= 0,  B = Σ π⁺·c − π_in,
 *
 * a concave quadratic, maximised over [min, max] in closed form:
 * in* = clip(−B / (2A), min, max) (the lower end when A = 0 and B <= 0, the upper when B > 0). The
 * plant produces P* = clip((e − linear) / (2·quadratic), min, max). The cooling the devices then
 * produce, C(μ) = Σ f_cooling(in*(μ)), does not decrease with μ: the best response takes μ = 0
 * when C(0) covers load_c, else a μ with load_c <= C(μ) <= load_c + {@link COOLING_RESIDUAL_MW}
 * (a 1-D monotone root, found by bracketing and the Illinois method), runs every device at in*(μ), and dumps
 * the cooling beyond the load (proportionally; none at a positive μ, up to that residual). Every
 * curve is strictly concave (a < 0) and the plant's cost strictly convex, so at positive prices
 * the best response is unique.
 *
 * The same decomposition gives the community's minimal cost: for any μ >= 0,
 *
 *   min cost >= e·(load_e − renewables) + h·load_h + μ·load_c + min_P (plant(P) − e·P) − Σ_devices max v,
 *
 * with equality at the μ of the best response (weak duality; the problem is convex). Each max v
 * is bounded above without trusting the maximiser: −B²/(4A) when the vertex lies in [min, max]
 * (it is the unconstrained maximum, so never below the true one), the better end otherwise; the
 * plant's minimum likewise. {@link communityCostBound} returns this bound with the sum of the
 * magnitudes of its terms, from which the checker subtracts a rounding allowance.
 *
 * @module
 */
import type { MarketCommunity, MarketDevice } from "./model.ts";

/** The prices one community answers to, CNY/MWh. */
export interface SeenPrices {
  /** Gas price. */
  gas: number;
  /** Electricity price. */
  electricity: number;
  /** Heat price of its zone. */
  heat: number;
}

/** A community's best response. */
export interface CommunityResponse {
  /** Gas bought, MW. */
  gas: number;
  /** Electricity bought, MW (negative: sold). */
  electricity: number;
  /** Heat bought, MW (negative: sold). */
  heat: number;
  /** Its power plant's output, MW (0 without a plant). */
  plant: number;
  /** The multiplier μ of its cooling balance, CNY/MWh of cooling (the cost of its last MW of cooling). */
  coolingPrice: number;
  /** Its slice of a certificate's x (G, E, H, P, then each device's input and outputs), MW. */
  x: Float64Array;
}

/**
 * Largest shortfall of the cooling the best response's devices produce against the load, MW, at
 * which the search for μ stops (the devices then produce at least the load less this; the
 * surplus, when there is one, is dumped). Far below the checker's tolerances.
 */
export const COOLING_RESIDUAL_MW = 1e-11;

/** Most iterations of a 1-D root search (bracket doublings, then Illinois steps). */
const MAX_ROOT_STEPS = 2200;

/** Relative width at which a bracket counts as closed (a few units in the last place). */
const BRACKET_CLOSED = 4 * Number.EPSILON;

/** The price of a commodity as the community sees it (cooling: μ). */
function priceOf(commodity: string, p: SeenPrices, mu: number): number {
  switch (commodity) {
    case "gas":
      return p.gas;
    case "electricity":
      return p.electricity;
    case "heat":
      return p.heat;
    default:
      return mu;
  }
}

/** A, B of the device's earnings A·in² + B·in at prices p and cooling multiplier mu. */
function earnings(d: MarketDevice, p: SeenPrices, mu: number): [number, number] {
  let a = 0, b = -priceOf(d.input, p, mu);
  for (const o of d.outputs) {
    const price = priceOf(o.commodity, p, mu);
    if (price > 0) {
      a += price * o.a;
      b += price * o.c;
    }
  }
  return [a, b];
}

/** The maximiser of A·x² + B·x over [lo, hi] (A <= 0). */
function argmax(a: number, b: number, lo: number, hi: number): number {
  if (a < 0) {
    const v = -b / (2 * a);
    return v <= lo ? lo : v >= hi ? hi : v;
  }
  return b > 0 ? hi : lo;
}

/** Input of a device at prices p and cooling multiplier mu. */
function deviceInput(d: MarketDevice, p: SeenPrices, mu: number): number {
  const [a, b] = earnings(d, p, mu);
  return argmax(a, b, d.min, d.max);
}

/** The cooling the devices produce at multiplier mu, MW (summed in device order). */
function coolingAt(c: MarketCommunity, p: SeenPrices, mu: number): number {
  let s = 0;
  for (const d of c.devices) {
    for (const o of d.outputs) {
      if (o.commodity !== "cooling") continue;
      const x = deviceInput(d, p, mu);
      s += o.a * x * x + o.c * x;
    }
  }
  return s;
}

/** The plant's best output at electricity price e. */
export function plantOutput(c: MarketCommunity, e: number): number {
  const pl = c.plant;
  if (!pl) return 0;
  const v = (e - pl.linear) / (2 * pl.quadratic);
  return v <= pl.min ? pl.min : v >= pl.max ? pl.max : v;
}

/** A community's best response cannot be computed (prices far outside any sensible range). */
export class ResponseError extends Error {
  /** @param message what failed */
  constructor(message: string) {
    super(message);
    this.name = "ResponseError";
  }
}

/**
 * The cooling multiplier μ of a community's best response: 0 when its devices cover the cooling load
 * at μ = 0, else a μ at which they cover it with at most {@link COOLING_RESIDUAL_MW} to spare.
 * C(μ) is continuous and non-decreasing; the load is within the community's capacity (case.ts), which
 * every cooling device reaches at a finite μ because its curve still rises at its largest input.
 */
export function coolingPrice(c: MarketCommunity, p: SeenPrices): number {
  const load = c.loadCooling;
  const g = (mu: number) => coolingAt(c, p, mu) - load;
  if (g(0) >= -COOLING_RESIDUAL_MW) return 0;
  let lo = 0, hi = Math.max(1, Math.abs(p.gas), Math.abs(p.electricity), Math.abs(p.heat));
  let gLo = g(0), gHi = g(hi), steps = 0;
  while (gHi < 0) {
    lo = hi;
    gLo = gHi;
    hi *= 2;
    if (!Number.isFinite(hi) || ++steps > MAX_ROOT_STEPS) {
      throw new ResponseError(
        `community ${c.id}: its devices cannot meet its cooling load at any cooling price`,
      );
    }
    gHi = g(hi);
  }
  // Illinois (regula falsi that halves the weight of an end kept twice), on [lo, hi] with g(lo) < 0 <= g(hi).
  let side = 0;
  for (let k = 0; k < MAX_ROOT_STEPS; k++) {
    if (gHi <= COOLING_RESIDUAL_MW || hi - lo <= BRACKET_CLOSED * hi) break;
    let mu = hi - gHi * (hi - lo) / (gHi - gLo);
    if (!(mu > lo && mu < hi)) mu = lo + (hi - lo) / 2;
    const gm = g(mu);
    if (gm >= 0) {
      hi = mu;
      gHi = gm;
      if (side === 1) gLo /= 2;
      side = 1;
    } else {
      lo = mu;
      gLo = gm;
      if (side === -1) gHi /= 2;
      side = -1;
    }
  }
  return hi;
}

/**
 * A community's exact best response at prices `p` (see the module documentation): its purchases, its
 * plant's output, its cooling multiplier and its slice of x. Deterministic: every participant that
 * runs it on the same community and prices gets the same bits.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { bestResponse } from "./response.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * const r = bestResponse(m.communities[0], { gas: 318, electricity: 639.5726, heat: 204.7105 });
 * console.log(r.electricity.toFixed(2), r.heat.toFixed(2)); // -218.90 38.42
 * ```
 */
export function bestResponse(c: MarketCommunity, p: SeenPrices): CommunityResponse {
  const mu = coolingPrice(c, p);
  const x = new Float64Array(c.width);
  const plant = plantOutput(c, p.electricity);
  let gas = 0, elec = c.loadElectricity - c.renewable - plant, heat = c.loadHeat;
  let cooling = 0;
  let k = 3;
  if (c.plant) x[k++] = plant;
  const coolCols: number[] = [];
  for (const d of c.devices) {
    const input = deviceInput(d, p, mu);
    x[k++] = input;
    if (d.input === "gas") gas += input;
    else if (d.input === "electricity") elec += input;
    else heat += input;
    for (const o of d.outputs) {
      const price = priceOf(o.commodity, p, mu);
      // An output at a negative price is dumped; at zero the community is indifferent and keeps it.
      const out = price < 0 ? 0 : o.a * input * input + o.c * input;
      if (o.commodity === "electricity") elec -= out;
      else if (o.commodity === "heat") heat -= out;
      else {
        cooling += out;
        coolCols.push(k);
      }
      x[k++] = out;
    }
  }
  // Dump the cooling beyond the load (all of it is used at a positive μ, up to the search's residual).
  if (cooling > c.loadCooling) {
    const share = c.loadCooling / cooling;
    for (const j of coolCols) x[j] *= share;
  }
  x[0] = gas;
  x[1] = elec;
  x[2] = heat;
  return { gas, electricity: elec, heat, plant, coolingPrice: mu, x };
}

/** An upper bound on max over [lo, hi] of A·x² + B·x (A <= 0), and the magnitude of its terms. */
function maxEarnings(a: number, b: number, lo: number, hi: number): number {
  if (a < 0) {
    const v = -b / (2 * a);
    if (v > lo && v < hi) return -(b * b) / (4 * a);
  }
  const at = (x: number) => a * x * x + b * x;
  return Math.max(at(lo), at(hi));
}

/** A community's lower bound on its minimal cost at some prices, with the magnitude of its terms. */
export interface CostBound {
  /** The bound, CNY/h (as computed: the checker subtracts a rounding allowance from the sum of all bounds). */
  value: number;
  /** Σ of the magnitudes of the bound's terms, CNY/h: the scale of its rounding error. */
  magnitude: number;
  /** Terms summed (for the rounding allowance). */
  terms: number;
}

/**
 * A lower bound on community `c`'s minimal cost at prices `p`, valid for any `mu` >= 0 and equal
 * to it (in exact arithmetic) at the best response's μ (see the module documentation).
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { bestResponse, communityCostBound } from "./response.ts";
 * const c = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1).communities[1];
 * const p = { gas: 318, electricity: 600, heat: 200 };
 * const r = bestResponse(c, p);
 * const cost = p.gas * r.gas + p.electricity * r.electricity + p.heat * r.heat;
 * console.log(Math.abs(communityCostBound(c, p, r.coolingPrice).value - cost) < 1e-6); // true
 * ```
 */
export function communityCostBound(c: MarketCommunity, p: SeenPrices, mu: number): CostBound {
  const e = p.electricity, h = p.heat;
  let value = e * (c.loadElectricity - c.renewable) + h * c.loadHeat + mu * c.loadCooling;
  let magnitude = Math.abs(e) * (c.loadElectricity + c.renewable) + Math.abs(h) * c.loadHeat +
    Math.abs(mu) * c.loadCooling;
  let terms = 3;
  const pl = c.plant;
  if (pl) {
    // min over [min, max] of quadratic·P² + (linear − e)·P + constant: the unconstrained minimum when the
    // vertex is inside (never above the true one), the better end otherwise.
    const b = pl.linear - e, v = -b / (2 * pl.quadratic);
    const at = (x: number) => pl.quadratic * x * x + b * x + pl.constant;
    value += v > pl.min && v < pl.max
      ? pl.constant - (b * b) / (4 * pl.quadratic)
      : Math.min(at(pl.min), at(pl.max));
    magnitude += Math.abs(pl.constant) + pl.quadratic * pl.max * pl.max +
      (Math.abs(pl.linear) + Math.abs(e)) * pl.max;
    terms++;
  }
  for (const d of c.devices) {
    const [a, b] = earnings(d, p, mu);
    value -= maxEarnings(a, b, d.min, d.max);
    // |∂max/∂B| = in* <= max and |∂max/∂A| = in*² <= max²: the rounding of A and B (each a short sum of
    // products) moves the result by at most these times their own magnitudes.
    let aMag = 0, bMag = Math.abs(priceOf(d.input, p, mu));
    for (const o of d.outputs) {
      const price = priceOf(o.commodity, p, mu);
      if (price > 0) {
        aMag += price * Math.abs(o.a);
        bMag += price * o.c;
      }
    }
    magnitude += aMag * d.max * d.max + bMag * d.max;
    terms++;
  }
  return { value, magnitude, terms };
}

/**
 * The cost the community pays at prices p for an allocation (gas, electricity and heat at those prices,
 * plus its plant's cost), CNY/h.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { plantCost } from "./response.ts";
 * const c = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1).communities[0];
 * console.log(plantCost(c, 300).toFixed(2)); // 91063.64
 * ```
 */
export function plantCost(c: MarketCommunity, output: number): number {
  const pl = c.plant;
  return pl ? pl.quadratic * output * output + pl.linear * output + pl.constant : 0;
}
