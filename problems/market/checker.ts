/**
 * The market's certificate and its check: a follower establishes, from the
 * day's market it built itself and the proposal alone, without solving
 * anything, that the proposed allocation is the optimum of the true convex
 * market and that the proposed prices clear it.
 *
 * A certificate (lp/certificate.ts Certificate) carries x, the allocation
 * (every community's purchases, plant output, device inputs and outputs, the
 * sellers' supplies; model.ts gives the layout), and y, the prices
 * (electricity, then each zone's heat), with `lpId` the day's market id.
 *
 * The check, in this order; the first failure is the verdict:
 *
 * 1. **Well-formed** (`malformed` otherwise): the format tag, the day's id, x and y of
 *    the day's lengths, every entry a finite number, every price within
 *    ±{@link MAX_PROPOSED_PRICE} CNY/MWh.
 * 2. **(a) Feasible for the true curves** (`infeasible` otherwise, naming the row or
 *    bound, e.g. `row community 5 chp[0] electricity curve`): every bound holds
 *    exactly (device inputs and plant outputs within their limits, outputs >= 0,
 *    sellers' supplies within their ranges); every row within
 *    {@link FEASIBILITY_TOLERANCE_MW}: each device output at most a·in² + c·in of its
 *    input, each community's gas, electricity, heat and cooling balance, and each
 *    market's balance (Σ purchases = seller's supply).
 * 3. **(b) Within {@link GAP_TOLERANCE_CNY} of the optimum** (`suboptimal` otherwise): the
 *    allocation's true cost (gas and plant costs, sellers' supply at their prices) exceeds
 *    the Lagrangian lower bound at the proposed prices,
 *      L(p) = Σ_i min cost_i(p) + Σ_sellers min_s (price − p)·s,
 *    by at most the tolerance. L(p) is a valid lower bound on the true optimum for any
 *    prices; each community's minimum is computed exactly (response.ts communityCostBound:
 *    closed forms per device, the cooling multiplier from a 1-D root).
 * 4. **(c) The prices clear every market** (`mispriced` otherwise, naming the community
 *    or seller and by how much): at the proposed prices each community's best response
 *    (response.ts) buys what the allocation gives it (gas, electricity and heat, each
 *    within {@link CLEARING_TOLERANCE_MW}), and each outside seller supplies what it
 *    would at that price (its minimum below its price, its maximum above, anything
 *    within {@link PRICE_TOLERANCE_CNY_PER_MWH} of it). With the market rows of (a) this
 *    makes the prices an equilibrium. The bound of (b) is flat near the optimum (prices
 *    0.005 CNY/MWh off cost well under a cent of gap), so (b) alone does not pin the prices;
 *    (c) pins them to about 1e-4 CNY/MWh on the bundled cases.
 *
 * **Rounding, kept on the safe side.** The bound is computed in floating point and
 * lowered by 2·γ_(T+16)·M (γ_n = n·u/(1 − n·u), u = 2⁻⁵³; M the sum of the magnitudes
 * of its T terms, each term a closed form of a few operations whose error is at most
 * a few u times its magnitude: response.ts derives the magnitudes); the cost is
 * raised by 2·γ_(n+8) times the sum of its terms' magnitudes. So the gap is never
 * understated. A device's maximal earnings are bounded above by the unconstrained
 * maximum −B²/(4A) whenever the computed vertex lies inside its range, which is never
 * below the true maximum; a vertex that rounding puts on the wrong side of an end
 * changes the value by |A|·(rounding)², far below the allowance. On the bundled
 * cases the honest gap, allowance included, is 4e-7 CNY (12 communities) and 4e-5 CNY
 * (120). The MW tolerances are far
 * above the rounding of the rows (at most about 1e-10 MW at the cases' magnitudes).
 *
 * An accepted allocation may satisfy each row only within its tolerance; that can make
 * it cheaper than the true optimum, by at most the sum over rows of |multiplier| ×
 * violation (the multipliers are the prices and cooling multipliers, below 1e3 CNY/MWh
 * here): under 1e-6 MW × 1e3 CNY/MWh per row.
 *
 * @module
 */
import { type CheckFigures, openCertificate, type Verdict, type Violation } from "../../lp/certificate.ts";
import type { MarketModel } from "./model.ts";
import {
  bestResponse,
  communityCostBound,
  type CommunityResponse,
  plantCost,
  ResponseError,
} from "./response.ts";
import { gamma, SMALLEST_NORMAL } from "../../lp/rounding.ts";

/** Largest violation of a row of the allocation (curve, balance, market), MW. */
export const FEASIBILITY_TOLERANCE_MW = 1e-6;

/** Largest accepted gap between the allocation's cost and the proven lower bound, CNY per hour. */
export const GAP_TOLERANCE_CNY = 0.01;

/**
 * Largest difference between a community's allocated purchase (gas, electricity or heat) and its
 * best response at the proposed prices, MW; also the largest difference between a seller's
 * supply and what it would supply at the price. 1 kW: about ten thousand times the honest
 * clearing's residual, and small enough to pin the prices (on the 12-community case a price
 * 1e-4 CNY/MWh off moves the purchases by more).
 */
export const CLEARING_TOLERANCE_MW = 1e-3;

/** A price within this of an outside seller's price counts as that price (the seller may supply anything), CNY/MWh. */
export const PRICE_TOLERANCE_CNY_PER_MWH = 1e-6;

/** Largest |price| a certificate may propose, CNY/MWh (a larger one is malformed). */
export const MAX_PROPOSED_PRICE = 1e6;

/** Tolerances of a market check (defaults: the exported constants). */
export interface MarketCheckOptions {
  /** Largest row violation, MW. */
  feasibilityToleranceMw?: number;
  /** Largest accepted gap, CNY/h. */
  gapToleranceCny?: number;
  /** Largest clearing mismatch, MW. */
  clearingToleranceMw?: number;
}

/** Tracks the worst violation of the allocation. */
class Worst {
  row?: Violation;
  bound?: Violation;

  see(kind: "row" | "bound", name: string, index: number, value: number, lower: number, upper: number): void {
    const amount = value < lower ? lower - value : value > upper ? value - upper : 0;
    if (!(amount > 0)) return;
    const cur = kind === "row" ? this.row : this.bound;
    if (cur && cur.amount >= amount) return;
    const v = { kind, name, index, value, lower, upper, amount };
    if (kind === "row") this.row = v;
    else this.bound = v;
  }
}

/** `12.3457` style: a number for a message. */
const fmt = (v: number, digits = 6) => Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : String(v);

/**
 * The market's true cost of an allocation x (CNY/h): every community's gas at the gas price and its
 * plant's cost, the grid's and the heat plants' supply at their prices. NaN when x is not an array
 * of the model's length (never throws).
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { clearMarket } from "./equilibrium.ts";
 * import { marketCost } from "./checker.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * console.log(marketCost(m, clearMarket(m).x).toFixed(2)); // 1686957.15
 * ```
 */
export function marketCost(model: MarketModel, x: ArrayLike<number>): number {
  return costWithMagnitude(model, x)[0];
}

function costWithMagnitude(model: MarketModel, x: ArrayLike<number>): [number, number, number] {
  if (x === null || typeof x !== "object" || x.length !== model.xLength) return [NaN, NaN, 0];
  let cost = 0, magnitude = 0, terms = 0;
  for (const c of model.communities) {
    const g = model.gasPrice * x[c.col];
    cost += g;
    magnitude += Math.abs(g);
    terms++;
    if (c.plant) {
      const p = x[c.col + 3];
      cost += plantCost(c, p);
      magnitude += c.plant.quadratic * p * p + Math.abs(c.plant.linear * p) + Math.abs(c.plant.constant);
      terms++;
    }
  }
  const sellers = [model.grid, ...model.zones];
  sellers.forEach((s, k) => {
    const t = s.price * x[model.gridCol + k];
    cost += t;
    magnitude += Math.abs(t);
    terms++;
  });
  return [typeof cost === "number" ? cost : NaN, magnitude, terms];
}

/** Checks the bounds and rows of x (a); returns the worst violations and the largest row violation. */
function checkFeasibility(model: MarketModel, x: ArrayLike<number>, worst: Worst): number {
  let maxRow = 0;
  const row = (name: string, index: number, value: number, lower: number, upper: number) => {
    const amount = value < lower ? lower - value : value > upper ? value - upper : 0;
    if (amount > maxRow) maxRow = amount;
    worst.see("row", name, index, value, lower, upper);
  };
  let electricityDemand = 0;
  const heatDemand = new Float64Array(model.zones.length);
  model.communities.forEach((c) => {
    const who = `community ${c.id}`;
    const G = x[c.col], E = x[c.col + 1], H = x[c.col + 2];
    electricityDemand += E;
    heatDemand[c.zone] += H;
    let gasIn = 0, elecIn = 0, heatIn = 0, elecOut = 0, heatOut = 0, coolOut = 0;
    let plant = 0;
    if (c.plant) {
      plant = x[c.col + 3];
      worst.see("bound", `${who} power plant output`, c.col + 3, plant, c.plant.min, c.plant.max);
    }
    for (const d of c.devices) {
      const input = x[d.col];
      worst.see("bound", `${who} ${d.label} ${d.input} input`, d.col, input, d.min, d.max);
      if (d.input === "gas") gasIn += input;
      else if (d.input === "electricity") elecIn += input;
      else heatIn += input;
      d.outputs.forEach((o, k) => {
        const j = d.col + 1 + k, out = x[j];
        worst.see("bound", `${who} ${d.label} ${o.commodity} output`, j, out, 0, Infinity);
        row(
          `${who} ${d.label} ${o.commodity} curve (output <= a·in² + c·in)`,
          j,
          out,
          -Infinity,
          o.a * input * input + o.c * input,
        );
        if (o.commodity === "electricity") elecOut += out;
        else if (o.commodity === "heat") heatOut += out;
        else coolOut += out;
      });
    }
    // Each balance as "purchase = what the devices and loads need", in MW.
    row(`${who} gas balance (G = gas inputs)`, c.col, G, gasIn, gasIn);
    const e = c.loadElectricity + elecIn - elecOut - plant - c.renewable;
    row(`${who} electricity balance (E = load + inputs − outputs − plant − renewables)`, c.col + 1, E, e, e);
    const h = c.loadHeat + heatIn - heatOut;
    row(`${who} heat balance (H = load + inputs − outputs)`, c.col + 2, H, h, h);
    row(`${who} cooling balance (cooling outputs = load)`, c.col, coolOut, c.loadCooling, c.loadCooling);
  });
  const grid = x[model.gridCol];
  worst.see("bound", "grid supply", model.gridCol, grid, model.grid.min, model.grid.max);
  row("electricity market (Σ purchases = grid supply)", model.gridCol, electricityDemand, grid, grid);
  model.zones.forEach((z, k) => {
    const j = model.gridCol + 1 + k, q = x[j];
    worst.see("bound", `heat plant of zone ${z.id} supply`, j, q, z.min, z.max);
    row(`heat market of zone ${z.id} (Σ purchases = heat plant supply)`, j, heatDemand[k], q, q);
  });
  return maxRow;
}

/**
 * Checks a market certificate against the day's market the caller built itself (see the module
 * documentation). Never throws: anything a message may carry gets a verdict. In the figures,
 * `objective`, `lowerBound` and `gapUsd` are in CNY/h and `maxViolation` is the largest row
 * violation in MW.
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { clearMarket } from "./equilibrium.ts";
 * import { checkMarketCertificate } from "./checker.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * const { x, y } = clearMarket(m);
 * const cert = { format: "poso-certificate/1" as const, lpId: m.id, x: Array.from(x), y: Array.from(y) };
 * console.log(checkMarketCertificate(m, cert).verdict); // accepted
 * ```
 */
export function checkMarketCertificate(
  model: MarketModel,
  cert: unknown,
  options: MarketCheckOptions = {},
): Verdict {
  const feasTol = options.feasibilityToleranceMw ?? FEASIBILITY_TOLERANCE_MW;
  const gapTol = options.gapToleranceCny ?? GAP_TOLERANCE_CNY;
  const clearTol = options.clearingToleranceMw ?? CLEARING_TOLERANCE_MW;
  const opened = openCertificate(cert, {
    id: model.id,
    what: "market",
    xLength: model.xLength,
    yLength: model.yLength,
  });
  if ("verdict" in opened) return opened;
  const { x, y } = opened;
  for (let k = 0; k < model.yLength; k++) {
    if (Math.abs(y[k]) > MAX_PROPOSED_PRICE) {
      return {
        verdict: "malformed",
        reason: `y[${k}] = ${y[k]} CNY/MWh is outside ±${MAX_PROPOSED_PRICE} CNY/MWh`,
      };
    }
  }
  const e = y[0];
  const zonePrice = (k: number) => y[1 + k];

  // (a) Feasibility.
  const worst = new Worst();
  const maxRow = checkFeasibility(model, x, worst);

  // (b) The Lagrangian bound at the proposed prices, with each community's exact best response.
  const responses: CommunityResponse[] = [];
  let bound = 0, magnitude = 0, terms = 0;
  try {
    for (const cm of model.communities) {
      const p = { gas: model.gasPrice, electricity: e, heat: zonePrice(cm.zone) };
      const r = bestResponse(cm, p);
      responses.push(r);
      const b = communityCostBound(cm, p, r.coolingPrice);
      bound += b.value;
      magnitude += Math.abs(b.value) + b.magnitude;
      terms += b.terms;
    }
  } catch (err) {
    if (!(err instanceof ResponseError)) throw err;
    return { verdict: "malformed", reason: `the proposed prices admit no best response: ${err.message}` };
  }
  [model.grid, ...model.zones].forEach((s, k) => {
    const p = k === 0 ? e : zonePrice(k - 1);
    const t = (s.price - p) * (s.price >= p ? s.min : s.max);
    bound += t;
    magnitude += Math.abs(t) + (Math.abs(s.price) + Math.abs(p)) * s.max;
    terms++;
  });
  const lowerBound = bound - 2 * gamma(terms + 16) * magnitude - terms * SMALLEST_NORMAL;
  const [cost, costMagnitude, costTerms] = costWithMagnitude(model, x);
  const gap = cost + 2 * gamma(costTerms + 8) * costMagnitude - lowerBound;
  const figures: CheckFigures = { objective: cost, lowerBound, gapUsd: gap, maxViolation: maxRow };

  if (worst.bound) return { verdict: "infeasible", worst: worst.bound, ...figures };
  if (worst.row && worst.row.amount > feasTol) return { verdict: "infeasible", worst: worst.row, ...figures };
  if (!(gap <= gapTol)) return { verdict: "suboptimal", ...figures };

  // (c) The prices clear every market.
  let reason: string | undefined, worstMismatch = clearTol;
  model.communities.forEach((cm, i) => {
    const r = responses[i];
    const zone = model.zones[cm.zone];
    for (const [k, what] of [[0, "gas"], [1, "electricity"], [2, "heat"]] as const) {
      const got = x[cm.col + k], want = k === 0 ? r.gas : k === 1 ? r.electricity : r.heat;
      const off = Math.abs(got - want);
      if (off > worstMismatch) {
        worstMismatch = off;
        reason = `community ${cm.id} is allocated ${fmt(got)} MW of ${what}, but at the proposed prices ` +
          `(electricity ${fmt(e, 8)}, zone ${zone.id} heat ${
            fmt(zonePrice(cm.zone), 8)
          } CNY/MWh) its best response ` +
          `buys ${fmt(want)} MW: off by ${fmt(off, 4)} MW (tolerance ${clearTol} MW)`;
      }
    }
  });
  [model.grid, ...model.zones].forEach((s, k) => {
    const p = k === 0 ? e : zonePrice(k - 1), supply = x[model.gridCol + k];
    const name = k === 0 ? "the grid" : `the heat plant of zone ${model.zones[k - 1].id}`;
    let want: number | undefined;
    if (p < s.price - PRICE_TOLERANCE_CNY_PER_MWH) want = s.min;
    else if (p > s.price + PRICE_TOLERANCE_CNY_PER_MWH) want = s.max;
    if (want === undefined) return;
    const off = Math.abs(supply - want);
    if (off > worstMismatch) {
      worstMismatch = off;
      reason = `${name} supplies ${fmt(supply)} MW at a price of ${fmt(p, 8)} CNY/MWh, ${
        p < s.price ? "below" : "above"
      } its own ${s.price}: it would supply ${want} MW: off by ${fmt(off, 4)} MW (tolerance ${clearTol} MW)`;
    }
  });
  if (reason) return { verdict: "mispriced", reason, ...figures };
  return { verdict: "accepted", ...figures };
}
