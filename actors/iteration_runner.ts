/**
 * Runs the iteration protocol (consensus/iteration.ts) in the deterministic
 * simulator: every participant's machines (a node that is a community and a
 * delegate has both) in one process, messages delivered first in, first out.
 * A round ends as soon as every expected message arrived; when nothing is left
 * to deliver and a machine still waits (a behaviour withheld a message), the
 * simulator times it out in lockstep: with R the lowest round of a delegate still
 * at work, first every community still waiting for prices of round R or earlier
 * (every delegate that will send them did), else the delegates of round R (they
 * wait for copies that were withheld). There is no wall-clock wait.
 *
 * Messages are counted with their size as JSON (what a transport would carry,
 * without signatures). The sender of a message is the machine that produced it
 * (the simulator is the authenticated channel).
 *
 * @module
 */
import {
  type CommunityConfig,
  type CommunityState,
  type IterationDelegateConfig,
  type IterationDelegateState,
  type IterationEffect,
  type IterationMessage,
  newCommunity,
  newIterationDelegate,
  sameVector,
  stepCommunity,
  stepIterationDelegate,
} from "../consensus/iteration.ts";
import type { NodeId } from "../consensus/types.ts";

/** What the simulator runs. */
export interface IterationSetup {
  /** Every community. */
  communities: CommunityConfig[];
  /** Every delegate. */
  delegates: IterationDelegateConfig[];
  /** Stop after this many rounds even if the prices did not settle (a guard). */
  maxRounds: number;
}

/** One round's prices as the delegates computed them. */
export interface TrajectoryPoint {
  /** The round of the prices (0: the starting prices). */
  round: number;
  /** The prices most delegates computed (the whole vector). */
  prices: number[];
  /** Norm of their change from the previous round. */
  change: number;
  /** Delegates that computed other prices this round. */
  dissenters: NodeId[];
}

/** A community at the end of the run. */
export interface CommunityEnd {
  /** Its id. */
  id: NodeId;
  /** The prices it held last (those it answered). */
  prices: number[];
  /** Its answer to them. */
  answer: number[];
  /** Rounds in which no prices had the votes of half of the delegates. */
  noMajorityRounds: number;
}

/** The outcome of a simulated iteration. */
export interface IterationRun {
  /** Whether the delegates declared the prices settled (a majority's done flag reached every community). */
  converged: boolean;
  /** Price updates made (the last round's number). */
  rounds: number;
  /** Messages sent (self-addressed ones included: a node that is both roles sends itself its demand). */
  messages: number;
  /** Their total size as JSON, bytes. */
  bytes: number;
  /** Timeouts the simulator had to fire (withheld messages). */
  timeouts: number;
  /** The price trajectory, one point per round. */
  trajectory: TrajectoryPoint[];
  /** Every community. */
  communities: CommunityEnd[];
  /** Every delegate's blacklist: community and round it was caught in. */
  blacklists: { delegate: NodeId; community: NodeId; round: number }[];
  /** Notes (dropped messages, rounds without a majority), the first {@link MAX_NOTES}. */
  notes: string[];
  /** Wall time of the run, ms. */
  wallMs: number;
}

/** Most notes kept in an {@link IterationRun}. */
export const MAX_NOTES = 200;

/**
 * Runs the iteration in the deterministic simulator (see the module documentation).
 *
 * @example
 * ```ts
 * import { simulateIteration } from "./iteration_runner.ts";
 * // SimpleAdd-like: two communities answer p + 1, one delegate sums them, 3 rounds.
 * const run = simulateIteration({
 *   communities: [1, 2].map((id) => ({ id, delegates: [9], startPrices: [0], answer: (p: number[]) => [p[0] + 1] })),
 *   delegates: [{
 *     id: 9, delegates: [9], communities: [1, 2], startPrices: [0],
 *     rule: {
 *       update: (_p, a, k) => ({ prices: [[...a.values()].reduce((s, v) => s + (v?.[0] ?? 0), 0)], change: 1, done: k + 1 >= 3 }),
 *       pricesFor: (p) => p,
 *     },
 *   }],
 *   maxRounds: 10,
 * });
 * console.log(run.rounds, run.trajectory.map((t) => t.prices[0])); // 3 [ 0, 2, 6, 14 ]
 * ```
 */
export function simulateIteration(setup: IterationSetup): IterationRun {
  const t0 = performance.now();
  const communities = new Map<NodeId, CommunityState>();
  const delegates = new Map<NodeId, IterationDelegateState>();
  for (const c of setup.communities) communities.set(c.id, newCommunity(c));
  for (const d of setup.delegates) delegates.set(d.id, newIterationDelegate(d));
  const queue: { to: NodeId; message: IterationMessage }[] = [];
  let head = 0, messages = 0, bytes = 0, timeouts = 0;
  const notes: string[] = [];
  const blacklists: IterationRun["blacklists"] = [];
  const computed = new Map<number, { delegate: NodeId; prices: number[]; change: number }[]>();
  const noMajority = new Map<NodeId, number>();
  computed.set(0, setup.delegates.map((d) => ({ delegate: d.id, prices: [...d.startPrices], change: 0 })));
  let lastRound = 0;

  const handle = (from: NodeId, effects: IterationEffect[]) => {
    for (const e of effects) {
      switch (e.type) {
        case "send":
          messages++;
          bytes += JSON.stringify(e.message).length;
          queue.push({ to: e.to, message: e.message });
          break;
        case "note":
          if (notes.length < MAX_NOTES) notes.push(`round ${e.round}: ${e.text}`);
          break;
        case "blacklist":
          blacklists.push({ delegate: from, community: e.community, round: e.round });
          break;
        case "prices": {
          let list = computed.get(e.round);
          if (!list) computed.set(e.round, list = []);
          list.push({ delegate: from, prices: e.prices, change: e.change });
          lastRound = Math.max(lastRound, e.round);
          break;
        }
        case "accept":
          if (!e.majority) noMajority.set(from, (noMajority.get(from) ?? 0) + 1);
          break;
      }
    }
  };
  const deliver = (to: NodeId, message: IterationMessage) => {
    if (message.kind === "prices") {
      const c = communities.get(to);
      if (c) handle(to, stepCommunity(c, { type: "message", message }));
    } else {
      const d = delegates.get(to);
      if (d) handle(to, stepIterationDelegate(d, { type: "message", message }));
    }
  };

  for (const [id, c] of communities) handle(id, stepCommunity(c, { type: "start" }));
  const allDone = () => [...communities.values()].every((c) => c.finished);
  const overRounds = () => [...communities.values()].some((c) => c.round > setup.maxRounds);
  for (;;) {
    while (head < queue.length) {
      const { to, message } = queue[head++];
      if (head > 4096) {
        queue.splice(0, head);
        head = 0;
      }
      deliver(to, message);
    }
    if (allDone() || overRounds()) break;
    if ([...delegates.values()].every((d) => d.finished)) break;
    // Virtual timeouts, in lockstep: with R the lowest round of a delegate still at work, a community
    // waiting for prices of round R or earlier has all it will get (every such delegate sent them);
    // otherwise the delegates of round R wait for copies that were withheld.
    const active = [...delegates.entries()].filter(([, d]) => !d.finished);
    const lowest = Math.min(...active.map(([, d]) => d.round));
    const late = [...communities.entries()].filter(([, c]) => !c.finished && c.round + 1 <= lowest);
    if (late.length > 0) {
      for (const [id, c] of late) {
        timeouts++;
        handle(id, stepCommunity(c, { type: "timeout" }));
      }
    } else {
      for (const [id, d] of active.filter(([, d]) => d.round === lowest)) {
        timeouts++;
        handle(id, stepIterationDelegate(d, { type: "timeout" }));
      }
    }
  }

  const trajectory: TrajectoryPoint[] = [];
  for (let r = 0; r <= lastRound; r++) {
    const list = computed.get(r) ?? [];
    const groups: { prices: number[]; change: number; members: NodeId[] }[] = [];
    for (const p of list) {
      const g = groups.find((x) => sameVector(x.prices, p.prices));
      if (g) g.members.push(p.delegate);
      else groups.push({ prices: p.prices, change: p.change, members: [p.delegate] });
    }
    groups.sort((a, b) => b.members.length - a.members.length);
    if (groups.length === 0) continue;
    trajectory.push({
      round: r,
      prices: groups[0].prices,
      change: groups[0].change,
      dissenters: groups.slice(1).flatMap((g) => g.members),
    });
  }
  return {
    converged: allDone(),
    rounds: lastRound,
    messages,
    bytes,
    timeouts,
    trajectory,
    communities: [...communities.values()].map((c) => ({
      id: c.config.id,
      prices: c.prices,
      answer: c.answer,
      noMajorityRounds: noMajority.get(c.config.id) ?? 0,
    })),
    blacklists,
    notes,
    wallMs: performance.now() - t0,
  };
}
