/**
 * `deno bench --allow-read bench/solve_bench.ts`: a leader's GLPK solve of the
 * UoM dispatch LP against a follower's certificate check, in one group with the
 * check as baseline, so deno bench prints how many times slower solving is.
 */
import { buildDispatchModel, checkCertificate, loadUomCase, makeCertificate, solveLp } from "../mod.ts";

const model = buildDispatchModel(await loadUomCase());
const solution = await solveLp(model.lp);
const certificate = makeCertificate(model.lp, solution.x, solution.y, "optimal");
if (checkCertificate(model.lp, certificate).verdict !== "accepted") {
  throw new Error("the optimal certificate is not accepted: nothing to benchmark");
}

Deno.bench({
  name: "check optimal certificate",
  group: "solve vs check",
  baseline: true,
  fn() {
    checkCertificate(model.lp, certificate);
  },
});

Deno.bench({
  name: "solve optimal (GLPK)",
  group: "solve vs check",
  // Each solve takes about a second: a few iterations give a stable figure.
  n: 7,
  warmup: 1,
  async fn() {
    await solveLp(model.lp);
  },
});
