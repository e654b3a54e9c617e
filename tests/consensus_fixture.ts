/**
 * Shared fixture of the consensus tests: the UoM dispatch model, its
 * verifier and the proposal book, built and solved once per test process.
 * Every certificate in the book is one object for the whole process, so the
 * verifier's per-object memo makes each check happen once.
 *
 * @module
 */
import {
  buildDispatchModel,
  type DispatchModel,
  dispatchProblem,
  loadUomCase,
  makeVerifier,
} from "../mod.ts";
import type { NodeId, Proposal, ProposalMessage, ProposalVariant, Verifier } from "../consensus/types.ts";
import { loadProposalBook, type ProposalBook } from "../actors/simulator.ts";

/** What the consensus tests share. */
export interface ConsensusFixture {
  model: DispatchModel;
  env: Verifier;
  book: ProposalBook;
}

let shared: Promise<ConsensusFixture> | undefined;

/** The model, verifier and proposal book, built on first use. */
export function consensusFixture(): Promise<ConsensusFixture> {
  shared ??= (async () => {
    const model = buildDispatchModel(await loadUomCase());
    return { model, env: makeVerifier(model), book: await loadProposalBook(dispatchProblem(model)) };
  })();
  return shared;
}

/** A proposal of `variant` from the book. */
export function proposalOf(
  book: ProposalBook,
  variant: ProposalVariant,
  round: number,
  leader: NodeId,
): Proposal {
  const { certificate, costUsd } = book[variant];
  return { height: 1, round, leader, certificate, claimedCostUsd: costUsd };
}

/** A proposal message along `path` (path[0] is the leader). */
export function proposalMsg(
  book: ProposalBook,
  variant: ProposalVariant,
  round: number,
  to: NodeId,
  path: NodeId[],
): ProposalMessage {
  return { kind: "proposal", round, to, path, proposal: proposalOf(book, variant, round, path[0]) };
}

/** The Scenario I participants (scenarios/scenario1.yaml): A, B normal only; C..G = 8..12 delegates and normal. */
export const SCENARIO_I = [
  { id: 6, name: "A", delegate: false, normal: true },
  { id: 7, name: "B", delegate: false, normal: true },
  {
    id: 8,
    name: "C",
    delegate: true,
    normal: true,
    misbehaviour: { follower_ignore: [9, 10, 12], follower_error: [8, 11] },
  },
  { id: 9, name: "D", delegate: true, normal: true },
  { id: 10, name: "E", delegate: true, normal: true },
  { id: 11, name: "F", delegate: true, normal: true, misbehaviour: { follower_trick_ignore: [9, 10, 12] } },
  { id: 12, name: "G", delegate: true, normal: true },
];
