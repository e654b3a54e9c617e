/**
 * Wall time of scenario 1 on Worker actors, split into start-up, solving,
 * checking, signing (Ed25519 sign and verify), ledger (append + fsync),
 * waiting (idle until round timeouts) and other (routing, message copies,
 * supervisor bookkeeping). Prints the median of a few runs; the
 * target is an overhead (checking + other) under 200 ms per run.
 *
 * Run: deno task bench:scenario [runs]
 */
import { runScenario } from "../actors/supervisor.ts";
import type { RunTimings } from "../consensus/report.ts";
import { loadScenarioFile } from "../scenarios/loader.ts";

/** Where the runs' ledgers and keys go (a fresh chain each run). */
const BENCH_DIR = "out/bench";
const runs = Number(Deno.args[0] ?? 3);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`usage: deno task bench:scenario [runs]   (runs: a whole number >= 1, got ${Deno.args[0]})`);
  Deno.exit(2);
}
const scenario = await loadScenarioFile("scenarios/scenario1.yaml");
const all: RunTimings[] = [];
for (let k = 0; k < runs; k++) {
  await Deno.mkdir(BENCH_DIR, { recursive: true });
  const dataDir = await Deno.makeTempDir({ dir: BENCH_DIR, prefix: "scenario1-" });
  const report = await runScenario(scenario, { dataDir });
  if (!report.outcome || !report.timings) throw new Error("scenario 1 did not reach an outcome");
  all.push(report.timings);
}
const median = (key: keyof RunTimings) => {
  const v = all.map((t) => t[key] ?? 0).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
};
const keys: (keyof RunTimings)[] = [
  "total",
  "startup",
  "solving",
  "checking",
  "signing",
  "ledger",
  "waiting",
  "other",
];
console.log(
  `scenario 1 on Workers, round timeout ${scenario.roundTimeoutMs} ms, median of ${runs} runs (ms):`,
);
for (const k of keys) console.log(`  ${k.padEnd(9)} ${median(k).toFixed(0).padStart(6)}`);
console.log(
  `  overhead (checking + other) ${(median("checking") + median("other")).toFixed(0)} ms (target < 200)`,
);
