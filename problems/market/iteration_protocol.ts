/**
 * The published price iteration as a protocol of messages (consensus/iteration.ts)
 * on a market: each community answers with its exact best response at the prices
 * it holds (response.ts), the delegates apply the published rule (iteration.ts,
 * {@link priceUpdate}). With everyone honest it computes exactly what
 * {@link priceIteration} computes, round for round.
 *
 * Vectors on the wire: a community's answer is `[gas, electricity, heat]` bought,
 * MW; the prices a community receives are `[gas, electricity, heat of its zone]`,
 * CNY/MWh (so `price_components` indices are 0 gas, 1 electricity, 2 heat); a
 * delegate's own price vector is `[gas, electricity, heat of every zone in zone order]`.
 *
 * @module
 */
import type { DelegateEvil, NormalEvil, PriceRule } from "../../consensus/iteration.ts";
import type { NodeId } from "../../consensus/types.ts";
import { type IterationRun, type IterationSetup, simulateIteration } from "../../actors/iteration_runner.ts";
import type { MarketCase } from "./case.ts";
import {
  DEFAULT_ITERATION_TOLERANCE,
  type IterationPrices,
  priceUpdate,
  type Purchases,
  startPrices,
} from "./iteration.ts";
import { buildMarketModel, type MarketModel } from "./model.ts";
import { bestResponse } from "./response.ts";

/** The names of the prices a community receives, in vector order (`price_components`). */
export const PRICE_COMPONENTS = ["gas", "electricity", "heat"] as const;

/** Default guard on the rounds of a protocol run (the published `final_round` of its market files is 2000). */
export const DEFAULT_PROTOCOL_MAX_ROUNDS = 5000;

/** Options of {@link marketIterationSetup}. */
export interface MarketIterationOptions {
  /** Node ids of the delegates (a delegate may also be a community). */
  delegates: NodeId[];
  /** Stop when the norm of the price change is below this, CNY/MWh (default 1e-3). */
  tolerance?: number;
  /** Stop after this many rounds (default {@link DEFAULT_PROTOCOL_MAX_ROUNDS}). */
  maxRounds?: number;
  /** `normal_evil` per community id. */
  normalEvil?: Map<NodeId, NormalEvil>;
  /** `delegate_evil` per delegate id. */
  delegateEvil?: Map<NodeId, DelegateEvil>;
}

/**
 * The case restricted to the communities `ids` (and the heat zones they trade in): what a published
 * configuration that lists fewer nodes than the case has runs on. Throws naming an id the case lacks.
 */
export function caseOfCommunities(c: MarketCase, ids: readonly number[]): MarketCase {
  const missing = ids.filter((id) => !c.communities.some((x) => x.id === id));
  if (missing.length > 0) {
    throw new RangeError(
      `the case ${c.name} has no community ${missing.join(", ")} (its communities: ${
        c.communities.map((x) => x.id).join(", ")
      })`,
    );
  }
  const communities = c.communities.filter((x) => ids.includes(x.id));
  const zones = new Set(communities.map((x) => x.heat_zone));
  return { ...c, communities, heat_plants: c.heat_plants.filter((p) => zones.has(p.heat_zone)) };
}

/** A delegate's price vector (`[gas, electricity, heat of every zone]`) from the iteration's prices. */
export function toVector(p: IterationPrices): number[] {
  return [p.gas, p.electricity, ...p.heat];
}

/** The iteration's prices from a delegate's price vector. */
function fromVector(v: readonly number[]): IterationPrices {
  return { gas: v[0], electricity: v[1], heat: v.slice(2) };
}

/** The simulator setup of the iteration on a market whose every community is a normal node. */
export function marketIterationSetup(model: MarketModel, options: MarketIterationOptions): IterationSetup {
  const tolerance = options.tolerance ?? DEFAULT_ITERATION_TOLERANCE;
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) {
    throw new RangeError(`tolerance ${tolerance} is not positive`);
  }
  const maxRounds = options.maxRounds ?? DEFAULT_PROTOCOL_MAX_ROUNDS;
  const ids = model.communities.map((c) => c.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const start = toVector(startPrices(model));
  const rule: PriceRule = {
    update(prices, answers, round) {
      const list = model.communities.map((c): Purchases | null => {
        const a = answers.get(c.id);
        return a && a.length === 3 ? { gas: a[0], electricity: a[1], heat: a[2] } : null;
      });
      const k = round + 1;
      const { next, change } = priceUpdate(model, fromVector(prices), list, k);
      return { prices: toVector(next), change, done: change < tolerance || k >= maxRounds };
    },
    pricesFor(prices, id) {
      const c = model.communities[index.get(id)!];
      return [prices[0], prices[1], prices[2 + c.zone]];
    },
  };
  const delegates = [...options.delegates].sort((a, b) => a - b);
  return {
    communities: model.communities.map((c) => ({
      id: c.id,
      delegates,
      startPrices: rule.pricesFor(start, c.id),
      answer: (p) => {
        const r = bestResponse(c, { gas: p[0], electricity: p[1], heat: p[2] });
        return [r.gas, r.electricity, r.heat];
      },
      ...(options.normalEvil?.has(c.id) ? { evil: options.normalEvil.get(c.id) } : {}),
    })),
    delegates: delegates.map((id) => ({
      id,
      delegates,
      communities: ids,
      startPrices: start,
      rule,
      ...(options.delegateEvil?.has(id) ? { evil: options.delegateEvil.get(id) } : {}),
    })),
    maxRounds,
  };
}

/** A community in the iteration's outcome (the field names of a PoSo market run's outcome). */
export interface IterationCommunityOutcome {
  /** Its id. */
  id: number;
  /** Gas bought, MW. */
  gasMw: number;
  /** Electricity bought, MW (negative: sold). */
  electricityMw: number;
  /** Heat bought, MW (negative: sold). */
  heatMw: number;
  /** What it pays at the prices it took last, CNY (negative: it earns). */
  billCny: number;
  /** The prices it took last (where a behaviour made them differ from the market's), CNY/MWh. */
  seenCnyPerMwh: { gas: number; electricity: number; heat: number };
}

/** The report of a market iteration run (what `poso run --json` prints for it). */
export interface MarketIterationReport {
  /** Always `market-iteration`. */
  kind: "market-iteration";
  /** Whether the prices settled (below the tolerance) before the round guard. */
  converged: boolean;
  /** Price updates made. */
  rounds: number;
  /** The stopping tolerance, CNY/MWh. */
  toleranceCnyPerMwh: number;
  /** Messages sent. */
  messages: number;
  /** Their size as JSON, bytes. */
  bytes: number;
  /** Timeouts fired for withheld messages. */
  timeouts: number;
  /** Wall time, ms. */
  wallMs: number;
  /** The outcome. */
  outcome: {
    /** The last prices most delegates computed, CNY/MWh (`heatCnyPerMwh` in zone order). */
    prices: { gasCnyPerMwh: number; electricityCnyPerMwh: number; heatCnyPerMwh: number[] };
    /** Heat zone ids in zone order. */
    heatZones: number[];
    /** Every community, in id order: its answer to the last prices it took. */
    communities: IterationCommunityOutcome[];
  };
  /** The price trajectory, one point per round (0: the starting prices). */
  trajectory: {
    round: number;
    electricityCnyPerMwh: number;
    heatCnyPerMwh: number[];
    changeCnyPerMwh: number;
    dissenters: number[];
  }[];
  /** Blacklistings: which delegate caught which community in which round. */
  blacklists: { delegate: number; community: number; round: number }[];
  /** Notes from the run (dropped messages, rounds without a majority). */
  notes: string[];
}

/** The report of a simulated run on `model`. */
export function marketIterationReport(
  model: MarketModel,
  run: IterationRun,
  tolerance: number,
): MarketIterationReport {
  const last = run.trajectory[run.trajectory.length - 1];
  return {
    kind: "market-iteration",
    converged: run.converged && last.change < tolerance,
    rounds: run.rounds,
    toleranceCnyPerMwh: tolerance,
    messages: run.messages,
    bytes: run.bytes,
    timeouts: run.timeouts,
    wallMs: run.wallMs,
    outcome: {
      prices: {
        gasCnyPerMwh: last.prices[0],
        electricityCnyPerMwh: last.prices[1],
        heatCnyPerMwh: last.prices.slice(2),
      },
      heatZones: model.zones.map((z) => z.id),
      communities: run.communities.map((c) => {
        const [gasMw, electricityMw, heatMw] = c.answer;
        const [gas, electricity, heat] = c.prices;
        return {
          id: c.id,
          gasMw,
          electricityMw,
          heatMw,
          billCny: gas * gasMw + electricity * electricityMw + heat * heatMw,
          seenCnyPerMwh: { gas, electricity, heat },
        };
      }),
    },
    trajectory: run.trajectory.map((t) => ({
      round: t.round,
      electricityCnyPerMwh: t.prices[1],
      heatCnyPerMwh: t.prices.slice(2),
      changeCnyPerMwh: t.change,
      dissenters: t.dissenters,
    })),
    blacklists: run.blacklists,
    notes: run.notes,
  };
}

/**
 * Runs the published price iteration as a protocol of messages in the simulator on `theCase`
 * (its hour, load factor 1).
 *
 * @example
 * ```ts
 * import { loadMarketCase, WUZHONG_12_URL } from "./case.ts";
 * import { runMarketIteration } from "./iteration_protocol.ts";
 * const r = runMarketIteration(await loadMarketCase(WUZHONG_12_URL), { delegates: [10, 11, 12] });
 * console.log(r.rounds, r.outcome.prices.electricityCnyPerMwh.toFixed(2)); // 78 639.57
 * ```
 */
export function runMarketIteration(
  theCase: MarketCase,
  options: MarketIterationOptions,
): MarketIterationReport {
  const model = buildMarketModel(theCase, 1);
  const run = simulateIteration(marketIterationSetup(model, options));
  return marketIterationReport(model, run, options.tolerance ?? DEFAULT_ITERATION_TOLERANCE);
}
