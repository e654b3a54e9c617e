/**
 * Scenarios II-V, read from their YAML files and run in the deterministic
 * simulator, checked cell by cell against the outcomes their comments state.
 * Each holds for many seeds (link delays reorder arrivals, never decisions).
 */
import assert from "node:assert/strict";
import { simConfigFor, simulate } from "../actors/simulator.ts";
import type { RunReport } from "../consensus/report.ts";
import { loadScenarioFile, type Scenario } from "../scenarios/loader.ts";
import { consensusFixture } from "./consensus_fixture.ts";

const SEEDS = 20;

async function run(file: string, seed: number): Promise<{ scenario: Scenario; report: RunReport }> {
  const { env, book } = await consensusFixture();
  const scenario = await loadScenarioFile(file);
  const { report } = await simulate(env, book, simConfigFor(scenario, { seed }));
  return { scenario, report };
}

const sorted = (cells: string[]) => [...cells].sort();

function everyoneAccepts(report: RunReport, cost: number, why: string): void {
  const accepted = Object.values(report.normal.accepted);
  assert.equal(accepted.length, 7, why);
  for (const a of accepted) assert.equal(a, cost, why);
}

Deno.test("Scenario II: tampered relays fail their signatures, are blamed on F, and C's optimum commits in round 1", async () => {
  for (let seed = 0; seed < SEEDS; seed++) {
    const { report } = await run("scenarios/scenario2.yaml", seed);
    const why = `seed ${seed}`;
    assert.equal(report.rounds.length, 1, why);
    const [r1] = report.rounds;
    assert.equal(r1.leader, "C", why);
    // D and E relay to everyone; F relays a tampered copy to C, D, E; G relays only to F.
    // C never signed the tampered content, F did: the copies are dropped before any check, blamed on F.
    assert.deepEqual(sorted(r1.received.C), ["<$744>C"], why);
    for (const [me, other] of [["D", "E"], ["E", "D"]]) {
      assert.deepEqual(sorted(r1.received[me]), ["<$744>C", `<$744>C${other}`], `${me} ${why}`);
      assert.deepEqual(r1.rejected[me], [], `${me} ${why}`);
    }
    const failures = (r1.signatureFailures ?? []).filter((f) => f.to !== "F" && f.to !== "G");
    assert.deepEqual(
      sorted(failures.map((f) => `${f.to}:${f.signer}:${f.blame}`)),
      // Relays to D and E, decisions to C, D and E.
      ["C:C:F", "D:C:F", "D:C:F", "E:C:F", "E:C:F"],
      `${why}: ${JSON.stringify(r1.signatureFailures)}`,
    );
    assert.ok(
      r1.dropped.some((d) =>
        d.to === "D" && /signature of C \(leader\) does not verify; F signed this copy/.test(d.reason)
      ),
      why,
    );
    assert.deepEqual(sorted(r1.received.F), ["<$744>C", "<$744>CD", "<$744>CE", "<$744>CG"], why);
    assert.deepEqual(sorted(r1.received.G), ["<$744>C", "<$744>CD", "<$744>CE", "<$744>CF"], why);
    for (const d of ["C", "D", "E", "F", "G"]) assert.equal(r1.decision[d], "commit", `${d} ${why}`);
    // F's tampered decisions to C, D and E are dropped too: C never signed what F decided.
    for (const n of ["C", "D", "E"]) {
      assert.deepEqual(report.normal.received[n].filter((c) => !c.startsWith("<$744>")), [], `${n} ${why}`);
      assert.ok(!report.normal.received[n].includes("<$744>F"), `${n} ${why}`);
    }
    everyoneAccepts(report, 744, why);
    assert.deepEqual(report.outcome, { round: 1, leader: "C", costUsd: 744 }, why);
  }
});

Deno.test("Scenario III: a colluding follower commits the selfish dispatch; honest delegates need three rounds", async () => {
  for (let seed = 0; seed < SEEDS; seed++) {
    const { report } = await run("scenarios/scenario3.yaml", seed);
    const why = `seed ${seed}`;
    const [r1, r2, r3] = report.rounds;
    assert.equal(report.rounds.length, 3, why);
    assert.equal(r1.leader, "C", why);
    // D takes C's selfish dispatch unchecked and relays it; E, F and G reject it.
    assert.deepEqual(r1.received.D, ["<$904>C"], why);
    assert.equal(r1.decision.D, "commit", why);
    for (const d of ["E", "F", "G"]) {
      assert.deepEqual(r1.received[d], ["<$904>CD"], `${d} ${why}`);
      assert.deepEqual(r1.rejected[d], ["<$904>CD suboptimal (gap $160.12)"], `${d} ${why}`);
      assert.equal(r1.decision[d], "blacklist", `${d} ${why}`);
    }
    // D has committed and takes no part: its round passes in silence and D is blacklisted.
    assert.equal(r2.leader, "D", why);
    for (const d of ["E", "F", "G"]) {
      assert.deepEqual(r2.received[d], [], `${d} ${why}`);
      assert.equal(r2.decision[d], "blacklist", `${d} ${why}`);
      assert.deepEqual(r2.blacklist[d], ["C", "D"], `${d} ${why}`);
    }
    assert.equal(r3.leader, "E", why);
    assert.deepEqual(r3.received.E, ["<$744>E"], why);
    assert.deepEqual(sorted(r3.received.F), ["<$744>E", "<$744>EG"], why);
    assert.deepEqual(sorted(r3.received.G), ["<$744>E", "<$744>EF"], why);
    for (const d of ["E", "F", "G"]) assert.equal(r3.decision[d], "commit", `${d} ${why}`);
    // Normal nodes hear D's $904 decision and three $744 ones: 3 of 5 delegates is a majority.
    for (const cells of Object.values(report.normal.received)) {
      assert.deepEqual(sorted(cells), ["<$744>E", "<$744>F", "<$744>G", "<$904>D"], why);
    }
    everyoneAccepts(report, 744, why);
    assert.deepEqual(report.outcome, { round: 3, leader: "E", costUsd: 744 }, why);
  }
});

Deno.test("Scenario IV: equivocation is caught, a crashed delegate restarts, a slow relayer still counts", async () => {
  for (let seed = 0; seed < SEEDS; seed++) {
    const { report } = await run("scenarios/scenario4.yaml", seed);
    const why = `seed ${seed}`;
    const [r1, r2] = report.rounds;
    assert.equal(report.rounds.length, 2, why);
    assert.equal(r1.leader, "C", why);
    for (const d of ["D", "E", "F", "G"]) {
      assert.equal(r1.decision[d], "blacklist", `${d} ${why}`);
      assert.ok(r1.notes.includes(`${d} saw C equivocate`), `${d} ${why}: ${r1.notes}`);
      // Both optima reach everyone: each cell holds C's direct copy and relays of both.
      assert.ok(r1.received[d].length >= 3, `${d} ${why}: ${r1.received[d]}`);
      assert.ok(r1.received[d].every((c) => c.startsWith("<$744>C")), `${d} ${why}: ${r1.received[d]}`);
    }
    assert.equal(r2.leader, "D", why);
    assert.ok(r2.notes.some((n) => n.startsWith("G crashed")), `${why}: ${r2.notes}`);
    for (const d of ["D", "E", "F", "G"]) assert.equal(r2.decision[d], "commit", `${d} ${why}`);
    assert.deepEqual(r2.received.D, ["<$744>D"], why);
    for (const d of ["E", "F", "G"]) {
      const others = ["E", "F", "G"].filter((o) => o !== d).map((o) => `<$744>D${o}`);
      assert.deepEqual(sorted(r2.received[d]), sorted(["<$744>D", ...others]), `${d} ${why}`);
    }
    everyoneAccepts(report, 744, why);
    assert.deepEqual(report.outcome, { round: 2, leader: "D", costUsd: 744 }, why);
  }
});

Deno.test("Scenario V (strict): F's late relay reaches G in phase 2; G relays it on and D, E, G commit alike", async () => {
  for (let seed = 0; seed < SEEDS; seed++) {
    const { scenario, report } = await run("scenarios/scenario5.yaml", seed);
    const why = `seed ${seed}`;
    assert.equal(scenario.protocol, "strict");
    const [r1] = report.rounds;
    assert.equal(report.rounds.length, 1, why);
    for (const d of ["D", "E", "G"]) assert.equal(r1.decision[d], "commit", `${d} ${why}`);
    // G got it only through F (two signatures, in phase 2); D and E first through G (three signatures),
    // then, when the other took it before the last phase, through each other too.
    assert.deepEqual(r1.received.G, ["<$744>CF"], why);
    for (const d of ["D", "E"]) {
      assert.equal(r1.received[d][0], "<$744>CFG", `${d} ${why}`);
      assert.ok(r1.received[d].every((c) => c.startsWith("<$744>CFG")), `${d} ${why}: ${r1.received[d]}`);
    }
    everyoneAccepts(report, 744, why);
    assert.deepEqual(report.outcome, { round: 1, leader: "C", costUsd: 744 }, why);
  }
  // The same file under the paper rules splits the honest delegates: G commits, D and E blacklist C.
  const { env, book } = await consensusFixture();
  const paper = { ...await loadScenarioFile("scenarios/scenario5.yaml"), protocol: "paper" as const };
  // Links of 10 ms: F's copy reaches G at 50 (solve) + 10 + 20 (check) + 3200 + 10 = 3290 ms, and G's relay
  // of it leaves at 3310 ms, after a 3305 ms round has ended for D and E.
  const timing = { seed: 0, minDelayMs: 10, maxDelayMs: 10, roundTimeoutMs: 3305 };
  const { report } = await simulate(env, book, simConfigFor(paper, timing));
  assert.deepEqual(
    ["D", "E", "G"].map((d) => report.rounds[0].decision[d]),
    ["blacklist", "blacklist", "commit"],
  );
});
