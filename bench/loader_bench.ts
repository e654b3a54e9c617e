/**
 * Scenario loader cost against file size: a scenario padded with n unknown
 * top-level keys (notices), loaded n = 3,000 … 24,000 (the most that fit in
 * MAX_SCENARIO_BYTES); the time per key stays flat when the loader is linear.
 * Also the time to refuse an 80,000-key file (over the size cap) and /dev/zero.
 *
 * Run: `deno run --allow-read bench/loader_bench.ts` (median of 5 per size).
 *
 * @module
 */
import { loadScenarioFile, MAX_SCENARIO_BYTES, parseScenario, ScenarioError } from "../scenarios/loader.ts";

/** Loads per size; the median is printed. */
const REPEATS = 5;
/** Sizes, unknown keys. */
const SIZES = [3_000, 6_000, 12_000, 24_000];
/** The key count of the issue's report (53 s with the old loader's quadratic duplicate-key check). */
const ISSUE_KEYS = 80_000;

const BASE = "nodes:\n" +
  "  1: { name: A, is_delegate: true, is_normal: true }\n" +
  "  2: { name: B, is_delegate: true }\n" +
  "  3: { name: C, is_delegate: true }\n";

function padded(n: number): string {
  const lines = [BASE];
  for (let i = 0; i < n; i++) lines.push(`u${i}: 1\n`);
  return lines.join("");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Milliseconds `f` takes (it may throw a ScenarioError, which is what some cases expect). */
async function timed(f: () => unknown): Promise<number> {
  const t0 = performance.now();
  try {
    await f();
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
  }
  return performance.now() - t0;
}

parseScenario(padded(SIZES[0]), "warm-up.yaml");
console.log("unknown keys   bytes      load (median)   per key");
for (const n of SIZES) {
  const text = padded(n);
  const ms: number[] = [];
  for (let r = 0; r < REPEATS; r++) ms.push(await timed(() => parseScenario(text, "bench.yaml")));
  const m = median(ms);
  console.log(
    `${String(n).padStart(12)}   ${String(text.length).padStart(7)}   ${m.toFixed(0).padStart(9)} ms   ` +
      `${(m * 1000 / n).toFixed(1).padStart(6)} µs`,
  );
}
const big = padded(ISSUE_KEYS);
console.log(
  `${ISSUE_KEYS} keys (${big.length} bytes > cap ${MAX_SCENARIO_BYTES}): refused in ` +
    `${(await timed(() => parseScenario(big, "big.yaml"))).toFixed(1)} ms`,
);
console.log(`/dev/zero: refused in ${(await timed(() => loadScenarioFile("/dev/zero"))).toFixed(1)} ms`);
