/**
 * The shape of a run's trace (README.md "Outputs: trace, JSON, ledger, report"): what every delegate
 * received in every round, its decision, the normal-node phase and the
 * outcome. Both shells (Worker supervisor and simulator) produce it; the
 * CLI prints it as a table or as JSON.
 *
 * A cell string is `<$OBJ>PATH` (problems/types.ts costCell): OBJ the
 * solution's true cost rounded to a whole number, after the symbol of the
 * problem kind's cost unit (`$` for the dispatch, `Σ` for SimpleSum), PATH the
 * participants' names from leader to last relayer (`<$744>DE`: D's proposal
 * relayed by E). In the normal-node phase PATH is the deciding delegate
 * (`<$744>E`). The report's `costUnit` names the unit.
 *
 * @module
 */
import type { CostUnit, ProblemSummary } from "../problems/types.ts";

import type { EquivocationEvidence } from "./types.ts";

/** One round of the delegate phase. */
export interface RoundReport {
  /** Round number (1-based). */
  round: number;
  /** Name of the round's leader (the one most delegates follow). */
  leader: string;
  /** Delegate name → cells in arrival order (invalid ones included). */
  received: Record<string, string[]>;
  /** Delegate name → its decision at the round's end ("none": it took no part, e.g. already committed or down). */
  decision: Record<string, "commit" | "blacklist" | "none">;
  /** Delegate name → cells it rejected, with the verdict (e.g. `<$904>C suboptimal`). */
  rejected: Record<string, string[]>;
  /** Delegate name → its blacklist (names) after the round. */
  blacklist: Record<string, string[]>;
  /** Messages dropped in this round, with the reason. */
  dropped: { to: string; reason: string }[];
  /** Behaviour events of the round (crash, restart, equivocation seen, ...). */
  notes: string[];
  /**
   * Messages dropped because a signature failed: the addressee, the signer whose signature
   * failed, and who signed the bad copy (changed or forged it), when that is known.
   */
  signatureFailures?: { to: string; signer: string; blame?: string }[];
}

/** The normal-node phase. */
export interface NormalReport {
  /** Normal node name → decisions received (`<$744>E`). */
  received: Record<string, string[]>;
  /** Normal node name → accepted cost rounded to a whole number (in the run's cost unit), or null. */
  accepted: Record<string, number | null>;
}

/** The outcome of a run: the block that normal nodes accepted. */
export interface Outcome {
  /** Round (1-based) in which the accepted block was committed. */
  round: number;
  /** Name of that round's leader. */
  leader: string;
  /** True cost of the accepted solution, rounded to a whole number (in the run's cost unit). */
  costUsd: number;
  /**
   * The problem kind's own outcome fields (problems/types.ts ProblemSummary.outcome), when the
   * runtime has the accepted solution: plain JSON values, e.g. a market's `prices` and `communities`.
   */
  [field: string]: unknown;
}

/** Where a run's wall time went, ms. */
export interface RunTimings {
  /** Wall time of the day's run (the first day's includes the start-up), ms. */
  total: number;
  /** Starting the Workers (the first day's report only; 0 on later days), ms. */
  startup: number;
  /** Leaders' LP solves, summed over the rounds, ms. */
  solving: number;
  /** Certificate checks (the busiest Worker's, per round), ms. */
  checking: number;
  /** Signing and verifying signatures (the busiest Worker's, per round). */
  signing?: number;
  /** Appending the block to the ledger with fsync (the slowest participant's). */
  ledger?: number;
  /**
   * Building problems (the supervisor builds each day's problem once, and the next day's while a
   * round of this one is quiet): the problem kind's own cost, like solving, ms.
   */
  building?: number;
  /** Idle time: from the moment a round went quiet until its timeout, ms. */
  waiting: number;
  /**
   * Idle round time not waited out (Worker runtime): once every Worker was idle and nothing was due
   * before the round's deadline, the supervisor moved its clock to the deadline at once, ms. Not part
   * of `total`.
   */
  skipped?: number;
  /** The rest (message passing, recording, ...): total minus every figure above, ms. */
  other: number;
}

/**
 * The whole trace of a run (what `poso run --json` prints).
 *
 * @example
 * ```ts
 * import type { RunReport } from "../mod.ts";
 * const report: RunReport = {
 *   scenario: "empty", runtime: "simulator", seed: 1, notices: [], rounds: [],
 *   normal: { received: {}, accepted: {} }, outcome: null,
 * };
 * console.log(report.outcome === null ? "no block accepted" : report.outcome.costUsd); // no block accepted
 * ```
 */
export interface RunReport {
  /** Scenario name. */
  scenario: string;
  /** "workers" (the actor runtime), "simulator", or "processes" (one process per participant, net/). */
  runtime: "workers" | "simulator" | "processes";
  /** The run's seed (u32). */
  seed: number;
  /** The delegate phase, one entry per round started. */
  rounds: RoundReport[];
  /** The normal-node phase. */
  normal: NormalReport;
  /** The block more than half of the normal nodes accepted, or null. */
  outcome: Outcome | null;
  /** Notices about the scenario (ignored fields of the original configuration, ...). */
  notices: string[];
  /** Multi-day runs: the block (day) this trace decided, and what the ledgers got. */
  day?: { height: number; loadFactor: number; blocksWritten: number; blockBytes: number };
  /** Equivocation evidence seen in the run (two signed proposals of one leader for one round). */
  evidence?: EquivocationEvidence[];
  /** Where the wall time went (Worker runs). */
  timings?: RunTimings;
  /**
   * What the run's amounts (cells, `outcome.costUsd`, `normal.accepted`, `dispatch`) are measured
   * in: the problem kind's cost unit. Absent in reports of older versions, whose amounts are the
   * dispatch's $ per day.
   */
  costUnit?: CostUnit;
  /**
   * The accepted solution, when the runtime has it: the kind's series (a dispatch's hourly series),
   * its true cost and the certificate's optimality gap (in {@link RunReport.costUnit}) and the
   * checker's verdict in words.
   */
  dispatch?: ProblemSummary;
}
