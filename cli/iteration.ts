/**
 * `poso run` for a scenario whose scene class runs the published iteration
 * (`MultiEnergyPark`): the run and its trace (rounds, final prices, every
 * community's purchases, blacklists, what each behaviour did).
 *
 * @module
 */
import type { Scenario } from "../scenarios/loader.ts";
import { ENERGY_MARKET } from "../problems/market/kind.ts";
import {
  caseOfCommunities,
  type MarketIterationOptions,
  type MarketIterationReport,
  marketIterationReport,
  marketIterationSetup,
} from "../problems/market/iteration_protocol.ts";
import { buildMarketModel } from "../problems/market/model.ts";
import { simulateIteration } from "../actors/iteration_runner.ts";
import {
  iterationSetupOf,
  runMarketIterationOnWorkers,
  runSpecOnWorkers,
} from "../problems/iteration_spec.ts";
import { type SimpleAddReport, simpleAddReport } from "../problems/simple-add/protocol.ts";
import type { DelegateEvil, NormalEvil } from "../consensus/iteration.ts";
import type { WorkerIterationOptions } from "../actors/iteration_workers.ts";
import type { NodeId } from "../consensus/types.ts";
import {
  iterationPriceNames,
  type LiveEvent,
  liveRunEvent,
  namedIterationPrices,
} from "../actors/live_event.ts";
import type { IterationObserver } from "../actors/iteration_runner.ts";
import { MARKET_COST_UNIT } from "../problems/market/unit.ts";

/** The report of an iteration scenario's run: the market report and who ran it. */
export interface IterationRunReport extends MarketIterationReport {
  /** The scenario's name. */
  scenario: string;
  /** The runtime: the deterministic simulator, or one Worker per participant. */
  runtime: "simulator" | "workers";
  /** Node ids of the delegates. */
  delegates: number[];
  /** What each dishonest participant was configured to do, one line each. */
  behaviours: string[];
  /** The scenario's notices (ignored fields of a published file, the case replacing its spreadsheets, ...). */
  notices: string[];
  /** Signature checks of a Worker run (every message is signed by its sender): checked, and rejected ones. */
  signatures?: { verified: number; rejected: number };
}

/** One line describing a participant's `normal_evil`. */
export function describeNormalEvil(id: NodeId, e: NormalEvil): string {
  const parts: string[] = [];
  if (e.demandIgnore.length) parts.push(`sends no demand to delegates ${e.demandIgnore.join(", ")}`);
  if (e.demandTarget.length) {
    parts.push(`sends delegates ${e.demandTarget.join(", ")} its demand × ${e.demandRate}`);
  }
  return `community ${id} ${parts.join("; ")}`;
}

/** Names of the prices a community receives, by index. */
const COMPONENT_NAMES = ["gas", "electricity", "heat"];

/** One line describing a participant's `delegate_evil`. */
export function describeDelegateEvil(id: NodeId, e: DelegateEvil): string {
  const parts: string[] = [];
  if (e.priceIgnore.length) parts.push(`sends no prices to communities ${e.priceIgnore.join(", ")}`);
  if (e.priceTarget.length) {
    parts.push(
      `shows communities ${e.priceTarget.join(", ")} ${
        e.priceComponents.map((k) => COMPONENT_NAMES[k]).join(", ")
      } price × ${e.priceRate}`,
    );
  }
  if (e.broadcastIgnore.length) parts.push(`forwards nothing to delegates ${e.broadcastIgnore.join(", ")}`);
  if (e.broadcastCollusion.length && e.broadcastTarget.length) {
    parts.push(
      `forwards the demands of ${e.broadcastCollusion.join(", ")} × ${e.broadcastRate} to delegates ${
        e.broadcastTarget.join(", ")
      }`,
    );
  }
  return `delegate ${id} ${parts.join("; ")}`;
}

/** The report of a SimpleAdd scene's run. */
export interface SimpleAddRunReport extends SimpleAddReport {
  /** Signature checks of a Worker run (every message is signed by its sender): checked, and rejected ones. */
  signatures?: { verified: number; rejected: number };
  /** The scenario's name. */
  scenario: string;
  /** The runtime. */
  runtime: "simulator" | "workers";
  /** Node ids of the delegates. */
  delegates: number[];
  /** What each dishonest participant was configured to do, one line each. */
  behaviours: string[];
  /** The scenario's notices (ignored fields of a published file, the case replacing its spreadsheets, ...). */
  notices: string[];
}

/** Runs a SimpleAdd scene (`scenario.iteration.kind` `simple-add`). */
export async function runSimpleAddScenario(
  scenario: Scenario,
  options: IterationScenarioOptions = {},
): Promise<SimpleAddRunReport> {
  const settings = scenario.iteration;
  if (settings?.kind !== "simple-add") throw new Error(`${scenario.file}: not a SimpleAdd scene`);
  const normals = scenario.participants.filter((p) => p.normal).map((p) => p.id);
  const delegates = scenario.participants.filter((p) => p.delegate).map((p) => p.id);
  const evil = scenario.participants.filter((p) => p.normalEvil).map((p) =>
    [p.id, p.normalEvil!] as [NodeId, NormalEvil]
  );
  const spec = {
    kind: "simple-add" as const,
    normals,
    delegates,
    finalRound: settings.finalRound,
    normalEvil: evil,
  };
  const run = options.workers
    ? await runSpecOnWorkers(spec, workerAuthOf(scenario))
    : simulateIteration(iterationSetupOf(spec));
  return {
    ...simpleAddReport(run),
    ...(run.signatures ? { signatures: run.signatures } : {}),
    scenario: scenario.name,
    runtime: options.workers ? "workers" : "simulator",
    delegates,
    notices: scenario.notices,
    behaviours: evil.map(([id, e]) =>
      describeNormalEvil(id, e).replace(/^community/, "normal node").replace(/demand/g, "number")
    ),
  };
}

/** The readable trace of a SimpleAdd run. */
export function renderSimpleAddTrace(r: SimpleAddRunReport): string {
  const out = [
    `${r.scenario}: the published SimpleAdd iteration (${r.runtime}), ${r.outcome.nodes.length} normal nodes, ` +
    `delegates ${r.delegates.join(", ")}`,
    `${
      r.converged ? "ended" : "did NOT end"
    } after ${r.rounds} sums; ${r.messages} messages, ${r.bytes} bytes, ` +
    `${r.timeouts} timeouts`,
    ...(r.notices.length ? ["", "Notices:", ...r.notices.map((n) => `  ${n}`)] : []),
    "",
    "Behaviours:",
    ...(r.behaviours.length ? r.behaviours.map((b) => `  ${b}`) : ["  everyone honest"]),
    "",
    `Sums by round: ${
      r.trajectory.map((t) =>
        `${t.sum}${t.dissenters.length ? ` (delegates ${t.dissenters.join(", ")} differ)` : ""}`
      ).join(", ")
    }`,
    `Final sum: ${r.outcome.sum}`,
    "Normal nodes (the sum each took last, its number now):",
    ...r.outcome.nodes.map((n) => `  ${n.id}: took ${n.took}, holds ${n.value}`),
    "",
    "Blacklists:",
    ...(r.blacklists.length
      ? r.blacklists.map((b) =>
        `  delegate ${b.delegate} blacklisted node ${b.community} in round ${b.round} (its copies differed)`
      )
      : ["  none"]),
    ...(r.signatures
      ? [
        "",
        `Signatures: ${r.signatures.verified} messages verified, ${r.signatures.rejected} rejected ` +
        `(forged or altered: dropped)`,
      ]
      : []),
  ];
  return out.join("\n");
}

/**
 * The keys a Worker run of `scenario` signs its messages with: the scenario's key directory or seed
 * (`keys:`); without one, keys derived from its seed (an iteration run has no data directory).
 */
function workerAuthOf(scenario: Scenario): WorkerIterationOptions {
  const k = scenario.keys;
  return {
    keys: k.kind === "dir" ? k : { kind: "seed", seed: k.kind === "seed" ? k.seed : scenario.seed },
    names: Object.fromEntries(scenario.participants.map((p) => [p.id, p.name])),
  };
}

/** Options of {@link runIterationScenario}. */
export interface IterationScenarioOptions {
  /** Run on Workers, one per participant (default: the deterministic simulator). */
  workers?: boolean;
  /**
   * Told what happens as it happens, for the live page (market iterations only): the run, each
   * round's prices, each blacklisting, the end. Called from the run's loop: it must return at once.
   */
  onEvent?: (e: LiveEvent) => void;
}

/**
 * Runs an iteration scenario (`scenario.iteration` set) in the deterministic simulator or on Workers:
 * every normal node is the case community with its id, every delegate a delegate.
 */
export async function runIterationScenario(
  scenario: Scenario,
  options: IterationScenarioOptions = {},
): Promise<IterationRunReport> {
  const settings = scenario.iteration;
  if (!settings) throw new Error(`${scenario.file}: its scene class does not run the published iteration`);
  const full = await ENERGY_MARKET.loadCase(scenario.casePath ?? ENERGY_MARKET.defaultCase);
  const communities = scenario.participants.filter((p) => p.normal).map((p) => p.id);
  const delegates = scenario.participants.filter((p) => p.delegate).map((p) => p.id);
  let theCase;
  try {
    theCase = caseOfCommunities(full, communities);
  } catch (e) {
    throw new Error(
      `${scenario.file}: the normal nodes are the case's communities, but ${(e as Error).message}`,
    );
  }
  const normalEvil = new Map<NodeId, NormalEvil>();
  const delegateEvil = new Map<NodeId, DelegateEvil>();
  const behaviours: string[] = [];
  for (const p of scenario.participants) {
    if (p.normalEvil) {
      normalEvil.set(p.id, p.normalEvil);
      behaviours.push(describeNormalEvil(p.id, p.normalEvil));
    }
    if (p.delegateEvil) {
      delegateEvil.set(p.id, p.delegateEvil);
      behaviours.push(describeDelegateEvil(p.id, p.delegateEvil));
    }
  }
  const runOptions: MarketIterationOptions = {
    delegates,
    tolerance: settings.tolerance,
    maxRounds: settings.finalRound,
    normalEvil,
    delegateEvil,
  };
  const model = buildMarketModel(theCase, 1);
  const onEvent = options.onEvent;
  const names = iterationPriceNames(model.zones.map((z) => z.id));
  const nameOf = (id: NodeId) => scenario.participants.find((p) => p.id === id)?.name ?? String(id);
  const observer: IterationObserver | undefined = onEvent && {
    round: (t) =>
      onEvent({
        kind: "iteration",
        round: t.round,
        prices: namedIterationPrices(names, t.prices),
        change: t.change,
        ...(t.dissenters.length ? { dissenters: t.dissenters.map(nameOf) } : {}),
      }),
    blacklist: (b) =>
      onEvent({
        kind: "iterationBlacklist",
        round: b.round,
        delegate: nameOf(b.delegate),
        community: nameOf(b.community),
      }),
  };
  if (onEvent) {
    onEvent(
      liveRunEvent(
        scenario,
        options.workers ? "workers" : "simulator",
        ENERGY_MARKET.name,
        MARKET_COST_UNIT,
        0,
      ),
    );
    onEvent({
      kind: "iterationStart",
      prices: names.names,
      unit: "CNY/MWh",
      tolerance: settings.tolerance,
      maxRounds: settings.finalRound,
    });
  }
  const run = options.workers
    ? await runMarketIterationOnWorkers(theCase, runOptions, {
      ...workerAuthOf(scenario),
      ...(observer ? { observer } : {}),
    })
    : simulateIteration(marketIterationSetup(model, runOptions), observer);
  const report = marketIterationReport(model, run, settings.tolerance);
  const last = run.trajectory[run.trajectory.length - 1];
  onEvent?.({
    kind: "iterationEnd",
    converged: report.converged,
    rounds: report.rounds,
    prices: last ? namedIterationPrices(names, last.prices) : {},
    messages: report.messages,
  });
  return {
    ...report,
    ...(run.signatures ? { signatures: run.signatures } : {}),
    scenario: scenario.name,
    runtime: options.workers ? "workers" : "simulator",
    delegates,
    behaviours,
    notices: scenario.notices,
  };
}

/** A number with fixed decimals, right-aligned in `width`. */
function num(x: number, decimals: number, width: number): string {
  return (Object.is(x, -0) ? 0 : x).toFixed(decimals).padStart(width);
}

/** Rounds of the trajectory shown at each end of the trace. */
const TRAJECTORY_SHOWN = 5;

/** The readable trace of an iteration run. */
export function renderIterationTrace(r: IterationRunReport): string {
  const out: string[] = [];
  const p = r.outcome.prices;
  const zones = r.outcome.heatZones;
  out.push(
    `${r.scenario}: the published price iteration (${r.runtime}), ${r.outcome.communities.length} communities, ` +
      `delegates ${r.delegates.join(", ")}`,
  );
  out.push(
    `${r.converged ? "converged" : "did NOT converge"} after ${r.rounds} rounds (price change below ` +
      `${r.toleranceCnyPerMwh} CNY/MWh); ${r.messages} messages, ${r.bytes} bytes, ${r.timeouts} timeouts`,
  );
  if (r.notices.length) out.push("", "Notices:", ...r.notices.map((n) => `  ${n}`));
  out.push("", "Behaviours:");
  out.push(...(r.behaviours.length ? r.behaviours.map((b) => `  ${b}`) : ["  everyone honest"]));
  out.push("", "Prices, CNY/MWh:");
  out.push(`  electricity ${p.electricityCnyPerMwh.toFixed(4)}`);
  zones.forEach((z, k) => out.push(`  heat, zone ${z}: ${p.heatCnyPerMwh[k].toFixed(4)}`));
  out.push("", "Trajectory (round: electricity | heat per zone | change), CNY/MWh:");
  const t = r.trajectory;
  const line = (x: (typeof t)[number]) =>
    `  ${String(x.round).padStart(5)}: ${num(x.electricityCnyPerMwh, 4, 10)} | ${
      x.heatCnyPerMwh.map((h) => num(h, 4, 9)).join(" ")
    } | ${x.changeCnyPerMwh.toExponential(2)}${
      x.dissenters.length ? `  (delegates ${x.dissenters.join(", ")} differ)` : ""
    }`;
  if (t.length <= 2 * TRAJECTORY_SHOWN) out.push(...t.map(line));
  else {
    out.push(...t.slice(0, TRAJECTORY_SHOWN).map(line), "    ...");
    out.push(...t.slice(-TRAJECTORY_SHOWN).map(line));
  }
  out.push("", "Communities (answers to the last prices each took; negative: sold):");
  out.push(
    "     id    gas MW  electricity MW   heat MW        bill CNY  prices seen (gas, electricity, heat)",
  );
  const caught = new Set(r.blacklists.map((b) => b.community));
  for (const c of r.outcome.communities) {
    const s = c.seenCnyPerMwh;
    const mark = caught.has(c.id) ? "  (blacklisted: not counted)" : "";
    out.push(
      `  ${String(c.id).padStart(5)} ${num(c.gasMw, 3, 9)} ${num(c.electricityMw, 3, 15)} ${
        num(c.heatMw, 3, 9)
      } ` +
        `${num(c.billCny, 2, 15)}  ${s.gas.toFixed(2)}, ${s.electricity.toFixed(2)}, ${
          s.heat.toFixed(2)
        }${mark}`,
    );
  }
  out.push("", "Blacklists:");
  if (r.blacklists.length === 0) out.push("  none");
  for (const b of r.blacklists) {
    out.push(
      `  delegate ${b.delegate} blacklisted community ${b.community} in round ${b.round} (its copies differed)`,
    );
  }
  if (r.signatures) {
    out.push(
      "",
      `Signatures: ${r.signatures.verified} messages verified, ${r.signatures.rejected} rejected ` +
        `(forged or altered: dropped)`,
    );
  }
  if (r.notes.length) {
    out.push("", `Notes (${r.notes.length}${r.notes.length >= 200 ? "+" : ""}):`);
    out.push(...r.notes.slice(0, 20).map((n) => `  ${n}`));
    if (r.notes.length > 20) out.push("  ...");
  }
  return out.join("\n");
}
