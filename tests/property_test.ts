/**
 * The protocol's safety and liveness claims (docs/protocol.md), checked by the deterministic
 * simulator over thousands of random adversary configurations (see
 * tests/property_configs.ts for what a configuration holds and the timing
 * assumptions of each mode): every behaviour, dishonest normal-only nodes
 * whose keys the adversary holds (so validly signed non-delegates appear on
 * relay paths), random link delays, crashes with restarts inside the round,
 * every message signed. `deno task bench:property` runs 10,000 per mode.
 *
 * A failure prints fast-check's seed and path (replay with them) and the
 * simulator seed and participants of the failing run.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { simulate } from "../actors/simulator.ts";
import { consensusFixture } from "./consensus_fixture.ts";
import { runArb, violations } from "./property_configs.ts";

const RUNS = 2000;

for (const protocol of ["paper", "strict"] as const) {
  Deno.test(`${protocol} mode: safety, agreement and liveness over ${RUNS} random adversary configurations`, async () => {
    const { env, book } = await consensusFixture();
    const t0 = performance.now();
    const n = {
      multiRound: 0,
      crashes: 0,
      attributed: 0,
      outsiderDrops: 0,
      oversizeRefusals: 0,
      evidence: 0,
    };
    await fc.assert(
      fc.asyncProperty(runArb(protocol), async (config) => {
        const result = await simulate(env, book, config);
        const { broken, facts } = violations(book, config, result);
        assert.deepEqual(broken, [], `seed ${config.seed}, config ${JSON.stringify(config)}`);
        n.multiRound += facts.multiRound ? 1 : 0;
        n.crashes += facts.crashes;
        n.attributed += facts.attributed;
        n.outsiderDrops += facts.outsiderDrops;
        n.oversizeRefusals += facts.oversizeRefusals;
        n.evidence += facts.evidence;
      }),
      { numRuns: RUNS, seed: 20250601 },
    );
    const ms = performance.now() - t0;
    // The generator must actually exercise the adversaries, or the test proves nothing.
    assert.ok(n.multiRound > RUNS / 20, `only ${n.multiRound} runs needed a second round`);
    assert.ok(n.crashes > RUNS / 20, `only ${n.crashes} crashes`);
    assert.ok(
      n.outsiderDrops > RUNS / 20,
      `only ${n.outsiderDrops} signed copies relayed through non-delegates`,
    );
    assert.ok(n.oversizeRefusals > RUNS / 20, `only ${n.oversizeRefusals} oversize refusals`);
    assert.ok(n.evidence > RUNS / 20, `only ${n.evidence} pieces of equivocation evidence`);
    if (protocol === "strict") {
      assert.ok(n.attributed > RUNS / 20, `only ${n.attributed} attributed forgeries`);
    }
    console.log(`${protocol}: ${RUNS} runs in ${ms.toFixed(0)} ms; ${JSON.stringify(n)}`);
  });
}
