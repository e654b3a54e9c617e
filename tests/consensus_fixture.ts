/**
 * Shared fixture of the consensus tests: the UoM dispatch model, its
 * verifier and the proposal book, built once per test process. Every
 * certificate in the book is one object for the whole process, so the
 * verifier's per-object memo makes each check happen once.
 *
 * The book's certificates come from {@link BOOK_FIXTURE}, GLPK's solves of
 * the bundled case cached in the ledger's certificate encoding (bit for bit),
 * so that the test files that only need proposals do not each pay GLPK's four
 * solves (about 3 s of CPU). The cache is used only when it was made for this
 * very LP (its fingerprint); otherwise the book is solved as before, with one
 * warning, and tests/proposal_book_test.ts fails until it is remade:
 *
 * ```sh
 * deno run --allow-read --allow-write=tests/fixtures tests/make_proposal_book.ts
 * ```
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
import {
  type NodeId,
  type Proposal,
  PROPOSAL_VARIANTS,
  type ProposalMessage,
  type ProposalVariant,
  type Verifier,
} from "../consensus/types.ts";
import { loadProposalBook, type ProposalBook } from "../actors/simulator.ts";
import { decodeCertificate, encodeCertificate, type EncodedCertificate } from "../consensus/ledger.ts";
import { type Certificate, lpFingerprint } from "../lp/certificate.ts";
import { objectiveValue } from "../lp/lp.ts";

/** The cached proposal book of the bundled case (see the module doc). */
export const BOOK_FIXTURE = new URL("./fixtures/proposal-book.json", import.meta.url);
/** {@link BOOK_FIXTURE} as messages name it. */
const BOOK_FIXTURE_NAME = "tests/fixtures/proposal-book.json";
/** Format tag of {@link BOOK_FIXTURE}. */
export const BOOK_FIXTURE_FORMAT = "poso-test-proposal-book/1";

/** {@link BOOK_FIXTURE}'s content: each variant's certificate, encoded as a ledger block holds it. */
export interface BookFixture {
  /** {@link BOOK_FIXTURE_FORMAT}. */
  format: typeof BOOK_FIXTURE_FORMAT;
  /** How to remake it. */
  remake: string;
  /** The back end that solved it. */
  solver: "glpk";
  /** Fingerprint of the LP it was solved for. */
  lpId: string;
  /** Every variant: its true cost ($ per day) and certificate. */
  variants: Record<ProposalVariant, { costUsd: number; certificate: EncodedCertificate }>;
}

/** The command that remakes {@link BOOK_FIXTURE}. */
export const REMAKE_BOOK = "deno run --allow-read --allow-write=tests/fixtures tests/make_proposal_book.ts";

/** A solved book in {@link BOOK_FIXTURE}'s form. */
export function bookFixtureOf(model: DispatchModel, book: ProposalBook): BookFixture {
  const entry = (e: ProposalBook[ProposalVariant]) => ({
    costUsd: e.costUsd,
    certificate: encodeCertificate(e.certificate),
  });
  const variants = Object.fromEntries(
    PROPOSAL_VARIANTS.map((v) => [v, entry(book[v])]),
  ) as BookFixture["variants"];
  return {
    format: BOOK_FIXTURE_FORMAT,
    remake: REMAKE_BOOK,
    solver: "glpk",
    lpId: lpFingerprint(model.lp),
    variants,
  };
}

/** {@link BOOK_FIXTURE}, or why it cannot serve `model` (missing, malformed, or made for another LP). */
export async function readBookFixture(model: DispatchModel): Promise<ProposalBook | string> {
  let fixture: BookFixture;
  try {
    fixture = JSON.parse(await Deno.readTextFile(BOOK_FIXTURE));
  } catch (e) {
    return `cannot read ${BOOK_FIXTURE_NAME}: ${e}`;
  }
  if (fixture.format !== BOOK_FIXTURE_FORMAT) return `${BOOK_FIXTURE_NAME}: format ${fixture.format}`;
  const lpId = lpFingerprint(model.lp);
  if (fixture.lpId !== lpId) {
    return `${BOOK_FIXTURE_NAME} was made for another LP (the case or the model changed)`;
  }
  const book: Partial<ProposalBook> = {};
  for (const v of PROPOSAL_VARIANTS) {
    const e = fixture.variants?.[v];
    let c;
    try {
      c = decodeCertificate(e.certificate);
    } catch (err) {
      return `${BOOK_FIXTURE_NAME}: variant ${v}: ${err}`;
    }
    // As the solver gives them: plain arrays.
    book[v] = { certificate: { ...c, x: Array.from(c.x), y: Array.from(c.y) }, costUsd: e.costUsd };
  }
  return book as ProposalBook;
}

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
    let book = await readBookFixture(model);
    if (typeof book === "string") {
      console.warn(`${book}: solving the proposal book instead; remake it: ${REMAKE_BOOK}`);
      book = await loadProposalBook(dispatchProblem(model));
    }
    return { model, env: makeVerifier(model), book };
  })();
  return shared;
}

/** The fixture's dispatch model (the bundled case's), built on first use. */
export async function fixtureModel(): Promise<DispatchModel> {
  return (await consensusFixture()).model;
}

/** A variant of the book with the figures a solve reports: its true cost and LP objective, $ per day. */
export async function bookVariant(
  variant: ProposalVariant,
): Promise<{ certificate: Certificate; costUsd: number; lpObjectiveUsd: number }> {
  const { model, book } = await consensusFixture();
  const { certificate, costUsd } = book[variant];
  return { certificate, costUsd, lpObjectiveUsd: objectiveValue(model.lp, certificate.x) };
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
