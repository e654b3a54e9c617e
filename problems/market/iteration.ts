/**
 * The published price iteration (the baseline PoSo replaces), as a pure
 * function: the delegates' price updates and the communities' answers, round
 * after round, without any messages.
 *
 * - Start: gas at {@link START_GAS_SHARE} × its price, electricity at
 *   {@link START_ELECTRICITY_SHARE} × the grid's price, heat at
 *   {@link START_HEAT_PRICE} in every zone. Every community answers with its
 *   purchases (gas, electricity, heat) at those prices: by default its exact best
 *   response (response.ts).
 * - Round k (k = 1, 2, ...): per market, the net demand N (the sum of the answers)
 *   against the outside seller (price P, supply range [min, max]) gives the mismatch:
 *   N − min below P − {@link NEAR_OUTSIDE_PRICE}, N − max above P +
 *   {@link NEAR_OUTSIDE_PRICE}, and min(N − min, 0) within it. Every price moves by
 *   its mismatch times the step 1 / ({@link STEP_A} + {@link STEP_B}·k); the gas
 *   price is reset to its own price (gas is not traded).
 * - Stop when the Euclidean norm of the price change (gas, electricity, every zone's
 *   heat) is below the tolerance (default {@link DEFAULT_ITERATION_TOLERANCE}; the
 *   published runs stopped at 1e-2). Otherwise the communities answer the new prices
 *   and the next round starts.
 *
 * The published result tables list the answers to the second-to-last prices (the last
 * prices end the iteration without being answered); the trajectory here holds every
 * round's prices and the answers to them, including the last ones.
 *
 * @module
 */
import type { MarketPrices } from "./equilibrium.ts";
import type { MarketModel, OutsideSeller } from "./model.ts";
import { bestResponse, type SeenPrices } from "./response.ts";

/** The published starting gas price, as a share of the gas price. */
export const START_GAS_SHARE = 0.9;
/** The published starting electricity price, as a share of the grid's price. */
export const START_ELECTRICITY_SHARE = 0.5;
/** The published starting heat price of every zone, CNY/MWh. */
export const START_HEAT_PRICE = 200;
/** Step of round k: 1 / (STEP_A + STEP_B·k), CNY/MWh per MW of mismatch. */
export const STEP_A = 20;
/** Step of round k: 1 / (STEP_A + STEP_B·k). */
export const STEP_B = 0.1;
/** Within this of an outside seller's price, the mismatch is min(N − min, 0), CNY/MWh. */
export const NEAR_OUTSIDE_PRICE = 0.01;
/** Default stopping tolerance on the norm of the price change, CNY/MWh. */
export const DEFAULT_ITERATION_TOLERANCE = 1e-3;
/** Default most rounds before giving up. */
export const DEFAULT_MAX_ROUNDS = 100_000;

/** All prices of one round, CNY/MWh. */
export interface IterationPrices extends MarketPrices {
  /** Gas price. */
  gas: number;
}

/** A community's answer: its purchases, MW (negative: sold). */
export interface Purchases {
  /** Gas bought. */
  gas: number;
  /** Electricity bought. */
  electricity: number;
  /** Heat bought. */
  heat: number;
}

/** One round of the iteration. */
export interface IterationRound {
  /** 0 for the starting prices, then the update's number k. */
  round: number;
  /** The prices of this round. */
  prices: IterationPrices;
  /** Each community's answer to them (null: not counted), in model order. */
  answers: (Purchases | null)[];
  /** Norm of the change from the previous round's prices (0 in round 0), CNY/MWh. */
  change: number;
}

/** Options of {@link priceIteration}. */
export interface IterationOptions {
  /** Stop when the norm of the price change is below this, CNY/MWh (default 1e-3). */
  tolerance?: number;
  /** Give up after this many updates (default {@link DEFAULT_MAX_ROUNDS}). */
  maxRounds?: number;
  /**
   * A community's answer in a round (default: its exact best response at its zone's prices).
   * Return null to leave it out of the sums (e.g. a blacklisted community). `index` is the
   * community's index in the model.
   */
  answer?: (index: number, prices: SeenPrices, round: number) => Purchases | null;
  /** Keep every round in the trajectory (default true; false keeps only the last two). */
  keepTrajectory?: boolean;
}

/** The outcome of the iteration. */
export interface IterationResult {
  /** Whether the price change fell below the tolerance. */
  converged: boolean;
  /** Updates made (the round number of the last prices). */
  rounds: number;
  /** The last prices. */
  prices: IterationPrices;
  /** The rounds (all, or the last two without `keepTrajectory`). */
  trajectory: IterationRound[];
}

/** The mismatch of one market: net demand N against an outside seller at price p. */
export function outsideMismatch(seller: OutsideSeller, price: number, demand: number): number {
  if (price - seller.price > NEAR_OUTSIDE_PRICE) return demand - seller.max;
  if (price - seller.price < -NEAR_OUTSIDE_PRICE) return demand - seller.min;
  return Math.min(demand - seller.min, 0);
}

/** The published starting prices of a market (see the module documentation). */
export function startPrices(model: MarketModel): IterationPrices {
  return {
    gas: START_GAS_SHARE * model.gasPrice,
    electricity: START_ELECTRICITY_SHARE * model.grid.price,
    heat: model.zones.map(() => START_HEAT_PRICE),
  };
}

/**
 * Update k of the published rule (see the module documentation): the prices of round k from those of
 * round k − 1 and the answers to them (in model order; null: not counted), and the Euclidean norm of
 * the change (gas, electricity, every zone's heat), CNY/MWh.
 */
export function priceUpdate(
  model: MarketModel,
  prices: IterationPrices,
  answers: readonly (Purchases | null)[],
  k: number,
): { next: IterationPrices; change: number } {
  let electricity = 0;
  const heat = model.zones.map(() => 0);
  answers.forEach((a, i) => {
    if (!a) return;
    electricity += a.electricity;
    heat[model.communities[i].zone] += a.heat;
  });
  const step = 1 / (STEP_A + STEP_B * k);
  const next: IterationPrices = {
    gas: model.gasPrice,
    electricity: prices.electricity + step * outsideMismatch(model.grid, prices.electricity, electricity),
    heat: model.zones.map((z, j) => prices.heat[j] + step * outsideMismatch(z, prices.heat[j], heat[j])),
  };
  let sq = (next.gas - prices.gas) ** 2 + (next.electricity - prices.electricity) ** 2;
  next.heat.forEach((h, j) => sq += (h - prices.heat[j]) ** 2);
  return { next, change: Math.sqrt(sq) };
}

/**
 * Runs the published price iteration on the day's market (see the module documentation).
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { buildMarketModel } from "./model.ts";
 * import { priceIteration } from "./iteration.ts";
 * const m = buildMarketModel(await loadMarketCase(WUZHONG_12_URL), 1);
 * const r = priceIteration(m);
 * console.log(r.converged, r.rounds, r.prices.electricity.toFixed(2)); // true 78 639.57
 * ```
 */
export function priceIteration(model: MarketModel, options: IterationOptions = {}): IterationResult {
  const tolerance = options.tolerance ?? DEFAULT_ITERATION_TOLERANCE;
  const maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS;
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) {
    throw new RangeError(`tolerance ${tolerance} is not positive`);
  }
  if (!(Number.isInteger(maxRounds) && maxRounds >= 0)) {
    throw new RangeError(`maxRounds ${maxRounds} is not a count`);
  }
  const keep = options.keepTrajectory ?? true;
  const answer = options.answer ??
    ((i: number, p: SeenPrices): Purchases => {
      const r = bestResponse(model.communities[i], p);
      return { gas: r.gas, electricity: r.electricity, heat: r.heat };
    });
  const answersTo = (prices: IterationPrices, round: number) =>
    model.communities.map((c, i) =>
      answer(i, { gas: prices.gas, electricity: prices.electricity, heat: prices.heat[c.zone] }, round)
    );

  let prices = startPrices(model);
  let current: IterationRound = { round: 0, prices, answers: answersTo(prices, 0), change: 0 };
  const trajectory: IterationRound[] = [current];
  for (let k = 1; k <= maxRounds; k++) {
    const { next, change } = priceUpdate(model, prices, current.answers, k);
    prices = next;
    current = { round: k, prices, answers: answersTo(prices, k), change };
    trajectory.push(current);
    if (!keep && trajectory.length > 2) trajectory.shift();
    if (change < tolerance) return { converged: true, rounds: k, prices, trajectory };
  }
  return { converged: false, rounds: maxRounds, prices, trajectory };
}
