/**
 * Where `poso run` writes, and when: every output path is checked before the
 * run starts; paths outside the current directory work with the `poso` task's
 * permissions; a run without --data keeps its chain in `poso-data/<scenario
 * file stem>`; a multi-day run prints each day as soon as it is decided (JSON
 * Lines with --json, which `poso report` reads back, as it reads the older
 * array form); Ctrl-C stops it cleanly with exit status 130; the loader's
 * notices reach the trace and the JSON on Workers and in the simulator.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { EXIT_FAILURE, EXIT_INTERRUPTED } from "../cli/program.ts";
import { readRunReportFile, ReportFileError } from "../cli/run.ts";
import { verifyLedgerDir } from "../cli/ledger.ts";
import { defaultDataDir, runDays, RunInterruptedError } from "../actors/supervisor.ts";
import { lockDataDir } from "../actors/data_lock.ts";
import { loadScenarioFile } from "../scenarios/loader.ts";
import type { RunReport } from "../consensus/report.ts";
import denoJson from "../deno.json" with { type: "json" };
import { cli, type CliResult, withTmpDir } from "./helpers.ts";

const SCENARIO1 = "scenarios/scenario1.yaml";
const MAIN = resolve("main.ts");

/** A node key of the published configuration that means nothing here: the loader keeps a notice. */
const NOTICE_KEY = "port";

/**
 * Four honest delegates that are normal nodes too, one of them with a key the loader only notes.
 * Rounds of 10 s: a round ends as soon as every Worker is idle, so a long timeout costs nothing, and
 * a leader's first solve in a fresh Worker on a loaded 2-core machine (load 10) can take seconds.
 */
const HONEST = `name: honest four
scene:
  params:
    round_timeout_sec: 10
nodes:
  1: { name: A, is_delegate: true, is_normal: true, ${NOTICE_KEY}: 8000 }
  2: { name: B, is_delegate: true, is_normal: true }
  3: { name: C, is_delegate: true, is_normal: true }
  4: { name: D, is_delegate: true, is_normal: true }
`;

/** True when `path` exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** The `--allow-*` flags of a deno.json task. */
function taskPermissions(task: keyof typeof denoJson.tasks): string[] {
  return denoJson.tasks[task].split(/\s+/).filter((w) => /^(-A|--allow-|--deny-)/.test(w));
}

/** A fail-fast run: exit 1, nothing on stdout (no trace: the run never started), one line naming `what`. */
function assertRefusedBeforeRun(r: CliResult, what: RegExp): void {
  assert.equal(r.status, EXIT_FAILURE, r.err);
  assert.equal(r.out, "", "the run started before its output paths were checked");
  assert.match(r.err, what);
  assert.equal(r.err.split("\n").length, 1, r.err);
}

Deno.test("the poso and compile tasks may write any path and nothing more; scenario tasks only poso-data", () => {
  for (const task of ["poso", "compile"] as const) {
    assert.deepEqual(taskPermissions(task), ["--allow-read", "--allow-write"], task);
  }
  for (const task of ["scenario1", "scenario2", "scenario3", "scenario4", "scenario5"] as const) {
    assert.deepEqual(taskPermissions(task), ["--allow-read", "--allow-write=poso-data"], task);
  }
});

Deno.test("poso run checks every output path before the run starts", async () => {
  await withTmpDir("outputs-check", async (dir) => {
    const aFile = join(dir, "a-file");
    await Deno.writeTextFile(aFile, "x");
    const scenario = join(dir, "s1.yaml");
    await Deno.copyFile(SCENARIO1, scenario);
    const run = (...args: string[]) => cli(["run", scenario, "--simulate", ...args]);

    assertRefusedBeforeRun(
      await run("--report", dir),
      new RegExp(`${dir}: is a directory; name a file \\(--report\\)`),
    );
    assertRefusedBeforeRun(await run("--report", `${dir}/`), /ends with a path separator/);
    assertRefusedBeforeRun(
      await run("--report", `${aFile}/r.html`),
      new RegExp(`${aFile} is not a directory`),
    );
    assertRefusedBeforeRun(await run("--report", ""), /empty; name a file/);
    assertRefusedBeforeRun(await run("--csv", aFile), /not a directory/);
    assertRefusedBeforeRun(
      await run("--report", `${dir}/csv/days.csv`, "--csv", `${dir}/csv`),
      /days\.csv: is also --csv's days\.csv; name another file \(--report\)/,
    );
    // Another name of the scenario file: it would be overwritten by the report.
    assertRefusedBeforeRun(
      await run("--report", `${dir}/./../${dir.split("/").pop()}/s1.yaml`),
      /would overwrite the scenario file/,
    );
    assert.equal(await Deno.readTextFile(scenario), await Deno.readTextFile(SCENARIO1));

    // A Worker run: refused before any Worker starts, so no ledger is written (and none overwritten).
    const data = join(dir, "data");
    assertRefusedBeforeRun(
      await cli(["run", scenario, "--data", data, "--report", `${data}/A.ledger.jsonl`]),
      /would overwrite the ledger of A/,
    );
    assertRefusedBeforeRun(
      await cli(["run", scenario, "--data", data, "--csv", `${data}/keys`, "--report", `${data}/keys/C.key`]),
      /would overwrite the private key of C/,
    );
    assertRefusedBeforeRun(
      await cli(["run", scenario, "--data", aFile]),
      /a-file: not a directory \(--data\)/,
    );
    assert.deepEqual([...Deno.readDirSync(data)].filter((e) => e.name !== "keys"), []);

    // The other commands that write a named file check it before their work too.
    assertRefusedBeforeRun(await cli(["solve", "--out", dir]), /is a directory; name a file \(--out\)/);
    const saved = join(dir, "run.json");
    await Deno.writeTextFile(saved, "{}");
    assertRefusedBeforeRun(await cli(["report", saved, "-o", saved]), /would overwrite the run's JSON/);
    assertRefusedBeforeRun(
      await cli(["report", saved, "-o", dir]),
      /is a directory; name a file \(-o, --out\)/,
    );
    // Nothing of these checks is left behind: no probe file, no empty report.
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["a-file", "csv", "data", "run.json", "s1.yaml"],
    );
  });
});

Deno.test("a run without --data keeps its chain in poso-data/<scenario file stem>", async () => {
  assert.equal(defaultDataDir({ file: "scenarios/scenario1.yaml" }), "poso-data/scenario1");
  assert.equal(defaultDataDir({ file: "../my runs/Week.YML" }), "poso-data/Week");
  assert.equal(defaultDataDir({ file: "C:\\cases\\s2.yaml" }), "poso-data/s2");
  assert.equal(defaultDataDir({ file: "x.json" }), "poso-data/x.json");
  assert.equal(defaultDataDir({ file: "dir/.yaml" }), "poso-data/scenario");
  assert.equal(defaultDataDir({ file: ".." }), "poso-data/scenario");
  // The CLI picks it before the run: the tests may write only below out/test-tmp, so the run is refused
  // at once, naming the directory it would have used.
  for (const n of [1, 2]) {
    const r = await cli(["run", `scenarios/scenario${n}.yaml`]);
    assertRefusedBeforeRun(r, new RegExp(`cannot write "[^"]*poso-data/scenario${n}"`));
  }
});

Deno.test("ledger verify on poso-data points at the scenarios' folders that hold ledgers", async () => {
  await withTmpDir("outputs-verify-hint", async (dir) => {
    for (const name of ["scenario2", "scenario1"]) {
      await Deno.mkdir(join(dir, name));
      await Deno.writeTextFile(join(dir, name, "A.ledger.jsonl"), "");
    }
    await Deno.mkdir(join(dir, "empty"));
    const r = await cli(["ledger", "verify", dir]);
    assert.equal(r.status, EXIT_FAILURE);
    assert.equal(
      r.err,
      `poso: ${dir}: no ledger file (*.ledger.jsonl) in this directory; its folders scenario1, scenario2 hold ` +
        `ledgers (a run without --data writes in poso-data/<scenario>): poso ledger verify ${dir}/scenario1`,
    );
  });
});

/** A run report of a saved simulator run, as day `height`. */
function asDay(report: RunReport, height: number): RunReport {
  return { ...report, day: { height, loadFactor: 1, blocksWritten: 7, blockBytes: 70_000 } };
}

Deno.test("poso report reads JSON Lines, the array form and one object; a bad line is named", async () => {
  await withTmpDir("outputs-jsonl", async (dir) => {
    const scenario = join(dir, "honest.yaml");
    await Deno.writeTextFile(scenario, HONEST);
    const r = await cli(["run", scenario, "--simulate", "--json"]);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out.split("\n").length, 1, "one day: one line");
    const one = JSON.parse(r.out) as RunReport;
    const lines = join(dir, "week.jsonl");
    await Deno.writeTextFile(lines, [1, 2, 3].map((h) => JSON.stringify(asDay(one, h))).join("\n") + "\n");
    const array = join(dir, "week.json");
    await Deno.writeTextFile(array, JSON.stringify([1, 2, 3].map((h) => asDay(one, h))));
    for (const file of [lines, array]) {
      const last = await readRunReportFile(file);
      assert.deepEqual([last.days, last.day, last.report.day?.height], [3, 3, 3], file);
      assert.equal((await readRunReportFile(file, { day: 2 })).report.day?.height, 2, file);
    }
    const single = join(dir, "one.json");
    await Deno.writeTextFile(single, r.out);
    assert.equal((await readRunReportFile(single)).days, 1);

    const reported = await cli(["report", lines, "--day", "2"]);
    assert.equal(reported.status, 0, reported.err);
    assert.equal(reported.out.split("\n")[0], `report written to ${join(dir, "week.html")} (day 2 of 3)`);

    // A bad field on line 2, a line that is not JSON: each named by file and line.
    const bad = { ...asDay(one, 2), rounds: "none" };
    await Deno.writeTextFile(lines, [asDay(one, 1), bad].map((x) => JSON.stringify(x)).join("\n"));
    await assert.rejects(readRunReportFile(lines), (e: unknown) => {
      assert.ok(e instanceof ReportFileError);
      assert.equal(e.message, `${lines}:2: rounds: expected an array, got string`);
      return true;
    });
    await Deno.writeTextFile(lines, `${JSON.stringify(one)}\n{"scenario": \n`);
    await assert.rejects(
      readRunReportFile(lines),
      new RegExp(`^ReportFileError: ${lines}:2: not valid JSON`),
    );
  });
});

Deno.test("the loader's notices reach the trace and the JSON of a simulator run", async () => {
  await withTmpDir("outputs-notices", async (dir) => {
    const file = join(dir, "honest.yaml");
    await Deno.writeTextFile(file, HONEST);
    const json = await cli(["run", file, "--simulate", "--json"]);
    assert.equal(json.status, 0, json.err);
    const notices = (JSON.parse(json.out) as RunReport).notices;
    assert.equal(notices.length, 1, String(notices));
    assert.match(notices[0], new RegExp(`\\b${NOTICE_KEY}\\b`));
    const text = await cli(["run", file, "--simulate"]);
    assert.ok(text.out.includes(`Notices:\n  ${notices[0]}`), text.out);
  });
});

Deno.test("the poso task's permissions write a report and CSV outside the current directory", async () => {
  await withTmpDir("outputs-outside", async (dir) => {
    const cwd = join(dir, "work");
    await Deno.mkdir(cwd);
    await Deno.writeTextFile(join(dir, "honest.yaml"), HONEST);
    const out = await new Deno.Command("deno", {
      args: [
        "run",
        ...taskPermissions("poso"),
        MAIN,
        "run",
        "../honest.yaml",
        "--simulate",
        "--report",
        "../reports/r.html",
        "--csv",
        "../csv",
      ],
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, err);
    assert.match(new TextDecoder().decode(out.stdout), /report written to \.\.\/reports\/r\.html/);
    assert.ok((await Deno.readTextFile(join(dir, "reports/r.html"))).startsWith("<!DOCTYPE html>"));
    assert.ok(await exists(join(dir, "csv/days.csv")));
  });
});

/** Reads a stream line by line. */
async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
  if (buffer !== "") yield buffer;
}

Deno.test({
  name: "a piped multi-day run prints each day as decided; Ctrl-C stops it cleanly with exit 130",
  // Workers, in a child process with the poso task's permissions (the test may run deno).
  fn: async () => {
    await withTmpDir("outputs-stream", async (dir) => {
      const cwd = join(dir, "work");
      await Deno.mkdir(cwd);
      await Deno.writeTextFile(join(dir, "honest.yaml"), HONEST);
      const child = new Deno.Command("deno", {
        args: [
          "run",
          ...taskPermissions("poso"),
          MAIN,
          "run",
          "../honest.yaml",
          "--days",
          "3",
          "--json",
          "--data",
          "../runs/x",
        ],
        cwd,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stderr = new Response(child.stderr).text();
      const days: RunReport[] = [];
      let exited = false;
      void child.status.then(() => (exited = true));
      for await (const line of linesOf(child.stdout)) {
        days.push(JSON.parse(line) as RunReport);
        if (days.length === 1) {
          // Day 1 arrived while the run goes on (printed when decided, not at the end): stop it.
          assert.equal(exited, false, "day 1 was printed only when the run ended");
          child.kill("SIGINT");
        }
      }
      const status = await child.status;
      const err = await stderr;
      assert.equal(status.code, EXIT_INTERRUPTED, err);
      // The days decided before Ctrl-C were printed, in order, as JSON Lines with the loader's notice.
      assert.ok(days.length >= 1 && days.length < 3, `${days.length} days printed`);
      assert.deepEqual(days.map((d) => d.day?.height), days.map((_, i) => i + 1));
      for (const d of days) assert.ok(d.outcome, `day ${d.day?.height} has no block`);
      assert.match(days[0].notices.join("\n"), new RegExp(`\\b${NOTICE_KEY}\\b`));
      const stopped = days.length + 1;
      assert.match(
        err,
        new RegExp(
          `^poso: Ctrl-C: interrupted while deciding block ${stopped}; blocks up to ${days.length} are decided ` +
            "and in the ledgers of \\.\\./runs/x; the (day|2 days) decided (was|were) printed; " +
            "`poso run \\.\\./honest\\.yaml --data \\.\\./runs/x --until 3` finishes the plan$",
          "m",
        ),
      );
      // The chain is intact where the user said (outside the current directory).
      const verdict = await verifyLedgerDir(join(dir, "runs/x"));
      assert.ok(verdict.ok, verdict.summary);
      assert.deepEqual(verdict.files.map((f) => f.blocks), [
        days.length,
        days.length,
        days.length,
        days.length,
      ]);
    });
  },
});

Deno.test("runDays hands each day to onDay as decided; an abort stops it, terminates the Workers and unlocks", async () => {
  await withTmpDir("outputs-abort", async (dir) => {
    const file = join(dir, "honest.yaml");
    await Deno.writeTextFile(file, HONEST + "keys: seed\n");
    const scenario = await loadScenarioFile(file);
    const data = join(dir, "data");
    const stop = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      runDays(scenario, {
        dataDir: data,
        days: 3,
        signal: stop.signal,
        onDay: (r) => {
          seen.push(r.day!.height);
          stop.abort(); // Ctrl-C right after day 1 was handed out
        },
      }),
      (e: unknown) => {
        assert.ok(e instanceof RunInterruptedError);
        assert.deepEqual([e.height, e.lastDecided, e.planned], [2, 1, 3]);
        return true;
      },
    );
    assert.deepEqual(seen, [1], "day 1 was handed out before day 2 started, and day 2 never was");
    // The lock is free again in this very process (flock would refuse a second holder), and the chain
    // holds day 1's block in every ledger.
    (await lockDataDir(data)).release();
    const verdict = await verifyLedgerDir(data);
    assert.ok(verdict.ok, verdict.summary);
    assert.deepEqual(verdict.files.map((f) => f.blocks), [1, 1, 1, 1]);
  });
});
