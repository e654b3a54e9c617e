/**
 * The published toy scenes `SimpleAdd` and `SimpleAddEvilNormal` as the iteration protocol
 * (consensus/iteration.ts) with a trivial answer: every normal node starts with 1 and sends it to
 * every delegate; a delegate sums what it received (a blacklisted node counts as nothing) and sends
 * the sum back; a normal node takes the sum at least half of the delegates sent identically, adds one
 * and resends. The delegates stop after `final_round` rounds of the published numbering (round 1 is
 * the first sending, so `final_round` − 1 sums, at least one).
 *
 * @module
 */
import type { NormalEvil, PriceRule } from "../../consensus/iteration.ts";
import type { NodeId } from "../../consensus/types.ts";
import type { IterationRun, IterationSetup } from "../../actors/iteration_runner.ts";

/** What a normal node holds before the first round: the published initial value is 1 = 0 + 1. */
export const SIMPLE_ADD_START = 0;

/** Options of {@link simpleAddSetup}. */
export interface SimpleAddOptions {
  /** Normal nodes. */
  normals: NodeId[];
  /** Delegates. */
  delegates: NodeId[];
  /** The published `final_round`. */
  finalRound: number;
  /** A normal node's misbehaviour (the published `behaviour`, as demand tampering). */
  normalEvil?: Map<NodeId, NormalEvil>;
}

/**
 * The iteration setup of a SimpleAdd scene.
 *
 * @example
 * ```ts
 * import { simulateIteration } from "../../actors/iteration_runner.ts";
 * import { simpleAddSetup } from "./protocol.ts";
 * const run = simulateIteration(simpleAddSetup({ normals: [1, 2, 3], delegates: [1, 2], finalRound: 4 }));
 * console.log(run.trajectory.map((t) => t.prices[0])); // [ 0, 3, 12, 39 ]
 * ```
 */
export function simpleAddSetup(options: SimpleAddOptions): IterationSetup {
  const normals = [...options.normals].sort((a, b) => a - b);
  const delegates = [...options.delegates].sort((a, b) => a - b);
  const rule: PriceRule = {
    update(prices, answers, round) {
      let sum = 0;
      for (const a of answers.values()) if (a && a.length === 1) sum += a[0];
      const k = round + 1;
      return { prices: [sum], change: Math.abs(sum - prices[0]), done: k + 1 >= options.finalRound };
    },
    pricesFor: (prices) => prices,
  };
  return {
    communities: normals.map((id) => ({
      id,
      delegates,
      startPrices: [SIMPLE_ADD_START],
      answer: (p) => [p[0] + 1],
      ...(options.normalEvil?.has(id) ? { evil: options.normalEvil.get(id) } : {}),
    })),
    delegates: delegates.map((id) => ({
      id,
      delegates,
      communities: normals,
      startPrices: [SIMPLE_ADD_START],
      rule,
    })),
    maxRounds: options.finalRound,
  };
}

/** The report of a SimpleAdd run (what `poso run --json` prints for it). */
export interface SimpleAddReport {
  /** Always `simple-add`. */
  kind: "simple-add";
  /** Whether every normal node took a final sum. */
  converged: boolean;
  /** Sums made. */
  rounds: number;
  /** Messages sent. */
  messages: number;
  /** Their size as JSON, bytes. */
  bytes: number;
  /** Timeouts fired for withheld messages. */
  timeouts: number;
  /** Wall time, ms. */
  wallMs: number;
  /** The outcome: the last sum most delegates computed, and every normal node's last value. */
  outcome: { sum: number; nodes: { id: number; value: number; took: number }[] };
  /** The sum of every round (0: the start). */
  trajectory: { round: number; sum: number; dissenters: number[] }[];
  /** Blacklistings. */
  blacklists: { delegate: number; community: number; round: number }[];
  /** Notes from the run. */
  notes: string[];
}

/** The report of a SimpleAdd run. */
export function simpleAddReport(run: IterationRun): SimpleAddReport {
  const last = run.trajectory[run.trajectory.length - 1];
  return {
    kind: "simple-add",
    converged: run.converged,
    rounds: run.rounds,
    messages: run.messages,
    bytes: run.bytes,
    timeouts: run.timeouts,
    wallMs: run.wallMs,
    outcome: {
      sum: last.prices[0],
      nodes: run.communities.map((c) => ({ id: c.id, value: c.answer[0], took: c.prices[0] })),
    },
    trajectory: run.trajectory.map((t) => ({ round: t.round, sum: t.prices[0], dissenters: t.dissenters })),
    blacklists: run.blacklists,
    notes: run.notes,
  };
}
