/**
 * The trace table: a hand-built report of Scenario I renders its cells,
 * decisions, normal-node phase, outcome, drops, notes and timings; empty and
 * partial reports render without throwing.
 *
 * Needs `--allow-read` (scenarios/scenario1.yaml).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { RoundReport, RunReport } from "../consensus/report.ts";
import { loadScenarioFile } from "../scenarios/loader.ts";
import { renderTrace } from "../scenarios/render.ts";

const DELEGATES = ["C", "D", "E", "F", "G"];
const NORMALS = ["A", "B", ...DELEGATES];

/** Scenario I as the article's Table 3 shows it. */
function scenarioOneReport(): RunReport {
  const all = <T>(v: T) => Object.fromEntries(DELEGATES.map((d) => [d, v]));
  return {
    scenario: "Scenario I",
    runtime: "simulator",
    seed: 1,
    rounds: [
      {
        round: 1,
        leader: "C",
        received: { C: ["<$904>C"], D: [], E: [], F: ["<$904>C"], G: [] },
        decision: all("blacklist" as const),
        rejected: { C: ["<$904>C suboptimal (gap $160.12)"], F: ["<$904>C suboptimal (gap $160.12)"] },
        blacklist: all(["C"]),
        dropped: [],
        notes: [],
      },
      {
        round: 2,
        leader: "D",
        received: {
          C: [],
          D: ["<$744>D", "<$744>DE", "<$744>DG"],
          E: ["<$744>D", "<$744>DG"],
          F: ["<$744>D", "<$744>DE", "<$744>DG"],
          G: ["<$744>D", "<$744>DE"],
        },
        decision: { C: "blacklist", D: "commit", E: "commit", F: "commit", G: "commit" },
        rejected: {},
        blacklist: { C: ["C", "D"], D: ["C"], E: ["C"], F: ["C"], G: ["C"] },
        dropped: [{ to: "C", reason: "stale round" }],
        notes: ["F relays nothing (follower_trick_ignore)"],
      },
    ],
    normal: {
      received: Object.fromEntries(NORMALS.map((n) => [n, ["<$744>D", "<$744>E", "<$744>F", "<$744>G"]])),
      accepted: Object.fromEntries(NORMALS.map((n) => [n, 744])),
    },
    outcome: { round: 2, leader: "D", costUsd: 744 },
    notices: [
      "nodes.8.ip: ignored (the original configuration's network address; this runtime routes messages itself)",
    ],
    timings: { total: 6234.4, startup: 180.2, solving: 1012.7, checking: 0.42, waiting: 5000, other: 41.1 },
  };
}

/** The table lines of delegate `name` (its row and the continuation lines under it). */
function rowOf(text: string, first: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trimStart().startsWith(`${first} `) && l.includes("│"));
  assert.ok(start >= 0, `no row ${first} in\n${text}`);
  const out = [lines[start]];
  for (let k = start + 1; k < lines.length && /^\s+│/.test(lines[k]); k++) out.push(lines[k]);
  return out.join("\n");
}

Deno.test("renders Scenario I: header, cells per round, decisions, normal phase, outcome", async () => {
  const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
  const text = renderTrace(scenarioOneReport(), scenario);

  // Header.
  assert.match(text, /^Scenario I \(scenarios\/scenario1\.yaml\)\nsimulator runtime, seed 1\n/);
  assert.ok(text.includes("C as leader: sends nothing to D, E, G; sends the selfish dispatch to C, F"));
  assert.ok(text.includes("F as follower: relays nothing to D, E, G"));
  assert.ok(text.includes("nodes.8.ip: ignored ("));

  // Delegate phase: column headers, cells, rejections and decisions.
  assert.match(text, /Delegate +│ R1 \(leader C\) +│ R2 \(leader D\)/);
  const g = rowOf(text, "G");
  assert.ok(g.includes("<$744>D <$744>DE"), g);
  assert.ok(g.includes("→ blacklist C") && g.includes("→ commit"), g);
  const f = rowOf(text, "F");
  assert.ok(f.includes("<$904>C✗"), f);
  assert.match(text, / {4}R1 F: <\$904>C suboptimal \(gap \$160\.12\)/);
  const c = rowOf(text, "C");
  assert.ok(c.includes("→ blacklist D"), c);

  // Normal-node phase: one row per normal node with what it received and accepted.
  assert.match(text, /Normal node +│ Decisions received +│ Accepted/);
  for (const n of NORMALS) {
    const row = rowOf(text.slice(text.indexOf("Normal-node phase")), n);
    assert.ok(row.includes("<$744>D <$744>E"), row);
    assert.ok(row.includes("$744"), row);
  }

  // Outcome, drops, notes, timings.
  assert.ok(text.includes("Outcome: round 2, leader D, $744 per day, accepted by 7 of 7 normal nodes"), text);
  assert.ok(text.includes("R2 to C: stale round"));
  assert.ok(text.includes("R2: F relays nothing (follower_trick_ignore)"));
  assert.ok(
    text.includes(
      "Time: start-up 180 ms, solving 1013 ms, checking 0.4 ms, waiting 5000 ms, other 41 ms, total 6234 ms",
    ),
    text,
  );
});

Deno.test("rows of a multi-line table line up, and long cells wrap", () => {
  const report = scenarioOneReport();
  report.rounds[1].received.D = Array.from({ length: 12 }, (_, i) => `<$744>D${"EFG"[i % 3]}`);
  const text = renderTrace(report, undefined, { cellWidth: 20 });
  const delegatePhase = text.slice(text.indexOf("Delegate phase"), text.indexOf("Normal-node phase"));
  const table = delegatePhase.split("\n").filter((l) => l.includes("│"));
  assert.ok(table.length > 5);
  const firstBar = table.map((l) => l.indexOf("│"));
  assert.ok(firstBar.every((k) => k === firstBar[0]), "every line's first column ends at the same place");
  const d = rowOf(text, "D");
  assert.ok(d.split("\n").length >= 5, d);
  for (const line of d.split("\n")) {
    const cell = line.split("│")[2]?.trim() ?? "";
    assert.ok(cell.length <= 20, `cell line longer than 20: ${cell}`);
  }
});

Deno.test("without a scenario, the rows come from the report", () => {
  const text = renderTrace(scenarioOneReport());
  assert.ok(text.startsWith("Scenario I\nsimulator runtime, seed 1"));
  assert.ok(!text.includes("Behaviours:"));
  for (const d of DELEGATES) rowOf(text, d);
});

Deno.test("an empty report renders without throwing", () => {
  const empty: RunReport = {
    scenario: "",
    runtime: "workers",
    seed: 0,
    rounds: [],
    normal: { received: {}, accepted: {} },
    outcome: null,
    notices: [],
  };
  const text = renderTrace(empty);
  assert.ok(text.includes("no rounds ran"));
  assert.ok(text.includes("no normal node took part"));
  assert.ok(text.includes("Outcome: no block"));
  assert.ok(!text.includes("Time:"));
});

Deno.test("a partial report (rounds with no messages, no outcome) renders every delegate", async () => {
  const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
  const round: RoundReport = {
    round: 1,
    leader: "",
    received: {},
    decision: { D: "none" },
    rejected: {},
    blacklist: {},
    dropped: [],
    notes: [],
  };
  const text = renderTrace(
    { ...scenarioOneReport(), rounds: [round], outcome: null, normal: { received: {}, accepted: {} } },
    scenario,
  );
  assert.match(text, /Delegate +│ R1\n/);
  for (const d of DELEGATES) assert.ok(rowOf(text, d).includes("—"));
  assert.ok(rowOf(text.slice(text.indexOf("Normal-node phase")), "A").includes("—"));
  assert.ok(text.includes("Outcome: no block"));
  // Fields a producer left out altogether.
  const bare = {
    scenario: "x",
    runtime: "simulator",
    seed: 1,
    rounds: [{ round: 1 }],
  } as unknown as RunReport;
  assert.doesNotThrow(() => renderTrace(bare));
});

Deno.test("property: any report of the right shape renders without throwing", () => {
  const name = fc.constantFrom("A", "B", "C", "D", "E");
  const cells = fc.array(fc.string({ maxLength: 12 }), { maxLength: 5 });
  const round = fc.record({
    round: fc.nat({ max: 9 }),
    leader: fc.oneof(name, fc.constant("")),
    received: fc.dictionary(name, cells),
    decision: fc.dictionary(name, fc.constantFrom("commit" as const, "blacklist" as const, "none" as const)),
    rejected: fc.dictionary(name, cells),
    blacklist: fc.dictionary(name, fc.array(name)),
    dropped: fc.array(fc.record({ to: name, reason: fc.string() }), { maxLength: 2 }),
    notes: fc.array(fc.string(), { maxLength: 2 }),
  });
  const report = fc.record({
    scenario: fc.string(),
    runtime: fc.constantFrom("workers" as const, "simulator" as const),
    seed: fc.nat(),
    rounds: fc.array(round, { maxLength: 4 }),
    normal: fc.record({
      received: fc.dictionary(name, cells),
      accepted: fc.dictionary(name, fc.option(fc.nat({ max: 2000 }))),
    }),
    outcome: fc.option(fc.record({ round: fc.nat(), leader: name, costUsd: fc.nat() })),
    notices: fc.array(fc.string(), { maxLength: 2 }),
  });
  fc.assert(fc.property(report, (r) => typeof renderTrace(r) === "string"), { numRuns: 300 });
});
