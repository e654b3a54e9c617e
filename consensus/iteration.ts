/**
 * The published code's iteration protocol (its `MultiEnergyPark` and `SimpleAdd`
 * scenes), as two pure state machines in the style of consensus/delegate.ts:
 * a shell feeds events to {@link stepCommunity} / {@link stepIterationDelegate}
 * and carries out the effects they return. The state objects belong to the
 * machines, which mutate them in place; a step is deterministic and never throws
 * on a message (a malformed or unexpected one is dropped and reported).
 *
 * One round r (r = 0, 1, ...):
 * 1. every community (normal node) sends its answer to the prices it holds to every
 *    delegate (`demand`);
 * 2. every delegate forwards each demand it receives to every other delegate (`forward`);
 * 3. a delegate that holds every copy (one from the community, one from each other
 *    delegate), or whose round timed out, blacklists every community whose copies
 *    differ (its demand counts as nothing from then on), updates the prices from the
 *    demands (the problem's rule) and sends every community its prices (`prices`,
 *    flagged `done` when the rule says the iteration has converged);
 * 4. a community takes the prices that at least half of the delegates sent identically
 *    (values and `done` flag; when two different messages both have half of the votes it
 *    takes neither), answers them and starts round r + 1, or stops when they are `done`.
 *
 * What is iterated is the problem's affair: the answers and prices are short vectors of
 * numbers ({@link MAX_VECTOR_LENGTH} at most), the answer and the update are functions of
 * the configuration (pure functions keep the machines deterministic).
 *
 * The published behaviours are wrappers of the honest steps' effects: {@link NormalEvil}
 * (what a community sends to whom) and {@link DelegateEvil} (what a delegate forwards and
 * which prices it sends).
 *
 * @module
 */
import type { NodeId } from "./types.ts";

/** Longest answer or price vector a message may carry. */
export const MAX_VECTOR_LENGTH = 64;
/** Most messages of a future round a machine keeps until that round starts. */
export const MAX_EARLY_MESSAGES = 100_000;

/** A message of the iteration. `from` is the authenticated sender (set by the transport). */
export type IterationMessage =
  | { kind: "demand"; round: number; from: NodeId; values: number[] }
  | { kind: "forward"; round: number; from: NodeId; origin: NodeId; values: number[] }
  | { kind: "prices"; round: number; from: NodeId; values: number[]; done: boolean };

/** A message to send: to whom and what (the transport sets `from`). */
export interface SendEffect {
  /** Kind of the effect. */
  type: "send";
  /** Recipient. */
  to: NodeId;
  /** The message (its `from` is the sender's id). */
  message: IterationMessage;
}

/** Something worth showing in the trace (a dropped message, a blacklisting, a tie). */
export interface NoteEffect {
  /** Kind of the effect. */
  type: "note";
  /** What happened, in words. */
  text: string;
  /** The round it happened in. */
  round: number;
}

/** A delegate blacklisted a community (its copies disagreed). */
export interface BlacklistEffect {
  /** Kind of the effect. */
  type: "blacklist";
  /** The community. */
  community: NodeId;
  /** The round its copies disagreed in. */
  round: number;
}

/** A delegate updated its prices (round r's answers gave round r + 1's prices). */
export interface PricesEffect {
  /** Kind of the effect. */
  type: "prices";
  /** The round of the new prices. */
  round: number;
  /** The new prices (the delegate's whole price vector). */
  prices: number[];
  /** Norm of the change (the problem's measure). */
  change: number;
  /** Whether the update says the iteration has converged. */
  done: boolean;
}

/** A community took prices (or kept its own: no majority). */
export interface AcceptEffect {
  /** Kind of the effect. */
  type: "accept";
  /** The round. */
  round: number;
  /** The prices it holds now. */
  prices: number[];
  /** Whether a majority of delegates sent them (false: it kept its previous prices). */
  majority: boolean;
  /** Its answer to them. */
  answer: number[];
  /** Whether they end the iteration. */
  done: boolean;
}

/** An effect of a step. */
export type IterationEffect = SendEffect | NoteEffect | BlacklistEffect | PricesEffect | AcceptEffect;

/**
 * `normal_evil` of the published code: a community's demand tampering.
 *
 * @example
 * ```ts
 * import type { NormalEvil } from "../mod.ts";
 * // Send delegate 10 a tenth of the answer, and delegate 11 nothing:
 * const evil: NormalEvil = { demandIgnore: [11], demandTarget: [10], demandRate: 0.1 };
 * ```
 */
export interface NormalEvil {
  /** Delegates it sends no demand to. */
  demandIgnore: NodeId[];
  /** Delegates it sends its answer scaled by `demandRate` to. */
  demandTarget: NodeId[];
  /** The scale of the answers sent to `demandTarget`. */
  demandRate: number;
}

/**
 * `delegate_evil` of the published code: a delegate's price and relay tampering.
 *
 * @example
 * ```ts
 * import type { DelegateEvil } from "../mod.ts";
 * // Show community 5 0.4 times the electricity price (prices are [gas, electricity, heat]):
 * const evil: DelegateEvil = {
 *   priceIgnore: [], priceTarget: [5], priceRate: 0.4, priceComponents: [1],
 *   broadcastIgnore: [], broadcastCollusion: [], broadcastTarget: [], broadcastRate: 1,
 * };
 * ```
 */
export interface DelegateEvil {
  /** Communities it sends no prices to. */
  priceIgnore: NodeId[];
  /** Communities it sends prices scaled by `priceRate` to. */
  priceTarget: NodeId[];
  /** The scale of the prices sent to `priceTarget`. */
  priceRate: number;
  /** Indices (in the vector a community receives) of the prices `priceRate` scales. */
  priceComponents: number[];
  /** Delegates it forwards nothing to. */
  broadcastIgnore: NodeId[];
  /** Communities whose demands it forwards scaled by `broadcastRate` ... */
  broadcastCollusion: NodeId[];
  /** ... to these delegates. */
  broadcastTarget: NodeId[];
  /** The scale of those forwarded demands. */
  broadcastRate: number;
}

/** Configuration of a community (normal node). */
export interface CommunityConfig {
  /** Its id. */
  id: NodeId;
  /** Every delegate, in id order. */
  delegates: NodeId[];
  /** The prices it holds before the first round (the published starting prices). */
  startPrices: number[];
  /** Its answer to prices (pure). */
  answer: (prices: number[]) => number[];
  /** Its `normal_evil`, if any. */
  evil?: NormalEvil;
}

/** State of a community. */
export interface CommunityState {
  /** Its configuration. */
  config: CommunityConfig;
  /** The current round. */
  round: number;
  /** The prices it holds. */
  prices: number[];
  /** Its answer to them. */
  answer: number[];
  /** Prices received this round, per delegate (with the done flag). */
  received: Map<NodeId, { values: number[]; done: boolean }>;
  /** Messages of the next round that came early. */
  early: IterationMessage[];
  /** It took prices flagged done: it sends nothing more. */
  finished: boolean;
}

/** An event of a machine: start, a message, or the round's timeout. */
export type IterationEvent = { type: "start" } | { type: "message"; message: IterationMessage } | {
  type: "timeout";
};

/** A fresh community. */
export function newCommunity(config: CommunityConfig): CommunityState {
  return {
    config,
    round: 0,
    prices: [...config.startPrices],
    answer: [],
    received: new Map(),
    early: [],
    finished: false,
  };
}

/** Whether `v` is a vector of finite numbers of a bounded length. */
function isVector(v: unknown): v is number[] {
  return Array.isArray(v) && v.length <= MAX_VECTOR_LENGTH &&
    v.every((x) => typeof x === "number" && Number.isFinite(x));
}

/** Whether two vectors are identical. */
export function sameVector(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]) || x === b[i]);
}

/** The community's demands of its current round, with its behaviour applied. */
function sendDemands(s: CommunityState): IterationEffect[] {
  const { id, delegates, evil } = s.config;
  const out: IterationEffect[] = [];
  for (const d of delegates) {
    if (evil?.demandIgnore.includes(d)) continue;
    const values = evil?.demandTarget.includes(d) ? s.answer.map((x) => x * evil.demandRate) : s.answer;
    out.push({ type: "send", to: d, message: { kind: "demand", round: s.round, from: id, values } });
  }
  return out;
}

/** The community concludes its round: majority prices, its answer, and the next round's demands. */
function concludeCommunity(s: CommunityState): IterationEffect[] {
  const half = s.config.delegates.length / 2;
  const groups: { values: number[]; done: boolean; votes: number }[] = [];
  for (const m of s.received.values()) {
    const g = groups.find((x) => x.done === m.done && sameVector(x.values, m.values));
    if (g) g.votes++;
    else groups.push({ ...m, votes: 1 });
  }
  const winners = groups.filter((g) => g.votes >= half).sort((a, b) => b.votes - a.votes);
  const out: IterationEffect[] = [];
  const round = s.round + 1;
  const pick = winners.length === 1 || (winners.length > 1 && winners[0].votes > winners[1].votes)
    ? winners[0]
    : undefined;
  if (!pick) {
    out.push({
      type: "note",
      round,
      text:
        `community ${s.config.id}: no prices sent identically by at least half of the ${s.config.delegates.length} ` +
        `delegates (${s.received.size} received); it keeps its prices`,
    });
  } else {
    s.prices = [...pick.values];
    s.answer = s.config.answer(s.prices);
  }
  s.round = round;
  s.received = new Map();
  const done = pick?.done ?? false;
  out.push({ type: "accept", round, prices: [...s.prices], majority: !!pick, answer: [...s.answer], done });
  if (done) {
    s.finished = true;
    return out;
  }
  out.push(...sendDemands(s));
  const early = s.early;
  s.early = [];
  for (const m of early) out.push(...stepCommunity(s, { type: "message", message: m }));
  return out;
}

/**
 * One step of a community: `start` answers the starting prices and sends the demands of round 0;
 * a `prices` message of the current round is kept (one per delegate; a second is dropped); when
 * every delegate's prices arrived, or on `timeout`, it takes the majority prices, answers them and
 * sends the next round's demands (nothing more once they are done).
 */
export function stepCommunity(s: CommunityState, event: IterationEvent): IterationEffect[] {
  if (s.finished) return [];
  if (event.type === "start") {
    s.answer = s.config.answer(s.prices);
    return sendDemands(s);
  }
  if (event.type === "timeout") return concludeCommunity(s);
  const m = event.message;
  const drop = (why: string): IterationEffect[] => [
    {
      type: "note",
      round: s.round,
      text: `community ${s.config.id} dropped a message from ${m.from}: ${why}`,
    },
  ];
  if (m.kind !== "prices") return drop(`a ${m.kind} message is for delegates`);
  if (!s.config.delegates.includes(m.from)) return drop("not a delegate");
  if (!isVector(m.values) || typeof m.done !== "boolean") return drop("malformed prices");
  // Prices of round r + 1 answer the demands of round r.
  if (m.round === s.round + 2) {
    if (s.early.length >= MAX_EARLY_MESSAGES) return drop("too many early messages");
    s.early.push(m);
    return [];
  }
  if (m.round !== s.round + 1) return drop(`prices of round ${m.round} in round ${s.round}`);
  if (s.received.has(m.from)) return drop("a second price message this round");
  s.received.set(m.from, { values: m.values, done: m.done });
  return s.received.size === s.config.delegates.length ? concludeCommunity(s) : [];
}

/** The problem's price rule, as a delegate applies it. */
export interface PriceRule {
  /**
   * The prices of round `round` + 1 from those of round `round` and the communities' answers to
   * them (null: not counted, e.g. blacklisted or missing); `change` is the norm of the change and
   * `done` whether the iteration has converged (or must stop).
   */
  update(prices: number[], answers: Map<NodeId, number[] | null>, round: number): {
    prices: number[];
    change: number;
    done: boolean;
  };
  /** The part of the prices community `id` receives. */
  pricesFor(prices: number[], id: NodeId): number[];
}

/** Configuration of a delegate of the iteration. */
export interface IterationDelegateConfig {
  /** Its id. */
  id: NodeId;
  /** Every delegate, in id order, itself included. */
  delegates: NodeId[];
  /** Every community (normal node), in id order. */
  communities: NodeId[];
  /** The starting prices. */
  startPrices: number[];
  /** The price rule. */
  rule: PriceRule;
  /** Its `delegate_evil`, if any. */
  evil?: DelegateEvil;
}

/** State of a delegate. */
export interface IterationDelegateState {
  /** Its configuration. */
  config: IterationDelegateConfig;
  /** The current round (its prices are this round's). */
  round: number;
  /** Its prices. */
  prices: number[];
  /**
   * Copies of each community's demand this round: per community, per way it came (`direct` from the
   * community, or the id of the delegate that forwarded it; a community that is also a delegate sends both).
   */
  copies: Map<NodeId, Map<"direct" | NodeId, number[]>>;
  /** Copies received this round (for "all arrived"). */
  copyCount: number;
  /** Communities it blacklisted. */
  blacklist: Set<NodeId>;
  /** Messages of the next round that came early. */
  early: IterationMessage[];
  /** It sent prices flagged done. */
  finished: boolean;
}

/** A fresh delegate. */
export function newIterationDelegate(config: IterationDelegateConfig): IterationDelegateState {
  return {
    config,
    round: 0,
    prices: [...config.startPrices],
    copies: new Map(),
    copyCount: 0,
    blacklist: new Set(),
    early: [],
    finished: false,
  };
}

/** Keeps a copy of `origin`'s demand from `sender`; the effects of concluding when all arrived. */
function keepCopy(
  s: IterationDelegateState,
  origin: NodeId,
  sender: "direct" | NodeId,
  values: number[],
): IterationEffect[] {
  let m = s.copies.get(origin);
  if (!m) s.copies.set(origin, m = new Map());
  if (m.has(sender)) {
    return [{
      type: "note",
      round: s.round,
      text: `delegate ${s.config.id} dropped a second copy of ${origin}'s demand ${
        sender === "direct" ? "from it" : `forwarded by ${sender}`
      }`,
    }];
  }
  m.set(sender, values);
  s.copyCount++;
  return s.copyCount === s.config.communities.length * s.config.delegates.length ? concludeDelegate(s) : [];
}

/** The delegate concludes its round: blacklists, the price update, the prices to every community. */
function concludeDelegate(s: IterationDelegateState): IterationEffect[] {
  const { id, communities, rule, evil } = s.config;
  const out: IterationEffect[] = [];
  const answers = new Map<NodeId, number[] | null>();
  for (const c of communities) {
    const m = s.copies.get(c);
    if (!s.blacklist.has(c) && m && m.size > 0) {
      const all = [...m.values()];
      if (all.some((v) => !sameVector(v, all[0]))) {
        s.blacklist.add(c);
        out.push({ type: "blacklist", community: c, round: s.round });
      }
    }
    answers.set(c, s.blacklist.has(c) || !m || m.size === 0 ? null : (m.get("direct") ?? [...m.values()][0]));
  }
  const next = rule.update(s.prices, answers, s.round);
  s.prices = next.prices;
  s.round++;
  s.copies = new Map();
  s.copyCount = 0;
  out.push({ type: "prices", round: s.round, prices: [...s.prices], change: next.change, done: next.done });
  for (const c of communities) {
    if (evil?.priceIgnore.includes(c)) continue;
    let values = rule.pricesFor(s.prices, c);
    if (evil?.priceTarget.includes(c)) {
      values = values.map((x, k) => evil.priceComponents.includes(k) ? x * evil.priceRate : x);
    }
    out.push({
      type: "send",
      to: c,
      message: { kind: "prices", round: s.round, from: id, values, done: next.done },
    });
  }
  if (next.done) {
    s.finished = true;
    return out;
  }
  const early = s.early;
  s.early = [];
  for (const m of early) out.push(...stepIterationDelegate(s, { type: "message", message: m }));
  return out;
}

/**
 * One step of a delegate: a community's `demand` of the current round is kept and forwarded to
 * every other delegate (with its behaviour applied); a `forward` is kept as another copy; when
 * every copy arrived (communities × delegates), or on `timeout`, it concludes the round (blacklists,
 * update, prices). Messages of the next round wait; anything else is dropped with a note.
 */
export function stepIterationDelegate(s: IterationDelegateState, event: IterationEvent): IterationEffect[] {
  if (s.finished || event.type === "start") return [];
  if (event.type === "timeout") return concludeDelegate(s);
  const m = event.message;
  const { id, delegates, communities, evil } = s.config;
  const drop = (why: string): IterationEffect[] => [
    { type: "note", round: s.round, text: `delegate ${id} dropped a message from ${m.from}: ${why}` },
  ];
  if (m.kind === "prices") return drop("prices are for communities");
  if (!isVector(m.values)) return drop("malformed values");
  if (m.round === s.round + 1) {
    if (s.early.length >= MAX_EARLY_MESSAGES) return drop("too many early messages");
    s.early.push(m);
    return [];
  }
  if (m.round !== s.round) return drop(`a ${m.kind} of round ${m.round} in round ${s.round}`);
  if (m.kind === "demand") {
    if (!communities.includes(m.from)) return drop("a demand from a node that is not a community");
    if (s.copies.get(m.from)?.has("direct")) return drop("a second demand this round (not forwarded)");
    const out: IterationEffect[] = [];
    for (const d of delegates) {
      if (d === id || evil?.broadcastIgnore.includes(d)) continue;
      const scaled = evil && evil.broadcastCollusion.includes(m.from) && evil.broadcastTarget.includes(d);
      const values = scaled ? m.values.map((x) => x * evil.broadcastRate) : m.values;
      out.push({
        type: "send",
        to: d,
        message: { kind: "forward", round: s.round, from: id, origin: m.from, values },
      });
    }
    out.push(...keepCopy(s, m.from, "direct", m.values));
    return out;
  }
  if (!delegates.includes(m.from) || m.from === id) {
    return drop("a forward from a node that is not another delegate");
  }
  if (!communities.includes(m.origin)) return drop(`a forward of ${m.origin}, which is not a community`);
  return keepCopy(s, m.origin, m.from, m.values);
}
