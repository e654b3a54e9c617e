/**
 * `deno run --allow-read bench/market_bench.ts [solves] [checks]`: the energy
 * market's leader and follower work on the bundled Wuzhong cases (12 and 120
 * communities): the median time of an exact clearing (the first, cold one
 * shown apart), of a certificate check, and of the published price iteration
 * (exact best responses, stop at 1e-3), with its rounds and its largest price
 * difference from the exact clearing.
 */
import { loadMarketCase, WUZHONG_120_URL, WUZHONG_12_URL } from "../problems/market/case.ts";
import { buildMarketModel } from "../problems/market/model.ts";
import { clearMarket } from "../problems/market/equilibrium.ts";
import { checkMarketCertificate, marketCost } from "../problems/market/checker.ts";
import { priceIteration } from "../problems/market/iteration.ts";
import { makeMarketCertificate } from "../problems/market/variants.ts";

const SOLVES = Number(Deno.args[0] ?? 7);
const CHECKS = Number(Deno.args[1] ?? 200);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function timed<T>(f: () => T): [T, number] {
  const t = performance.now();
  const v = f();
  return [v, performance.now() - t];
}

for (
  const [label, url] of [["12 communities", WUZHONG_12_URL], ["120 communities", WUZHONG_120_URL]] as const
) {
  const model = buildMarketModel(await loadMarketCase(url), 1);
  const [clearing, coldMs] = timed(() => clearMarket(model));
  const solveMs = Array.from({ length: SOLVES }, () => timed(() => clearMarket(model))[1]);
  const cert = makeMarketCertificate(model, clearing.x, clearing.y, "optimal");
  const verdict = checkMarketCertificate(model, cert);
  if (verdict.verdict !== "accepted") throw new Error(`${label}: the optimum is ${verdict.verdict}`);
  const checkMs = Array.from({ length: CHECKS }, () => timed(() => checkMarketCertificate(model, cert))[1]);
  const [iteration, iterationMs] = timed(() => priceIteration(model, { keepTrajectory: false }));
  const off = Math.max(
    Math.abs(iteration.prices.electricity - clearing.prices.electricity),
    ...iteration.prices.heat.map((h, k) => Math.abs(h - clearing.prices.heat[k])),
  );
  console.log(`${label} (x: ${model.xLength}, y: ${model.yLength})`);
  console.log(
    `  clearing: cost ${marketCost(model, clearing.x).toFixed(2)} CNY/h, electricity ` +
      `${clearing.prices.electricity.toFixed(4)} CNY/MWh, ${clearing.responsesComputed} best responses`,
  );
  console.log(`  solve: median ${median(solveMs).toFixed(1)} ms (first, cold: ${coldMs.toFixed(1)} ms)`);
  console.log(
    `  check: median ${median(checkMs).toFixed(2)} ms, gap ${
      "gapUsd" in verdict ? verdict.gapUsd.toExponential(2) : "-"
    } CNY`,
  );
  console.log(
    `  published iteration: ${iteration.rounds} rounds, ${iterationMs.toFixed(0)} ms, ` +
      `largest price difference from the clearing ${off.toFixed(4)} CNY/MWh`,
  );
}
