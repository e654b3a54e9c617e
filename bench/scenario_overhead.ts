/**
 * `deno task bench:scenario [runs] [days]`: where the wall time and the
 * memory of Worker runs go, against the targets of the README's Performance
 * section.
 *
 * 1. A `days`-day run of scenario 1 (default 7), first, in this fresh
 *    process: each block's wall time split into solving, building the day's
 *    problems (the supervisor builds the next day's while a round is quiet),
 *    waiting (idle) and the overhead (everything else: start-up excluded,
 *    checking, signing, ledger, message passing, bookkeeping), the idle round
 *    time the runtime did not wait out (rounds end once every Worker is
 *    idle), the resident memory of the process, Workers included (they share
 *    it), when each day is decided (it should stay flat from day to day), and
 *    its peak, sampled every {@link RSS_SAMPLE_MS} ms (a sampled peak can miss
 *    a spike shorter than that; `/usr/bin/time -v` gives the exact one).
 * 2. Scenario 1 (one day) `runs` times (default 3): the median of each figure.
 *
 * Every run writes a fresh chain under out/bench.
 */
import { runDays, runScenario } from "../actors/supervisor.ts";
import type { RunTimings } from "../consensus/report.ts";
import { loadScenarioFile } from "../scenarios/loader.ts";

/** Where the runs' ledgers and keys go (a fresh chain each run). */
const BENCH_DIR = "out/bench";
/** How often the resident memory is sampled, ms. */
const RSS_SAMPLE_MS = 10;
/** Targets (README, Performance): scenario 1's wall time, a later block's wall time, ms. */
const SCENARIO_TARGET_MS = 3000, BLOCK_TARGET_MS = 1200;
/** Targets: a block's overhead (all but solving and waiting), ms; the multi-day run's peak memory, MiB. */
const OVERHEAD_TARGET_MS = 200, RSS_TARGET_MIB = 400;
const MIB = 2 ** 20;

function count(arg: string | undefined, fallback: number, name: string): number {
  const n = Number(arg ?? fallback);
  if (!Number.isInteger(n) || n < 1) {
    console.error(
      `usage: deno task bench:scenario [runs] [days]   (${name}: a whole number >= 1, got ${arg})`,
    );
    Deno.exit(2);
  }
  return n;
}
const runs = count(Deno.args[0], 3, "runs");
const days = count(Deno.args[1], 7, "days");

/** What the runtime adds: all but start-up, solving, building the problems and idle waiting. */
const overhead = (t: RunTimings) => t.total - t.startup - t.solving - (t.building ?? 0) - t.waiting;
const fmt = (ms: number) => ms.toFixed(0).padStart(6);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function freshDir(prefix: string): Promise<string> {
  await Deno.mkdir(BENCH_DIR, { recursive: true });
  return await Deno.makeTempDir({ dir: BENCH_DIR, prefix });
}

const scenario = await loadScenarioFile("scenarios/scenario1.yaml");

// 1. The multi-day run, first, so that the memory figure is this run's alone.
let peak = Deno.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), RSS_SAMPLE_MS);
const t0 = performance.now();
/** Resident memory when each day was decided, bytes, by height. */
const rssByDay = new Map<number, number>();
const week = await runDays(scenario, {
  dataDir: await freshDir("days-"),
  days,
  onDay: (r) => void rssByDay.set(r.day?.height ?? 0, Deno.memoryUsage().rss),
});
const weekMs = performance.now() - t0;
clearInterval(sampler);
peak = Math.max(peak, Deno.memoryUsage().rss);
console.log(
  `scenario 1, ${days} days on Workers, round timeout ${scenario.roundTimeoutMs} ms (ms per block):`,
);
console.log(
  "  day   total  solve  build   wait  overhead (check  sign  ledger  other)  not waited out  rss MiB",
);
for (const r of week) {
  const t = r.timings!;
  const parts = [t.checking, t.signing ?? 0, t.ledger ?? 0, t.other].map(fmt).join(" ");
  console.log(
    `  ${String(r.day?.height).padStart(3)} ${fmt(t.total - t.startup)} ${fmt(t.solving)}` +
      ` ${fmt(t.building ?? 0)} ${fmt(t.waiting)}` +
      `    ${fmt(overhead(t))}  (${parts})  ${fmt(t.skipped ?? 0)}          ` +
      `${((rssByDay.get(r.day?.height ?? 0) ?? 0) / MIB).toFixed(0).padStart(5)}`,
  );
}
if (week.length > 1) {
  const later = week.slice(1);
  const worst = Math.max(...later.map((r) => r.timings!.total));
  const worstOverhead = Math.max(...later.map((r) => overhead(r.timings!)));
  const rss = later.map((r) => (rssByDay.get(r.day?.height ?? 0) ?? 0) / MIB);
  console.log(
    `  blocks 2..${days}: slowest ${worst.toFixed(0)} ms (target < ${BLOCK_TARGET_MS}),` +
      ` overhead median ${median(later.map((r) => overhead(r.timings!))).toFixed(0)} ms,` +
      ` largest ${worstOverhead.toFixed(0)} ms (target < ${OVERHEAD_TARGET_MS});` +
      ` resident memory from day 2 to day ${days}: ${rss[0].toFixed(0)} -> ${
        rss[rss.length - 1].toFixed(0)
      } MiB`,
  );
}
console.log(`  whole run ${weekMs.toFixed(0)} ms; start-up ${week[0].timings!.startup.toFixed(0)} ms`);
console.log(`  peak resident memory (sampled) ${(peak / MIB).toFixed(0)} MiB (target < ${RSS_TARGET_MIB})`);

// 2. Scenario 1, one day, `runs` times.
const all: (RunTimings & { wall: number })[] = [];
for (let k = 0; k < runs; k++) {
  const dataDir = await freshDir("scenario1-");
  const t1 = performance.now();
  const report = await runScenario(scenario, { dataDir });
  const wall = performance.now() - t1;
  if (!report.outcome || !report.timings) throw new Error("scenario 1 did not reach an outcome");
  all.push({ ...report.timings, wall });
}
console.log(`scenario 1 on Workers, median of ${runs} runs (ms):`);
const keys = [
  "wall",
  "total",
  "startup",
  "solving",
  "checking",
  "signing",
  "ledger",
  "building",
  "waiting",
  "skipped",
  "other",
] as const;
for (const k of keys) console.log(`  ${k.padEnd(9)} ${fmt(median(all.map((t) => t[k] ?? 0)))}`);
console.log(
  `  wall ${median(all.map((t) => t.wall)).toFixed(0)} ms (target < ${SCENARIO_TARGET_MS}); ` +
    `overhead (all but start-up, solving, building, waiting) ${median(all.map(overhead)).toFixed(0)} ms ` +
    `(target < ${OVERHEAD_TARGET_MS} per block)`,
);
