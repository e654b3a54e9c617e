/**
 * What an iteration run iterates, as data a Worker can be sent (functions cannot cross a Worker
 * boundary): the market of a case, or the SimpleAdd counter. Each side builds the same
 * {@link IterationSetup} from it: the Worker runtime (actors/iteration_workers.ts) knows no problem, so a
 * Worker imports this module ({@link ITERATION_SPEC_MODULE}) to build its machines.
 *
 * @module
 */
import type { DelegateEvil, NormalEvil } from "../consensus/iteration.ts";
import type { NodeId } from "../consensus/types.ts";
import type { MarketCase } from "./market/case.ts";
import { type MarketIterationOptions, marketIterationSetup } from "./market/iteration_protocol.ts";
import { buildMarketModel } from "./market/model.ts";
import { simpleAddSetup } from "./simple-add/protocol.ts";
import type { IterationRun, IterationSetup } from "../actors/iteration_runner.ts";
import { runIterationOnWorkers, type WorkerIterationOptions } from "../actors/iteration_workers.ts";

/** An iteration, as data. */
export type IterationSpec =
  | {
    /** The price iteration of a market. */
    kind: "market";
    /** The case (its communities are the normal nodes). */
    theCase: MarketCase;
    /** Delegates. */
    delegates: NodeId[];
    /** Stopping tolerance, CNY/MWh. */
    tolerance?: number;
    /** Most rounds. */
    maxRounds?: number;
    /** `normal_evil` by community. */
    normalEvil?: [NodeId, NormalEvil][];
    /** `delegate_evil` by delegate. */
    delegateEvil?: [NodeId, DelegateEvil][];
  }
  | {
    /** The SimpleAdd counter. */
    kind: "simple-add";
    /** Normal nodes. */
    normals: NodeId[];
    /** Delegates. */
    delegates: NodeId[];
    /** The published `final_round`. */
    finalRound: number;
    /** Every misbehaving normal node's tampering. */
    normalEvil?: [NodeId, NormalEvil][];
  };

/** This module, which a Worker imports to call {@link iterationSetupOf}. */
export const ITERATION_SPEC_MODULE: URL = new URL("./iteration_spec.ts", import.meta.url);

/** The setup an {@link IterationSpec} describes. */
export function iterationSetupOf(spec: IterationSpec): IterationSetup {
  if (spec.kind === "simple-add") {
    return simpleAddSetup({
      normals: spec.normals,
      delegates: spec.delegates,
      finalRound: spec.finalRound,
      normalEvil: new Map(spec.normalEvil ?? []),
    });
  }
  return marketIterationSetup(buildMarketModel(spec.theCase, 1), {
    delegates: spec.delegates,
    ...(spec.tolerance === undefined ? {} : { tolerance: spec.tolerance }),
    ...(spec.maxRounds === undefined ? {} : { maxRounds: spec.maxRounds }),
    normalEvil: new Map(spec.normalEvil ?? []),
    delegateEvil: new Map(spec.delegateEvil ?? []),
  });
}

/** Runs the iteration `spec` describes on Workers (actors/iteration_workers.ts). */
export function runSpecOnWorkers(
  spec: IterationSpec,
  options: WorkerIterationOptions = {},
): Promise<IterationRun> {
  return runIterationOnWorkers(
    { spec, setupModule: ITERATION_SPEC_MODULE, setup: iterationSetupOf(spec) },
    options,
  );
}

/** Runs the market iteration of `theCase` with `options` on Workers. */
export function runMarketIterationOnWorkers(
  theCase: MarketCase,
  options: MarketIterationOptions,
  runOptions: WorkerIterationOptions = {},
): Promise<IterationRun> {
  return runSpecOnWorkers({
    kind: "market",
    theCase,
    delegates: options.delegates,
    ...(options.tolerance === undefined ? {} : { tolerance: options.tolerance }),
    ...(options.maxRounds === undefined ? {} : { maxRounds: options.maxRounds }),
    normalEvil: [...(options.normalEvil ?? new Map()).entries()],
    delegateEvil: [...(options.delegateEvil ?? new Map()).entries()],
  }, runOptions);
}
