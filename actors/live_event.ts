/**
 * What a run tells its live page (`poso run --live`, `poso net up --live`; cli/live.ts) as it goes
 * on: small, flat JSON events, no certificates: names, rounds, digests' costs and reasons. The
 * Worker supervisor (actors/supervisor.ts, `onEvent`) and `poso net up` (from its nodes' events)
 * produce the same events, so one page shows either.
 *
 * @module
 */
import type { DelegateEffect, NodeId, NormalEffect } from "../consensus/types.ts";
import { type CostUnit, perPeriod } from "../problems/types.ts";
import { isDishonest, type Scenario } from "../scenarios/loader.ts";

/** What happened to a proposal a delegate received. */
export type LiveMessageStatus =
  /** It passed the delegate's certificate check. */
  | "passed"
  /** The delegate took it without checking it (a colluder, or the published rules' own proposal). */
  | "unchecked"
  /** It failed the check (`reason` says why: suboptimal, misclaimed, ...). */
  | "rejected";

/**
 * One event of a run, as the live page receives it.
 *
 * @example
 * ```ts
 * import type { LiveEvent } from "../mod.ts";
 * const e: LiveEvent = { kind: "decision", height: 1, round: 1, who: "D", decision: "blacklist", leader: "C", reason: "no valid proposal" };
 * console.log(e.kind); // decision
 * ```
 */
export type LiveEvent =
  /** The run starts: who takes part, in which roles, and the unit of its amounts. */
  | {
    kind: "run";
    scenario: string;
    /** `simulator`: the published price iteration run in the deterministic simulator. */
    runtime: "workers" | "processes" | "simulator";
    problem: string;
    /** Symbol written before an amount (`$`, `¥`, `Σ`), and the unit's words (`USD per day`). */
    costSymbol: string;
    costUnit: string;
    /** Days (blocks) the run plans to decide (0: a run of the published price iteration, no blocks). */
    days: number;
    participants: { id: NodeId; name: string; delegate: boolean; normal: boolean; behaviours: string[] }[];
  }
  /** A day (block height) starts. */
  | { kind: "day"; height: number; loadFactor?: number }
  /** A round starts; `leader` is the one most delegates follow (undefined when not known). */
  | { kind: "round"; height: number; round: number; leader?: string }
  /** A relay phase of a strict-mode round starts. */
  | { kind: "phase"; height: number; round: number; phase: number }
  /** A delegate received a proposal along `path` (leader first) and checked it, or did not. */
  | {
    kind: "message";
    height: number;
    round: number;
    to: string;
    path: string[];
    /** The solution's true cost in the run's unit, when known. */
    cost?: number;
    status: LiveMessageStatus;
    reason?: string;
  }
  /** A message was dropped before any delegate logic saw it as a proposal (with why). */
  | { kind: "dropped"; height: number; round: number; to: string; reason: string }
  /** A delegate's decision for a round: commit the leader's proposal, or blacklist the leader. */
  | {
    kind: "decision";
    height: number;
    round: number;
    who: string;
    decision: "commit" | "blacklist";
    leader: string;
    reason?: string;
    cost?: number;
  }
  /** A normal node accepted a block. */
  | { kind: "accept"; height: number; round: number; who: string; leader: string; cost?: number }
  /** A normal node wrote block `height` to its ledger. */
  | { kind: "block"; node: string; height: number; bytes: number }
  /** The day's result: the committed block with its certified cost and gap, or none. */
  | {
    kind: "outcome";
    height: number;
    round?: number;
    leader?: string;
    cost?: number;
    /** Certified optimality gap of the accepted solution, in the run's unit. */
    gap?: number;
    verdict?: string;
    /** A market's clearing prices (name → value), when the problem kind reports them. */
    prices?: Record<string, number>;
    /** The kind's lines about the outcome (a market's prices with their units). */
    lines?: string[];
  }
  /** Something the runtime says about the run (a crash, a restart, a late leader, ...). */
  | { kind: "note"; height: number; round: number; text: string }
  /** The run is over. */
  | { kind: "end"; ok: boolean; text: string }
  /**
   * A run of the published price iteration (the baseline PoSo replaces) starts: the prices it
   * iterates, in the order every {@link LiveEvent} `iteration` event gives them, their unit, and when
   * it stops.
   */
  | {
    kind: "iterationStart";
    /** Names of the prices (`electricity`, `heat zone 1`, ..., `gas`). */
    prices: string[];
    /** Unit of every price: `CNY/MWh`. */
    unit: string;
    /** The iteration stops once the norm of the price change is below this, in `unit`. */
    tolerance: number;
    /** ... or after this many rounds. */
    maxRounds: number;
  }
  /**
   * A round of the price iteration is over: the prices most delegates computed (round 0: the
   * starting prices), by name, in the unit of `iterationStart`, and the norm of their change.
   */
  | {
    kind: "iteration";
    round: number;
    prices: Record<string, number>;
    change: number;
    dissenters?: string[];
  }
  /** A delegate of the price iteration blacklisted a community (its copies differed) in `round`. */
  | { kind: "iterationBlacklist"; round: number; delegate: string; community: string }
  /** The price iteration ended: whether it converged, after how many rounds, at which prices. */
  | {
    kind: "iterationEnd";
    converged: boolean;
    rounds: number;
    prices: Record<string, number>;
    messages: number;
  };

/**
 * The event that opens a run's live log: its participants (with the behaviours that have an effect),
 * its problem kind, the unit of its amounts and the days it plans.
 */
export function liveRunEvent(
  scenario: Scenario,
  runtime: "workers" | "processes" | "simulator",
  problem: string,
  unit: CostUnit,
  days: number,
): LiveEvent {
  return {
    kind: "run",
    scenario: scenario.name,
    runtime,
    problem,
    costSymbol: unit.symbol,
    costUnit: `${unit.currency ?? unit.quantity}${perPeriod(unit)}`,
    days,
    participants: scenario.participants.map((p) => ({
      id: p.id,
      name: p.name,
      delegate: p.delegate,
      normal: p.normal,
      behaviours: Object.entries(p.misbehaviour)
        .filter(([k, v]) => isDishonest({ ...p, misbehaviour: { [k]: v } }))
        .map(([k]) => k),
    })),
  };
}

/** Names a participant by its id (its id as text when it has no name). */
type NameOf = (id: NodeId) => string;

/** The live events of one delegate effect (none for sends, persists and solves). */
export function liveOfDelegate(
  who: string,
  effect: Exclude<DelegateEffect, { kind: "send" }> | { kind: "send" },
  at: { height: number; round: number },
  nameOf: NameOf,
  costOf: (digest: string) => number | undefined,
): LiveEvent[] {
  switch (effect.kind) {
    case "received": {
      const status: LiveMessageStatus = effect.verdict !== "accepted"
        ? "rejected"
        : effect.unchecked
        ? "unchecked"
        : "passed";
      const cost = costOf(effect.digest);
      return [{
        kind: "message",
        height: at.height,
        round: effect.round,
        to: who,
        path: effect.path.map(nameOf),
        ...(cost === undefined ? {} : { cost }),
        status,
        ...(status === "rejected" ? { reason: effect.reason ?? effect.verdict } : {}),
      }];
    }
    case "commit": {
      const cost = costOf(effect.digest);
      return [{
        kind: "decision",
        height: at.height,
        round: effect.round,
        who,
        decision: "commit",
        leader: nameOf(effect.leader),
        ...(cost === undefined ? {} : { cost }),
      }];
    }
    case "blacklist":
      return [{
        kind: "decision",
        height: at.height,
        round: effect.round,
        who,
        decision: "blacklist",
        leader: nameOf(effect.leader),
        reason: effect.reason,
      }];
    case "drop":
      return [{ kind: "dropped", height: at.height, round: at.round, to: who, reason: effect.reason }];
    case "crash":
      return [{ kind: "note", height: at.height, round: effect.round, text: `${who} crashed` }];
    case "evidence":
      return [{
        kind: "note",
        height: at.height,
        round: effect.evidence.round,
        text: `${who} holds evidence: ${nameOf(effect.evidence.leader)} signed two proposals`,
      }];
    default:
      return [];
  }
}

/** The live events of one normal-node effect. */
export function liveOfNormal(
  who: string,
  e: NormalEffect,
  at: { height: number; round: number },
  nameOf: NameOf,
  costOf: (digest: string) => number | undefined,
): LiveEvent[] {
  if (e.kind === "accept") {
    const cost = costOf(e.digest);
    return [{
      kind: "accept",
      height: at.height,
      round: e.round,
      who,
      leader: nameOf(e.leader),
      ...(cost === undefined ? {} : { cost }),
    }];
  }
  if (e.kind === "drop") {
    return [{ kind: "dropped", height: at.height, round: at.round, to: who, reason: e.reason }];
  }
  return [];
}

/** Most prices an outcome event carries (a market of many heat zones shows the first ones). */
const MAX_LIVE_PRICES = 64;

/** The numbers of a kind's `prices` outcome field, flattened (`heat.2` for the third heat zone). */
function flatPrices(value: unknown, prefix = "", into: Record<string, number> = {}): Record<string, number> {
  if (Object.keys(into).length >= MAX_LIVE_PRICES) return into;
  if (typeof value === "number" && Number.isFinite(value)) into[prefix] = value;
  else if (Array.isArray(value)) {
    value.forEach((v, i) => flatPrices(v, prefix ? `${prefix}.${i}` : String(i), into));
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) flatPrices(v, prefix ? `${prefix}.${k}` : k, into);
  }
  return into;
}

/**
 * The live event of a decided day (block `height`): the committed block's round, leader, true cost,
 * the certificate's gap and verdict and, for a market, its prices; or no block.
 */
export function liveOutcomeOf(
  height: number,
  report: {
    outcome: { round: number; leader: string; costUsd: number; [field: string]: unknown } | null;
    dispatch?: { gapUsd: number; verdict: string; outcomeLines?: string[] };
  },
): LiveEvent {
  const o = report.outcome;
  if (!o) return { kind: "outcome", height };
  const d = report.dispatch;
  const prices = o.prices === undefined ? {} : flatPrices(o.prices);
  return {
    kind: "outcome",
    height,
    round: o.round,
    leader: o.leader,
    cost: o.costUsd,
    ...(d && Number.isFinite(d.gapUsd) ? { gap: d.gapUsd } : {}),
    ...(d ? { verdict: d.verdict } : {}),
    ...(Object.keys(prices).length ? { prices } : {}),
    ...(d?.outcomeLines?.length ? { lines: d.outcomeLines } : {}),
  };
}

/**
 * The names of a market iteration's prices, in the order of a delegate's price vector
 * (`[gas, electricity, heat of every zone]`, problems/market/iteration_protocol.ts) and the order
 * the live page lists them: electricity, each zone's heat, gas.
 */
export function iterationPriceNames(
  heatZones: readonly (number | string)[],
): { names: string[]; order: number[] } {
  return {
    names: ["electricity", ...heatZones.map((z) => `heat zone ${z}`), "gas"],
    order: [1, ...heatZones.map((_, k) => 2 + k), 0],
  };
}

/** A price vector of the market iteration by name (see {@link iterationPriceNames}). */
export function namedIterationPrices(
  names: { names: string[]; order: number[] },
  prices: readonly number[],
): Record<string, number> {
  const out: Record<string, number> = {};
  names.order.forEach((i, k) => {
    const v = prices[i];
    if (typeof v === "number" && Number.isFinite(v)) out[names.names[k]] = v;
  });
  return out;
}
