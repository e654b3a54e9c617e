/**
 * `deno task bench:solvers [maxCopies] [runs]`: GLPK against HiGHS on the UoM dispatch LP and
 * on the LPs of the bundled case scaled to k copies (problems/ies-dispatch/scale.ts, what
 * `poso case scale --copies k` writes: k copies of the network tied at the grid bus, k = 1, 2,
 * 4, ... maxCopies, default 16), each built as a leader builds it (dispatch.ts defaults).
 *
 * For each k and back end it prints the LP's size and build time, the median wall time of up
 * to `runs` solves (default 5; fewer when they would take more than {@link CELL_BUDGET_MS}),
 * and the median time of the follower's certificate check. The first line is each back end's
 * first solve in this process, which includes loading and compiling its WebAssembly module
 * (what a fresh Worker pays). GLPK is skipped for every k after the first where one solve took
 * more than {@link GLPK_LIMIT_MS}. Every certificate must be accepted and both back ends must
 * agree on the optimum within a cent per copy.
 *
 * The LP grows faster than k: the piecewise-linear CHP cost keeps its error below $0.005 over
 * the horizon however many units share it, so each CHP gets finer chords (about k^1.5 segment
 * columns in all; docs/case-format.md).
 */
import {
  buildDispatchModel,
  checkCertificate,
  describeVerdict,
  loadUomCase,
  lpSize,
  makeCertificate,
  scaleCase,
  type SolverName,
  solveWith,
  type SparseLp,
} from "../mod.ts";

const MAX_COPIES = Number(Deno.args[0] ?? 16);
const RUNS = Number(Deno.args[1] ?? 5);
/** Time after which no further run of one back end on one LP starts, ms. */
const CELL_BUDGET_MS = 30_000;
/** A GLPK solve longer than this, ms, means GLPK is not run on larger LPs. */
const GLPK_LIMIT_MS = 60_000;
/** Checks per certificate, for the median check time, after {@link CHECK_WARMUP} unmeasured ones. */
const CHECKS = 100;
/** Checks run before the measured ones, so that the checker is compiled and its caches filled. */
const CHECK_WARMUP = 20;
/** Largest disagreement between the back ends' optima, $ per copy of the LP. */
const SAME_COST_USD = 0.01;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface Cell {
  solveMs: number;
  runs: number;
  checkMs: number;
  objective: number;
  slowest: number;
}

async function measure(solver: SolverName, lp: SparseLp): Promise<Cell> {
  const times: number[] = [];
  const start = performance.now();
  let sol;
  do {
    const t0 = performance.now();
    sol = await solveWith(solver, lp);
    times.push(performance.now() - t0);
  } while (times.length < RUNS && performance.now() - start < CELL_BUDGET_MS);
  const cert = makeCertificate(lp, sol.x, sol.y, "optimal");
  const checks: number[] = [];
  for (let k = 0; k < CHECK_WARMUP + CHECKS; k++) {
    const t0 = performance.now();
    const v = checkCertificate(lp, cert);
    if (k >= CHECK_WARMUP) checks.push(performance.now() - t0);
    if (v.verdict !== "accepted") throw new Error(`${solver} on ${lp.name}: ${describeVerdict(v)}`);
  }
  return {
    solveMs: median(times),
    runs: times.length,
    checkMs: median(checks),
    objective: sol.objective,
    slowest: Math.max(...times),
  };
}

const uom = await loadUomCase();
const { lp } = buildDispatchModel(uom);
const size = lpSize(lp);
console.log(
  `UoM dispatch LP: ${size.variables} columns, ${size.constraints} rows, ${size.nonzeros} nonzeros`,
);

for (const solver of ["highs", "glpk"] as const) {
  const t0 = performance.now();
  await solveWith(solver, lp);
  console.log(
    `first ${solver} solve in this process (module load and compile included): ${
      (performance.now() - t0).toFixed(0)
    } ms`,
  );
}

const fmt = (
  ms: number,
) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
console.log(
  "\n| copies | columns | rows | nonzeros | build | glpk solve (runs) | highs solve (runs) | glpk/highs | check |",
);
console.log(
  "| -----: | ------: | ---: | -------: | ----: | ----------------: | -----------------: | ---------: | ----: |",
);
let glpkTooSlow = false;
for (let k = 1; k <= MAX_COPIES; k *= 2) {
  const t0 = performance.now();
  const big = buildDispatchModel(scaleCase(uom, { copies: k })).lp;
  const buildMs = performance.now() - t0;
  const h = await measure("highs", big);
  const g = glpkTooSlow ? undefined : await measure("glpk", big);
  if (g && Math.abs(g.objective - h.objective) > SAME_COST_USD * k) {
    throw new Error(`x${k}: GLPK's optimum ${g.objective} differs from HiGHS's ${h.objective}`);
  }
  if (g && g.slowest > GLPK_LIMIT_MS) glpkTooSlow = true;
  const sz = lpSize(big);
  const cells = [
    String(k),
    String(sz.variables),
    String(sz.constraints),
    String(sz.nonzeros),
    fmt(buildMs),
    g ? `${fmt(g.solveMs)} (${g.runs})` : `skipped (> ${GLPK_LIMIT_MS / 1000} s)`,
    `${fmt(h.solveMs)} (${h.runs})`,
    g ? `${(g.solveMs / h.solveMs).toFixed(1)}x` : "",
    fmt(h.checkMs),
  ];
  console.log(`| ${cells.join(" | ")} |`);
}
