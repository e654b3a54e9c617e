/**
 * The cached proposal book (tests/fixtures/proposal-book.json) that the
 * consensus tests read instead of solving: made for the LP the bundled case
 * builds today, and each variant plays the role the book promises, at the
 * cost its dispatch really has.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildDispatchModel, loadUomCase } from "../mod.ts";
import { ALTERNATIVE_SLACK_USD } from "../problems/ies-dispatch/variants.ts";
import { trueCost } from "../problems/ies-dispatch/cost.ts";
import { makeVerifier } from "../problems/ies-dispatch/verifier.ts";
import { GAP_TOLERANCE_USD } from "../lp/certificate.ts";
import { readBookFixture, REMAKE_BOOK } from "./consensus_fixture.ts";

/** Two costs of one dispatch agree to this, $ per day (the cached figure is the solver run's). */
const SAME_COST_USD = 1e-9;

Deno.test("cached proposal book: made for today's LP; optimum, alternative optimum, selfish, feasible and corrupt as promised", async () => {
  const model = buildDispatchModel(await loadUomCase());
  const book = await readBookFixture(model);
  assert.ok(typeof book !== "string", `${book}; remake it: ${REMAKE_BOOK}`);
  const env = makeVerifier(model);
  const verdict = (v: keyof typeof book) => env.verify(book[v].certificate).verdict;
  assert.equal(verdict("optimal"), "accepted");
  assert.equal(verdict("alternative"), "accepted");
  assert.notEqual(env.digest(book.alternative.certificate), env.digest(book.optimal.certificate));
  assert.ok(book.alternative.costUsd - book.optimal.costUsd <= ALTERNATIVE_SLACK_USD + GAP_TOLERANCE_USD);
  assert.equal(verdict("selfish"), "suboptimal");
  assert.equal(verdict("feasible"), "suboptimal");
  assert.equal(verdict("corrupt"), "infeasible");
  for (const [v, e] of Object.entries(book)) {
    assert.ok(Math.abs(trueCost(model, e.certificate.x).total - e.costUsd) <= SAME_COST_USD, v);
    assert.equal(e.certificate.variant, v);
  }
  assert.ok(book.selfish.costUsd > book.optimal.costUsd && book.feasible.costUsd > book.optimal.costUsd);
});
