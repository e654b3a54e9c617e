/**
 * The `poso` command line through `runCli(args, io)` with a capturing io:
 * every command's help shows its defaults and examples; usage errors exit 2
 * with a one-line error and the usage; runtime failures exit 1 with one line
 * `poso: …` naming the file; `poso report` turns what `poso run --json`
 * printed into the HTML report; `poso keys` never prints private keys;
 * progress notes appear only on a terminal and never with --json; nothing is
 * coloured.
 *
 * Everything written goes to a fresh directory under out/test-tmp, removed
 * afterwards.
 *
 * @module
 */
import assert from "node:assert/strict";
import { EXIT_FAILURE, EXIT_USAGE } from "../cli/program.ts";
import type { RunReport } from "../consensus/report.ts";
import denoJson from "../deno.json" with { type: "json" };
import { cli, type CliResult, withTmpDir } from "./helpers.ts";

const SCENARIO = "scenarios/scenario1.yaml";
/** Participants of scenarios/scenario1.yaml. */
const SCENARIO1_NAMES = ["A", "B", "C", "D", "E", "F", "G"];
/** Charts of a report with a dispatch: electricity, heat, battery, heat tank. */
const EXPECTED_CHARTS = 4;

/** Asserts a usage error: exit 2, nothing on stdout, one error line naming `what`, then the usage line. */
function assertUsageError(r: CliResult, what: RegExp, usage: string): void {
  assert.equal(r.status, EXIT_USAGE, r.err);
  assert.equal(r.out, "");
  const lines = r.err.split("\n");
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], what);
  assert.equal(lines[1], `Usage: ${usage}`);
  assert.match(lines[2], /^Run 'poso.* --help' for /);
  assert.equal(lines.length, 3, r.err);
}

/** Asserts a runtime failure: exit 1 and one line `poso: …` on stderr that contains `what`. */
function assertFailure(r: CliResult, what: string): void {
  assert.equal(r.status, EXIT_FAILURE, r.err);
  assert.equal(r.err.split("\n").length, 1, r.err);
  assert.ok(r.err.startsWith("poso: "), r.err);
  assert.ok(r.err.includes(what), `"${r.err}" does not mention ${what}`);
  assert.ok(!/\n\s+at /.test(r.err), "a stack trace");
}

// ---------------------------------------------------------------------------
// Help and version

/** Every command with options, and a default its help must show. */
const LEAF_HELP: [string[], string][] = [
  [["run"], "--data <dir>"],
  [["report"], "(default: <run.json> with .html"],
  [["solve"], 'default: "optimal"'],
  [["verify"], "(default: the problem kind's bundled case"],
  [["ledger", "verify"], '(default: "poso-data")'],
  [["keys", "generate"], "(default: the scenario's keys: directory"],
  [["keys", "show"], "(default: the scenario's keys: directory"],
];

Deno.test("every command's --help exits 0 and shows its defaults and an example", async () => {
  for (const [command, shown] of LEAF_HELP) {
    const r = await cli([...command, "--help"]);
    const name = command.join(" ");
    assert.equal(r.status, 0, name);
    assert.equal(r.err, "", name);
    assert.match(r.out, new RegExp(`^Usage: poso ${name} `), name);
    assert.ok(r.out.includes("(default: "), `${name} --help shows no default`);
    assert.ok(r.out.includes(shown), `${name} --help lacks ${shown}`);
    assert.match(r.out, /\nExamples?:\n {2}poso /, `${name} --help has no example`);
    // Each example is a command of its own.
    for (const line of r.out.split("\n").filter((l) => l.startsWith("  poso "))) {
      assert.ok(line.includes(`poso ${name}`), `${name}: example ${line}`);
    }
  }
  for (const group of ["ledger", "keys"]) {
    const r = await cli([group, "--help"]);
    assert.equal(r.status, 0);
    assert.match(r.out, /\nExamples?:\n {2}poso /, `${group} --help has no example`);
  }
  // `--data` defaults to a directory of its own for each scenario file.
  assert.match(
    (await cli(["run", "--help"])).out,
    /--data <dir> [^]*\(default:\s+poso-data\/<scenario file name/,
  );
});

Deno.test("poso --help lists every command with a one-line description, and examples", async () => {
  const r = await cli(["--help"]);
  assert.equal(r.status, 0);
  for (const command of ["run", "report", "solve", "verify", "ledger", "keys"]) {
    const line = r.out.split("\n").find((l) => new RegExp(`^ {2}${command} `).test(l));
    assert.ok(line, `--help does not list ${command}`);
    assert.match(line, /\S {2,}\S.{10,}$/, `${command} has no description on its line`);
    const next = r.out.split("\n")[r.out.split("\n").indexOf(line) + 1];
    assert.match(next, /^ {2}\S/, `the description of ${command} takes more than one line`);
  }
  assert.match(r.out, /\nExamples:\n {2}poso run /);
  // `poso help run` is the same as `poso run --help`.
  assert.equal((await cli(["help", "run"])).out, (await cli(["run", "--help"])).out);
});

Deno.test("poso --version prints the package version", async () => {
  for (const flag of ["--version", "-V"]) {
    const r = await cli([flag]);
    assert.equal(r.status, 0);
    assert.equal(r.out, `poso ${denoJson.version}`);
  }
});

// ---------------------------------------------------------------------------
// Usage errors: exit 2, one line, the usage

Deno.test("usage errors exit 2 with a one-line error and the usage", async () => {
  assertUsageError(
    await cli(["run", SCENARIO, "--bogus"]),
    /unknown option '--bogus'/,
    "poso run [options] <scenario>",
  );
  assertUsageError(await cli(["frobnicate"]), /unknown command 'frobnicate'/, "poso [options] [command]");
  // A suggestion stays on the error's line.
  assertUsageError(
    await cli(["rn", SCENARIO]),
    /unknown command 'rn' \(Did you mean run\?\)/,
    "poso [options] [command]",
  );
  assertUsageError(
    await cli(["ledger", "check"]),
    /unknown command 'check'/,
    "poso ledger [options] [command]",
  );
  assertUsageError(
    await cli(["run", SCENARIO, "--days", "0"]),
    /'--days <n>' argument '0' is invalid/,
    "poso run [options] <scenario>",
  );
  assertUsageError(
    await cli(["run", SCENARIO, "--seed", "1.5"]),
    /'--seed <n>' argument '1.5' is invalid/,
    "poso run [options] <scenario>",
  );
  assertUsageError(
    await cli(["run", SCENARIO, "--timeout", "soon"]),
    /'--timeout <sec>' argument 'soon' is invalid/,
    "poso run [options] <scenario>",
  );
  assertUsageError(
    await cli(["solve", "--variant", "cheapest"]),
    /argument 'cheapest' is invalid/,
    "poso solve [options]",
  );
  assertUsageError(
    await cli(["run"]),
    /missing required argument 'scenario'/,
    "poso run [options] <scenario>",
  );
  assertUsageError(
    await cli(["report"]),
    /missing required argument 'run.json'/,
    "poso report [options] <run.json>",
  );
  assertUsageError(
    await cli(["keys", "generate", "k"]),
    /required option '--scenario <yaml>' not specified/,
    "poso keys generate [options] [dir]",
  );
  assertUsageError(
    await cli(["run", "a.yaml", "b.yaml"]),
    /too many arguments/,
    "poso run [options] <scenario>",
  );
  assertUsageError(
    await cli(["run", SCENARIO, "--simulate", "--days", "2"]),
    /--days, --until, --data and --full-rounds apply to Worker runs/,
    "poso run [options] <scenario>",
  );
  assertUsageError(
    await cli(["run", SCENARIO, "--days", "2", "--until", "3"]),
    /--days and --until exclude each other/,
    "poso run [options] <scenario>",
  );
});

// ---------------------------------------------------------------------------
// Runtime failures: exit 1, one line naming the file

Deno.test("a missing scenario file fails with one line naming it", async () => {
  assertFailure(await cli(["run", "no-such-scenario.yaml"]), "no-such-scenario.yaml");
  assertFailure(await cli(["run", "no-such-scenario.yaml", "--simulate", "--json"]), "no-such-scenario.yaml");
  assertFailure(await cli(["verify", "no-such-cert.json"]), "no-such-cert.json");
  assertFailure(
    await cli(["keys", "show", "k", "--scenario", "no-such-scenario.yaml"]),
    "no-such-scenario.yaml",
  );
});

Deno.test("ledger verify on an empty or missing directory fails with a clear message", async () => {
  await withTmpDir("cli-ledger", async (dir) => {
    const r = await cli(["ledger", "verify", dir]);
    assertFailure(r, dir);
    assert.match(r.err, /no ledger file \(\*\.ledger\.jsonl\) in this directory/);
    assert.equal(r.out, "");
    assertFailure(
      await cli(["ledger", "verify", `${dir}/missing`]),
      `${dir}/missing: no such data directory`,
    );
  });
});

// ---------------------------------------------------------------------------
// poso run --json → poso report

Deno.test("poso report draws the charts of a simulator run saved with poso run --json", async () => {
  await withTmpDir("cli-report", async (dir) => {
    const run = await cli(["run", SCENARIO, "--simulate", "--json"], true);
    assert.equal(run.status, 0, run.err);
    assert.equal(run.err, "", "progress notes with --json");
    const report = JSON.parse(run.out) as RunReport;
    assert.equal(report.scenario, "Scenario I");
    assert.ok(report.dispatch, "poso run --json dropped the dispatch series");
    assert.equal(report.timings, undefined, "timings without --timings");
    const json = `${dir}/run.json`;
    await Deno.writeTextFile(json, run.out);

    const html = `${dir}/html/run.html`;
    const r = await cli(["report", json, "-o", html]);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out, `report written to ${html}`);
    const page = await Deno.readTextFile(html);
    assert.ok(page.startsWith("<!DOCTYPE html>"));
    assert.ok(page.includes("Scenario I"));
    assert.equal(page.match(/<svg class="chart"/g)?.length, EXPECTED_CHARTS);

    // The default output name, and a multi-day file (an array): the last day, or the one --day names.
    await Deno.writeTextFile(`${dir}/days.json`, JSON.stringify([{ ...report, scenario: "first" }, report]));
    assert.equal((await cli(["report", `${dir}/days.json`])).status, 0);
    assert.ok((await Deno.readTextFile(`${dir}/days.html`)).includes("Scenario I"));
    assert.equal((await cli(["report", `${dir}/days.json`, "--day", "1", "-o", `${dir}/d1.html`])).status, 0);
    assert.ok((await Deno.readTextFile(`${dir}/d1.html`)).includes("PoSo run report: first"));
    assertFailure(await cli(["report", `${dir}/days.json`, "--day", "3"]), "has no day 3; its days are 1, 2");

    // Without `dispatch`, the message flow still renders and the page says there is no dispatch.
    const { dispatch: _, ...bare } = report;
    await Deno.writeTextFile(`${dir}/bare.json`, JSON.stringify(bare));
    const b = await cli(["report", `${dir}/bare.json`, "--scenario", SCENARIO]);
    assert.equal(b.status, 0, b.err);
    assert.match(b.out, /has no dispatch series/);
    const barePage = await Deno.readTextFile(`${dir}/bare.html`);
    assert.equal(barePage.match(/<svg class="chart"/g), null);
    assert.match(barePage, /no dispatch series/);
    assert.match(barePage, /<table class="flow">/);
    assert.ok(barePage.includes("&lt;$744&gt;DE"));
  });
});

Deno.test("poso report on a bad file fails with one line naming the file and the field", async () => {
  await withTmpDir("cli-report-bad", async (dir) => {
    const run = await cli(["run", SCENARIO, "--simulate", "--json"]);
    const report = JSON.parse(run.out) as Record<string, unknown>;

    await Deno.writeTextFile(`${dir}/bad.json`, run.out.slice(0, 100));
    assertFailure(
      await cli(["report", `${dir}/bad.json`, "-o", `${dir}/bad.html`]),
      `${dir}/bad.json: not valid JSON`,
    );

    const { rounds: _, ...noRounds } = report;
    await Deno.writeTextFile(`${dir}/no-rounds.json`, JSON.stringify(noRounds));
    assertFailure(await cli(["report", `${dir}/no-rounds.json`]), `${dir}/no-rounds.json: rounds: missing`);

    const wrong = structuredClone(report) as { outcome: { costUsd: unknown } };
    wrong.outcome.costUsd = "744";
    await Deno.writeTextFile(`${dir}/wrong.json`, JSON.stringify([wrong]));
    assertFailure(
      await cli(["report", `${dir}/wrong.json`]),
      `${dir}/wrong.json: [0].outcome.costUsd: expected a number, got string`,
    );

    // The run's cost unit is read field by field: a symbol that would make cells ambiguous is refused.
    const unit = structuredClone(report) as { costUnit: { symbol: unknown } };
    unit.costUnit.symbol = "<9";
    await Deno.writeTextFile(`${dir}/unit.json`, JSON.stringify(unit));
    assertFailure(
      await cli(["report", `${dir}/unit.json`]),
      `${dir}/unit.json: costUnit: symbol: "<9" holds a digit`,
    );

    assertFailure(await cli(["report", `${dir}/missing.json`]), `${dir}/missing.json: no such file`);
    await Deno.writeTextFile(`${dir}/empty.json`, "[]");
    assertFailure(await cli(["report", `${dir}/empty.json`]), `${dir}/empty.json: holds an empty array`);

    // No HTML was written for any of them.
    const written = [];
    for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".html")) written.push(e.name);
    assert.deepEqual(written, []);
  });
});

Deno.test("poso report speaks the run's cost unit: a SimpleSum run's page in Σ, without a period", async () => {
  await withTmpDir("cli-report-unit", async (dir) => {
    const run = await cli(["run", "scenarios/simple-sum.yaml", "--simulate", "--json"]);
    assert.equal(run.status, 0, run.err);
    const report = JSON.parse(run.out) as RunReport;
    assert.equal(report.costUnit?.symbol, "Σ");
    // The page's charts are the dispatch's; a SimpleSum report is drawn without its series.
    const { dispatch: _, ...flow } = report;
    await Deno.writeTextFile(`${dir}/sum.json`, JSON.stringify(flow));
    const r = await cli(["report", `${dir}/sum.json`, "-o", `${dir}/sum.html`]);
    assert.equal(r.status, 0, r.err);
    const html = await Deno.readTextFile(`${dir}/sum.html`);
    assert.match(html, /round 2, leader D, Σ1,000, accepted by 7 of 7 normal nodes/);
    assert.match(html, /<td class="accepted">Σ1,000<\/td>/);
    assert.match(html, /title="A received &lt;Σ1,000&gt;[D-G]: matches the accepted Σ1,000 sum"/);
    assert.ok(!html.includes("per day") && !html.includes("&lt;$"), "no dollars per day");
  });
});

/** A file the test task may not write (outside out/test-tmp, inside the project). */
const NOT_ALLOWED = "out/cli-test-not-allowed.json";

Deno.test({
  name: "writing where poso may not fails with one line naming the file and what may write where",
  // Only meaningful without write permission there (as in the test task).
  ignore: Deno.permissions.querySync({ name: "write", path: NOT_ALLOWED }).state === "granted",
  fn: async () => {
    const r = await cli(["solve", "--out", NOT_ALLOWED]);
    assertFailure(r, NOT_ALLOWED);
    assert.match(r.err, /without write permission there .*the poso task and the compiled binary anywhere/);
  },
});

// ---------------------------------------------------------------------------
// Keys

Deno.test("keys generate creates key files and prints only public keys; keys show prints them", async () => {
  await withTmpDir("cli-keys", async (dir) => {
    const keys = `${dir}/keys`;
    const r = await cli(["keys", "generate", keys, "--scenario", SCENARIO]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, new RegExp(`^Created 7 key pairs in ${keys}: ${SCENARIO1_NAMES.join(", ")}\n`));
    for (const name of SCENARIO1_NAMES) {
      const secret = (await Deno.readTextFile(`${keys}/${name}.key`)).trim();
      const pub = (await Deno.readTextFile(`${keys}/${name}.pub`)).trim();
      assert.ok(secret.length > 40);
      assert.ok(!r.out.includes(secret) && !r.err.includes(secret), `the output shows ${name}.key`);
      // Nor any recognisable piece of it: the private part is the last 43 characters (32 bytes).
      assert.ok(!r.out.includes(secret.slice(-40)), `the output shows part of ${name}.key`);
      assert.match(r.out, new RegExp(`\n${name} +\\d+ +${pub.replaceAll("-", "\\-")}\n`));
    }

    // A second run keeps the keys; show prints the same public keys, as JSON too.
    const again = await cli(["keys", "generate", keys, "--scenario", SCENARIO]);
    assert.match(again.out, /nothing created/);
    const shown = await cli(["keys", "show", keys, "--scenario", SCENARIO, "--json"]);
    assert.equal(shown.status, 0, shown.err);
    const parsed = JSON.parse(shown.out) as { keys: { name: string; publicKey: string }[] };
    for (const k of parsed.keys) {
      assert.equal(k.publicKey, (await Deno.readTextFile(`${keys}/${k.name}.pub`)).trim());
      assert.ok(!shown.out.includes((await Deno.readTextFile(`${keys}/${k.name}.key`)).trim()));
    }
    assert.deepEqual(parsed.keys.map((k) => k.name), SCENARIO1_NAMES);

    // A missing .pub and a broken .key are errors naming the file.
    await Deno.remove(`${keys}/C.pub`);
    assertFailure(await cli(["keys", "show", keys, "--scenario", SCENARIO]), `${keys}/C.pub: no such file`);
    await Deno.writeTextFile(`${keys}/D.key`, "not a key\n");
    assertFailure(await cli(["keys", "generate", keys, "--scenario", SCENARIO]), `${keys}/D.key`);
  });
});

// ---------------------------------------------------------------------------
// Progress notes

Deno.test("progress notes go to stderr only on a terminal and never with --json", async () => {
  const onTerminal = await cli(["run", SCENARIO, "--simulate"], true);
  assert.equal(onTerminal.status, 0);
  assert.match(onTerminal.err, /^ {2}… simulating scenarios\/scenario1\.yaml/);
  assert.ok(!onTerminal.out.includes("…"));
  const notTerminal = await cli(["run", SCENARIO, "--simulate"], false);
  assert.equal(notTerminal.err, "");
  assert.equal(notTerminal.out, onTerminal.out);
  const json = await cli(["run", SCENARIO, "--simulate", "--json"], true);
  assert.equal(json.err, "");
});
