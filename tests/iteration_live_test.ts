/**
 * The live page of the published price iteration (`poso run scenarios/market12-iteration.yaml
 * --live`): the run tells its observer every round's prices, in round order, once each, converging
 * to the run's final prices; blacklists as they happen; and the live server's log keeps the whole
 * trajectory for a page opened late (thinned evenly only beyond its bound). In-process, simulator
 * only (the Worker runner feeds the same tally).
 *
 * @module
 */
import assert from "node:assert/strict";
import { IterationTally, type TrajectoryPoint } from "../actors/iteration_runner.ts";
import type { LiveEvent } from "../actors/live_event.ts";
import { runIterationScenario } from "../cli/iteration.ts";
import { startLiveServer } from "../cli/live.ts";
import { loadScenarioFile } from "../scenarios/loader.ts";
import { eventStreamUntil } from "./helpers.ts";

/** Prices compared to the run's own report: both come from the same numbers, so equal up to print (CNY/MWh). */
const SAME_PRICE_CNY_PER_MWH = 1e-9;

type Of<K extends LiveEvent["kind"]> = Extract<LiveEvent, { kind: K }>;

Deno.test("price iteration live: every round once, in order, converging to the run's final prices", async () => {
  const scenario = await loadScenarioFile("scenarios/market12-iteration.yaml");
  const events: LiveEvent[] = [];
  const report = await runIterationScenario(scenario, { onEvent: (e) => events.push(e) });
  assert.equal(events[0].kind, "run");
  assert.equal((events[0] as Of<"run">).runtime, "simulator");
  const start = events.find((e): e is Of<"iterationStart"> => e.kind === "iterationStart")!;
  assert.deepEqual(start.prices, [
    "electricity",
    ...report.outcome.heatZones.map((z) => `heat zone ${z}`),
    "gas",
  ]);
  assert.equal(start.unit, "CNY/MWh");
  const rounds = events.filter((e): e is Of<"iteration"> => e.kind === "iteration");
  // Every round 0 (the starting prices) to the last, once each and in order.
  assert.equal(report.rounds, 78);
  assert.deepEqual(rounds.map((r) => r.round), Array.from({ length: report.rounds + 1 }, (_, i) => i));
  // Each round's prices are the report's trajectory at that round.
  for (const t of report.trajectory) {
    const r = rounds[t.round];
    assert.ok(Math.abs(r.prices.electricity - t.electricityCnyPerMwh) < SAME_PRICE_CNY_PER_MWH);
    t.heatCnyPerMwh.forEach((h, k) => {
      assert.ok(Math.abs(r.prices[`heat zone ${report.outcome.heatZones[k]}`] - h) < SAME_PRICE_CNY_PER_MWH);
    });
  }
  // Converging: the last change is below the tolerance, the last prices are the run's final prices.
  const last = rounds[rounds.length - 1];
  assert.ok(last.change < report.toleranceCnyPerMwh, `last change ${last.change}`);
  assert.ok(rounds[1].change > 100 * report.toleranceCnyPerMwh, `first change ${rounds[1].change}`);
  const p = report.outcome.prices;
  assert.ok(Math.abs(last.prices.electricity - p.electricityCnyPerMwh) < SAME_PRICE_CNY_PER_MWH);
  assert.ok(Math.abs(last.prices.gas - p.gasCnyPerMwh) < SAME_PRICE_CNY_PER_MWH);
  const end = events[events.length - 1] as Of<"iterationEnd">;
  assert.equal(end.kind, "iterationEnd");
  assert.deepEqual([end.converged, end.rounds, end.messages], [true, 78, report.messages]);
  assert.deepEqual(end.prices, last.prices);
  assert.equal(events.filter((e) => e.kind === "iterationBlacklist").length, 0);
});

Deno.test("price iteration live: a round is told once every delegate computed it, not before", () => {
  const told: TrajectoryPoint[] = [];
  const tally = new IterationTally([{ id: 1, startPrices: [5] }, { id: 2, startPrices: [5] }], {
    round: (t) => told.push(t),
  });
  assert.deepEqual(told.map((t) => t.round), [0]);
  tally.record(1, [{ type: "prices", round: 1, prices: [6], change: 1, done: false }]);
  assert.deepEqual(told.map((t) => t.round), [0]);
  tally.record(2, [{ type: "prices", round: 1, prices: [7], change: 2, done: false }]);
  assert.deepEqual(told.map((t) => t.round), [0, 1]);
  assert.deepEqual(told[1].dissenters.length, 1);
});

/** The events a page opened now receives before the live ones (up to the `caughtup` marker). */
async function caughtUp(url: string): Promise<(LiveEvent & { seq: number })[]> {
  const text = await eventStreamUntil(await fetch(new URL("/events", url)), /event: caughtup/);
  return text.split("\n\n")
    .filter((f) => f.startsWith("id: ") || f.startsWith("data: "))
    .map((f) => JSON.parse(f.slice(f.indexOf("data: ") + 6)));
}

Deno.test("price iteration live: the server's log holds the whole trajectory and the blacklists", async () => {
  const scenario = await loadScenarioFile("scenarios/market12-iteration-blacklist.yaml");
  const live = await startLiveServer({ port: 0 });
  try {
    const report = await runIterationScenario(scenario, { onEvent: live.publish });
    const log = await caughtUp(live.url);
    const rounds = log.filter((e): e is Of<"iteration"> & { seq: number } => e.kind === "iteration");
    assert.deepEqual(rounds.map((r) => r.round), Array.from({ length: report.rounds + 1 }, (_, i) => i));
    const bl = log.filter((e): e is Of<"iterationBlacklist"> & { seq: number } =>
      e.kind === "iterationBlacklist"
    );
    assert.deepEqual(bl.map((b) => `${b.delegate}:${b.community}:${b.round}`).sort(), [
      "C10:C1:0",
      "C11:C1:0",
      "C12:C1:0",
    ]);
    assert.deepEqual(log.map((e) => e.kind).filter((k) => k !== "iteration" && k !== "iterationBlacklist"), [
      "run",
      "iterationStart",
      "iterationEnd",
    ]);
    assert.deepEqual(log.map((e) => e.seq), log.map((e) => e.seq).sort((a, b) => a - b));
  } finally {
    await live.close();
  }
});

Deno.test("price iteration live: beyond its bound the log thins the trajectory evenly and keeps the latest round", async () => {
  const live = await startLiveServer({ port: 0, maxIterationRounds: 8 });
  try {
    for (let r = 0; r <= 21; r++) {
      live.publish({ kind: "iteration", round: r, prices: { electricity: 600 + r }, change: 1 / (r + 1) });
    }
    const rounds = (await caughtUp(live.url)).map((e) => (e as Of<"iteration">).round);
    assert.deepEqual(rounds, [0, 4, 8, 12, 16, 20, 21]);
  } finally {
    await live.close();
  }
});
