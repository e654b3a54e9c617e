/**
 * SimpleSum, the tutorial problem kind (docs/adding-a-problem.md): its case
 * validation, its certificates from both LP back ends under the one checker,
 * the variants the adversaries use, and the whole PoSo machinery on it: the
 * delegate machine's claim check, the simulator under Scenario I's
 * adversaries, and a run on Workers whose ledgers the chain checker accepts.
 *
 * The scenarios are built in code from scenario1.yaml's participants with
 * `problem: "simple-sum"`, so these tests do not depend on the YAML loader
 * reading `problem:` (scenarios/simple-sum.yaml needs that).
 */
import assert from "node:assert/strict";
import { CaseError } from "../problems/ies-dispatch/case.ts";
import { problemKind, problemKinds } from "../problems/registry.ts";
import {
  loadSumCase,
  MAX_ABS_VALUE,
  MAX_SUM_CASE_BYTES,
  MAX_SUM_VALUES,
  parseSumCase,
  SIMPLE_SUM_CASE_URL,
  type SumCase,
} from "../problems/simple-sum/case.ts";
import { SIMPLE_SUM, sumProblem } from "../problems/simple-sum/kind.ts";
import { buildSumModel } from "../problems/simple-sum/model.ts";
import { ALTERNATIVE_SLACK, markup } from "../problems/simple-sum/variants.ts";
import { SUM_COST, type SumSeries } from "../problems/simple-sum/verifier.ts";
import { renderTrace } from "../scenarios/render.ts";
import {
  type Certificate,
  describeVerdict,
  GAP_TOLERANCE_USD,
  makeCertificate,
  type Verdict,
} from "../lp/certificate.ts";
import { SOLVERS } from "../lp/solver.ts";
import { CLAIM_TOLERANCE_USD } from "../consensus/digest.ts";
import { initDelegate, stepDelegate } from "../consensus/delegate.ts";
import { PROPOSAL_VARIANTS, type ProposalMessage, type ProposalVariant } from "../consensus/types.ts";
import type { RunReport } from "../consensus/report.ts";
import { loadProposalBook, simConfigFor, simulate } from "../actors/simulator.ts";
import { runDays } from "../actors/supervisor.ts";
import { ledgerFileName, readLedger } from "../actors/ledger_file.ts";
import { makeChainChecker } from "../actors/chain_check.ts";
import { dayLoadFactor } from "../problems/schedule.ts";
import { loadScenarioFile, type Scenario } from "../scenarios/loader.ts";
import { tmpDir } from "./helpers.ts";

/** The bundled case's sum: A 120 + B 85 + C 40 + D 230 + E 60 + F 150 + G 315. */
const BUNDLED_SUM = 1000;

const bundled = (): Promise<SumCase> => loadSumCase(SIMPLE_SUM_CASE_URL);
const day1 = async () => sumProblem(buildSumModel(await bundled(), 1));

/** A scenario file's participants and settings, posing SimpleSum (its bundled case). */
async function simpleSumScenario(file: string): Promise<Scenario> {
  const s = await loadScenarioFile(file);
  return { ...s, name: `SimpleSum, ${s.name}`, problem: "simple-sum", casePath: undefined };
}

/** The CaseError `parseSumCase(value, "c.json")` throws. */
function caseError(value: unknown): CaseError {
  try {
    parseSumCase(value, "c.json");
  } catch (e) {
    if (e instanceof CaseError) return e;
    throw e;
  }
  assert.fail(`accepted ${JSON.stringify(value)}`);
}

function allAccept(report: RunReport, sum: number): void {
  assert.equal(Object.keys(report.normal.accepted).length, 7);
  for (const [node, accepted] of Object.entries(report.normal.accepted)) {
    assert.equal(accepted, sum, `normal node ${node} accepted ${accepted}, expected ${sum}`);
  }
}

Deno.test("SimpleSum is registered, and its bundled case is scenario 1's seven nodes, summing to 1000", async () => {
  assert.ok(problemKinds().includes("simple-sum"));
  const kind = problemKind("simple-sum");
  assert.equal(kind, SIMPLE_SUM);
  const c = await kind.loadCase(kind.defaultCase) as SumCase;
  assert.deepEqual(Object.keys(c.values), ["A", "B", "C", "D", "E", "F", "G"]);
  assert.equal(Object.values(c.values).reduce((a, b) => a + b, 0), BUNDLED_SUM);
  // What the supervisor sends a Worker is validated again there: the parsed case must parse.
  assert.deepEqual(kind.parseCase(structuredClone(c)), c);
});

Deno.test("SimpleSum case: every bad field is refused by name", () => {
  const ok = { name: "n", values: { A: 1 } };
  const cases: [unknown, string, RegExp][] = [
    [[1, 2], "", /expected an object, found an array/],
    [{ values: { A: 1 } }, "name", /missing field/],
    [{ name: "n" }, "values", /missing field/],
    [{ ...ok, valeus: { A: 1 } }, "valeus", /unknown field; did you mean values\?/],
    [{ ...ok, name: "" }, "name", /non-empty string/],
    [{ ...ok, name: 7 }, "name", /non-empty string, found 7/],
    [{ ...ok, name: "x".repeat(201) }, "name", /201 characters, at most 200/],
    [{ ...ok, values: [1, 2] }, "values", /expected an object, found an array/],
    [{ ...ok, values: {} }, "values", /at least one/],
    [{ ...ok, values: { A: "1" } }, "values.A", /finite number, found the string "1"/],
    [{ ...ok, values: { A: null } }, "values.A", /finite number, found null/],
    [{ ...ok, values: { A: NaN } }, "values.A", /finite number, found NaN/],
    [{ ...ok, values: { A: Infinity } }, "values.A", /finite number, found Infinity/],
    [{ ...ok, values: { A: MAX_ABS_VALUE * 1.01 } }, "values.A", /outside \[-1000000, 1000000\]/],
    [{ ...ok, values: { A: -MAX_ABS_VALUE - 1 } }, "values.A", /outside/],
    [{ ...ok, values: { "a b": 1 } }, 'values["a b"]', /not a node name or id/],
    [{ ...ok, values: { "../x": 1 } }, 'values["../x"]', /not a node name or id/],
    [{ ...ok, values: { A: 1, a: 2 } }, "values.a", /same label as A, ignoring case/],
  ];
  for (const [value, path, detail] of cases) {
    const e = caseError(value);
    assert.equal(e.path, path, `${JSON.stringify(value).slice(0, 60)}: ${e.message}`);
    assert.match(e.detail, detail);
    assert.ok(e.message.startsWith(`c.json: ${path || "(root)"}: `), e.message);
  }
  // A label that is also a property of every object is an entry like any other, in the sum too.
  const tricky = parseSumCase(JSON.parse('{"name":"n","values":{"__proto__":5,"constructor":7,"A":1}}'));
  assert.deepEqual(Object.keys(tricky.values).sort(), ["A", "__proto__", "constructor"]);
  assert.equal(buildSumModel(tricky, 1).sum, 13);
  assert.equal(buildSumModel(parseSumCase(structuredClone(tricky)), 1).sum, 13, "as a Worker gets it");
  const many = Object.fromEntries(Array.from({ length: MAX_SUM_VALUES + 1 }, (_, i) => [`n${i}`, 1]));
  assert.match(caseError({ name: "n", values: many }).message, /101 entries, at most 100/);
  // The limits themselves are accepted: 100 values of ±1e6, ids and names as labels.
  const full = Object.fromEntries(
    Array.from({ length: MAX_SUM_VALUES }, (_, i) => [String(i), (i % 2 ? 1 : -1) * MAX_ABS_VALUE]),
  );
  assert.equal(Object.keys(parseSumCase({ name: "n", values: full }).values).length, MAX_SUM_VALUES);
});

Deno.test("SimpleSum case file: unreadable, not JSON or too large is an error naming the file", async () => {
  const dir = await tmpDir("simple-sum-case");
  const check = async (path: string, detail: RegExp) => {
    const e = await loadSumCase(path).then(() => undefined, (e) => e);
    assert.ok(e instanceof CaseError, String(e));
    assert.ok(e.message.startsWith(`${path}: (root): `), e.message);
    assert.match(e.detail, detail);
  };
  await check(`${dir}/none.json`, /cannot read case file: no such file/);
  await Deno.writeTextFile(`${dir}/bad.json`, "{ name: 1 }");
  await check(`${dir}/bad.json`, /not valid JSON/);
  await Deno.writeTextFile(
    `${dir}/big.json`,
    `{"name":"n","values":{"A":1},"pad":"${"x".repeat(MAX_SUM_CASE_BYTES)}"}`,
  );
  await check(`${dir}/big.json`, /larger than 64 KiB/);
  await Deno.writeTextFile(`${dir}/field.json`, JSON.stringify({ name: "n", values: { D: "230" } }));
  const e = await loadSumCase(`${dir}/field.json`).catch((e) => e);
  assert.equal(e.message, `${dir}/field.json: values.D: expected a finite number, found the string "230"`);
});

Deno.test("SimpleSum day: values scaled by the day's load factor; labels' order does not change the LP", async () => {
  const c = await bundled();
  const factor = dayLoadFactor(1, 2);
  assert.notEqual(factor, 1);
  const day2 = SIMPLE_SUM.problemFor(c, { height: 2, loadFactor: factor });
  const { costUsd } = await day2.solve("optimal");
  assert.ok(Math.abs(costUsd - BUNDLED_SUM * factor) < 1e-9, `day 2's sum ${costUsd}`);
  assert.deepEqual(
    (day2.summary((await day2.solve("optimal")).certificate).series as SumSeries).values,
    ["A", "B", "C", "D", "E", "F", "G"].map((n) => c.values[n] * factor),
  );
  const day1Problem = SIMPLE_SUM.problemFor(c, { height: 1, loadFactor: 1 });
  assert.notEqual(day2.id, day1Problem.id, "another day, another LP");
  const reversed = { name: c.name, values: Object.fromEntries(Object.entries(c.values).reverse()) };
  assert.equal(SIMPLE_SUM.problemFor(reversed, { height: 1, loadFactor: 1 }).id, day1Problem.id);
  assert.throws(() => buildSumModel(c, 0), /load factor 0 is not a positive finite number/);
});

Deno.test("SimpleSum: GLPK and HiGHS certificates pass the same checker, variant by variant", async () => {
  const problem = await day1();
  const m = markup(problem.model);
  assert.equal(m, 100, "a 10 % commission on 1000");
  /** Expected verdict and gap (certified excess of the proposed sum, within rounding) per variant. */
  const expected: Record<ProposalVariant, [Verdict["verdict"], number]> = {
    optimal: ["accepted", 0],
    selfish: ["suboptimal", m],
    feasible: ["suboptimal", problem.model.bound - BUNDLED_SUM],
    corrupt: ["infeasible", -m],
    alternative: ["accepted", ALTERNATIVE_SLACK],
  };
  assert.deepEqual(Object.keys(expected), [...PROPOSAL_VARIANTS], "every role a behaviour asks for");
  assert.deepEqual(problem.variants, PROPOSAL_VARIANTS);
  const digests: Record<string, string> = {};
  for (const solver of SOLVERS) {
    for (const variant of PROPOSAL_VARIANTS) {
      const { certificate, costUsd } = await problem.solve(variant, { solver });
      const v = problem.verifier.verify(certificate);
      const [verdict, gap] = expected[variant];
      assert.equal(v.verdict, verdict, `${solver} ${variant}: ${describeVerdict(v)}`);
      assert.ok("gapUsd" in v && Math.abs(v.gapUsd - gap) < 1e-6, `${solver} ${variant} gap`);
      assert.equal(costUsd, problem.verifier.costUsd(certificate), "the claim is the certificate's sum");
      assert.equal(certificate.x.length, 1);
      assert.deepEqual(Array.from(certificate.y), [1], `${solver} ${variant}: the row's dual`);
      assert.ok(!Array.from(certificate.y).some((e) => Object.is(e, -0)), "no -0 in y");
      const d = problem.verifier.digest(certificate);
      digests[variant] ??= d;
      assert.equal(d, digests[variant], `${variant}: both back ends propose the same sum`);
    }
  }
  assert.equal(new Set(Object.values(digests)).size, PROPOSAL_VARIANTS.length, "five different sums");
  const v = problem.verifier.verify((await problem.solve("corrupt")).certificate);
  assert.match(describeVerdict(v), /row s>=sum = 900\.00000 is 100\.0 below its lower bound 1000/);
});

Deno.test("SimpleSum: a tampered or wrong sum is rejected; any sum within the tolerances is accepted", async () => {
  const problem = await day1();
  const { verifier, model } = problem;
  const cert = (s: number): Certificate => makeCertificate(model.lp, [s], [1]);
  const verdict = (c: Certificate) => verifier.verify(c).verdict;
  for (const variant of PROPOSAL_VARIANTS) {
    const original = (await problem.solve(variant)).certificate;
    const tampered = verifier.tamper(original);
    assert.equal(verdict(tampered), "infeasible", `tampered ${variant}`);
    assert.notEqual(verifier.digest(tampered), verifier.digest(original), "another x");
    assert.deepEqual(tampered.y, original.y, "same y");
  }
  assert.equal(verdict(cert(BUNDLED_SUM - 0.01)), "infeasible", "a cent short");
  assert.equal(verdict(cert(BUNDLED_SUM + 2 * GAP_TOLERANCE_USD)), "suboptimal", "two cents over");
  assert.equal(verdict(cert(BUNDLED_SUM + GAP_TOLERANCE_USD / 2)), "accepted", "half a cent over");
  // The bound comes from the follower's own LP: a y that claims more proves less, never more.
  assert.equal(verifier.verify(makeCertificate(model.lp, [BUNDLED_SUM], [2])).verdict, "suboptimal");
  assert.equal(verifier.verify({ ...cert(BUNDLED_SUM), x: [BUNDLED_SUM, 0] }).verdict, "malformed");
  assert.equal(verifier.verify({ ...cert(BUNDLED_SUM), x: ["1000"] } as never).verdict, "malformed");
  // A certificate for another day's LP is refused by its LP id.
  const other = sumProblem(buildSumModel(await bundled(), 1.01));
  assert.equal(verifier.verify((await other.solve("optimal")).certificate).verdict, "malformed");
  assert.ok(Number.isNaN(verifier.costUsd({ ...cert(1), x: [] })), "costUsd never throws");
});

Deno.test("SimpleSum: a delegate rejects a valid sum whose claim is off by more than the tolerance", async () => {
  const problem = await day1();
  const { certificate, costUsd } = await problem.solve("optimal");
  const config = { id: 9, delegates: [8, 9, 10], normals: [9], shape: problem.shape };
  const received = (claimedCostUsd: number) => {
    const s = initDelegate(config);
    stepDelegate(problem.verifier, s, { kind: "roundStart", round: 1 });
    const msg: ProposalMessage = {
      kind: "proposal",
      round: 1,
      to: 9,
      path: [8],
      proposal: { height: 1, round: 1, leader: 8, certificate, claimedCostUsd },
    };
    const fx = stepDelegate(problem.verifier, s, { kind: "receive", msg });
    const rec = fx.find((e) => e.kind === "received");
    assert.ok(rec?.kind === "received");
    return rec;
  };
  assert.equal(received(costUsd).verdict, "accepted");
  assert.equal(received(costUsd + CLAIM_TOLERANCE_USD / 2).verdict, "accepted");
  const lie = received(costUsd + 2 * CLAIM_TOLERANCE_USD);
  assert.equal(lie.verdict, "misclaimed");
  assert.match(
    lie.reason ?? "",
    /^misclaimed: claims Σ1,000\.02, the true sum is Σ1,000\.00: off by Σ0\.02 \(tolerance Σ0\.01\)$/,
  );
  assert.equal(received(costUsd - 1).verdict, "misclaimed");
});

Deno.test("SimpleSum in the simulator under Scenario I: C blacklisted, D's sum accepted by all", async () => {
  const scenario = await simpleSumScenario("scenarios/scenario1.yaml");
  const { kind, case: c } = { kind: problemKind(scenario.problem), case: await bundled() };
  const problem = kind.problemFor(c, { height: 1, loadFactor: 1 });
  for (const solver of SOLVERS) {
    const { report, facts } = await simulate(
      problem.verifier,
      await loadProposalBook(problem, { solver }),
      simConfigFor(scenario, { dispatchOf: (p) => problem.summary(p.certificate) }),
    );
    const [r1, r2] = report.rounds;
    assert.equal(r1.leader, "C");
    assert.deepEqual(r1.received.F, ["<Σ1,100>C"], `${solver}: F gets C's padded sum`);
    assert.match(r1.rejected.F[0], /<Σ1,100>C suboptimal/);
    for (const d of ["D", "E", "F", "G"]) {
      assert.equal(r1.decision[d], "blacklist", `${solver}: ${d} in round 1`);
      assert.ok(r1.blacklist[d].includes("C"), `${d} blacklists C`);
    }
    assert.equal(r2.leader, "D");
    for (const d of ["D", "E", "F", "G"]) {
      assert.equal(r2.decision[d], "commit", `${solver}: ${d} in round 2`);
    }
    assert.ok(r2.received.G.includes("<Σ1,000>D"), `G's cell: ${r2.received.G}`);
    assert.deepEqual(report.outcome, { round: 2, leader: "D", costUsd: BUNDLED_SUM });
    allAccept(report, BUNDLED_SUM);
    for (const n of Object.values(facts.normals)) assert.equal(n.accepted?.leader, 9);
    assert.equal(report.dispatch?.costUsd, BUNDLED_SUM);
    assert.match(report.dispatch?.verdict ?? "", /^accepted/);
    assert.equal((report.dispatch?.series as SumSeries).expectedSum, BUNDLED_SUM);
    // The trace speaks SimpleSum's unit (Σ, no period), never the dispatch's dollars per day.
    assert.deepEqual(report.costUnit, SUM_COST);
    const text = renderTrace(report, scenario);
    assert.ok(!text.includes("$") && !text.includes("per day"), text);
    assert.match(text, /^Outcome: round 2, leader D, Σ1,000, accepted by 7 of 7 normal nodes$/m);
    assert.match(text, / {4}R1 F: <Σ1,100>C suboptimal \(gap Σ100\.00\)$/m);
  }
});

Deno.test("SimpleSum in the simulator under Scenario IV: the alternative sum is equivocation evidence", async () => {
  const scenario = await simpleSumScenario("scenarios/scenario4.yaml");
  const problem = await day1();
  const { report } = await simulate(
    problem.verifier,
    await loadProposalBook(problem),
    simConfigFor(scenario),
  );
  assert.ok(report.evidence?.some((e) => e.leader === 8 && e.round === 1), JSON.stringify(report.evidence));
  for (const d of ["D", "E", "F", "G"]) assert.ok(report.rounds[0].blacklist[d].includes("C"), d);
  assert.deepEqual(report.outcome, { round: 2, leader: "D", costUsd: BUNDLED_SUM });
  allAccept(report, BUNDLED_SUM);
});

Deno.test("SimpleSum on Workers under Scenario I: D's sum in every ledger, and the chain checks", async () => {
  const scenario = await simpleSumScenario("scenarios/scenario1.yaml");
  const dataDir = await tmpDir("simple-sum-workers");
  const [report] = await runDays(scenario, { dataDir });
  assert.equal(report.runtime, "workers");
  assert.equal(report.rounds[0].leader, "C");
  assert.deepEqual(report.rounds[0].received.F, ["<Σ1,100>C"]);
  assert.deepEqual(report.outcome, { round: 2, leader: "D", costUsd: BUNDLED_SUM });
  allAccept(report, BUNDLED_SUM);
  assert.equal(report.dispatch?.costUsd, BUNDLED_SUM);

  // The chain checker rebuilds the day's SimpleSum LP from the case and checks every block of every ledger.
  const problem = { kind: SIMPLE_SUM, case: await bundled() };
  for (const p of scenario.participants) {
    const { records } = await readLedger(ledgerFileName(dataDir, p.name));
    const [genesis, block] = records;
    assert.ok(genesis.kind === "genesis" && block?.kind === "block", `${p.name} wrote block 1`);
    assert.equal(block.costUsd, BUNDLED_SUM);
    assert.equal(block.leader, 9);
    const checker = makeChainChecker(genesis, { problem, recheck: true });
    assert.equal(await checker.check(block, genesis), undefined, `${p.name}'s block 1`);
  }
  // A checker that poses another problem refuses the block: the genesis names another kind.
  const [genesis, block] = (await readLedger(ledgerFileName(dataDir, "A"))).records;
  assert.ok(genesis.kind === "genesis" && block.kind === "block");
  const ies = problemKind("ies-dispatch");
  const other = makeChainChecker(genesis, {
    problem: { kind: ies, case: await ies.loadCase(ies.defaultCase) },
  });
  assert.match((await other.check(block, genesis)) ?? "", /problem kind is "simple-sum", not "ies-dispatch"/);
});
