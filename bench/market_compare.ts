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
 * Then the cost of the iteration's signatures on Workers (every message sealed by its sender in its
 * Worker and opened by its receiver, actors/iteration_auth.ts): the CPU time of one seal and one open,
 * the 12-community run on Workers (messages/s after the Workers started), and the first
 * {@link WORKER_ROUNDS_120} rounds of the 120-community run on Workers, extrapolated to its full length
 * (a whole run takes minutes).
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
import { runMarketIterationOnWorkers } from "../problems/iteration_spec.ts";
import { openIterationMessage, sealIterationMessage } from "../actors/iteration_auth.ts";
import { seedKeyPair } from "../actors/keys.ts";

/** Rounds of the 120-community iteration run on Workers (then extrapolated to the full run). */
const WORKER_ROUNDS_120 = 20;
/** Messages sealed and opened to time one seal and one open. */
const SIGNATURE_SAMPLES = 2000;

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

// ---------------------------------------------------------------------------
// Signatures of the iteration on Workers

{
  const pair = await seedKeyPair(1, 3);
  const demand = { kind: "demand" as const, round: 0, from: 3, values: [275.442133, -218.908121, 38.421137] };
  let t = performance.now();
  const sealed = [];
  for (let i = 0; i < SIGNATURE_SAMPLES; i++) {
    sealed.push(await sealIterationMessage(pair, "bench", 10, { ...demand, round: i }));
  }
  const sealUs = ((performance.now() - t) * 1000) / SIGNATURE_SAMPLES;
  t = performance.now();
  for (const e of sealed) await openIterationMessage({ 3: pair.publicKey }, "bench", 10, e);
  const openUs = ((performance.now() - t) * 1000) / SIGNATURE_SAMPLES;
  console.log(
    `\nsigned iteration messages: seal ${sealUs.toFixed(0)} µs, open ${
      openUs.toFixed(0)
    } µs of CPU per message`,
  );
  for (
    const [url, maxRounds] of [[WUZHONG_12_URL, undefined], [WUZHONG_120_URL, WORKER_ROUNDS_120]] as const
  ) {
    const theCase = await loadMarketCase(url);
    const ids = theCase.communities.map((c) => c.id).sort((a, b) => a - b);
    const delegates = ids.slice(-DELEGATES_PER_MARKET);
    const full = maxRounds === undefined ? undefined : runMarketIteration(theCase, { delegates });
    const t0 = performance.now();
    const r = await runMarketIterationOnWorkers(theCase, { delegates, ...(maxRounds ? { maxRounds } : {}) });
    const ms = performance.now() - t0;
    // The rate leaves out the Workers' start-up (120 V8 isolates take seconds to start).
    const startMs = r.startupMs ?? 0;
    const rate = r.messages / ((ms - startMs) / 1000);
    console.log(
      `${theCase.name} on Workers, signed: ${fmt(r.rounds)} rounds, ${fmt(r.messages)} messages in ${
        fmt(ms)
      } ms ` +
        `(start-up ${fmt(startMs)} ms, then ${fmt(rate)} messages/s; ` +
        `${fmt(r.signatures?.verified ?? 0)} signatures verified)` +
        (full
          ? `; the full run (${fmt(full.rounds)} rounds, ${fmt(full.messages)} messages) would take about ` +
            `${fmt(full.messages / rate)} s`
          : ""),
    );
  }
}
