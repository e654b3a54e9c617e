/**
 * Users' own cases: a scenario names its problem kind, case and solver
 * (`problem:`, `case:`, `solver:`), `poso run --case/--solver` override them
 * on Workers and in the simulator alike, the genesis records the kind and the
 * SHA-256 of the case file's bytes, a data directory of another case is
 * refused before any Worker starts, and `poso ledger verify` rebuilds each
 * day's problem only from the case the genesis names (`--case`).
 *
 * The user case is the bundled UoM case with every hour's load scaled by
 * {@link LOAD_SCALE}: another optimum, another digest, the same case name.
 *
 * @module
 */
import assert from "node:assert/strict";
import { isAbsolute, resolve } from "node:path";
import { type ChainCheckOptions, makeChainChecker } from "../actors/chain_check.ts";
import { ledgerFileName, readLedger } from "../actors/ledger_file.ts";
import { genesisOf, runDays, RunError } from "../actors/supervisor.ts";
import { publicKeysOf } from "../actors/keys.ts";
import { verifyLedgerDir } from "../cli/ledger.ts";
import { EXIT_FAILURE } from "../cli/program.ts";
import { dispatchDigest } from "../consensus/digest.ts";
import { type BlockRecord, encodeRecord, LEDGER_FORMAT, makeGenesis } from "../consensus/ledger.ts";
import type { RunReport } from "../consensus/report.ts";
import { DEFAULT_SOLVER, type SolverName } from "../lp/solver.ts";
import { caseDigest, problemKind, problemKinds, readCaseFile } from "../problems/registry.ts";
import { DAILY_LOAD_VARIATION } from "../problems/schedule.ts";
import { loadScenarioFile, parseScenario, type Scenario, ScenarioError } from "../scenarios/loader.ts";
import { cli, tmpDir } from "./helpers.ts";

const SCENARIO1 = "scenarios/scenario1.yaml";
/** Every hour's load of the user case, relative to the bundled case's. */
const LOAD_SCALE = 1.08;
/** Two costs are "the same" within a cent, $ per day. */
const CENT_USD = 0.01;
/** A cost that moved with the loads differs from the bundled optimum by more than this, $ per day. */
const DIFFERENT_COST_USD = 1;
/** Scenario I's round timeout here: enough for a leader's solve on a busy machine (as tests/runtime_test.ts). */
const ROUND_TIMEOUT_MS = 1500;
/** Normal nodes of scenario 1. */
const NORMALS = 7;

const KIND = problemKind();
const BUNDLED = await readCaseFile(KIND);

/** Writes the user case (the bundled one with loads × LOAD_SCALE) into `dir`; returns its path. */
async function writeUserCase(dir: string, name = "my-case.json"): Promise<string> {
  const json = JSON.parse(await Deno.readTextFile(KIND.defaultCase));
  json.load_factor = json.load_factor.map((f: number) => f * LOAD_SCALE);
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, JSON.stringify(json, null, 2));
  return path;
}

/** The optimum of day 1 of a case file with a solver: its true cost and dispatch digest. */
async function optimumOf(
  path: string | URL,
  solver: SolverName,
): Promise<{ costUsd: number; digest: string }> {
  const c = await readCaseFile(KIND, path);
  const s = await c.kind.problemFor(c.case, { height: 1, loadFactor: 1 }).solve("optimal", { solver });
  return { costUsd: s.costUsd, digest: dispatchDigest(s.certificate) };
}

/** Scenario 1 with its body prefixed by `head` (top-level keys), written to `dir`. */
async function scenarioWith(dir: string, head: string, name = "s1.yaml"): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, head + (await Deno.readTextFile(SCENARIO1)));
  return path;
}

/** The first block of a participant's ledger. */
async function firstBlock(dataDir: string, name: string): Promise<BlockRecord> {
  const { records } = await readLedger(ledgerFileName(dataDir, name));
  assert.equal(records[1]?.kind, "block", `${name} wrote block 1`);
  return records[1] as BlockRecord;
}

/** Every normal node accepted the outcome. */
function allAccepted(report: RunReport): void {
  const accepted = Object.values(report.normal.accepted).filter((c) => c !== null);
  assert.equal(accepted.length, NORMALS, JSON.stringify(report.normal.accepted));
}

/** The SHA-256 of a file's bytes, computed here without the code under test. */
async function sha256Of(path: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return `sha256:${Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

// ---------------------------------------------------------------------------
// Scenario keys

Deno.test("scenario: problem:, case: and solver: are read; case: is resolved against the scenario's folder", async () => {
  const dir = await tmpDir("cases-keys");
  await writeUserCase(dir);
  const file = await scenarioWith(dir, "problem: ies-dispatch\ncase: my-case.json\nsolver: glpk\n");
  const s = await loadScenarioFile(file);
  assert.equal(s.problem, "ies-dispatch");
  assert.equal(s.solver, "glpk");
  assert.ok(s.casePath && isAbsolute(s.casePath), `an absolute path: ${s.casePath}`);
  assert.equal(s.casePath, resolve(dir, "my-case.json"));
  // The same file named from elsewhere (absolute) names the same case.
  assert.equal((await loadScenarioFile(resolve(file))).casePath, s.casePath);
  const plain = await loadScenarioFile(SCENARIO1);
  assert.deepEqual([plain.problem, plain.casePath, plain.solver], [
    "ies-dispatch",
    undefined,
    DEFAULT_SOLVER,
  ]);
});

Deno.test("scenario: an unknown kind or solver, or a case file that cannot be read, is an error at its key", async () => {
  const parseError = (head: string) => {
    try {
      parseScenario(head + "nodes: {}\n", "bad.yaml");
    } catch (e) {
      if (e instanceof ScenarioError) return e.problems.find((p) => p.keyPath === head.split(":")[0])!;
      throw e;
    }
    assert.fail("no error");
  };
  const kind = parseError("problem: ies-dispach\n");
  assert.deepEqual([kind.line, kind.column], [1, 10]);
  assert.match(kind.detail, /unknown problem kind "ies-dispach"; did you mean ies-dispatch\?/);
  assert.match(kind.detail, new RegExp(`known: ${problemKinds().join(", ")}`));
  assert.match(parseError("solver: cplex\n").detail, /unknown solver "cplex"; use glpk or highs/);
  assert.match(parseError("case: [a, b]\n").detail, /expected the path of a case file/);
  assert.match(parseError('case: "a\\u0000b.json"\n').detail, /control character/);

  const dir = await tmpDir("cases-unreadable");
  const loadError = async (value: string) => {
    const e = await loadScenarioFile(await scenarioWith(dir, `case: ${value}\n`)).catch((e) => e);
    assert.ok(e instanceof ScenarioError, String(e));
    assert.deepEqual([e.keyPath, e.line, e.column], ["case", 1, 7]);
    return e.message;
  };
  assert.match(await loadError("nope.json"), new RegExp(`${resolve(dir, "nope.json")}: no such file`));
  assert.match(await loadError("."), /is a directory/);
  // A device is refused without being read (/dev/zero would never end).
  assert.match(await loadError("/dev/zero"), /\/dev\/zero: is not a regular file/);
});

// ---------------------------------------------------------------------------
// Genesis

Deno.test("genesis: records the problem kind and the SHA-256 of the case file's bytes", async () => {
  const dir = await tmpDir("cases-genesis");
  const path = await writeUserCase(dir);
  const scenario = await loadScenarioFile(SCENARIO1);
  const keys = await publicKeysOf({ kind: "seed", seed: 1 }, scenario.participants);
  const bundled = await genesisOf(scenario, keys);
  const mine = await genesisOf({ ...scenario, casePath: path }, keys);
  assert.equal(mine.format, LEDGER_FORMAT);
  assert.equal(mine.problem, "ies-dispatch");
  assert.equal(mine.caseDigest, await sha256Of(path));
  assert.equal(bundled.caseDigest, await sha256Of(KIND.defaultCase.pathname));
  // Same case name (the file was only scaled), different digest, so a different chain.
  assert.equal(mine.caseName, bundled.caseName);
  assert.notEqual(mine.caseDigest, bundled.caseDigest);
  assert.notEqual(mine.hash, bundled.hash);
  assert.equal(caseDigest(await Deno.readFile(path)), mine.caseDigest);

  const fields = { ...mine, participants: mine.participants };
  assert.throws(
    () => makeGenesis({ ...fields, caseDigest: "sha256:abc" }),
    /caseDigest is not a sha256 digest/,
  );
  assert.throws(() => makeGenesis({ ...fields, problem: "" }), /problem is not a problem kind's name/);
});

Deno.test("chain check: a case given for another digest or kind fails the genesis, naming both", async () => {
  const dir = await tmpDir("cases-check");
  const mine = await readCaseFile(KIND, await writeUserCase(dir));
  const scenario = await loadScenarioFile(SCENARIO1);
  const keys = await publicKeysOf({ kind: "seed", seed: 1 }, scenario.participants);
  const genesis = await genesisOf(scenario, keys, mine);
  const check = (problem: ChainCheckOptions["problem"]) =>
    makeChainChecker(genesis, { problem }).genesisProblem();
  assert.equal(await check(mine), undefined);
  const other = await check(BUNDLED);
  assert.ok(other?.includes(mine.digest) && other.includes(BUNDLED.digest), other);
  const otherKind = await check({ ...mine, kind: { ...KIND, name: "simple-sum" } });
  assert.match(otherKind ?? "", /problem kind is "ies-dispatch", not "simple-sum"/);
});

Deno.test("ledger verify: a chain of a problem kind this program does not know is refused, naming it", async () => {
  const dir = await tmpDir("cases-unknown-kind");
  const scenario = await loadScenarioFile(SCENARIO1);
  const keys = await publicKeysOf({ kind: "seed", seed: 1 }, scenario.participants);
  const { hash: _h, kind: _k, format: _f, height: _x, ...fields } = await genesisOf(scenario, keys);
  const genesis = makeGenesis({ ...fields, problem: "market-clearing" });
  for (const p of scenario.participants) {
    await Deno.writeTextFile(ledgerFileName(dir, p.name), encodeRecord(genesis));
  }
  const v = await verifyLedgerDir(dir);
  assert.equal(v.ok, false);
  assert.match(
    v.summary,
    /problem kind "market-clearing" is not one this program knows \(known: ies-dispatch/,
  );
  assert.equal(genesis.loadVariation, DAILY_LOAD_VARIATION);
});

// ---------------------------------------------------------------------------
// Simulator

Deno.test("simulate: --case gives the case's own optimum, accepted by every normal node; both solvers agree", async () => {
  const dir = await tmpDir("cases-simulate");
  const path = await writeUserCase(dir);
  const runJson = async (...args: string[]) => {
    const r = await cli(["run", SCENARIO1, "--simulate", "--json", ...args]);
    assert.equal(r.status, 0, r.err);
    return JSON.parse(r.out) as RunReport;
  };
  const expected = await optimumOf(path, DEFAULT_SOLVER);
  const mine = await runJson("--case", path);
  allAccepted(mine);
  assert.ok(Math.abs(mine.dispatch!.costUsd - expected.costUsd) <= CENT_USD, `${mine.dispatch!.costUsd}`);
  // Scenario 1 with the bundled case on both solvers: the same accepted cost, unlike the user's case.
  const [glpk, highs] = [await runJson("--solver", "glpk"), await runJson("--solver", "highs")];
  for (const r of [glpk, highs]) allAccepted(r);
  assert.ok(Math.abs(mine.dispatch!.costUsd - highs.dispatch!.costUsd) > DIFFERENT_COST_USD);
  assert.ok(Math.abs(glpk.dispatch!.costUsd - highs.dispatch!.costUsd) <= CENT_USD);
  assert.equal(Math.round(glpk.dispatch!.costUsd), 744);
});

Deno.test("run --case: a case file that is not JSON, or not of the kind, fails naming the file and field", async () => {
  const dir = await tmpDir("cases-bad");
  const notJson = `${dir}/not.json`, wrongField = `${dir}/field.json`;
  await Deno.writeTextFile(notJson, "{ load_factor: [1, 2");
  const json = JSON.parse(await Deno.readTextFile(KIND.defaultCase));
  json.load_factor = json.load_factor.slice(1);
  await Deno.writeTextFile(wrongField, JSON.stringify(json));
  const bad = await cli(["run", SCENARIO1, "--simulate", "--case", notJson]);
  assert.equal(bad.status, EXIT_FAILURE);
  assert.match(bad.err, new RegExp(`^poso: ${notJson}: not a JSON case file of ies-dispatch: `));
  // A case path may name any readable file: the error never echoes its content.
  await Deno.writeTextFile(notJson, "secret-token: 1234");
  const secret = await cli(["run", SCENARIO1, "--simulate", "--case", notJson]);
  assert.match(secret.err, /not a JSON case file of ies-dispatch: Unexpected token/);
  assert.ok(!secret.err.includes("secret"), secret.err);
  const field = await cli(["run", SCENARIO1, "--simulate", "--case", wrongField]);
  assert.equal(field.status, EXIT_FAILURE);
  assert.match(field.err, new RegExp(`^poso: ${wrongField}: load_factor: `));
  const missing = await cli(["run", SCENARIO1, "--simulate", "--case", `${dir}/none.json`]);
  assert.match(missing.err, /none\.json: cannot read case file: no such file$/);
});

// ---------------------------------------------------------------------------
// Workers

Deno.test("Workers: a user's case on both solvers, its ledgers verified with --case, another case refused", async () => {
  const dir = await tmpDir("cases-workers");
  const path = await writeUserCase(dir);
  const [highsOpt, glpkOpt, bundledOpt] = [
    await optimumOf(path, "highs"),
    await optimumOf(path, "glpk"),
    await optimumOf(KIND.defaultCase, "highs"),
  ];
  const scenario: Scenario = { ...await loadScenarioFile(SCENARIO1), casePath: path, solver: "highs" };

  // runDays with the case and HiGHS: D's optimum of this case, accepted by all, in every ledger.
  const viaApi = `${dir}/api`;
  const [report] = await runDays(scenario, { dataDir: viaApi, roundTimeoutMs: ROUND_TIMEOUT_MS });
  assert.deepEqual([report.outcome?.round, report.outcome?.leader], [2, "D"]);
  allAccepted(report);
  const block = await firstBlock(viaApi, "A");
  assert.ok(
    Math.abs(block.costUsd - highsOpt.costUsd) <= CENT_USD,
    `${block.costUsd} vs ${highsOpt.costUsd}`,
  );
  assert.ok(Math.abs(block.costUsd - bundledOpt.costUsd) > DIFFERENT_COST_USD);
  assert.equal(block.dispatch, highsOpt.digest, "the leader solved with HiGHS");

  // The same data directory continued with the bundled case: refused before any Worker starts.
  const notes: string[] = [];
  const bundled = { ...scenario, casePath: undefined };
  const e = await runDays(bundled, { dataDir: viaApi, progress: (l) => notes.push(l) }).catch((e) => e);
  assert.ok(e instanceof RunError, String(e));
  assert.match(e.message, /A\.ledger\.jsonl was written for another case/);
  const mineDigest = (await readCaseFile(KIND, path)).digest;
  assert.ok(e.message.includes(BUNDLED.digest) && e.message.includes(mineDigest), e.message);
  assert.ok(!notes.some((l) => l.includes("starting")), `no Worker started: ${notes.join("; ")}`);

  // Verify rebuilds each day from the case the genesis names.
  const ok = await verifyLedgerDir(viaApi, { recheck: true, casePath: path });
  assert.ok(ok.ok, ok.summary);
  const noCase = await verifyLedgerDir(viaApi, { recheck: true });
  assert.equal(noCase.ok, false);
  assert.match(noCase.summary, /not from the bundled case of ies-dispatch .*pass that case file with --case/);
  const wrong = await verifyLedgerDir(viaApi, { casePath: KIND.defaultCase.pathname });
  assert.equal(wrong.ok, false);
  assert.ok(wrong.summary.includes(BUNDLED.digest) && wrong.summary.includes(mineDigest), wrong.summary);
  assert.match(
    wrong.summary,
    /is not the chain's case: its digest is sha256:[0-9a-f]{64}, the genesis names case/,
  );

  // The CLI, with the case named relative to the current directory and GLPK: the same cost within a cent.
  const viaCli = `${dir}/cli`;
  const run = await cli([
    "run",
    SCENARIO1,
    "--case",
    path,
    "--solver",
    "glpk",
    "--data",
    viaCli,
    "--timeout",
    "1.5",
  ]);
  assert.equal(run.status, 0, run.err);
  const cliBlock = await firstBlock(viaCli, "G");
  assert.equal(cliBlock.dispatch, glpkOpt.digest, "the leader solved with GLPK");
  assert.ok(
    Math.abs(cliBlock.costUsd - block.costUsd) <= CENT_USD,
    `${cliBlock.costUsd} vs ${block.costUsd}`,
  );
  const verified = await cli(["ledger", "verify", viaCli, "--recheck", "--case", path]);
  assert.equal(verified.status, 0, verified.err + verified.out);
  const unverified = await cli(["ledger", "verify", viaCli]);
  assert.equal(unverified.status, EXIT_FAILURE);
  assert.match(
    unverified.err,
    /^poso: the chain was built from case .* pass that case file with --case <file>$/,
  );
  const refused = await cli(["run", SCENARIO1, "--data", viaCli]);
  assert.equal(refused.status, EXIT_FAILURE);
  assert.match(refused.err, /was written for another case/);
});
