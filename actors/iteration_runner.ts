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
  /** Of `wallMs`, the time until every Worker was ready to start, ms (Worker runs only). */
  startupMs?: number;
  /**
   * Signature checks of the messages received (Worker runs: every message is signed by its sender);
   * rejected ones were dropped. Absent in the simulator, where messages are not signed.
   */
  signatures?: { verified: number; rejected: number };
}

/**
 * Watches a run as it goes on (the live page, cli/live.ts): told once per round, in round order, the
 * prices most delegates computed (as in {@link IterationRun.trajectory}), and of every blacklisting
 * as it happens. Called from the run's own loop: it must return quickly and not throw.
 */
export interface IterationObserver {
  /** Round `point.round` is over: the prices most delegates computed (round 0: the starting prices). */
  round(point: TrajectoryPoint): void;
  /** `delegate` blacklisted `community` in `round` (its copies differed). */
  blacklist?(b: { delegate: NodeId; community: NodeId; round: number }): void;
}

/**
 * Rounds a delegate may be ahead of the oldest round not yet told to an {@link IterationObserver}
 * before that round is told with the prices computed so far (Workers run at their own pace).
 */
const ROUNDS_OF_SLACK = 2;

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
export function simulateIteration(setup: IterationSetup, observer?: IterationObserver): IterationRun {
  const t0 = performance.now();
  const communities = new Map<NodeId, CommunityState>();
  const delegates = new Map<NodeId, IterationDelegateState>();
  for (const c of setup.communities) communities.set(c.id, newCommunity(c));
  for (const d of setup.delegates) delegates.set(d.id, newIterationDelegate(d));
  const queue: { to: NodeId; message: IterationMessage }[] = [];
  let head = 0;
  const tally = new IterationTally(
    setup.delegates.map((d) => ({ id: d.id, startPrices: d.startPrices })),
    observer,
  );
  const handle = (from: NodeId, effects: IterationEffect[], timeout = false) => {
    tally.record(from, effects, timeout);
    for (const e of effects) if (e.type === "send") queue.push({ to: e.to, message: e.message });
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
  const status = (): IterationStatus => ({
    communities: [...communities.values()].map((c) => ({
      id: c.config.id,
      round: c.round,
      finished: c.finished,
    })),
    delegates: [...delegates.values()].map((d) => ({
      id: d.config.id,
      round: d.round,
      finished: d.finished,
    })),
  });

  for (const [id, c] of communities) {
    handle(id, stepCommunity(c, { type: "start" }));
    tally.started(id, c.prices, c.answer);
  }
  for (;;) {
    while (head < queue.length) {
      const { to, message } = queue[head++];
      if (head > 4096) {
        queue.splice(0, head);
        head = 0;
      }
      deliver(to, message);
    }
    const next = nextTimeouts(status(), setup.maxRounds);
    if (next === "stop") break;
    for (const id of next.communities) {
      handle(id, stepCommunity(communities.get(id)!, { type: "timeout" }), true);
    }
    for (const id of next.delegates) {
      handle(id, stepIterationDelegate(delegates.get(id)!, { type: "timeout" }), true);
    }
  }
  return tally.result(status(), performance.now() - t0);
}

/** Where every machine is: what {@link nextTimeouts} decides from. */
export interface IterationStatus {
  /** Every community's round and whether it finished. */
  communities: { id: NodeId; round: number; finished: boolean }[];
  /** Every delegate's round and whether it finished. */
  delegates: { id: NodeId; round: number; finished: boolean }[];
}

/**
 * When nothing is left to deliver: `stop` (every community finished, every delegate finished, or a
 * community passed `maxRounds`), or the machines to time out, in lockstep: with R the lowest round of a
 * delegate still at work, every community still waiting for prices of round R or earlier (every
 * delegate that will send them did), else the delegates of round R (they wait for withheld copies).
 */
export function nextTimeouts(
  s: IterationStatus,
  maxRounds: number,
): "stop" | { communities: NodeId[]; delegates: NodeId[] } {
  if (s.communities.every((c) => c.finished) || s.communities.some((c) => c.round > maxRounds)) return "stop";
  const active = s.delegates.filter((d) => !d.finished);
  if (active.length === 0) return "stop";
  const lowest = Math.min(...active.map((d) => d.round));
  const late = s.communities.filter((c) => !c.finished && c.round + 1 <= lowest).map((c) => c.id);
  if (late.length > 0) return { communities: late, delegates: [] };
  return { communities: [], delegates: active.filter((d) => d.round === lowest).map((d) => d.id) };
}

/** Counts and records a run's effects (messages, bytes, trajectory, blacklists, notes, final answers). */
export class IterationTally {
  /** Messages sent. */
  messages = 0;
  /** Their size as JSON, bytes. */
  bytes = 0;
  /** Timeout events fired. */
  timeouts = 0;
  private notes: string[] = [];
  private blacklists: IterationRun["blacklists"] = [];
  private computed = new Map<number, { delegate: NodeId; prices: number[]; change: number }[]>();
  private noMajority = new Map<NodeId, number>();
  private last = new Map<NodeId, { prices: number[]; answer: number[] }>();
  private lastRound = 0;
  private readonly delegateCount: number;
  /** Rounds up to this one were told to the observer. */
  private observed = -1;

  /**
   * A tally whose round 0 holds the delegates' starting prices; `observer` is told of each round once
   * every delegate computed its prices (or a later round began, or the run ended) and of each blacklisting.
   */
  constructor(
    delegates: { id: NodeId; startPrices: number[] }[],
    private readonly observer?: IterationObserver,
  ) {
    this.delegateCount = delegates.length;
    this.computed.set(0, delegates.map((d) => ({ delegate: d.id, prices: [...d.startPrices], change: 0 })));
    this.observe(0);
  }

  /** Tells the observer of every round up to `upTo` not told yet. */
  private observe(upTo: number): void {
    if (!this.observer) return;
    while (this.observed < upTo) {
      const r = ++this.observed;
      const point = this.pointOf(r);
      if (point) this.observer.round(point);
    }
  }

  /** The prices most delegates computed in round `r` (undefined when none did). */
  private pointOf(r: number): TrajectoryPoint | undefined {
    const groups: { prices: number[]; change: number; members: NodeId[] }[] = [];
    for (const p of this.computed.get(r) ?? []) {
      const g = groups.find((x) => sameVector(x.prices, p.prices));
      if (g) g.members.push(p.delegate);
      else groups.push({ prices: p.prices, change: p.change, members: [p.delegate] });
    }
    groups.sort((a, b) => b.members.length - a.members.length);
    if (groups.length === 0) return undefined;
    return {
      round: r,
      prices: groups[0].prices,
      change: groups[0].change,
      dissenters: groups.slice(1).flatMap((g) => g.members),
    };
  }

  /** Records the effects of one step of `from`'s machines (and counts a timeout step with `timeout`). */
  record(from: NodeId, effects: IterationEffect[], timeout = false): void {
    if (timeout) this.timeouts++;
    for (const e of effects) {
      switch (e.type) {
        case "send":
          this.messages++;
          this.bytes += JSON.stringify(e.message).length;
          break;
        case "note":
          if (this.notes.length < MAX_NOTES) this.notes.push(`round ${e.round}: ${e.text}`);
          break;
        case "blacklist": {
          const b = { delegate: from, community: e.community, round: e.round };
          this.blacklists.push(b);
          this.observer?.blacklist?.({ ...b });
          break;
        }
        case "prices": {
          let list = this.computed.get(e.round);
          if (!list) this.computed.set(e.round, list = []);
          list.push({ delegate: from, prices: e.prices, change: e.change });
          this.lastRound = Math.max(this.lastRound, e.round);
          // A round is over for the observer once every delegate computed it, or once a delegate is
          // ROUNDS_OF_SLACK rounds further (a delegate that stopped computing must not stall the watch).
          this.observe(list.length >= this.delegateCount ? e.round : e.round - ROUNDS_OF_SLACK);
          break;
        }
        case "accept":
          if (!e.majority) this.noMajority.set(from, (this.noMajority.get(from) ?? 0) + 1);
          this.last.set(from, { prices: e.prices, answer: e.answer });
          break;
      }
    }
  }

  /** Records a community's answer to its starting prices (before any accept). */
  started(id: NodeId, prices: number[], answer: number[]): void {
    if (!this.last.has(id)) this.last.set(id, { prices, answer });
  }

  /** The run's outcome. */
  result(status: IterationStatus, wallMs: number): IterationRun {
    this.observe(this.lastRound);
    const trajectory: TrajectoryPoint[] = [];
    for (let r = 0; r <= this.lastRound; r++) {
      const point = this.pointOf(r);
      if (point) trajectory.push(point);
    }
    return {
      converged: status.communities.every((c) => c.finished),
      rounds: this.lastRound,
      messages: this.messages,
      bytes: this.bytes,
      timeouts: this.timeouts,
      trajectory,
      communities: status.communities.map((c) => ({
        id: c.id,
        prices: this.last.get(c.id)?.prices ?? [],
        answer: this.last.get(c.id)?.answer ?? [],
        noMajorityRounds: this.noMajority.get(c.id) ?? 0,
      })),
      blacklists: this.blacklists,
      notes: this.notes,
      wallMs,
    };
  }
}
