/**
 * Adversarial behaviours (README.md "Adversary behaviours", types.ts {@link Misbehaviour}) as
 * layers around the honest delegate: each layer wraps a step function and
 * filters, replaces or delays the effects it returns (or, for collusion,
 * the verifier it is given). The honest machine never looks at a behaviour.
 *
 * @module
 */
import type { DelegateState } from "./delegate.ts";
import { CLAIM_TOLERANCE_USD } from "./digest.ts";
import { parseMessage } from "./messages.ts";
import type {
  DelegateEffect,
  DelegateEvent,
  Message,
  Misbehaviour,
  NodeId,
  Proposal,
  ProposalVariant,
  Screening,
  Verifier,
} from "./types.ts";
import type { Certificate, Verdict } from "../lp/certificate.ts";

/** A delegate step function: the honest `stepDelegate` (consensus/delegate.ts) or a wrapped one. */
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
 *
 * @example
 * ```ts
 * import { initDelegate, stepDelegate } from "./delegate.ts";
 * import type { Verifier } from "./types.ts";
 * const env = {} as Verifier; // a round start never consults the verifier
 * const step = leaderSends(8, [11], "selfish")(stepDelegate);
 * const s = initDelegate({ id: 8, delegates: [8, 9, 10, 11, 12], normals: [] });
 * console.log(step(env, s, { kind: "roundStart", round: 1 }).find((e) => e.kind === "solve"));
 * // { kind: "solve", round: 1, variants: ["optimal", "selfish"] }
 * ```
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

/**
 * `follower_ignore`: as leader, send nothing to `ids` (self included if listed).
 *
 * @example
 * ```ts
 * import { initDelegate, stepDelegate } from "./delegate.ts";
 * import type { Verifier } from "./types.ts";
 * const env = {} as Verifier; // round starts and solves never consult the verifier
 * const step = followerIgnore(8, [9, 10])(stepDelegate);
 * const s = initDelegate({ id: 8, delegates: [8, 9, 10, 11], normals: [] });
 * step(env, s, { kind: "roundStart", round: 1 });
 * const certificate = { format: "poso-certificate/1" as const, lpId: "", x: [], y: [] };
 * const optimal = { height: 1, round: 1, leader: 8, certificate, claimedCostUsd: 744 };
 * const out = step(env, s, { kind: "solved", round: 1, proposals: { optimal } });
 * console.log(out.map((e) => e.kind === "send" ? e.msg.to : e.kind)); // [8, 11]
 * ```
 */
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

/** Under the published rules (`protocol: published`) a layer's delegate follows the published semantics of its key. */
const publishedRules = (s: DelegateState) => s.config.protocol === "published";

const TRUST: Screening = { take: "trust" };

/**
 * `follower_collusion`: a proposal straight from a leader in `ids` (path of length 1) is
 * taken as valid without calling the verifier, marked `unchecked`, and relayed. Under the
 * published rules (`protocol: published`, the published code's
 * `distributed_consensus/scene/scene_type_poo.py`, `solve_data_validate`) it also refuses
 * everything else, unchecked: relayed copies, and every proposal of a leader not in `ids`,
 * its own included.
 *
 * @example
 * ```ts
 * import { stepDelegate } from "./delegate.ts";
 * const colluder = followerCollusion([8])(stepDelegate); // takes leader 8's proposals unchecked
 * ```
 */
export function followerCollusion(ids: NodeId[]): Layer {
  return (inner) => (env, s, ev) => {
    if (publishedRules(s)) {
      const who = ids.map((id) => s.config.names?.[id] ?? String(id)).join(", ");
      const refuse: Screening = {
        take: "refuse",
        reason: `refused unchecked: follower_collusion takes only copies straight from ${who}`,
      };
      // An outer layer's say (follower_trick_error) comes first, as in the published code.
      const screen = (path: NodeId[], p: Proposal) =>
        env.screen?.(path, p) ?? (path.length === 1 && ids.includes(path[0]) ? TRUST : refuse);
      return inner({ ...env, screen }, s, ev);
    }
    const p = ev?.kind === "receive" ? parseMessage(ev.msg) : undefined;
    if (!p?.ok || p.msg.kind !== "proposal" || p.msg.path.length !== 1 || !ids.includes(p.msg.path[0])) {
      return inner(env, s, ev);
    }
    const { certificate: cert, claimedCostUsd } = p.msg.proposal;
    const blind: Verifier = {
      ...env,
      verify: (c) => c === cert ? UNCHECKED : env.verify(c),
      costUsd: (c) => c === cert ? claimedCostUsd : env.costUsd(c), // the claim is taken as it comes
    };
    return inner(blind, s, ev).map((e) => e.kind === "received" ? { ...e, unchecked: true } : e);
  };
}

/**
 * `follower_trick_ignore`: never relay to `ids`.
 *
 * @example
 * ```ts
 * import { stepDelegate } from "./delegate.ts";
 * const step = followerTrickIgnore([9, 10, 12])(stepDelegate); // Scenario I's F: relays to nobody but C
 * ```
 */
export function followerTrickIgnore(ids: NodeId[]): Layer {
  return mapEffects((e) => isRelay(e) && ids.includes(e.msg.to) ? undefined : e);
}

/**
 * `follower_trick_error`: relays and decisions to `ids` carry a tampered certificate
 * (the verifier's `tamper`).
 *
 * Under the published rules (`protocol: published`, the published code's
 * `distributed_consensus/scene/scene_type_poo.py`: `solve_data_validate`,
 * `solve_forward_getter`, `get_error_solve`, `optimal_getter`) it takes every copy it
 * receives unchecked (the last one is what it commits), and what it relays and decides to
 * `ids` is the leader's non-optimal solution: the `selfish` variant, which it solves itself once
 * a day, at its first round start (the published leader copied its files to every delegate).
 * Until that solve is back it falls back on the tampered certificate. Each application of the
 * layer keeps its own solution: build one per delegate.
 *
 * @example
 * ```ts
 * import { stepDelegate } from "./delegate.ts";
 * const step = followerTrickError([9])(stepDelegate); // what it relays to 9 is tampered
 * ```
 */
export function followerTrickError(ids: NodeId[]): Layer {
  const paper = mapEffects((e, _ev, env) => {
    if (!(isRelay(e) || isDecision(e)) || !ids.includes(e.msg.to)) return e;
    const proposal = { ...e.msg.proposal, certificate: env.tamper(e.msg.proposal.certificate) };
    return { ...e, msg: { ...e.msg, proposal } as Message };
  });
  return (inner) => {
    const paperStep = paper(inner);
    /** The day's selfish solution, once solved (it depends on the day's problem only). */
    let kept: { height: number; proposal: Proposal } | undefined;
    return (env, s, ev) => {
      if (!publishedRules(s)) return paperStep(env, s, ev);
      const height = s.config.height ?? 1;
      if (ev?.kind === "solved" && ev.proposals?.selfish && ev.round === s.round) {
        kept = { height, proposal: ev.proposals.selfish };
      }
      const out = inner({ ...env, screen: () => TRUST }, s, ev);
      const selfish = kept?.height === height ? kept.proposal : undefined;
      if (ev?.kind === "roundStart" && ev.round === s.round && !s.committed && !s.decided && !selfish) {
        const solve = out.findIndex((e) => e.kind === "solve");
        const asked = out[solve];
        if (asked?.kind !== "solve") out.push({ kind: "solve", round: s.round, variants: ["selfish"] });
        else if (!asked.variants.includes("selfish")) {
          out[solve] = { ...asked, variants: [...asked.variants, "selfish"] };
        }
      }
      return out.map((e) => {
        if (!(isRelay(e) || isDecision(e)) || !ids.includes(e.msg.to)) return e;
        const p = e.msg.proposal;
        const proposal = selfish
          ? { ...selfish, height: p.height, round: p.round, leader: p.leader }
          : { ...p, certificate: env.tamper(p.certificate) };
        return { ...e, msg: { ...e.msg, proposal } as Message };
      });
    };
  };
}

/**
 * `delay_to`: every message to a listed delegate is held back that many more ms (adversarial timing).
 *
 * @example
 * ```ts
 * import { initDelegate, stepDelegate } from "./delegate.ts";
 * import type { Verifier } from "./types.ts";
 * const env = {} as Verifier; // round starts and solves never consult the verifier
 * const step = delayTo({ 9: 500 })(stepDelegate);
 * const s = initDelegate({ id: 8, delegates: [8, 9, 10], normals: [] });
 * step(env, s, { kind: "roundStart", round: 1 });
 * const certificate = { format: "poso-certificate/1" as const, lpId: "", x: [], y: [] };
 * const optimal = { height: 1, round: 1, leader: 8, certificate, claimedCostUsd: 744 };
 * const out = step(env, s, { kind: "solved", round: 1, proposals: { optimal } });
 * console.log(out.map((e) => e.kind === "send" ? [e.msg.to, e.delayMs] : e.kind));
 * // [[8, undefined], [9, 500], [10, undefined]]
 * ```
 */
export function delayTo(delays: Record<NodeId, number>): Layer {
  return mapEffects((e) => {
    if (!isSend(e)) return e;
    const extra = delays[e.msg.to];
    return extra && extra > 0 ? { ...e, delayMs: (e.delayMs ?? 0) + extra } : e;
  });
}

/**
 * A signature nobody made: 64 zero bytes, base64url. A forger cannot sign
 * as someone else, so this is what its shell sends in the leader's place.
 */
export const FORGED_SIGNATURE: string = "A".repeat(86);

/**
 * `forge_leader`: as a follower, it solves the `alternative` optimum (valid, but not what
 * the leader proposed) at each round start and sends it to `ids` as the round's leader's
 * proposal relayed by itself, with a made-up leader signature. Without signatures this
 * would frame an honest leader as an equivocator.
 *
 * @example
 * ```ts
 * import { initDelegate, stepDelegate } from "./delegate.ts";
 * import type { Verifier } from "./types.ts";
 * const env = {} as Verifier; // a round start never consults the verifier
 * const step = forgeLeader(10, [9])(stepDelegate);
 * const s = initDelegate({ id: 10, delegates: [8, 9, 10], normals: [] });
 * console.log(step(env, s, { kind: "roundStart", round: 1 }).at(-1));
 * // { kind: "solve", round: 1, variants: ["alternative"] }: then sends it to 9 as leader 8's
 * ```
 */
export function forgeLeader(self: NodeId, ids: NodeId[]): Layer {
  return (inner) => (env, s, ev) => {
    const out = inner(env, s, ev);
    const leader = s.leader;
    if (leader === undefined || leader === self || s.committed) return out;
    if (ev?.kind === "roundStart" && ev.round === s.round) {
      return [...out, { kind: "solve", round: s.round, variants: ["alternative"] }];
    }
    const alt = ev?.kind === "solved" && ev.round === s.round ? ev.proposals?.alternative : undefined;
    if (!alt) return out;
    const proposal = { ...alt, leader, round: s.round };
    for (const to of ids.filter((d) => d !== self)) {
      out.push({
        kind: "send",
        msg: {
          kind: "proposal",
          round: s.round,
          to,
          path: [leader, self],
          sigs: [FORGED_SIGNATURE],
          proposal,
        },
      });
    }
    return out;
  };
}

/** Most old messages a `replay_old` node keeps to re-send. */
export const MAX_REPLAYED = 4;

/**
 * `replay_old`: remembers (up to {@link MAX_REPLAYED}) proposals it received and, at every
 * later round start, re-sends them unchanged, signatures and all, to every other delegate.
 * Each call makes a layer with its own memory.
 *
 * @example
 * ```ts
 * import { stepDelegate } from "./delegate.ts";
 * const step = replayOld(10)(stepDelegate);
 * ```
 */
export function replayOld(self: NodeId): Layer {
  const kept: Message[] = [];
  return (inner) => (env, s, ev) => {
    const out = inner(env, s, ev);
    if (ev?.kind === "receive") {
      const p = parseMessage(ev.msg);
      if (p.ok && p.msg.kind === "proposal" && kept.length < MAX_REPLAYED) kept.push(p.msg);
    } else if (ev?.kind === "roundStart") {
      const height = s.config.height ?? 1;
      for (const old of kept) {
        if (old.proposal.height === height && old.round >= ev.round) continue;
        for (const to of s.config.delegates.filter((d) => d !== self)) {
          out.push({ kind: "send", msg: { ...old, to } });
        }
      }
    }
    return out;
  };
}

/** How far from the honest claim an `equivocate_metadata` leader's second claim lies, $ per day (within tolerance). */
export const METADATA_CLAIM_OFFSET_USD = CLAIM_TOLERANCE_USD / 2;

const restated = new WeakMap<Certificate, Certificate>();

/** The same certificate (same x and y objects) under another variant label; one object per input. */
function restate(c: Certificate): Certificate {
  let r = restated.get(c);
  if (!r) restated.set(c, r = { ...c, variant: `${c.variant ?? "optimal"} (restated)` });
  return r;
}

/**
 * `equivocate_metadata`: as leader, it sends `ids` the very dispatch it sends
 * the others, but with another variant label and a claimed cost
 * {@link METADATA_CLAIM_OFFSET_USD} higher (within the claim tolerance): both
 * copies pass every check, and they are two different signed proposals.
 *
 * @example
 * ```ts
 * import { initDelegate, stepDelegate } from "./delegate.ts";
 * import type { Verifier } from "./types.ts";
 * const env = {} as Verifier; // round starts and solves never consult the verifier
 * const step = equivocateMetadata(8, [10])(stepDelegate);
 * const s = initDelegate({ id: 8, delegates: [8, 9, 10], normals: [] });
 * step(env, s, { kind: "roundStart", round: 1 });
 * const certificate = { format: "poso-certificate/1" as const, lpId: "", variant: "optimal", x: [], y: [] };
 * const optimal = { height: 1, round: 1, leader: 8, certificate, claimedCostUsd: 744 };
 * const out = step(env, s, { kind: "solved", round: 1, proposals: { optimal } });
 * console.log(out.map((e) => e.kind === "send" ? e.msg.proposal.certificate.variant : e.kind));
 * // ["optimal", "optimal", "optimal (restated)"]
 * ```
 */
export function equivocateMetadata(self: NodeId, ids: NodeId[]): Layer {
  return mapEffects((e) => {
    if (!isOwnProposal(e, self) || !ids.includes(e.msg.to) || e.msg.kind !== "proposal") return e;
    const p = e.msg.proposal;
    const proposal = {
      ...p,
      claimedCostUsd: p.claimedCostUsd + METADATA_CLAIM_OFFSET_USD,
      certificate: restate(p.certificate),
    };
    return { ...e, msg: { ...e.msg, proposal } };
  });
}

/** How many times longer than the problem's an `oversize` node's x is (13,800 entries become 883,200). */
export const OVERSIZE_FACTOR = 64;

const bloated = new WeakMap<Certificate, Certificate>();

/** The certificate with its x repeated {@link OVERSIZE_FACTOR} times; one object per input. */
function bloat(c: Certificate): Certificate {
  let b = bloated.get(c);
  if (!b) {
    const n = c.x.length, x = new Float64Array(n * OVERSIZE_FACTOR);
    for (let k = 0; k < x.length; k++) x[k] = c.x[k % n];
    bloated.set(c, b = { ...c, variant: "oversize", x });
  }
  return b;
}

/**
 * `oversize`: every proposal it sends `ids` (its own as leader, or a relay)
 * carries an x {@link OVERSIZE_FACTOR} times longer than the problem's.
 * Receivers refuse it by its size, before hashing it to check a signature.
 *
 * @example
 * ```ts
 * import { stepDelegate } from "./delegate.ts";
 * const step = oversize([9])(stepDelegate); // what it sends 9 is 64 times too long
 * ```
 */
export function oversize(ids: NodeId[]): Layer {
  return mapEffects((e) => {
    if (!isSend(e) || e.msg.kind !== "proposal" || !ids.includes(e.msg.to)) return e;
    const proposal = { ...e.msg.proposal, certificate: bloat(e.msg.proposal.certificate) };
    return { ...e, msg: { ...e.msg, proposal } };
  });
}

/**
 * What a `junk` node sends `to` in `round`: values that are not messages,
 * unknown kinds, wrong types, an over-long path, an over-long signature and
 * a certificate of the wrong size. Plain data (a Worker can post it).
 *
 * @example
 * ```ts
 * console.log(junkPayloads(8, 9, 1).length); // 7
 * ```
 */
export function junkPayloads(self: NodeId, to: NodeId, round: number): unknown[] {
  // A proposal without vectors: each payload below fails for its own reason, not for its size.
  const bare = {
    height: 1,
    round,
    leader: self,
    claimedCostUsd: 0,
    certificate: { format: "junk", lpId: "junk" },
  };
  const wrongSize = { ...bare, certificate: { ...bare.certificate, x: [Number.NaN], y: [] } };
  return [
    { kind: "proposal", to, round, path: [self], proposal: "not a proposal" },
    { kind: "proposal", to, round: -1, path: [self], proposal: bare },
    { kind: "gossip", to, round, text: "junk" },
    { kind: "proposal", to, round, path: Array.from({ length: 100 }, (_, i) => i), proposal: bare },
    { kind: "decision", to, round, from: self, proposal: bare, sig: "A".repeat(10_000) },
    { kind: "decision", to, round, from: "self", proposal: { ...bare, claimedCostUsd: "cheap" } },
    { kind: "proposal", to, round, path: [self], proposal: wrongSize },
  ];
}

/**
 * `junk`: at every round start it sends every other delegate and every normal
 * node the {@link junkPayloads}. Receivers drop them with a reason.
 *
 * @example
 * ```ts
 * import { initDelegate, stepDelegate } from "./delegate.ts";
 * import type { Verifier } from "./types.ts";
 * const env = {} as Verifier; // a round start never consults the verifier
 * const step = junk(10)(stepDelegate);
 * const s = initDelegate({ id: 10, delegates: [8, 9, 10], normals: [6] });
 * console.log(step(env, s, { kind: "roundStart", round: 1 }).filter((e) => e.kind === "send").length); // 21
 * ```
 */
export function junk(self: NodeId): Layer {
  return (inner) => (env, s, ev) => {
    const out = inner(env, s, ev);
    if (ev?.kind !== "roundStart") return out;
    const targets = [...new Set([...s.config.delegates, ...s.config.normals])].filter((id) => id !== self);
    for (const to of targets) {
      for (const msg of junkPayloads(self, to, ev.round)) out.push({ kind: "send", msg: msg as Message });
    }
    return out;
  };
}

/**
 * `impersonate`: every proposal it sends (its own as leader, or a relay) goes
 * out instead as relayed on by each of `ids` (path `[...path, id]`, one copy
 * per id not already on the path nor the addressee), and every decision as
 * sent by each of `ids` (`from: id`). Its shell cannot sign for them, so their
 * signatures are missing and receivers drop the copies; a copy it cannot
 * impersonate anyone on goes out unchanged.
 *
 * @example
 * ```ts
 * import { initDelegate, stepDelegate } from "./delegate.ts";
 * import type { Verifier } from "./types.ts";
 * const env = {} as Verifier; // round starts and solves never consult the verifier
 * const step = impersonate(8, [6])(stepDelegate);
 * const s = initDelegate({ id: 8, delegates: [8, 9, 10], normals: [] });
 * step(env, s, { kind: "roundStart", round: 1 });
 * const certificate = { format: "poso-certificate/1" as const, lpId: "", x: [], y: [] };
 * const optimal = { height: 1, round: 1, leader: 8, certificate, claimedCostUsd: 744 };
 * const out = step(env, s, { kind: "solved", round: 1, proposals: { optimal } });
 * console.log(out.map((e) => e.kind === "send" && e.msg.kind === "proposal" ? e.msg.path : e.kind));
 * // [[8, 6], [8, 6], [8, 6]]: as if node 6 had relayed it
 * ```
 */
export function impersonate(self: NodeId, ids: NodeId[]): Layer {
  return (inner) => (env, s, ev) =>
    inner(env, s, ev).flatMap((e): DelegateEffect[] => {
      if (!isSend(e)) return [e];
      const msg = e.msg;
      if (msg.kind === "decision") {
        return msg.from !== self ? [e] : ids.map((from) => ({ ...e, msg: { ...msg, from } }));
      }
      if (msg.path[msg.path.length - 1] !== self) return [e];
      const names = ids.filter((id) => !msg.path.includes(id) && id !== msg.to);
      if (!names.length) return [e];
      return names.map((id) => ({ ...e, msg: { ...msg, path: [...msg.path, id] } }));
    });
}

/**
 * `delay_ms`: relays and decisions are held back `ms`.
 *
 * @example
 * ```ts
 * import { stepDelegate } from "./delegate.ts";
 * const step = delayRelays(250)(stepDelegate); // its relays and decisions leave 250 ms late
 * ```
 */
export function delayRelays(ms: number): Layer {
  return mapEffects((e) => isRelay(e) || isDecision(e) ? { ...e, delayMs: ms } : e);
}

/**
 * `crash_at_round`: on `roundStart(round)` the only effect is `crash` (the honest step
 * is not run). A shell that restarts the node after that crash builds the layer with
 * `alreadyCrashed: true`, so the resumed node (whose snapshot predates the round) does
 * not crash again when it is given the same `roundStart`.
 *
 * @example
 * ```ts
 * import { initDelegate, stepDelegate } from "./delegate.ts";
 * import type { Verifier } from "./types.ts";
 * const env = {} as Verifier; // a round start never consults the verifier
 * const s = initDelegate({ id: 9, delegates: [8, 9, 10], normals: [] });
 * console.log(crashAtRound(1)(stepDelegate)(env, s, { kind: "roundStart", round: 1 })); // [{ kind: "crash", round: 1 }]
 * ```
 */
export function crashAtRound(round: number, alreadyCrashed = false): Layer {
  return (inner) => (env, s, ev) =>
    !alreadyCrashed && ev?.kind === "roundStart" && ev.round === round
      ? [{ kind: "crash", round }]
      : inner(env, s, ev);
}

/**
 * One layer under the `paper` and `strict` rules, another under the `published` ones (the
 * protocol is read from the delegate's configuration at every step).
 *
 * @example
 * ```ts
 * import { stepDelegate } from "./delegate.ts";
 * const step = byProtocol(followerTrickIgnore([9]), (inner) => inner)(stepDelegate); // published: relays to 9 too
 * ```
 */
export function byProtocol(otherwise: Layer, published: Layer): Layer {
  return (inner) => {
    const a = otherwise(inner), b = published(inner);
    return (env, s, ev) => (publishedRules(s) ? b : a)(env, s, ev);
  };
}

/** Options of {@link withMisbehaviour}. */
export interface MisbehaviourOptions {
  /** The shell restarted this node after its `crash_at_round` crash. */
  alreadyCrashed?: boolean;
}

/**
 * The honest `step` wrapped by every behaviour `m` configures, innermost first (under the
 * `published` rules a delegate listed under both `follower_error` and `follower_feasible` gets
 * the selfish dispatch, as in the published code; otherwise the feasible one):
 * leader substitutions (error, feasible, equivocate, equivocate_metadata), follower_ignore,
 * collusion, trick_ignore, trick_error, forge_leader, oversize, impersonate, junk, replay_old,
 * delay_ms, delay_to, crash.
 * (`crash_in_ledger_write` is carried out by the Worker shell, which writes the ledger.)
 *
 * @example
 * ```ts
 * import { initDelegate, stepDelegate } from "./delegate.ts";
 * import type { Verifier } from "./types.ts";
 * const env = {} as Verifier; // a round start never consults the verifier
 * // Scenario I's leader C (id 8):
 * const step = withMisbehaviour({ follower_ignore: [9, 10, 12], follower_error: [8, 11] }, 8, stepDelegate);
 * const s = initDelegate({ id: 8, delegates: [8, 9, 10, 11, 12], normals: [6, 7] });
 * console.log(step(env, s, { kind: "roundStart", round: 1 }).find((e) => e.kind === "solve"));
 * // { kind: "solve", round: 1, variants: ["optimal", "selfish"] }
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
  if (some(m.follower_feasible)) {
    // The published code sends a delegate listed under both the non-optimal (error) solution.
    const feasibleOnly = m.follower_feasible.filter((id) => !m.follower_error?.includes(id));
    const paper = leaderSends(self, m.follower_feasible, "feasible");
    layers.push(
      feasibleOnly.length === m.follower_feasible.length ? paper : byProtocol(
        paper,
        feasibleOnly.length ? leaderSends(self, feasibleOnly, "feasible") : (inner) => inner,
      ),
    );
  }
  if (some(m.equivocate)) layers.push(leaderSends(self, m.equivocate, "alternative"));
  if (some(m.equivocate_metadata)) layers.push(equivocateMetadata(self, m.equivocate_metadata));
  if (some(m.follower_ignore)) layers.push(followerIgnore(self, m.follower_ignore));
  if (some(m.follower_collusion)) layers.push(followerCollusion(m.follower_collusion));
  if (some(m.follower_trick_ignore)) layers.push(followerTrickIgnore(m.follower_trick_ignore));
  if (some(m.follower_trick_error)) layers.push(followerTrickError(m.follower_trick_error));
  if (some(m.forge_leader)) layers.push(forgeLeader(self, m.forge_leader));
  if (some(m.oversize)) layers.push(oversize(m.oversize));
  if (some(m.impersonate)) layers.push(impersonate(self, m.impersonate));
  if (m.junk) layers.push(junk(self));
  if (m.replay_old) layers.push(replayOld(self));
  if (m.delay_ms !== undefined && m.delay_ms > 0) layers.push(delayRelays(m.delay_ms));
  if (m.delay_to && Object.keys(m.delay_to).length) layers.push(delayTo(m.delay_to));
  if (m.crash_at_round !== undefined) layers.push(crashAtRound(m.crash_at_round, options.alreadyCrashed));
  return layers.reduce((inner, layer) => layer(inner), step);
}
