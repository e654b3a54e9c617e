/**
 * Adversarial behaviours (POSO.md table, types.ts {@link Misbehaviour}) as
 * layers around the honest delegate: each layer wraps a step function and
 * filters, replaces or delays the effects it returns (or, for collusion,
 * the verifier it is given). The honest machine never looks at a behaviour.
 *
 * @module
 */
import type { DelegateState } from "./delegate.ts";
import { parseMessage } from "./messages.ts";
import type {
  DelegateEffect,
  DelegateEvent,
  Message,
  Misbehaviour,
  NodeId,
  ProposalVariant,
  Verifier,
} from "./types.ts";
import type { Verdict } from "../models/certificate.ts";

/** A delegate step function: the honest {@link stepDelegate} or a wrapped one. */
export type DelegateStep = (env: Verifier, state: DelegateState, event: DelegateEvent) => DelegateEffect[];

/** A behaviour layer: takes a step function and returns one with the same signature. */
export type Layer = (inner: DelegateStep) => DelegateStep;

type Send = Extract<DelegateEffect, { kind: "send" }>;
const isSend = (e: DelegateEffect): e is Send => e.kind === "send";
/** A leader's own proposal (path = [self]). */
const isOwnProposal = (e: DelegateEffect, self: NodeId): e is Send =>
  isSend(e) && e.msg.kind === "proposal" && e.msg.path.length === 1 && e.msg.path[0] === self;
/** A relayed proposal (path of two or more). */
const isRelay = (e: DelegateEffect): e is Send =>
  isSend(e) && e.msg.kind === "proposal" && e.msg.path.length >= 2;
const isDecision = (e: DelegateEffect): e is Send => isSend(e) && e.msg.kind === "decision";

/** Maps the effects of every step. */
const mapEffects =
  (f: (e: DelegateEffect, ev: DelegateEvent, env: Verifier) => DelegateEffect | undefined): Layer =>
  (inner) =>
  (env, s, ev) => inner(env, s, ev).flatMap((e) => f(e, ev, env) ?? []);

/**
 * `follower_error` / `follower_feasible` / `equivocate`: the leader also solves `variant`
 * and sends it, in place of the optimum, to `ids` (same round and leader).
 */
export function leaderSends(self: NodeId, ids: NodeId[], variant: ProposalVariant): Layer {
  return mapEffects((e, ev) => {
    if (e.kind === "solve") {
      return e.variants.includes(variant) ? e : { ...e, variants: [...e.variants, variant] };
    }
    if (ev.kind !== "solved" || !isOwnProposal(e, self) || !ids.includes(e.msg.to)) return e;
    const alt = ev.proposals[variant];
    if (!alt) return e;
    const honest = e.msg.proposal;
    return { ...e, msg: { ...e.msg, proposal: { ...alt, round: honest.round, leader: honest.leader } } };
  });
}

/** `follower_ignore`: as leader, send nothing to `ids` (self included if listed). */
export function followerIgnore(self: NodeId, ids: NodeId[]): Layer {
  return mapEffects((e) => isOwnProposal(e, self) && ids.includes(e.msg.to) ? undefined : e);
}

/** What a colluder pretends its check said. */
const UNCHECKED: Verdict = {
  verdict: "accepted",
  objective: NaN,
  lowerBound: NaN,
  gapUsd: NaN,
  maxViolation: NaN,
};

/**
 * `follower_collusion`: a proposal straight from a leader in `ids` (path of length 1) is
 * taken as valid without calling the verifier, marked `unchecked`, and relayed.
 */
export function followerCollusion(ids: NodeId[]): Layer {
  return (inner) => (env, s, ev) => {
    const p = ev?.kind === "receive" ? parseMessage(ev.msg) : undefined;
    if (!p?.ok || p.msg.kind !== "proposal" || p.msg.path.length !== 1 || !ids.includes(p.msg.path[0])) {
      return inner(env, s, ev);
    }
    const cert = p.msg.proposal.certificate;
    const blind: Verifier = { ...env, verify: (c) => c === cert ? UNCHECKED : env.verify(c) };
    return inner(blind, s, ev).map((e) => e.kind === "received" ? { ...e, unchecked: true } : e);
  };
}

/** `follower_trick_ignore`: never relay to `ids`. */
export function followerTrickIgnore(ids: NodeId[]): Layer {
  return mapEffects((e) => isRelay(e) && ids.includes(e.msg.to) ? undefined : e);
}

/** `follower_trick_error`: relays and decisions to `ids` carry a tampered certificate. */
export function followerTrickError(ids: NodeId[]): Layer {
  return mapEffects((e, _ev, env) => {
    if (!(isRelay(e) || isDecision(e)) || !ids.includes(e.msg.to)) return e;
    const proposal = { ...e.msg.proposal, certificate: env.tamper(e.msg.proposal.certificate) };
    return { ...e, msg: { ...e.msg, proposal } as Message };
  });
}

/** `delay_ms`: relays and decisions are held back `ms`. */
export function delayRelays(ms: number): Layer {
  return mapEffects((e) => isRelay(e) || isDecision(e) ? { ...e, delayMs: ms } : e);
}

/**
 * `crash_at_round`: on `roundStart(round)` the only effect is `crash` (the honest step
 * is not run). A shell that restarts the node after that crash builds the layer with
 * `alreadyCrashed: true`, so the resumed node (whose snapshot predates the round) does
 * not crash again when it is given the same `roundStart`.
 */
export function crashAtRound(round: number, alreadyCrashed = false): Layer {
  return (inner) => (env, s, ev) =>
    !alreadyCrashed && ev?.kind === "roundStart" && ev.round === round
      ? [{ kind: "crash", round }]
      : inner(env, s, ev);
}

/** Options of {@link withMisbehaviour}. */
export interface MisbehaviourOptions {
  /** The shell restarted this node after its `crash_at_round` crash. */
  alreadyCrashed?: boolean;
}

/**
 * The honest `step` wrapped by every behaviour `m` configures, innermost first:
 * leader substitutions (error, feasible, equivocate), follower_ignore, collusion,
 * trick_ignore, trick_error, delay, crash.
 *
 * @example
 * ```ts
 * import { stepDelegate } from "./delegate.ts";
 * const step = withMisbehaviour({ follower_ignore: [9, 10, 12], follower_error: [8, 11] }, 8, stepDelegate);
 * ```
 */
export function withMisbehaviour(
  m: Misbehaviour,
  self: NodeId,
  step: DelegateStep,
  options: MisbehaviourOptions = {},
): DelegateStep {
  const layers: Layer[] = [];
  const some = (ids?: NodeId[]): ids is NodeId[] => !!ids?.length;
  if (some(m.follower_error)) layers.push(leaderSends(self, m.follower_error, "selfish"));
  if (some(m.follower_feasible)) layers.push(leaderSends(self, m.follower_feasible, "feasible"));
  if (some(m.equivocate)) layers.push(leaderSends(self, m.equivocate, "alternative"));
  if (some(m.follower_ignore)) layers.push(followerIgnore(self, m.follower_ignore));
  if (some(m.follower_collusion)) layers.push(followerCollusion(m.follower_collusion));
  if (some(m.follower_trick_ignore)) layers.push(followerTrickIgnore(m.follower_trick_ignore));
  if (some(m.follower_trick_error)) layers.push(followerTrickError(m.follower_trick_error));
  if (m.delay_ms !== undefined && m.delay_ms > 0) layers.push(delayRelays(m.delay_ms));
  if (m.crash_at_round !== undefined) layers.push(crashAtRound(m.crash_at_round, options.alreadyCrashed));
  return layers.reduce((inner, layer) => layer(inner), step);
}
