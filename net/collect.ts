/**
 * One trace from the events of every node of a networked run (net/events.ts): for each day, the
 * rounds in order, each round's leader as most delegates saw it, and every node's effects fed to
 * the same recorder the Worker runtime and the simulator use, so the trace reads the same.
 *
 * @module
 */
import { Recorder } from "../consensus/recorder.ts";
import type { RunReport } from "../consensus/report.ts";
import type { NodeId } from "../consensus/types.ts";
import { consensusLeader, type RunProblem } from "../actors/supervisor.ts";
import { dayLoadFactor } from "../problems/schedule.ts";
import type { Scenario } from "../scenarios/loader.ts";
import type { NodeEvent } from "./events.ts";

/**
 * The trace of every day the events cover, in height order.
 *
 * @example
 * ```ts ignore
 * const reports = collectTrace(scenario, run, events); // events: every node's, any interleaving
 * console.log(reports[0].outcome); // { round: 2, leader: "D", costUsd: 744 }
 * ```
 */
export function collectTrace(scenario: Scenario, run: RunProblem, events: NodeEvent[]): RunReport[] {
  const names = Object.fromEntries(scenario.participants.map((p) => [p.id, p.name]));
  const delegates = scenario.participants.filter((p) => p.delegate).map((p) => p.id);
  const normals = scenario.participants.filter((p) => p.normal).map((p) => p.id);
  const order = new Map(scenario.participants.map((p, i) => [p.id, i]));
  // The days whose rounds some node started (a node that catches up reports the next height without
  // a round of it).
  const heights = [...new Set(events.filter((e) => e.type === "tick").map((e) => e.height))].sort((a, b) =>
    a - b
  );
  const reports: RunReport[] = [];
  for (const height of heights) {
    const ofDay = events.filter((e) => e.height === height);
    const dayInfo = ofDay.find((e) => e.type === "day")?.day;
    const problem = run.kind.problemFor(run.case, {
      height,
      loadFactor: dayLoadFactor(scenario.seed, height),
    });
    const recorder = new Recorder({
      scenario: scenario.name,
      runtime: "processes",
      seed: scenario.seed,
      names,
      delegates,
      normals,
      env: problem.verifier,
      notices: height === heights[0] ? scenario.notices : [],
      dispatchOf: (p) => problem.summary(p.certificate),
    });
    // Rounds up to the last one in which anything happened (a node that keeps its clock going after
    // the block was decided adds nothing to the trace).
    const acting = ofDay.filter((e) => e.type !== "tick" && e.type !== "day" && e.type !== "start");
    const blacklists = new Map<NodeId, Set<NodeId>>(
      delegates.map((d) => [d, new Set(dayInfo?.blacklistAtStart ?? [])]),
    );
    // Each node's events in its own order, nodes in scenario order within a round. An effect counts in
    // the round it names (a node busy solving may report a round's end after its clock moved on).
    type Item = { node: NodeId; round: number; apply: () => void };
    const items: Item[] = [];
    const sorted = [...acting].sort((a, b) => (order.get(a.node) ?? 0) - (order.get(b.node) ?? 0));
    const at = (e: NodeEvent, own?: number) => Math.max(1, own ?? e.round);
    for (const e of sorted) {
      const item = (round: number, apply: () => void) => items.push({ node: e.node, round, apply });
      if (e.type === "effects") {
        for (const u of e.unauthentic ?? []) item(at(e), () => recorder.unauthentic(e.node, u));
        for (const d of e.delegate) {
          if (d.kind === "send") {
            if (d.digest !== undefined && d.cost !== undefined) recorder.learnCost(d.digest, d.cost);
            continue;
          }
          const own = "round" in d ? d.round : d.kind === "evidence" ? d.evidence.round : undefined;
          item(at(e, own), () => {
            recorder.delegateEffect(e.node, d);
            if (d.kind === "blacklist") blacklists.get(e.node)?.add(d.leader);
          });
        }
        for (const n of e.normal) {
          item(at(e, "round" in n ? n.round : undefined), () => recorder.normalEffect(e.node, n));
        }
      } else if (e.type === "dropped") item(at(e), () => recorder.dropped(e.node, e.reason));
      else if (e.type === "note") item(at(e), () => recorder.note(`${names[e.node]}: ${e.text}`));
      else if (e.type === "crash") item(at(e), () => recorder.note(`${names[e.node]} ${e.why}`));
      else if (e.type === "catchUp" && e.blocks > 0) {
        item(at(e), () =>
          recorder.note(
            `${names[e.node]} caught up ${e.blocks} block(s) from ${
              names[e.from]
            } (each verified before it was appended)`,
          ));
      }
    }
    const last = Math.max(1, ...items.map((i) => i.round));
    for (let r = 1; r <= last; r++) {
      const leader = consensusLeader(delegates, blacklists, dayInfo?.startAfter);
      recorder.roundStart(r, leader === undefined ? "?" : names[leader]);
      for (const i of items) if (i.round === r) i.apply();
    }
    const report = recorder.finish();
    const written = ofDay.flatMap((e) => e.type === "effects" ? (e.blocks ?? []) : []).filter((b) =>
      b.height === height
    );
    reports.push({
      ...report,
      day: {
        height,
        loadFactor: dayLoadFactor(scenario.seed, height),
        blocksWritten: new Set(
          ofDay.filter((e) => e.type === "effects" && e.blocks?.some((b) => b.height === height)).map((e) =>
            e.node
          ),
        ).size,
        blockBytes: Math.max(0, ...written.map((b) => b.bytes)),
      },
    });
  }
  return reports;
}
