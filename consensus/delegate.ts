/**
 * The honest delegate (docs/protocol.md), as a pure state
 * machine in the style of etcd-io/raft: the shell feeds events to
 * {@link stepDelegate} and carries out the effects it returns. The state
 * object belongs to the machine, which mutates it in place; the step is
 * deterministic and never throws.
 *
 * Dishonest delegates are this machine wrapped by consensus/behaviours.ts.
 *
 * @module
 */
import { claimProblem } from "./digest.ts";
import type { Verdict } from "../lp/certificate.ts";
import { formatAmount } from "../problems/types.ts";
import { type MessageShape, parseMessage } from "./messages.ts";
import { proposalDigest } from "./signing.ts";
import type {
  DelegateEffect,
  DelegateEvent,
  DelegateSnapshot,
  NodeId,
  Proposal,
  ProposalMessage,
  ProtocolVariant,
  Verifier,
} from "./types.ts";

/**
 * Static configuration of a delegate.
 *
 * @example
 * ```ts
 * import type { DelegateConfig } from "../mod.ts";
 * // Delegate D (id 9) of Scenario I, deciding day 3 with Dolev-Strong relay phases:
 * const config: DelegateConfig = {
 *   id: 9, delegates: [8, 9, 10, 11, 12], normals: [6, 7, 8, 9, 10, 11, 12], height: 3, protocol: "strict",
 * };
 * ```
 */
export interface DelegateConfig {
  /** This delegate's id. */
  id: NodeId;
  /** Names of participants, for readable drop reasons (optional). */
  names?: Record<NodeId, string>;
  /** Every delegate's id, this one included. */
  delegates: NodeId[];
  /** Every normal node's id (decisions go to them). */
  normals: NodeId[];
  /** Height of the block being decided (default 1): proposals for any other block are replays. */
  height?: number;
  /**
   * `paper` (default): the article's rules, relays accepted until the round's timeout.
   * `strict`: Dolev-Strong relay phases 1..f+1. `published`: the rules of the article's published
   * code (see {@link stepDelegate} and docs/protocol.md).
   */
  protocol?: ProtocolVariant;
  /** Strict mode: dishonest delegates tolerated (default: the largest number below half of the delegates). */
  f?: number;
  /** Leader rotation across days: the first leader is the first non-blacklisted delegate after this id. */
  startAfter?: NodeId;
  /**
   * The problem's message shape (its LP's column and row counts): a proposal of any other size is
   * dropped before it is hashed or checked. Default: only the generic bound of consensus/messages.ts.
   */
  shape?: MessageShape;
}

/**
 * The default f: the largest number of delegates below half of them.
 *
 * @example
 * ```ts
 * console.log(defaultFaults(5), defaultFaults(4), defaultFaults(3)); // 2 1 1
 * ```
 */
export function defaultFaults(delegates: number): number {
  return Math.max(0, Math.ceil(delegates / 2) - 1);
}

/** The machine's state. Treat as opaque; persist the snapshots from `persist` effects instead. */
export interface DelegateState {
  /** The static configuration. */
  config: DelegateConfig;
  /** Current round, 0 before the first `roundStart`. */
  round: number;
  /** The current round's leader (fixed at `roundStart`), undefined when every delegate is blacklisted. */
  leader: NodeId | undefined;
  /** The delegates it has blacklisted, in order. */
  blacklist: NodeId[];
  /** Proposals received in the current round (path, signatures, proposal), as received. */
  received: { path: NodeId[]; sigs?: string[]; proposal: Proposal }[];
  /**
   * Set once the delegate has committed (round, leader, dispatch digest, proposal digest); it then
   * takes no further part.
   */
  committed?: { round: number; leader: NodeId; digest: string; proposalDigest?: string };
  /** True once the current round's `roundEnd` was handled. */
  decided: boolean;
  /**
   * Distinct valid proposals of the round's leader, by proposal digest (everything the proposal
   * asserts), in arrival order, with their dispatch digest and the leader's signature.
   */
  valid: Map<string, { proposal: Proposal; digest: string; leaderSig?: string }>;
  /** Strict mode: the current relay phase (1 .. f+1). */
  phase: number;
  /**
   * Published rules: the proposal this delegate would commit now (its proposal digest), its true
   * daily cost in $ (the dispatch's, as `Verifier.costUsd` computes it), and whether it was taken
   * unchecked (then no checked copy displaces it).
   */
  chosen?: { id: string; costUsd: number; unchecked: boolean };
  /** Proposal digests relayed this round (at most two; one under the published rules). */
  relayed: Set<string>;
  /** Set after resuming: `valid`/`relayed` must be rebuilt from `received` (needs the verifier). */
  stale: boolean;
}

/** Most distinct proposals a delegate relays per round: a second one already proves equivocation. */
export const MAX_RELAYED_PER_ROUND = 2;

/** Under the published rules a delegate relays only the first valid copy of the round's leader's proposals. */
export const PUBLISHED_RELAYED_PER_ROUND = 1;

/**
 * The leader a delegate with this blacklist follows: the lowest delegate id
 * not on `blacklist` or, with `config.startAfter` (multi-day leader
 * rotation), the first such id after `startAfter`, wrapping around.
 *
 * @example
 * ```ts
 * const config = { id: 9, delegates: [8, 9, 10, 11, 12], normals: [] };
 * console.log(leaderOf(config, [8]), leaderOf({ ...config, startAfter: 11 }, [12])); // 9 8
 * ```
 */
export function leaderOf(
  config: Pick<DelegateConfig, "delegates" | "startAfter">,
  blacklist: NodeId[],
): NodeId | undefined {
  const ids = config.delegates.filter((d) => !blacklist.includes(d)).sort((a, b) => a - b);
  if (!ids.length) return undefined;
  const after = config.startAfter;
  return after === undefined ? ids[0] : ids.find((d) => d > after) ?? ids[0];
}

/**
 * The blacklist after a block committed in `round`: `start` (the blacklist the
 * day began with) plus the leaders of rounds 1..round-1, which every honest
 * delegate blacklisted, sorted by id. It follows from the rules alone, so every
 * participant (normal nodes too) and the supervisor derive the same one.
 *
 * @example
 * ```ts
 * console.log(blacklistAfter({ delegates: [8, 9, 10, 11, 12] }, [], 3)); // [8, 9]
 * ```
 */
export function blacklistAfter(
  config: Pick<DelegateConfig, "delegates" | "startAfter">,
  start: NodeId[],
  round: number,
): NodeId[] {
  const list = [...new Set(start)];
  for (let r = 1; r < round; r++) {
    const leader = leaderOf(config, list);
    if (leader !== undefined) list.push(leader);
  }
  return list.sort((a, b) => a - b);
}

/**
 * A fresh delegate, or one resuming from a snapshot of a `persist` effect.
 * A resumed delegate re-checks what it had received this round on its next
 * step (verification is pure, so it reaches the same conclusions).
 *
 * @example
 * ```ts
 * const config = { id: 9, delegates: [8, 9, 10], normals: [6] };
 * const fresh = initDelegate(config);
 * const resumed = initDelegate(config, { id: 9, round: 2, blacklist: [8], received: [] });
 * console.log(fresh.round, fresh.leader, resumed.round, resumed.leader); // 0 8 2 9
 * ```
 */
export function initDelegate(config: DelegateConfig, snapshot?: DelegateSnapshot): DelegateState {
  const blacklist = [...(snapshot?.blacklist ?? [])];
  return {
    config,
    round: snapshot?.round ?? 0,
    leader: leaderOf(config, blacklist),
    blacklist,
    received: [...(snapshot?.received ?? [])],
    ...(snapshot?.committed ? { committed: { ...snapshot.committed } } : {}),
    decided: false,
    valid: new Map(),
    phase: 1,
    relayed: new Set(),
    stale: (snapshot?.received.length ?? 0) > 0,
  };
}

/**
 * The current round's leader as this delegate sees it.
 *
 * @example
 * ```ts
 * console.log(currentLeader(initDelegate({ id: 9, delegates: [8, 9, 10], normals: [] }, {
 *   id: 9, round: 1, blacklist: [8], received: [],
 * }))); // 9
 * ```
 */
export function currentLeader(state: DelegateState): NodeId | undefined {
  return state.leader;
}

/**
 * What a `persist` effect would carry now.
 *
 * @example
 * ```ts
 * const s = initDelegate({ id: 9, delegates: [8, 9, 10], normals: [] });
 * console.log(delegateSnapshot(s)); // { id: 9, round: 0, blacklist: [], received: [] }
 * ```
 */
export function delegateSnapshot(state: DelegateState): DelegateSnapshot {
  return {
    id: state.config.id,
    round: state.round,
    blacklist: [...state.blacklist],
    received: state.received.map((r) => ({
      path: [...r.path],
      ...(r.sigs ? { sigs: [...r.sigs] } : {}),
      proposal: r.proposal,
    })),
    ...(state.committed ? { committed: { ...state.committed } } : {}),
  };
}

const name = (s: DelegateState, id: NodeId) => s.config.names?.[id] ?? String(id);

/** Delegates this one sends to: every other non-blacklisted delegate not in `except`. */
function peers(s: DelegateState, except: NodeId[] = []): NodeId[] {
  const me = s.config.id;
  return s.config.delegates.filter((d) => d !== me && !s.blacklist.includes(d) && !except.includes(d));
}

const strict = (s: DelegateState) => s.config.protocol === "strict";
const published = (s: DelegateState) => s.config.protocol === "published";
const faults = (s: DelegateState) => s.config.f ?? defaultFaults(s.config.delegates.length);

/**
 * Checks a received proposal (certificate, then claimed cost), records it and relays it if it is
 * a new valid one. Proposals are told apart by their proposal digest: the same dispatch with
 * another claimed cost or variant label is another proposal.
 */
function accept(
  env: Verifier,
  s: DelegateState,
  path: NodeId[],
  sigs: string[] | undefined,
  proposal: Proposal,
  out: DelegateEffect[],
) {
  const me = s.config.id;
  const pub = published(s);
  const digest = env.digest(proposal.certificate);
  const id = proposalDigest(proposal);
  const received = { kind: "received", round: s.round, path, digest, proposalDigest: id } as const;
  // Published rules: a behaviour layer may trust or refuse a copy before any check, and a leader
  // takes its own proposal unchecked.
  const screen = pub ? env.screen?.(path, proposal) : undefined;
  if (screen?.take === "refuse") {
    return void out.push({ ...received, verdict: "refused", reason: screen.reason });
  }
  const unchecked = pub && (screen?.take === "trust" || path[0] === me);
  if (unchecked) out.push({ ...received, verdict: "accepted", unchecked: true });
  else {
    const verdict = env.verify(proposal.certificate);
    const checked = verdict.verdict;
    const claim = checked === "accepted" ? claimProblem(env, proposal) : undefined;
    const reason = claim ? `misclaimed: ${claim}` : rejectionReason(env, verdict);
    out.push({
      ...received,
      verdict: claim ? "misclaimed" : checked,
      ...(reason ? { reason } : {}),
    });
    if (checked !== "accepted" || claim) return;
  }
  const leaderSig = sigs?.[0];
  if (!s.valid.has(id)) {
    const first = s.valid.entries().next().value;
    s.valid.set(id, { proposal, digest, leaderSig });
    if (first?.[1].leaderSig && leaderSig && s.valid.size === 2) {
      const evidence = {
        leader: proposal.leader,
        height: proposal.height,
        round: proposal.round,
        a: { proposal: first[0], sig: first[1].leaderSig },
        b: { proposal: id, sig: leaderSig },
      };
      out.push({ kind: "evidence", evidence });
    }
  }
  if (pub) choose(env, s, id, proposal, unchecked);
  // A delegate already on the path (the leader's copy to itself) has sent this proposal already.
  if (path.includes(me)) return;
  if (
    pub
      ? s.relayed.size >= PUBLISHED_RELAYED_PER_ROUND
      : s.relayed.has(id) || s.relayed.size >= MAX_RELAYED_PER_ROUND
  ) {
    return;
  }
  // Strict mode: what is accepted in the last phase (f+1) would reach others too late to count.
  if (strict(s) && s.phase > faults(s)) return;
  s.relayed.add(id);
  const relayPath = [...path, me];
  // Published rules: to every other non-blacklisted delegate but the leader, the sender included.
  for (const to of peers(s, pub ? [path[0]] : path)) {
    out.push({
      kind: "send",
      msg: { kind: "proposal", round: s.round, to, path: relayPath, sigs: [...(sigs ?? [])], proposal },
    });
  }
}

/**
 * Published rules: the proposal to commit is the one with the largest true cost among the valid
 * copies (the first of equal ones), unless one was taken unchecked: the last such one is kept
 * whatever follows.
 */
function choose(env: Verifier, s: DelegateState, id: string, proposal: Proposal, unchecked: boolean): void {
  const costUsd = env.costUsd(proposal.certificate);
  if (unchecked) s.chosen = { id, costUsd, unchecked };
  else if (!s.chosen || (!s.chosen.unchecked && costUsd > s.chosen.costUsd)) {
    s.chosen = { id, costUsd, unchecked };
  }
}

/** Rebuilds `valid`/`relayed` of a resumed delegate from what it had received (no sends). */
function rebuild(env: Verifier, s: DelegateState): void {
  s.stale = false;
  for (const { path, sigs, proposal } of s.received) accept(env, s, path, sigs, proposal, []);
}

function onReceive(env: Verifier, s: DelegateState, raw: unknown, out: DelegateEffect[]): boolean {
  const drop = (reason: string) => (out.push({ kind: "drop", reason, msg: raw }), false);
  const parsed = parseMessage(raw, s.config.shape);
  if (!parsed.ok) return drop(`malformed: ${parsed.reason}`);
  const msg = parsed.msg;
  if (msg.kind !== "proposal") return drop("a decision is for the normal-node machine");
  if (msg.to !== s.config.id) return drop(`addressed to ${name(s, msg.to)}`);
  const height = s.config.height ?? 1;
  if (msg.proposal.height !== height) {
    const what = msg.proposal.height < height ? "replay: " : "";
    return drop(`${what}a proposal for block ${msg.proposal.height} (this is block ${height})`);
  }
  if (s.committed) return drop("already committed");
  if (msg.round < s.round) return drop(`stale round ${msg.round} (replay)`);
  if (msg.round > s.round) return drop("future round");
  if (s.decided) return drop("round already decided");
  if (msg.path[0] !== s.leader) {
    return drop(`not from this round's leader (${s.leader === undefined ? "none" : name(s, s.leader)})`);
  }
  const m = msg as ProposalMessage;
  // Only delegates relay: a signature of anyone else would count towards strict mode's k signers
  // without being one of the delegates whose faults f bounds.
  const outsider = m.path.find((id) => !s.config.delegates.includes(id));
  if (outsider !== undefined) {
    return drop(`relayed through ${name(s, outsider)}, which is not a delegate (only delegates relay)`);
  }
  // Strict mode (Dolev-Strong): in phase k a proposal needs k distinct delegates' signatures, leader first.
  if (strict(s) && m.path.length < s.phase) {
    return drop(`late: phase ${s.phase} needs ${s.phase} signatures, this copy has ${m.path.length}`);
  }
  const sigs = m.sigs ? [...m.sigs] : undefined;
  s.received.push({ path: [...m.path], ...(sigs ? { sigs } : {}), proposal: m.proposal });
  accept(env, s, [...m.path], sigs, m.proposal, out);
  return true;
}

function onRoundStart(s: DelegateState, round: number, out: DelegateEffect[]): boolean {
  if (s.committed || round < s.round) return false;
  const fresh = round > s.round;
  if (!fresh && s.decided) return false;
  if (fresh) {
    Object.assign(s, {
      round,
      received: [],
      decided: false,
      valid: new Map(),
      relayed: new Set(),
      phase: 1,
      chosen: undefined,
    });
  }
  s.leader = leaderOf(s.config, s.blacklist);
  if (s.leader === s.config.id) out.push({ kind: "solve", round, variants: ["optimal"] });
  return fresh;
}

function onSolved(s: DelegateState, e: Extract<DelegateEvent, { kind: "solved" }>, out: DelegateEffect[]) {
  const proposal = e.proposals.optimal;
  const me = s.config.id;
  if (s.committed || s.decided || e.round !== s.round || s.leader !== me || !proposal) return;
  for (const to of [me, ...peers(s)]) {
    out.push({ kind: "send", msg: { kind: "proposal", round: s.round, to, path: [me], sigs: [], proposal } });
  }
}

function onPhase(s: DelegateState, round: number, phase: number): void {
  if (round === s.round && !s.decided && Number.isSafeInteger(phase)) s.phase = Math.max(s.phase, phase);
}

function onRoundEnd(s: DelegateState, round: number, out: DelegateEffect[]): boolean {
  if (s.committed || s.decided || round !== s.round || s.leader === undefined) return false;
  s.decided = true;
  const leader = s.leader;
  // Published rules: commit the chosen proposal if there is one, however many valid ones came.
  const pick = published(s)
    ? (s.chosen ? [s.chosen.id, s.valid.get(s.chosen.id)!] as const : undefined)
    : s.valid.size === 1
    ? [...s.valid][0]
    : undefined;
  if (pick) {
    const [id, { proposal, digest, leaderSig }] = pick;
    s.committed = { round, leader, digest, proposalDigest: id };
    out.push({ kind: "commit", round, leader, digest, proposalDigest: id, proposal });
    for (const to of s.config.normals) {
      out.push({
        kind: "send",
        msg: {
          kind: "decision",
          round,
          from: s.config.id,
          to,
          proposal,
          ...(leaderSig ? { leaderSig } : {}),
        },
      });
    }
  } else {
    s.blacklist.push(leader);
    const reason = s.valid.size === 0 ? "no valid proposal" : "equivocation";
    out.push({ kind: "blacklist", round, leader, reason });
  }
  return true;
}

/**
 * One step of the honest delegate. Returns the effects to carry out, a
 * `persist` first whenever the durable state changed (persist before send).
 *
 * Identity: two proposals are the same only when their proposal digests
 * (consensus/signing.ts: dispatch, certificate, claimed cost, variant label,
 * height, round, leader) are equal; a proposal counts as valid when its
 * certificate passes the check and its claimed cost is within
 * `CLAIM_TOLERANCE_USD` of the dispatch's true cost. Two distinct valid
 * proposals of the leader are equivocation, whatever differs between them.
 *
 * Only delegates relay: a copy whose path names a participant that is not a
 * delegate is dropped, in both modes.
 *
 * Strict mode (`protocol: "strict"`, Dolev-Strong): the round has relay
 * phases 1..f+1 of fixed length, the shell announcing phases 2..f+1 with
 * `phase` events and the end with `roundEnd`. A proposal received in phase k
 * is taken only if it carries at least k signatures of distinct delegates,
 * leader first (the shell has verified every signature), and is relayed,
 * with this delegate's signature added, only while k <= f. So whatever one
 * honest delegate takes, every honest delegate holds by the end of phase
 * f+1, and all of them reach the same decision (commit exactly when they
 * hold one distinct valid proposal).
 *
 * Published rules (`protocol: "published"`, the article's published code;
 * docs/protocol.md cites the file of each rule): the leader takes its own
 * proposal unchecked; a delegate relays only the first valid copy of the
 * round (to every other non-blacklisted delegate but the leader); at the
 * round's end it commits if it holds any valid proposal, the one with the
 * largest true cost (the first of equal ones; one taken unchecked is kept
 * whatever follows), and blacklists the leader only when it holds none.
 * Equivocation is not a reason to blacklist (evidence is still reported).
 * Behaviour layers may trust or refuse copies before the check
 * (`Verifier.screen`).
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase } from "../mod.ts";
 * import { makeVerifier } from "./digest.ts";
 * const env = makeVerifier(buildDispatchModel(await loadUomCase()));
 * const s = initDelegate({ id: 8, delegates: [8, 9], normals: [] });
 * console.log(stepDelegate(env, s, { kind: "roundStart", round: 1 })[1]); // { kind: "solve", round: 1, variants: ["optimal"] }
 * ```
 */
export function stepDelegate(env: Verifier, state: DelegateState, event: DelegateEvent): DelegateEffect[] {
  const out: DelegateEffect[] = [];
  let changed = false;
  try {
    if (state.stale) rebuild(env, state);
    switch (event?.kind) {
      case "roundStart":
        changed = Number.isSafeInteger(event.round) && event.round >= 1 &&
          onRoundStart(state, event.round, out);
        break;
      case "phase":
        onPhase(state, event.round, event.phase);
        break;
      case "roundEnd":
        changed = onRoundEnd(state, event.round, out);
        break;
      case "receive":
        changed = onReceive(env, state, event.msg, out);
        break;
      case "solved":
        if (event.proposals && typeof event.proposals === "object") onSolved(state, event, out);
        break;
    }
  } catch (e) {
    // Only a faulty verifier can throw: report it as a drop instead of killing the actor.
    out.push({ kind: "drop", reason: `internal error: ${e instanceof Error ? e.message : e}`, msg: event });
  }
  if (changed) out.unshift({ kind: "persist", snapshot: delegateSnapshot(state) });
  return out;
}

/** Longest detail of a rejection in the trace (a row's name, a mispricing), characters. */
const MAX_REJECTION_DETAIL_CHARS = 100;

/**
 * Why a certificate was rejected, for the trace: its verdict and the figure that decided it
 * (`suboptimal (gap $160.12)`, `infeasible (row bus15.p[t18])`, `mispriced (...)`); undefined
 * when it was accepted. Amounts in the problem kind's unit.
 */
function rejectionReason(env: Verifier, v: Verdict): string | undefined {
  const cap = (t: string) =>
    t.length > MAX_REJECTION_DETAIL_CHARS ? `${t.slice(0, MAX_REJECTION_DETAIL_CHARS - 1)}…` : t;
  switch (v.verdict) {
    case "accepted":
      return undefined;
    case "suboptimal":
      // A verifier made for a doc example may lack a unit; every problem kind's has one.
      return `suboptimal (gap ${env.cost ? formatAmount(env.cost, v.gapUsd) : v.gapUsd.toFixed(2)})`;
    case "infeasible":
      return `infeasible (${cap(`${v.worst.kind} ${v.worst.name}`)})`;
    default:
      return `${v.verdict} (${cap(v.reason)})`;
  }
}
