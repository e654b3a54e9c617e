/**
 * The command line of the case format and of CSV results: `poso case check`, `poso case scale`,
 * `poso solve --csv` and `poso run --csv` (the directory made, and checked before any work).
 *
 * Everything written goes to a fresh directory under out/test-tmp, removed afterwards.
 *
 * @module
 */
import assert from "node:assert/strict";
import { EXIT_FAILURE, EXIT_USAGE } from "../cli/program.ts";
import { loadCaseFile, loadUomCase, scaleCase, UOM_CASE_URL } from "../mod.ts";
import { FLOAT_FIELD, table } from "./csv_fixture.ts";
import { cli, type CliResult, withTmpDir } from "./helpers.ts";

/** Asserts a runtime failure before any output: exit 1, one line `poso: …` containing `what`. */
function assertFailure(r: CliResult, what: string): void {
  assert.equal(r.status, EXIT_FAILURE, r.err);
  assert.equal(r.out, "");
  assert.equal(r.err.split("\n").length, 1, r.err);
  assert.ok(r.err.startsWith("poso: ") && r.err.includes(what), r.err);
}

/** Runs `fn` with a fresh directory under out/test-tmp, removed afterwards. */
const withCaseDir = (fn: (dir: string) => Promise<void>) => withTmpDir("poso-case-cli", fn);

const bundled = () => JSON.parse(Deno.readTextFileSync(UOM_CASE_URL));

Deno.test("case, case check and case scale have help with examples; --csv is in run's and solve's help", async () => {
  for (const command of [["case"], ["case", "check"], ["case", "scale"]]) {
    const r = await cli([...command, "--help"]);
    assert.equal(r.status, 0);
    assert.match(r.out, /\nExamples?:\n {2}poso case /, command.join(" "));
  }
  assert.match((await cli(["case", "scale", "--help"])).out, /--copies <k> .*1 to 1024 \(default: 1\)/);
  for (const command of ["run", "solve"]) assert.match((await cli([command, "--help"])).out, /--csv <dir>/);
});

Deno.test("poso case check: a valid case is summarised; a bad one fails naming the file and the field", async () => {
  await withCaseDir(async (dir) => {
    const ok = await cli(["case", "check", UOM_CASE_URL.pathname]);
    assert.equal(ok.status, 0, ok.err);
    assert.match(ok.out, /: valid\n"University of Manchester.*"\n24 h, 8 hubs, 15 buses, 14 branches/);
    const json = bundled();
    delete json.electric.buses[0].hub;
    json.hubs[2].chp.max_kav = 1000;
    const file = `${dir}/typo.json`;
    await Deno.writeTextFile(file, JSON.stringify(json));
    assertFailure(
      await cli(["case", "check", file]),
      `${file}: hubs[2].chp.max_kav: unknown field; did you mean max_kva?`,
    );
    delete json.hubs[2].chp.max_kav;
    await Deno.writeTextFile(file, JSON.stringify(json));
    const filled = await cli(["case", "check", file, "--json"]);
    assert.equal(filled.status, 0, filled.err);
    // The hub left out of bus 1 is derived from hub 6, which names bus 1.
    assert.equal(JSON.parse(filled.out).electric.buses[0].hub, 6);
  });
});

Deno.test("poso case scale writes a valid scaled case; impossible scalings are refused", async () => {
  await withCaseDir(async (dir) => {
    const out = `${dir}/nested/x2.json`;
    const r = await cli(["case", "scale", "--copies", "2", "--days", "2", "-o", out]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /48 h, 16 hubs, 30 buses, 29 branches/);
    assert.deepEqual(await loadCaseFile(out), scaleCase(await loadUomCase(), { copies: 2, days: 2 }));

    const usage = await cli(["case", "scale", "--copies", "1025", "-o", out]);
    assert.equal(usage.status, EXIT_USAGE);
    assert.match(usage.err, /Expected a whole number from 1 to 1024/);
    assertFailure(await cli(["case", "scale", out, "--copies", "2", "-o", out]), "would overwrite its input");
    // 600 copies of the bundled case would be about 18 MB of JSON: more than poso reads back.
    assertFailure(
      await cli(["case", "scale", "--copies", "600", "-o", `${dir}/huge.json`]),
      "and poso reads case files up to 16 MiB",
    );
    const json = bundled();
    json.grid.bus = 1;
    const off = `${dir}/off-slack.json`;
    await Deno.writeTextFile(off, JSON.stringify(json));
    assertFailure(
      await cli(["case", "scale", off, "--copies", "2", "-o", `${dir}/y.json`]),
      "copies: the copies are tied at the grid bus, which must be the slack bus",
    );
  });
});

Deno.test("poso solve --csv makes the directory and writes the hourly dispatch", async () => {
  await withCaseDir(async (dir) => {
    const csv = `${dir}/a/b`;
    const r = await cli(["solve", "--csv", csv]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, new RegExp(`CSV written to ${csv}/dispatch.csv`));
    const rows = table(await Deno.readTextFile(`${csv}/dispatch.csv`));
    assert.equal(rows.length, 24);
    assert.ok(Object.keys(rows[0]).includes("hub8_tank_energy_kwh"));
    for (const r of rows) {
      for (const [k, v] of Object.entries(r)) if (k !== "hour") assert.match(v, FLOAT_FIELD);
    }
  });
});

Deno.test("a bad --csv directory fails before the run or solve starts", async () => {
  await withCaseDir(async (dir) => {
    const file = `${dir}/plain-file`;
    await Deno.writeTextFile(file, "");
    for (const args of [["run", "scenarios/scenario1.yaml", "--simulate"], ["solve"]]) {
      // The run would print its trace, the solve its summary: nothing is printed.
      assertFailure(await cli([...args, "--csv", file]), `${file}: not a directory`);
      assertFailure(await cli([...args, "--csv", `${file}/below`]), "not a directory");
    }
    await Deno.mkdir(`${dir}/out/dispatch.csv`, { recursive: true });
    assertFailure(
      await cli(["solve", "--csv", `${dir}/out`]),
      `${dir}/out/dispatch.csv: exists and is not a regular file`,
    );
  });
});

Deno.test("poso run --simulate --csv writes the day's dispatch and days.csv", async () => {
  await withCaseDir(async (dir) => {
    const r = await cli(["run", "scenarios/scenario1.yaml", "--simulate", "--csv", dir]);
    assert.equal(r.status, 0, r.err);
    const days = table(await Deno.readTextFile(`${dir}/days.csv`));
    assert.equal(days.length, 1);
    assert.deepEqual([days[0].day, days[0].round, days[0].leader], ["1", "2", "D"]);
    assert.ok(Math.abs(Number(days[0].cost_usd) - 743.91) < 0.01, days[0].cost_usd);
    assert.ok(Math.abs(Number(days[0].gap_usd)) < 0.01, days[0].gap_usd);
    const hours = table(await Deno.readTextFile(`${dir}/dispatch.csv`));
    assert.deepEqual(hours.map((h) => h.day), Array(24).fill("1"));
  });
});

Deno.test("poso run --days 2 --csv on Workers: a day per record, every hour of both days", async () => {
  await withCaseDir(async (dir) => {
    const r = await cli([
      "run",
      "scenarios/scenario2.yaml",
      "--days",
      "2",
      "--data",
      `${dir}/data`,
      "--csv",
      `${dir}/csv`,
    ]);
    assert.equal(r.status, 0, r.err);
    const days = table(await Deno.readTextFile(`${dir}/csv/days.csv`));
    assert.deepEqual(days.map((d) => [d.day, d.round, d.leader]), [["1", "1", "C"], ["2", "1", "C"]]);
    assert.equal(days[0].load_factor, "1.0");
    assert.notEqual(days[1].load_factor, "1.0"); // day 2's loads follow the seed's factor
    const hours = table(await Deno.readTextFile(`${dir}/csv/dispatch.csv`));
    assert.equal(hours.length, 48);
    // Day 2's loads are day 1's times its load factor, hour by hour.
    const factor = Number(days[1].load_factor);
    for (let t = 0; t < 24; t++) {
      const ratio = Number(hours[24 + t].electric_load_kw) / Number(hours[t].electric_load_kw);
      assert.ok(Math.abs(ratio - factor) < 1e-9, `hour ${t}: ${ratio}`);
    }
  });
});

// ---------------------------------------------------------------------------
// Every problem kind through `poso solve`, `poso verify` and `--csv`

/** SimpleSum's bundled case: the seven nodes of scenario 1, summing to 1000. */
const SUM_CASE = "problems/simple-sum/data/simple-sum.json";

Deno.test("poso solve takes the kind from --problem or from the case, with either solver", async () => {
  await withCaseDir(async (dir) => {
    for (const args of [["--problem", "simple-sum"], ["--case", SUM_CASE]]) {
      for (const solver of ["glpk", "highs"]) {
        const r = await cli(["solve", ...args, "--solver", solver, "--json"]);
        assert.equal(r.status, 0, r.err);
        const report = JSON.parse(r.out);
        assert.deepEqual(
          [
            report.problem,
            report.solver,
            report.trueCostUsd,
            report.certificate.verdict,
            report.costUnit.symbol,
          ],
          ["simple-sum", solver, 1000, "accepted", "Σ"],
          args.join(" "),
        );
        assert.deepEqual(report.values, [120, 85, 40, 230, 60, 150, 315], "the kind's own fields");
      }
    }
    // The readable summary is in the kind's unit, with its own lines and table.
    const text = await cli([
      "solve",
      "--problem",
      "simple-sum",
      "--variant",
      "selfish",
      "--out",
      `${dir}/sum.json`,
    ]);
    assert.equal(text.status, 0, text.err);
    assert.match(text.out, /^True sum {6}Σ1,100\.00$/m);
    assert.match(text.out, /^ {2}7 numbers adding up to Σ1,000\.00; the proposal says Σ1,100\.00$/m);
    assert.match(
      text.out,
      /^Certificate {3}rejected as suboptimal: the sum is Σ1,100\.00, .* \(gap Σ100\.00\)$/m,
    );
    assert.ok(!text.out.includes("$"), text.out);
    // poso verify finds the kind by the certificate's LP, and says why it is rejected.
    const v = await cli(["verify", `${dir}/sum.json`]);
    assert.equal(v.status, EXIT_FAILURE);
    assert.match(v.out, /: rejected as suboptimal: the sum is Σ1,100\.00/);
    assert.match(v.out, /^Checked against day 1 of SimpleSum: .* \(simple-sum\) in /m);
    assert.match(v.out, /^True sum: Σ1,100\.00$/m);
    const ok = await cli(["solve", "--problem", "simple-sum", "--out", `${dir}/ok.json`]);
    assert.equal(ok.status, 0, ok.err);
    const accepted = await cli(["verify", `${dir}/ok.json`, "--case", SUM_CASE, "--json"]);
    assert.equal(accepted.status, 0, accepted.err);
    assert.deepEqual([JSON.parse(accepted.out).problem, JSON.parse(accepted.out).trueCostUsd], [
      "simple-sum",
      1000,
    ]);
    // A SimpleSum certificate checked against the dispatch is for another LP.
    const wrong = await cli(["verify", `${dir}/ok.json`, "--problem", "ies-dispatch"]);
    assert.equal(wrong.status, EXIT_FAILURE);
    assert.match(wrong.out, /rejected as malformed: .*LP/);
  });
});

Deno.test("poso solve: the dispatch by default with HiGHS, in dollars per day, its published cost beside", async () => {
  const r = await cli(["solve"]);
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /^University of Manchester.*: ies-dispatch, variant optimal, solved with highs$/m);
  assert.match(r.out, /^True cost {5}\$743\.9\d per day {3}\(published: \$744\.09, -0\.02\d %\)$/m);
  assert.match(r.out, /^Energy over the day, kWh \(storage: net injection\)$/m);
  assert.match(r.out, /^Certificate {3}accepted: gap \$0\.0000 \(tolerance \$0\.01\)$/m);
});

Deno.test("a case no kind accepts is refused with each kind's objection; --problem names one", async () => {
  await withCaseDir(async (dir) => {
    const file = `${dir}/typo.json`;
    await Deno.writeTextFile(file, JSON.stringify({ name: "n", valeus: { A: 1 } }));
    const r = await cli(["solve", "--case", file]);
    assertFailure(
      r,
      `${file}: not a case of any problem kind (name its kind with --problem): ies-dispatch: `,
    );
    assert.match(r.err, /; simple-sum: valeus: unknown field; did you mean values\?(;|$)/);
    assertFailure(
      await cli(["solve", "--problem", "simple-sum", "--case", file]),
      `${file}: valeus: unknown field; did you mean values?`,
    );
    // V8's message quotes the text it could not parse; a file named as a case or a certificate may be
    // any readable file, so the message never echoes it.
    await Deno.writeTextFile(file, "secretword");
    for (const args of [["solve", "--case", file], ["verify", file]]) {
      const notJson = await cli(args);
      assertFailure(notJson, `${file}: not`);
      assert.ok(!notJson.err.includes("secretword"), notJson.err);
    }
  });
});

Deno.test("--csv of SimpleSum: values.csv of a solve; values.csv and days.csv of a run, named in its unit", async () => {
  await withCaseDir(async (dir) => {
    const solve = await cli(["solve", "--problem", "simple-sum", "--csv", `${dir}/solve`]);
    assert.equal(solve.status, 0, solve.err);
    assert.match(solve.out, new RegExp(`CSV written to ${dir}/solve/values.csv`));
    assert.deepEqual(table(await Deno.readTextFile(`${dir}/solve/values.csv`))[6], {
      node: "G",
      value: "315.0",
    });

    const run = await cli(["run", "scenarios/simple-sum.yaml", "--simulate", "--csv", `${dir}/run`]);
    assert.equal(run.status, 0, run.err);
    assert.match(run.out, /^Outcome: round 2, leader D, Σ1,000, accepted by 7 of 7 normal nodes$/m);
    const days = table(await Deno.readTextFile(`${dir}/run/days.csv`));
    assert.deepEqual(Object.keys(days[0]), ["day", "load_factor", "round", "leader", "sum", "gap"]);
    assert.deepEqual([days[0].leader, days[0].sum], ["D", "1000.0"]);
    const values = table(await Deno.readTextFile(`${dir}/run/values.csv`));
    assert.deepEqual(values.map((v) => [v.day, v.node]), [..."ABCDEFG"].map((n) => ["1", n]));
    await assert.rejects(Deno.stat(`${dir}/run/dispatch.csv`), Deno.errors.NotFound, "no dispatch of a sum");
  });
});
