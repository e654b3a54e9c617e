/**
 * Remakes tests/fixtures/proposal-book.json, the proposal book the consensus
 * tests read instead of solving it (see tests/consensus_fixture.ts): GLPK's
 * solves of every variant of the bundled case.
 *
 * ```sh
 * deno run --allow-read --allow-write=tests/fixtures tests/make_proposal_book.ts
 * ```
 *
 * @module
 */
import { buildDispatchModel, dispatchProblem, loadUomCase } from "../mod.ts";
import { loadProposalBook } from "../actors/simulator.ts";
import { BOOK_FIXTURE, bookFixtureOf } from "./consensus_fixture.ts";

const model = buildDispatchModel(await loadUomCase());
const book = await loadProposalBook(dispatchProblem(model), { solver: "glpk" });
await Deno.writeTextFile(BOOK_FIXTURE, JSON.stringify(bookFixtureOf(model, book), null, 2) + "\n");
console.log(`wrote ${BOOK_FIXTURE.pathname}`);
