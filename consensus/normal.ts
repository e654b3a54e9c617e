/**
 * The normal node (docs/protocol.md, normal-node phase): it accepts a block once more than half
 * of ALL delegates sent it decisions for the same proposal, that is with the
 * same proposal digest (consensus/signing.ts: dispatch, certificate, claimed
 * cost, variant label, height, round, leader), so the quorum it records holds
 * decision signatures over one proposal only. Each delegate counts once (its
 * first decision wins). Pure, like the delegate.
 *
 * @module
 */
import { claimProblem } from "./digest.ts";
import { type MessageShape, parseMessage } from "./messages.ts";
import { proposalDigest } from "./signing.ts";
import type { DecisionMessage, NodeId, NormalEffect, NormalEvent, Proposal, Verifier } from "./types.ts";

/** Static configuration of a normal node. */
export interface NormalConfig {
  /** This normal node's id. */
  id: NodeId;
  /** Every delegate's id (the majority is over all of them, not over those heard from). */
  delegates: NodeId[];
  /**
   * Check each decision's certificate and claimed cost, and drop those that fail (default false).
   */
  verifyCertificates?: boolean;
  /** The problem's message shape (LP column and row counts): decisions of any other size are dropped unhashed. */
  shape?: MessageShape;
  /** Names of participants, for readable drop reasons (optional). */
  names?: Record<NodeId, string>;
  /** Height of the block being decided (default 1): decisions for any other block are replays. */
  height?: number;
}

/** A normal node's state (owned and mutated by {@link stepNormal}). */
export interface NormalState {
  /** The static configuration. */
  config: NormalConfig;
  /** Delegate → proposal digest of its first decision. */
  votes: Map<NodeId, string>;
  /**
   * Proposal digest → the proposal, its round, supporters (delegate ids in
   * arrival order), their decision signatures and the leader's signature.
   */
  tally: Map<
    string,
    {
      proposal: Proposal;
      round: number;
      supporters: NodeId[];
      sigs: { id: NodeId; sig: string }[];
      leaderSig?: string;
    }
  >;
  /**
   * The block accepted (round, leader, dispatch digest, proposal digest), once more than half of all
   * delegates support it.
   */
  accepted?: { round: number; leader: NodeId; digest: string; proposalDigest: string };
}

/**
 * A normal node that has heard nothing yet.
 *
 * @example
 * ```ts
 * const s = initNormal({ id: 6, delegates: [8, 9, 10] });
 * console.log(s.votes.size, s.accepted); // 0 undefined
 * ```
 */
export function initNormal(config: NormalConfig): NormalState {
  return { config, votes: new Map(), tally: new Map() };
}

/**
 * One step of a normal node. Never throws.
 *
 * @example
 * ```ts
 * import { buildDispatchModel, loadUomCase, makeVerifier, solveVariant } from "../mod.ts";
 * const model = buildDispatchModel(await loadUomCase());
 * const env = makeVerifier(model);
 * const { certificate, cost } = await solveVariant(model, "optimal");
 * const proposal = { height: 1, round: 1, leader: 8, certificate, claimedCostUsd: cost.total };
 * const s = initNormal({ id: 6, delegates: [8, 9, 10] });
 * for (const from of [8, 9]) {
 *   const msg = { kind: "decision", round: 1, from, to: 6, proposal };
 *   console.log(stepNormal(env, s, { kind: "receive", msg }).map((e) => e.kind));
 * } // ["decisionReceived"], then ["decisionReceived", "accept"]: 2 of 3 delegates agree
 * ```
 */
export function stepNormal(env: Verifier, state: NormalState, event: NormalEvent): NormalEffect[] {
  const raw = event?.msg;
  const drop = (reason: string): NormalEffect[] => [{ kind: "drop", reason, msg: raw }];
  try {
    const parsed = parseMessage(raw, state.config.shape);
    if (!parsed.ok) return drop(`malformed: ${parsed.reason}`);
    if (parsed.msg.kind !== "decision") return drop("a proposal is for the delegate machine");
    const msg: DecisionMessage = parsed.msg;
    const { config } = state;
    const who = (id: NodeId) => config.names?.[id] ?? String(id);
    if (msg.to !== config.id) return drop(`addressed to ${who(msg.to)}`);
    if (!config.delegates.includes(msg.from)) return drop(`${who(msg.from)} is not a delegate`);
    const height = config.height ?? 1;
    if (msg.proposal.height !== height) {
      return drop(`replay: a decision for block ${msg.proposal.height} (this is block ${height})`);
    }
    if (state.votes.has(msg.from)) return drop(`second decision from ${who(msg.from)}`);
    const cert = msg.proposal.certificate;
    if (config.verifyCertificates) {
      const v = env.verify(cert).verdict;
      if (v !== "accepted") return drop(`certificate from ${who(msg.from)} is ${v}`);
      const claim = claimProblem(env, msg.proposal);
      if (claim) return drop(`decision from ${who(msg.from)} is misclaimed: ${claim}`);
    }
    const digest = env.digest(cert);
    // A block is the whole proposal: the same dispatch with another claimed cost or label, or
    // committed in another round or under another leader, is another block and is counted apart.
    const block = proposalDigest(msg.proposal);
    state.votes.set(msg.from, block);
    let entry = state.tally.get(block);
    if (!entry) {
      entry = {
        proposal: msg.proposal,
        round: msg.round,
        supporters: [],
        sigs: [],
        leaderSig: msg.leaderSig,
      };
      state.tally.set(block, entry);
    }
    entry.supporters.push(msg.from);
    if (msg.sig) entry.sigs.push({ id: msg.from, sig: msg.sig });
    entry.leaderSig ??= msg.leaderSig;
    const out: NormalEffect[] = [
      { kind: "decisionReceived", from: msg.from, round: msg.round, digest, proposalDigest: block },
    ];
    if (!state.accepted && 2 * entry.supporters.length > config.delegates.length) {
      const { proposal, round } = entry;
      state.accepted = { round, leader: proposal.leader, digest, proposalDigest: block };
      out.push({
        kind: "accept",
        round,
        leader: proposal.leader,
        digest,
        proposalDigest: block,
        proposal,
        supporters: [...entry.supporters],
        signatures: [...entry.sigs].sort((a, b) => a.id - b.id),
        ...(entry.leaderSig ? { leaderSig: entry.leaderSig } : {}),
      });
    }
    return out;
  } catch (e) {
    return drop(`internal error: ${e instanceof Error ? e.message : e}`);
  }
}
