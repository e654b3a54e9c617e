/**
 * The vocabulary of the PoSo protocol (docs/protocol.md): participants, proposals,
 * messages, and the events and effects of the delegate state machine.
 *
 * Everything in consensus/ is pure: no Deno APIs, no timers, no `await`.
 * The shells (the Worker runtime in actors/, the deterministic simulator)
 * feed events in and carry out the effects that come back.
 *
 * @module
 */
import type { Certificate, Verdict } from "../lp/certificate.ts";
import type { CostUnit } from "../problems/types.ts";

/** A participant's numeric id (u32). */
export type NodeId = number;

/**
 * The protocol variants (docs/protocol.md): `paper`, the article's rules; `strict`, Dolev-Strong
 * relay phases; `published`, the rules of the article's published code where they differ from the
 * article's.
 *
 * @example
 * ```ts
 * import { PROTOCOLS } from "../mod.ts";
 * console.log(PROTOCOLS.join(", ")); // paper, strict, published
 * ```
 */
export const PROTOCOLS = ["paper", "strict", "published"] as const;

/** One of {@link PROTOCOLS}. */
export type ProtocolVariant = typeof PROTOCOLS[number];

/** The proposals a leader can produce (problems/ies-dispatch/variants.ts); `alternative` is another optimum of the same LP. */
export type ProposalVariant = typeof PROPOSAL_VARIANTS[number];

/**
 * The roles a proposal can play, honest first; every problem kind produces each:
 * - `optimal`: the optimum with its certificate (what an honest leader sends);
 * - `selfish`: the optimum of a biased objective (feasible, not optimal: fails the gap);
 * - `feasible`: another feasible, clearly non-optimal solution (fails the gap);
 * - `corrupt`: a solution that looks cheaper but breaks a constraint (fails feasibility);
 * - `alternative`: another optimum, also valid: what an equivocating leader sends.
 *
 * @example
 * ```ts
 * import { PROPOSAL_VARIANTS } from "../mod.ts";
 * console.log(PROPOSAL_VARIANTS[0], PROPOSAL_VARIANTS.length); // optimal 5
 * ```
 */
export const PROPOSAL_VARIANTS = ["optimal", "selfish", "feasible", "corrupt", "alternative"] as const;

/**
 * A leader's proposal for one round of one block: a dispatch with its certificate.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, type Proposal, solveVariant } from "../mod.ts";
 * const s = await solveVariant(buildDispatchModel(await loadUomCase()), "optimal");
 * const p: Proposal = { height: 1, round: 2, leader: 9, certificate: s.certificate, claimedCostUsd: s.cost.total };
 * console.log(Math.round(p.claimedCostUsd)); // 744
 * ```
 */
export interface Proposal {
  /** Block height (day) the proposal is for. */
  height: number;
  /** Round (1-based) of the block in which the leader proposes. */
  round: number;
  /** The proposing leader's id. */
  leader: NodeId;
  /** The dispatch and its duality certificate. */
  certificate: Certificate;
  /**
   * Cost the leader claims, in the problem kind's cost unit ($ per day for the dispatch). Receivers
   * that check the proposal compute the true cost themselves and reject a claim off by more than the
   * unit's `claimTolerance` (consensus/digest.ts claimProblem); it is part of what the leader signs,
   * so two claims are two proposals.
   */
  claimedCostUsd: number;
}

/**
 * A proposal on the wire. `path` is the leader followed by every relayer, so
 * `[D]` came straight from leader D and `[D, E]` is D's proposal relayed by E.
 * The sender is the last element of `path`.
 *
 * `sigs[i]` is path[i]'s signature (consensus/signing.ts): the leader's over
 * the proposal, each relayer's over the content, the path so far and the
 * previous signature. The machines only copy signatures; the shells sign
 * what a machine sends (the sender's own signature is the missing last one)
 * and drop what fails verification before a machine sees it.
 *
 * @example
 * ```ts
 * import type { Proposal, ProposalMessage } from "../mod.ts";
 * // Leader D's (id 9) round-2 proposal as E (id 10) relays it to G (id 12), with D's signature and E's:
 * const relayed = (proposal: Proposal, sigD: string, sigE: string): ProposalMessage =>
 *   ({ kind: "proposal", round: 2, to: 12, path: [9, 10], sigs: [sigD, sigE], proposal });
 * ```
 */
export interface ProposalMessage {
  /** Message kind tag. */
  kind: "proposal";
  /** Round (1-based) the message belongs to; equals `proposal.round`. */
  round: number;
  /** Addressee id. */
  to: NodeId;
  /** The leader, then every relayer; the last entry is the sender. */
  path: NodeId[];
  /** Signatures (base64url), `sigs[i]` by `path[i]`; absent in unsigned runs. */
  sigs?: string[];
  /** The leader's proposal, as relayed. */
  proposal: Proposal;
}

/** A delegate's commit, sent to every normal node. */
export interface DecisionMessage {
  /** Message kind tag. */
  kind: "decision";
  /** Round (1-based) in which `from` committed. */
  round: number;
  /** The deciding delegate's id. */
  from: NodeId;
  /** Addressee id (a normal node). */
  to: NodeId;
  /** The committed proposal. */
  proposal: Proposal;
  /** The leader's signature of `proposal` (as the deciding delegate received it). */
  leaderSig?: string;
  /** `from`'s signature of the decision (added by its shell). */
  sig?: string;
}

/** Every message of the protocol. */
export type Message = ProposalMessage | DecisionMessage;

/**
 * What the state machines need from the optimisation core, as pure functions
 * ({@link makeVerifier} builds one from a participant's own model).
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, makeVerifier, solveVariant } from "../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const env = makeVerifier(model);
 * const { certificate } = await solveVariant(model, "selfish");
 * console.log(env.verify(certificate).verdict, Math.round(env.costUsd(certificate))); // suboptimal 904
 * ```
 */
export interface Verifier {
  /** Checks a certificate against the LP this participant built itself. */
  verify(cert: Certificate): Verdict;
  /**
   * Identity of a dispatch: SHA-256 of its x. For the trace and the ledger's `dispatch` field; what
   * participants decide on is the whole proposal (`proposalDigest`, consensus/signing.ts).
   */
  digest(cert: Certificate): string;
  /** True cost of a solution, in {@link Verifier.cost}'s unit: shown in the trace, and checked against a proposal's claim. */
  costUsd(cert: Certificate): number;
  /** A tampered copy of a certificate (for `follower_trick_error`): another x, same y. */
  tamper(cert: Certificate): Certificate;
  /**
   * What {@link Verifier.costUsd} is measured in (the problem kind's cost unit): the claim
   * tolerance and the wording of trace cells and claim verdicts.
   */
  readonly cost: CostUnit;
  /**
   * Set only by behaviour layers (consensus/behaviours.ts) under the `published` rules: what a
   * dishonest delegate does with a received copy before any check. `trust` takes it as valid
   * unchecked; `refuse` rejects it whatever its certificate; undefined checks it as usual.
   */
  screen?(path: NodeId[], proposal: Proposal): Screening | undefined;
}

/** A behaviour layer's say on a received copy under the `published` rules ({@link Verifier.screen}). */
export type Screening = { take: "trust" } | { take: "refuse"; reason: string };

/**
 * What a delegate's check of a received proposal said: the certificate checker's verdict,
 * `misclaimed` when the certificate passed but the claimed cost is off (by more than the cost unit's
 * `claimTolerance`), or `refused` when a behaviour layer rejected it unchecked (under the
 * `published` rules a `follower_collusion` delegate takes nothing but its leaders' own copies).
 */
export type ReceivedVerdict = Verdict["verdict"] | "misclaimed" | "refused";

/** Events fed to a delegate. */
export type DelegateEvent =
  /** The supervisor starts round `round` (all delegates at once). */
  | { kind: "roundStart"; round: number }
  /** Strict mode: relay phase `phase` (2 .. f+1) of `round` starts (phase 1 starts with the round). */
  | { kind: "phase"; round: number; phase: number }
  /** The round's timeout: decide. */
  | { kind: "roundEnd"; round: number }
  /** A message arrived; untrusted, possibly junk. */
  | { kind: "receive"; msg: unknown }
  /** The solves asked for with a `solve` effect are done. */
  | { kind: "solved"; round: number; proposals: Partial<Record<ProposalVariant, Proposal>> };

/** Effects a delegate asks its shell to carry out. */
export type DelegateEffect =
  /** Send a message; `delayMs` holds it back (behaviour `delay_ms`). */
  | { kind: "send"; msg: Message; delayMs?: number }
  /** Solve these variants for `round` and answer with a `solved` event. */
  | { kind: "solve"; round: number; variants: ProposalVariant[] }
  /**
   * A proposal was received and checked (for the trace). `digest` is its dispatch's digest (x
   * only: the trace shows the dispatch's cost); `proposalDigest` (consensus/signing.ts) is what
   * tells proposals apart.
   */
  | {
    kind: "received";
    round: number;
    path: NodeId[];
    digest: string;
    proposalDigest: string;
    verdict: ReceivedVerdict;
    /** Why it was rejected, when the verdict alone does not say (`misclaimed`: by how much). */
    reason?: string;
    /**
     * True when the check was skipped: `follower_collusion`, and under the `published` rules a
     * leader's own proposal and everything a `follower_trick_error` delegate receives.
     */
    unchecked?: boolean;
  }
  /** The delegate commits this proposal for the round (`digest`: its dispatch's; `proposalDigest`: its own). */
  | {
    kind: "commit";
    round: number;
    leader: NodeId;
    digest: string;
    proposalDigest: string;
    proposal: Proposal;
  }
  /** The delegate blacklists the round's leader. */
  | { kind: "blacklist"; round: number; leader: NodeId; reason: "no valid proposal" | "equivocation" }
  /** A message was dropped; `reason` says why (stale round, unparseable, not for me, ...). */
  | { kind: "drop"; reason: string; msg: unknown }
  /** The delegate's durable state changed; a restarted delegate resumes from the last one. */
  | { kind: "persist"; snapshot: DelegateSnapshot }
  /** Two validly signed, different proposals of one leader for one round. */
  | { kind: "evidence"; evidence: EquivocationEvidence }
  /** The delegate's Worker dies now (behaviour `crash_at_round`). */
  | { kind: "crash"; round: number };

/** Proof that a leader signed two different proposals for one round of one block. */
export interface EquivocationEvidence {
  /** The equivocating leader's id. */
  leader: NodeId;
  /** Block height (day) of both proposals. */
  height: number;
  /** Round (1-based) of both proposals. */
  round: number;
  /** One proposal: its digest (consensus/signing.ts proposalDigest) and the leader's signature of it. */
  a: { proposal: string; sig: string };
  /** The other proposal, a different digest, also signed by the leader. */
  b: { proposal: string; sig: string };
}

/** What a delegate persists: enough to resume after a crash. */
export interface DelegateSnapshot {
  /** The delegate's id. */
  id: NodeId;
  /** Its current round, 0 before the first. */
  round: number;
  /** The delegates it has blacklisted, in order. */
  blacklist: NodeId[];
  /** Proposals received in the current round (as received). */
  received: { path: NodeId[]; sigs?: string[]; proposal: Proposal }[];
  /**
   * Set once the delegate has committed; it then takes no further part in rounds. `digest` is the
   * dispatch's digest, `proposalDigest` the committed proposal's (absent in snapshots of older versions).
   */
  committed?: { round: number; leader: NodeId; digest: string; proposalDigest?: string };
}

/** Events fed to a normal node. */
export type NormalEvent = { kind: "receive"; msg: unknown };

/**
 * Effects of a normal node. `digest` is the dispatch's digest (x only, for the trace and the
 * ledger's `dispatch` field); `proposalDigest` identifies the proposal decided on, which is what
 * decisions are counted by.
 */
export type NormalEffect =
  | { kind: "decisionReceived"; from: NodeId; round: number; digest: string; proposalDigest: string }
  | {
    kind: "accept";
    round: number;
    leader: NodeId;
    digest: string;
    proposalDigest: string;
    proposal: Proposal;
    supporters: NodeId[];
    /** The supporters' decision signatures and the leader's proposal signature (for the ledger block). */
    signatures: { id: NodeId; sig: string }[];
    leaderSig?: string;
  }
  | { kind: "drop"; reason: string; msg: unknown };

/**
 * Adversarial behaviour of one participant, keys as in the original PoSo
 * configuration's `leader_evil:` block plus this project's additions.
 *
 * @example
 * ```ts
 * import type { Misbehaviour } from "../mod.ts";
 * // Scenario I's leader C (id 8): nothing to D, E, G; the selfish dispatch to itself and F.
 * const c: Misbehaviour = { follower_ignore: [9, 10, 12], follower_error: [8, 11] };
 * ```
 */
export interface Misbehaviour {
  /** As leader: send nothing to these delegates. */
  follower_ignore?: NodeId[];
  /** As leader: send these delegates the selfish (non-optimal) dispatch. */
  follower_error?: NodeId[];
  /** As leader: send these delegates another feasible, non-optimal dispatch. */
  follower_feasible?: NodeId[];
  /** As follower: accept unchecked what comes straight from these leaders, and relay it. */
  follower_collusion?: NodeId[];
  /** As follower: never relay to these delegates. */
  follower_trick_ignore?: NodeId[];
  /** As follower: relay a tampered dispatch to these delegates, and send it to them as a decision. */
  follower_trick_error?: NodeId[];
  /** As leader: send these delegates a different certificate that is also valid (another optimum). */
  equivocate?: NodeId[];
  /** The Worker dies when this round starts (once). */
  crash_at_round?: number;
  /** Relays (and decisions) are held back this many ms. */
  delay_ms?: number;
  /** Every message to these delegates is held back this many more ms (adversarial timing). */
  delay_to?: Record<NodeId, number>;
  /** As follower: sends these delegates a proposal of the round's leader that the leader never signed. */
  forge_leader?: NodeId[];
  /** Re-sends every proposal it received in earlier rounds and blocks, at each round start, to every delegate. */
  replay_old?: boolean;
  /** Its Worker dies half-way through writing the ledger block of this height (day), once. */
  crash_in_ledger_write?: number;
  /**
   * As leader: send these delegates the same dispatch with another claimed cost (within the
   * tolerance) and another variant label: valid, but a second proposal (equivocation).
   */
  equivocate_metadata?: NodeId[];
  /** Every proposal it sends these delegates carries an x far longer than the problem's. */
  oversize?: NodeId[];
  /** At every round start, sends every other delegate and every normal node junk payloads. */
  junk?: boolean;
  /**
   * Sends its proposals and relays as relayed on by each of these participants, and its decisions
   * as theirs (`from`); it cannot sign for them, so those signatures fail.
   */
  impersonate?: NodeId[];
}
