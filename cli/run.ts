/**
 * `poso run scenario.yaml`: run a scenario on Worker actors (default) or in
 * the deterministic simulator, and print its trace.
 *
 * @module
 */
import { runDays } from "../actors/supervisor.ts";
import { loadProposalBook, simConfigFor, simulate } from "../actors/simulator.ts";
import { makeVerifier } from "../consensus/digest.ts";
import type { RunReport } from "../consensus/report.ts";
import { loadUomCase } from "../models/case.ts";
import { buildDispatchModel } from "../models/dispatch.ts";
import { summariseDispatch } from "../models/dispatch_summary.ts";
import { loadScenarioFile, type Scenario } from "../scenarios/loader.ts";

/** Options of {@link runScenarioFile}. */
export interface RunOptions {
  /** Run in the deterministic simulator (virtual time) instead of on Workers. */
  simulate?: boolean;
  /** Overrides the scenario's seed (simulator message order and delays; day load factors). */
  seed?: number;
  /** Overrides the scenario's round timeout, s. */
  timeoutSec?: number;
  /** Data directory of the ledgers (Workers only; default ./poso-data). */
  dataDir?: string;
  /** Days to dispatch (Workers only; default the scenario's days, 1). */
  days?: number;
  /** One-line progress notes. */
  progress?: (line: string) => void;
}

/** Runs the simulator on a loaded scenario (one block). */
export async function simulateScenario(scenario: Scenario, roundTimeoutMs: number): Promise<RunReport> {
  const model = buildDispatchModel(await loadUomCase());
  const book = await loadProposalBook(model);
  const { report } = await simulate(
    makeVerifier(model),
    book,
    simConfigFor(scenario, { roundTimeoutMs, dispatchOf: (p) => summariseDispatch(model, p.certificate) }),
  );
  return report;
}

/** Loads a scenario file and runs it; returns the scenario and the trace of every day. */
export async function runScenarioFile(
  file: string,
  options: RunOptions = {},
): Promise<{ scenario: Scenario; reports: RunReport[] }> {
  const loaded = await loadScenarioFile(file);
  const scenario = options.seed === undefined ? loaded : { ...loaded, seed: options.seed };
  const roundTimeoutMs = options.timeoutSec === undefined
    ? scenario.roundTimeoutMs
    : Math.round(options.timeoutSec * 1000);
  const reports = options.simulate
    ? [await simulateScenario(scenario, roundTimeoutMs)]
    : await runDays(scenario, {
      roundTimeoutMs,
      progress: options.progress,
      dataDir: options.dataDir,
      days: options.days,
    });
  return { scenario, reports };
}
