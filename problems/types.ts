/**
 * The contract between PoSo and a problem a leader solves and followers
 * certify. Consensus, the runtimes and the ledger hold a problem only as a
 * {@link Problem} behind this contract; adding a kind means one folder under
 * `problems/` and one line in `problems/registry.ts` (docs/adding-a-problem.md).
 *
 * A kind turns a validated case and a day into a {@link Problem}: what the
 * leader solves (with a solver of lp/), how a proposal is checked (the
 * {@link Verifier}), what misbehaving proposals the adversaries send, and how
 * a result reads for people (its cost for the trace, a summary for reports).
 *
 * @module
 */
import type { Certificate } from "../lp/certificate.ts";
import type { SolverName } from "../lp/solver.ts";
import type { MessageShape } from "../consensus/messages.ts";
import type { ProposalVariant, Verifier } from "../consensus/types.ts";

/** Which day of a chain a problem is for. */
export interface DayParams {
  /** Block height = day number (1-based). */
  height: number;
  /** The day's load factor (dimensionless, problems/schedule.ts dayLoadFactor): demand scales with it. */
  loadFactor: number;
}

/** A solved proposal: the certificate and the cost the leader claims for it. */
export interface Solved {
  /** The solution and its certificate. */
  certificate: Certificate;
  /** The solution's true cost under the problem's own objective ($ per day for a dispatch). */
  costUsd: number;
}

/**
 * What a report and the JSON output say about an accepted solution.
 *
 * @example
 * ```ts
 * import type { ProblemSummary } from "../mod.ts";
 * const s: ProblemSummary = { costUsd: 743.91, gapUsd: 1e-8, verdict: "accepted", series: {} };
 * console.log(s.verdict); // accepted
 * ```
 */
export interface ProblemSummary {
  /** True cost (the problem's objective, $ per day for a dispatch). */
  costUsd: number;
  /** Certified optimality gap, $ (NaN when the certificate was not accepted). */
  gapUsd: number;
  /** The checker's verdict in words. */
  verdict: string;
  /** The kind's own hourly series, for its charts and CSV (for `ies-dispatch`, a DispatchSeries). */
  series: unknown;
}

/**
 * One day of one case of a problem kind: everything a participant needs to
 * lead, follow and report.
 */
export interface Problem {
  /** The kind's registry name, e.g. `ies-dispatch`. */
  readonly kind: string;
  /** Fingerprint of what is asked (a certificate for another problem is refused): `sha256:<hex>`. */
  readonly id: string;
  /** Sizes of a proposal's vectors: messages of any other size are refused before hashing. */
  readonly shape: MessageShape;
  /** The checks and readings the state machines use. */
  readonly verifier: Verifier;
  /** The proposals this kind can produce, the honest `optimal` first. */
  readonly variants: readonly ProposalVariant[];
  /** Solves a variant (a leader's work; dishonest leaders ask for the others). */
  solve(variant: ProposalVariant, options?: { solver?: SolverName }): Promise<Solved>;
  /** A solution as a report shows it. */
  summary(certificate: Certificate): ProblemSummary;
  /**
   * Optional: everything {@link ProblemKind.fromData} needs to make this problem again in another
   * Worker without rebuilding it, as a structured-cloneable value (numbers in typed arrays where it
   * can, so that a `postMessage` copies them as whole buffers). Each call returns fresh typed arrays,
   * never this problem's own, so a caller may transfer them. A kind without it is rebuilt from the
   * case in every Worker ({@link ProblemKind.problemFor}).
   */
  data?(): unknown;
}

/**
 * A problem kind: validates its cases and builds each day's {@link Problem}.
 *
 * @example
 * ```ts
 * import { problemKind } from "../mod.ts";
 * const kind = problemKind("ies-dispatch");
 * const problem = kind.problemFor(await kind.loadCase(kind.defaultCase), { height: 1, loadFactor: 1 });
 * console.log(problem.kind, problem.shape); // ies-dispatch { x: 13800, y: 6456 }
 * ```
 */
export interface ProblemKind<Case = unknown> {
  /** Registry name (`problem:` in a scenario). */
  readonly name: string;
  /** One line for people. */
  readonly title: string;
  /** The bundled case used when a scenario names none. */
  readonly defaultCase: URL;
  /** Reads and validates a case file (errors name the file and the field). */
  loadCase(path: string | URL): Promise<Case>;
  /** Validates an already parsed case (e.g. one sent to a Worker); throws naming the field. */
  parseCase(value: unknown, file?: string): Case;
  /** The case's own name (recorded in the genesis). */
  caseName(c: Case): string;
  /** Day `day`'s problem. */
  problemFor(c: Case, day: DayParams): Problem;
  /**
   * Optional, with {@link Problem.data}: the problem whose `data()` gave `data`, without rebuilding
   * it. The data comes from the participant's own host (the supervisor), not from the network, but is
   * checked all the same (types, lengths, indices in range): throws naming the field on any
   * inconsistency, never returns a problem that would read out of bounds.
   */
  fromData?(data: unknown): Problem;
}

/**
 * A day's problem as it travels to a Worker: the kind's {@link Problem.data} when the kind has both
 * halves of the transfer, else nothing (the Worker then builds it from the case).
 *
 * @example
 * ```ts
 * import { problemData, problemKind } from "../mod.ts";
 * const kind = problemKind("ies-dispatch");
 * const problem = kind.problemFor(await kind.loadCase(kind.defaultCase), { height: 1, loadFactor: 1 });
 * const again = kind.fromData!(problemData(kind, problem));
 * console.log(again.id === problem.id); // true
 * ```
 */
export function problemData(kind: ProblemKind, problem: Problem): unknown | undefined {
  return kind.fromData && problem.data ? problem.data() : undefined;
}

/**
 * A case as a run reads it (problems/registry.ts readCaseFile): validated by
 * its kind, with the SHA-256 of the file's bytes, which the genesis records so
 * that a chain names exactly the data every day's problem was built from.
 *
 * @example
 * ```ts
 * import { problemKind, readCaseFile } from "../mod.ts";
 * const bundled = await readCaseFile(problemKind("ies-dispatch"));
 * console.log(bundled.kind.name, bundled.digest.startsWith("sha256:")); // ies-dispatch true
 * ```
 */
export interface CaseFile<Case = unknown> {
  /** The problem kind the case is for. */
  kind: ProblemKind<Case>;
  /** The case, validated by the kind. */
  case: Case;
  /** `sha256:<64 hex>` of the file's bytes, exactly as read. */
  digest: string;
  /** Where it was read from (for messages): the path given, or the bundled file's path. */
  file: string;
}
