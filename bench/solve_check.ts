/**
 * `deno run --allow-read bench/solve_check.ts [solves] [checks]`: how much
 * cheaper a follower's certificate check is than a leader's GLPK solve, on the
 * UoM dispatch LP. Prints the median solve and check times, their ratio, the
 * LP size and the time to build the LP.
 */
import {
  buildDispatchModel,
  checkCertificate,
  loadUomCase,
  lpSize,
  makeCertificate,
  solveLp,
  type Verdict,
} from "../mod.ts";

const SOLVES = Number(Deno.args[0] ?? 7);
const CHECKS = Number(Deno.args[1] ?? 2000);
const CHECK_WARMUP = 200;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const ies = await loadUomCase();
const t0 = performance.now();
const model = buildDispatchModel(ies);
const buildMs = performance.now() - t0;

// Warm-up: loads the GLPK WebAssembly module and lets the JIT settle.
const solution = await solveLp(model.lp);
const certificate = makeCertificate(model.lp, solution.x, solution.y, "optimal");
let verdict: Verdict = checkCertificate(model.lp, certificate);
if (verdict.verdict !== "accepted") throw new Error(`optimal certificate not accepted: ${verdict.verdict}`);

const solveMs: number[] = [];
for (let k = 0; k < SOLVES; k++) {
  const s = performance.now();
  await solveLp(model.lp);
  solveMs.push(performance.now() - s);
}

for (let k = 0; k < CHECK_WARMUP; k++) verdict = checkCertificate(model.lp, certificate);
const checkMs: number[] = [];
for (let k = 0; k < CHECKS; k++) {
  const s = performance.now();
  verdict = checkCertificate(model.lp, certificate);
  checkMs.push(performance.now() - s);
}
if (verdict.verdict !== "accepted") throw new Error("the check changed its verdict");

const size = lpSize(model.lp);
const solve = median(solveMs), check = median(checkMs);
console.log(
  `LP size:           ${size.variables} variables, ${size.constraints} constraints, ${size.nonzeros} nonzeros`,
);
console.log(`build ms:          ${buildMs.toFixed(1)}`);
console.log(`median solve ms:   ${solve.toFixed(1)} (${SOLVES} GLPK solves)`);
console.log(`median check ms:   ${check.toFixed(3)} (${CHECKS} checks)`);
console.log(`ratio solve/check: ${(solve / check).toFixed(0)}`);
