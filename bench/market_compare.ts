/**
 * `deno task bench:market-compare`: PoSo against the published price iteration on the bundled Wuzhong
 * markets (12 and 120 communities, everyone honest, three delegates that are communities too: the
 * three highest ids, as in the published 12-community configuration). For each: rounds of
 * consensus, messages, bytes and wall time.
 *
 * - PoSo: one block in the deterministic simulator (actors/simulator.ts), messages signed (Ed25519)
 *   as on Workers; the wall time is the leader's solve plus the simulated round (every follower's
 *   certificate check and every signature, in real CPU time; the link delays are virtual).
 * - The iteration: the protocol of messages in its simulator (actors/iteration_runner.ts), stopping
 *   at 1e-3 CNY/MWh; bytes are the messages as JSON, without signatures (the published code signs
 *   its packets too, so its real size is larger).
 *
 * The prices of both are printed side by side, with their largest difference.
 *
 * @module
 */
import { type SimParticipant, simulate } from "../actors/simulator.ts";
import type { ProposalBook } from "../actors/simulator.ts";
import { ENERGY_MARKET } from "../problems/market/kind.ts";
import { loadMarketCase, type MarketCase, WUZHONG_120_URL, WUZHONG_12_URL } from "../problems/market/case.ts";
import { runMarketIteration } from "../problems/market/iteration_protocol.ts";
import { buildMarketModel } from "../problems/market/model.ts";
import { marketSeries } from "../problems/market/verifier.ts";

/** Delegates per market: the three highest community ids. */
const DELEGATES_PER_MARKET = 3;
/** Round timeout of the PoSo block, ms of virtual time (ample: the link delays are 1-20 ms). */
const POSO_ROUND_TIMEOUT_MS = 3000;

/** One market's figures. */
interface Row {
  name: string;
  rounds: number;
  messages: number;
  bytes: number;
  wallMs: number;
  electricity: number;
  heat: number[];
}

async function poso(theCase: MarketCase, delegates: number[]): Promise<Row> {
  const t0 = performance.now();
  const problem = ENERGY_MARKET.problemFor(theCase, { height: 1, loadFactor: 1 });
  const solved = await problem.solve("optimal", { solver: "highs" });
  const book = {
    optimal: { certificate: solved.certificate, costUsd: solved.costUsd },
  } as unknown as ProposalBook;
  const participants: SimParticipant[] = theCase.communities.map((c) => ({
    id: c.id,
    name: `C${c.id}`,
    delegate: delegates.includes(c.id),
    normal: true,
    misbehaviour: {},
  }));
  let messages = 0, bytes = 0;
  const { report } = await simulate(problem.verifier, book, {
    scenario: theCase.name,
    participants,
    seed: 1,
    roundTimeoutMs: POSO_ROUND_TIMEOUT_MS,
    onSend: (m) => {
      messages++;
      bytes += JSON.stringify(m).length;
    },
  });
  const wallMs = performance.now() - t0;
  if (!report.outcome) throw new Error(`PoSo decided nothing on ${theCase.name}`);
  const s = marketSeries(buildMarketModel(theCase, 1), solved.certificate);
  return {
    name: "PoSo",
    rounds: report.outcome.round,
    messages,
    bytes,
    wallMs,
    electricity: s.prices.electricityCnyPerMwh,
    heat: s.prices.heatCnyPerMwh,
  };
}

function iteration(theCase: MarketCase, delegates: number[]): Row {
  const t0 = performance.now();
  const r = runMarketIteration(theCase, { delegates });
  return {
    name: "iteration",
    rounds: r.rounds,
    messages: r.messages,
    bytes: r.bytes,
    wallMs: performance.now() - t0,
    electricity: r.outcome.prices.electricityCnyPerMwh,
    heat: r.outcome.prices.heatCnyPerMwh,
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

for (const url of [WUZHONG_12_URL, WUZHONG_120_URL]) {
  const theCase = await loadMarketCase(url);
  const ids = theCase.communities.map((c) => c.id).sort((a, b) => a - b);
  const delegates = ids.slice(-DELEGATES_PER_MARKET);
  const rows = [await poso(theCase, delegates), iteration(theCase, delegates)];
  console.log(
    `\n${theCase.name}: ${ids.length} communities, ${theCase.heat_plants.length} heat zones, delegates ${
      delegates.join(", ")
    }`,
  );
  console.log(
    `${"".padEnd(10)} ${"rounds".padStart(7)} ${"messages".padStart(10)} ${"bytes".padStart(13)} ${
      "wall ms".padStart(9)
    } ${"electricity".padStart(12)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(10)} ${fmt(r.rounds).padStart(7)} ${fmt(r.messages).padStart(10)} ${
        fmt(r.bytes).padStart(13)
      } ${fmt(r.wallMs).padStart(9)} ${r.electricity.toFixed(4).padStart(12)}`,
    );
  }
  const [a, b] = rows;
  const diff = Math.max(
    Math.abs(a.electricity - b.electricity),
    ...a.heat.map((h, k) => Math.abs(h - b.heat[k])),
  );
  console.log(`largest price difference (electricity and every zone's heat): ${diff.toFixed(4)} CNY/MWh`);
}
