/**
 * `deno task bench:property [runs]`: the property tests' claims over many more
 * random adversary configurations than CI runs (default 10,000 per mode,
 * paper and strict; tests/property_configs.ts says what a configuration
 * holds). Prints per mode: runs, runs that needed more than one round,
 * crashes, violations (runs that broke a claim: must be 0, and the first few
 * are printed with their configuration), what the adversaries exercised, and
 * the wall time. Then the time to refuse a forged proposal whose x has 6e7
 * entries (median of 1,000 checks). Exits 1 when any run broke a claim.
 *
 * Needs only `--allow-read` (the case data and GLPK's WebAssembly file).
 */
import fc from "fast-check";
import { Authenticator } from "../actors/auth.ts";
import { seedKeyPair } from "../actors/keys.ts";
import { simulate } from "../actors/simulator.ts";
import { messageShapeOf } from "../consensus/messages.ts";
import { consensusFixture, proposalMsg } from "../tests/consensus_fixture.ts";
import { runArb, violations } from "../tests/property_configs.ts";

const RUNS = Number(Deno.args[0] ?? 10_000);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`usage: deno task bench:property [runs]   (runs: a whole number >= 1, got ${Deno.args[0]})`);
  Deno.exit(2);
}
/** fast-check seed of the configurations (another one than CI's, so the bench covers new ground). */
const SEED = 20250901;
/** Violating runs printed in full. */
const SHOW_VIOLATIONS = 3;
/** Checks timed for the oversize refusal. */
const REFUSALS = 1000;
/** Entries of the forged x. */
const FORGED_ENTRIES = 60_000_000;

const { env, book, model } = await consensusFixture();
let violating = 0;
for (const protocol of ["paper", "strict"] as const) {
  const t0 = performance.now();
  const n = {
    runs: 0,
    multiRound: 0,
    crashes: 0,
    violations: 0,
    attributed: 0,
    outsiderDrops: 0,
    oversizeRefusals: 0,
    evidence: 0,
  };
  for (const config of fc.sample(runArb(protocol), { numRuns: RUNS, seed: SEED })) {
    const { broken, facts } = violations(book, config, await simulate(env, book, config));
    n.runs++;
    n.multiRound += facts.multiRound ? 1 : 0;
    n.crashes += facts.crashes;
    n.attributed += facts.attributed;
    n.outsiderDrops += facts.outsiderDrops;
    n.oversizeRefusals += facts.oversizeRefusals;
    n.evidence += facts.evidence;
    if (broken.length) {
      if (n.violations++ < SHOW_VIOLATIONS) {
        console.log(`VIOLATION ${broken.join("; ")}: ${JSON.stringify(config)}`);
      }
    }
  }
  violating += n.violations;
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `${protocol}: ${n.runs} runs, ${n.multiRound} multi-round, ${n.crashes} crashes, ${n.violations} violations; ` +
      `${n.attributed} attributed forgeries, ${n.outsiderDrops} signed copies relayed through non-delegates ` +
      `dropped, ${n.oversizeRefusals} oversize proposals refused, ${n.evidence} equivocation evidence; ${s} s`,
  );
}

// The refusal of a forged proposal with a 6e7-entry x (sparse: its size is all that is looked at).
const shape = messageShapeOf(model.lp);
const c = await seedKeyPair(1, 8);
const auth = new Authenticator({ chain: "bench", publicKeys: { 8: c.publicKey }, shape });
const honest = proposalMsg(book, "optimal", 1, 9, [8]);
const certificate = { ...honest.proposal.certificate, x: new Array(FORGED_ENTRIES) };
const forged = { ...honest, sigs: ["forged"], proposal: { ...honest.proposal, certificate } };
const times: number[] = [];
for (let k = 0; k < REFUSALS; k++) {
  const t0 = performance.now();
  const r = await auth.check(forged);
  times.push(performance.now() - t0);
  if (r.ok || !r.unverified) {
    throw new Error(`the forged proposal was not refused by its size: ${JSON.stringify(r)}`);
  }
}
times.sort((a, b) => a - b);
console.log(
  `a forged proposal with ${FORGED_ENTRIES} entries in x refused unhashed: median ` +
    `${(times[REFUSALS >> 1] * 1000).toFixed(1)} µs, max ${(times[REFUSALS - 1] * 1000).toFixed(1)} µs`,
);
if (violating > 0) Deno.exit(1);
