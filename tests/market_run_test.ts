/**
 * PoSo trading: the Wuzhong market scenarios (scenarios/market12.yaml, market120.yaml) in the
 * simulator and on Workers: the outcome's prices and communities, the followers' verdicts on the
 * published cheat and on a costlier allocation, the JSON a report reads back, and the settlement
 * every block records, rechecked from the case (and the attack on it).
 */
import assert from "node:assert/strict";
import { tmpDir, workerHarness } from "./helpers.ts";
import { runScenarioFile } from "../cli/run.ts";
import { readRunReportFile } from "../cli/run.ts";
import { verifyLedgerDir } from "../cli/ledger.ts";
import { renderTrace } from "../scenarios/render.ts";
import { renderReportHtml } from "../cli/report.ts";
import { ledgerFileName, readLedger } from "../actors/ledger_file.ts";
import { encodeRecord, makeBlock } from "../consensus/ledger.ts";
import type { RunReport } from "../consensus/report.ts";
import type { MarketOutcome } from "../problems/market/verifier.ts";

/** The exact equilibrium of the 12-community case, CNY/MWh: electricity, heat zones 1-3 (docs/market.md). */
const EXACT_PRICES = { electricity: 639.5726, heat: [204.7105, 176.4711, 191.2253] };
/** The tolerance on a clearing price, CNY/MWh. */
const PRICE_TOLERANCE = 0.01;
/** The market's cost per hour rounded as the trace shows it, CNY. */
const MARKET12_COST_CNY = 1_686_957;

function marketOutcome(report: RunReport): MarketOutcome {
  const o = report.outcome;
  if (!o) throw new Error("no block was accepted");
  return { prices: o.prices, communities: o.communities } as unknown as MarketOutcome;
}

function assertMarket12(report: RunReport): void {
  assert.deepEqual([report.outcome?.round, report.outcome?.leader, report.outcome?.costUsd], [
    2,
    "N11",
    MARKET12_COST_CNY,
  ]);
  for (const [node, accepted] of Object.entries(report.normal.accepted)) {
    assert.equal(accepted, MARKET12_COST_CNY, `community ${node} accepts the clearing`);
  }
  assert.equal(Object.keys(report.normal.accepted).length, 12);
  const { prices, communities } = marketOutcome(report);
  assert.ok(Math.abs(prices.electricityCnyPerMwh - EXACT_PRICES.electricity) <= PRICE_TOLERANCE);
  assert.equal(prices.heatCnyPerMwh.length, 3);
  prices.heatCnyPerMwh.forEach((h, k) =>
    assert.ok(Math.abs(h - EXACT_PRICES.heat[k]) <= PRICE_TOLERANCE, `zone ${k + 1}: ${h}`)
  );
  assert.deepEqual(communities.map((c) => c.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  for (const c of communities) {
    assert.deepEqual(Object.keys(c), ["id", "gasMw", "electricityMw", "heatMw", "billCny"]);
  }
  // Supply equals demand: the grid and the zone plants supply nothing, so the purchases net to 0 (MW).
  const net = communities.reduce((s, c) => s + c.electricityMw, 0);
  assert.ok(Math.abs(net) < 0.05, `electricity purchases net to ${net} MW`);
  // Community 5 sells electricity (the published cheat targets its supply).
  assert.ok(communities[4].electricityMw < 0 && communities[4].billCny < 0, JSON.stringify(communities[4]));
}

/** The followers' verdicts on leader N10's round-1 proposals (the trace's rejected cells). */
function assertRejections(report: RunReport): void {
  const r1 = report.rounds[0];
  assert.equal(r1.leader, "N10");
  // N11 got the published cheat (community 5 sees 0.4 x the electricity price): the Lagrangian
  // bound at the proposed prices proves the market clears for far less.
  // The verdict names the gap the certificate proves (CNY per hour, 2 decimals).
  assert.equal(r1.rejected.N11.length, 1);
  assert.match(r1.rejected.N11[0], /^<¥1,785,276>N10 suboptimal \(gap ¥128,66\d\.\d\d\)$/);
  // N12 got a feasible allocation cleared as if gas cost more: costlier, and proven so.
  assert.equal(r1.rejected.N12.length, 1);
  assert.match(r1.rejected.N12[0], /^<¥1,693,367>N10 suboptimal \(gap ¥80,82\d\.\d\d\)$/);
  assert.deepEqual([r1.decision.N11, r1.decision.N12], ["blacklist", "blacklist"]);
  assert.deepEqual([r1.blacklist.N11, r1.blacklist.N12], [["N10"], ["N10"]]);
}

Deno.test("market12 in the simulator: the cheat and the costlier allocation are rejected; every community accepts the exact clearing", async () => {
  const { scenario, reports: [report] } = await runScenarioFile("scenarios/market12.yaml", {
    simulate: true,
  });
  assertRejections(report);
  assertMarket12(report);
  const text = renderTrace(report, scenario);
  assert.ok(
    text.includes(
      "Outcome: round 2, leader N11, ¥1,686,957 per hour, accepted by 12 of 12 normal nodes\n" +
        "  Prices: electricity 639.5726 CNY/MWh; heat 204.7105 (zone 1), 176.4711 (zone 2), 191.2253 (zone 3) CNY/MWh",
    ),
    text,
  );
  assert.ok(text.includes("R1 N11: <¥1,785,276>N10 suboptimal (gap ¥"), text);
  assert.ok(
    text.includes(
      "N10 as leader: sends the selfish market clearing to N11; sends a feasible but non-optimal market clearing to N12",
    ),
    text,
  );

  // --json round trip: `poso report` reads the market's outcome fields back unchanged.
  const dir = await tmpDir("market-json");
  const file = `${dir}/run.json`;
  await Deno.writeTextFile(file, JSON.stringify(report));
  const back = (await readRunReportFile(file)).report;
  assert.deepEqual(back.outcome, JSON.parse(JSON.stringify(report.outcome)));
  assert.deepEqual(back.dispatch?.outcomeLines, report.dispatch?.outcomeLines);
  // A kind's fields are read as checked JSON: values out of range or nested too deep are refused,
  // naming the field.
  const bad = JSON.parse(JSON.stringify(report));
  bad.outcome.prices.heatCnyPerMwh[1] = 1e300;
  await Deno.writeTextFile(file, JSON.stringify(bad));
  await assert.rejects(
    () => readRunReportFile(file),
    /outcome\.prices\.heatCnyPerMwh\[1\]: expected a number from/,
  );
  let deep: unknown = 1;
  for (let i = 0; i < 12; i++) deep = [deep];
  bad.outcome.prices = deep;
  await Deno.writeTextFile(file, JSON.stringify(bad));
  await assert.rejects(() => readRunReportFile(file), /nested more than 8 levels deep/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("market120 in the simulator: five delegates clear the 120-community market, every community accepts", async () => {
  const { reports: [report] } = await runScenarioFile("scenarios/market120.yaml", { simulate: true });
  assert.deepEqual([report.outcome?.round, report.outcome?.leader], [1, "N24"]);
  const accepted = Object.values(report.normal.accepted);
  assert.equal(accepted.length, 120);
  assert.ok(accepted.every((a) => a === report.outcome?.costUsd), "every community accepts the clearing");
  const { prices, communities } = marketOutcome(report);
  assert.equal(prices.heatCnyPerMwh.length, 30, "one heat price per zone");
  assert.equal(communities.length, 120);
  assert.ok(prices.heatCnyPerMwh.every((h) => h > 0 && Number.isFinite(h)));
});

Deno.test("Workers: market12 commits the exact clearing; every block settles each community's purchases and bill, and a tampered bill fails verify", async () => {
  // One Worker first, so that the Worker module is type-checked once rather than by 12 Workers at once.
  const warm = workerHarness();
  warm.worker.postMessage({ type: "deliver", seq: 1, msg: null });
  await warm.until(() => warm.replies.length > 0);
  warm.worker.terminate();
  const dataDir = await tmpDir("market12");
  // A 3 s round covers the leader's clearing (about 0.2 s) on a loaded machine.
  const { reports: [report] } = await runScenarioFile("scenarios/market12.yaml", {
    dataDir,
    timeoutSec: 3,
  });
  assertRejections(report);
  assertMarket12(report);
  assert.equal(report.day?.blocksWritten, 12, "a block in every community's ledger");

  const ok = await verifyLedgerDir(dataDir, { recheck: true });
  assert.ok(ok.ok, ok.summary);
  const ledger = ledgerFileName(dataDir, "N3");
  const { records } = await readLedger(ledger);
  const [genesis, block] = records;
  if (block?.kind !== "block") throw new Error("block 1 is not written");
  const st = block.settlement;
  assert.ok(st, "the block records a settlement");
  assert.deepEqual([st.party, st.columns], ["community", ["gasMw", "electricityMw", "heatMw", "billCny"]]);
  // The block's settlement is the run's outcome: purchases and bills at the clearing prices.
  const { communities } = marketOutcome(report);
  assert.deepEqual(
    st.rows,
    communities.map((c) => ({ id: c.id, values: [c.gasMw, c.electricityMw, c.heatMw, c.billCny] })),
  );

  // The attack: community 5's bill halved and the block re-hashed. The signatures cover the
  // proposal, not the settlement, so links and signatures still verify; the settlement, recomputed
  // from the certificate and the case (no solve), does not: with --recheck and without (what a
  // participant does with a block it takes from another ledger).
  const tampered = makeBlock(genesis, {
    ...block,
    settlement: {
      ...st,
      rows: st.rows.map((r) =>
        r.id === 5 ? { id: 5, values: [...r.values.slice(0, 3), r.values[3] / 2] } : r
      ),
    },
  });
  await Deno.writeTextFile(ledger, encodeRecord(genesis) + encodeRecord(tampered));
  for (const recheck of [true, false]) {
    const v = await verifyLedgerDir(dataDir, { recheck });
    assert.equal(v.ok, false);
    const bad = v.files.find((f) => f.participant === "N3")?.firstBad;
    assert.equal(bad?.height, 1, "the tampered block is named");
    assert.match(
      bad?.reason ?? "",
      /^settlement of community 5: billCny is -176956\.\d+, recomputed from the certificate and the case -353913\.\d+ \(tolerance 0\.000001\)$/,
    );
    assert.ok(v.summary.includes("N3"), v.summary);
    assert.deepEqual(
      v.files.filter((f) => !f.ok).map((f) => f.participant),
      ["N3"],
      "the other ledgers verify",
    );
  }
  // A block without its settlement is refused too.
  const { settlement: _, ...bare } = block;
  await Deno.writeTextFile(ledger, encodeRecord(genesis) + encodeRecord(makeBlock(genesis, bare)));
  const v = await verifyLedgerDir(dataDir);
  assert.match(
    v.files.find((f) => f.participant === "N3")?.firstBad?.reason ?? "",
    /the block records no settlement; its problem settles each community/,
  );
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("the HTML report of a market run shows the prices per zone and each community's purchases and bill", async () => {
  const { scenario, reports: [report] } = await runScenarioFile("scenarios/market12.yaml", {
    simulate: true,
  });
  const html = renderReportHtml(report, { scenario });
  const outcome = report.outcome as unknown as MarketOutcome;
  // The communities' table: a heading with units, then one row per community with its bill.
  const table = html.match(/<h3>communities<\/h3><table class="result">(.*?)<\/table>/s)?.[1] ?? "";
  assert.ok(table.includes("<th>bill, CNY</th>") && table.includes("<th>electricity, MW</th>"), table);
  const rows = [...table.matchAll(/<tr><td class="num">(\d+)<\/td>(.*?)<\/tr>/g)];
  assert.deepEqual(rows.map((r) => Number(r[1])), outcome.communities.map((c) => c.id));
  for (const [k, row] of rows.entries()) {
    const bill = outcome.communities[k].billCny;
    const shown = [...row[2].matchAll(/<td class="num">([^<]*)<\/td>/g)].at(-1)?.[1] ?? "";
    assert.equal(Number(shown.replaceAll(",", "").replace("−", "-")), Math.round(bill * 100) / 100, row[0]);
  }
  // The prices: electricity and one heat price per zone, in zone order.
  const heat = outcome.prices.heatCnyPerMwh.map((p) => p.toFixed(2)).join(", ");
  assert.ok(html.includes(`<th>heat, CNY/MWh</th><td>${heat}</td>`), heat);
});
