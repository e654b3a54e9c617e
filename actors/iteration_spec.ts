/**
 * What an iteration run iterates, as data a Worker can be sent (functions cannot cross a Worker
 * boundary): the market of a case, or the SimpleAdd counter. Each side builds the same
 * {@link IterationSetup} from it.
 *
 * @module
 */
import type { DelegateEvil, NormalEvil } from "../consensus/iteration.ts";
import type { NodeId } from "../consensus/types.ts";
import type { MarketCase } from "../problems/market/case.ts";
import { marketIterationSetup } from "../problems/market/iteration_protocol.ts";
import { buildMarketModel } from "../problems/market/model.ts";
import { simpleAddSetup } from "../problems/simple-add/protocol.ts";
import type { IterationSetup } from "./iteration_runner.ts";

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
