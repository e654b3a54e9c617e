/**
 * `poso solve`: build day 1's problem of a case (of any problem kind), solve a
 * variant with a chosen LP back end, check its certificate as a follower
 * would, and report its true cost, the kind's own details and timings.
 *
 * @module
 */
import { type Certificate, describeVerdict, type Verdict } from "../lp/certificate.ts";
import { type LpSize, lpSize } from "../lp/lp.ts";
import { DEFAULT_SOLVER, type SolverName } from "../lp/solver.ts";
import type { ProposalVariant } from "../consensus/types.ts";
import { problemKind, readCaseFile, readCaseFileOfAnyKind } from "../problems/registry.ts";
import {
  type CaseFile,
  type CostUnit,
  formatAmount,
  perPeriod,
  type Problem,
  type ProblemKind,
  type ProblemSummary,
  type SolutionDetails,
} from "../problems/types.ts";
import { renderTable } from "./table.ts";

/** Where `poso solve` and `poso verify` take their problem from. */
export interface ProblemChoice {
  /** The problem kind (`--problem`); default: the kind whose validator accepts `casePath`, else `ies-dispatch`. */
  problem?: string;
  /** The case file (`--case`); default: the kind's bundled case. */
  casePath?: string;
}

/**
 * The case a command names: `--case` of `--problem`'s kind; `--case` alone, of the kind whose
 * validator accepts it; `--problem` alone, that kind's bundled case; neither, the default kind's.
 */
export function caseOf(choice: ProblemChoice): Promise<CaseFile> {
  if (choice.problem !== undefined) return readCaseFile(problemKind(choice.problem), choice.casePath);
  if (choice.casePath !== undefined) return readCaseFileOfAnyKind(choice.casePath);
  return readCaseFile(problemKind());
}

/** Whether a case file is its kind's bundled case (published figures apply to it). */
async function isBundled(c: CaseFile): Promise<boolean> {
  const bundled = await readCaseFile(c.kind);
  return bundled.digest === c.digest;
}

/** Day 1 of a case: block height 1, load factor 1 (what `poso run` poses first). */
export function dayOne(c: CaseFile): Problem {
  return c.kind.problemFor(c.case, { height: 1, loadFactor: 1 });
}

/** What `poso solve --json` prints; a kind adds its own fields ({@link Problem.details}). */
export interface SolveReport {
  /** The problem kind. */
  problem: string;
  /** The case's name. */
  case: string;
  /** The proposal variant solved. */
  variant: ProposalVariant;
  /** The LP back end that solved it. */
  solver: SolverName;
  /** What the amounts are measured in. */
  costUnit: CostUnit;
  /** True cost of the solution, in {@link SolveReport.costUnit}. */
  trueCostUsd: number;
  /** The certificate check, as a follower does it. */
  certificate: {
    verdict: Verdict["verdict"];
    /** Certified gap, in the cost unit (null when malformed). */
    gapUsd: number | null;
    /** Largest violation relative to its scale (null when malformed). */
    maxViolation: number | null;
    /** The verdict in words. */
    detail: string;
  };
  /** Wall times: building the problem, solving the variant, checking the certificate, ms. */
  timingsMs: { build: number; solve: number; check: number };
  /** The LP's size (variables and constraints from the proposal's shape when the kind has no LP). */
  size: LpSize | { variables: number; constraints: number };
  /** The kind's own fields ({@link Problem.details}), e.g. the dispatch's hubs. */
  [field: string]: unknown;
}

/** Options of {@link runSolve}. */
export interface SolveOptions extends ProblemChoice {
  /** The variant to produce (default `optimal`). */
  variant?: ProposalVariant;
  /** The LP back end (default lp/solver.ts DEFAULT_SOLVER). */
  solver?: SolverName;
}

/**
 * Builds day 1's problem of the case, solves the variant, checks its certificate against the LP
 * the problem built itself; returns the report, the kind's details (for the readable summary),
 * the certificate, the solution's summary (its series, for CSV) and the kind.
 */
export async function runSolve(options: SolveOptions = {}): Promise<{
  report: SolveReport;
  details?: SolutionDetails;
  certificate: Certificate;
  summary: ProblemSummary;
  kind: ProblemKind;
}> {
  const variant = options.variant ?? "optimal", solver = options.solver ?? DEFAULT_SOLVER;
  const c = await caseOf(options);
  let t0 = performance.now();
  const problem = dayOne(c);
  const build = performance.now() - t0;
  t0 = performance.now();
  const { certificate, costUsd } = await problem.solve(variant, { solver });
  const solve = performance.now() - t0;
  t0 = performance.now();
  const verdict = problem.verifier.verify(certificate);
  const check = performance.now() - t0;
  const unit = problem.verifier.cost;
  const figures = verdict.verdict === "malformed" ? null : verdict;
  const details = problem.details?.(certificate, { variant, bundledCase: await isBundled(c) });
  const report: SolveReport = {
    ...details?.fields,
    problem: c.kind.name,
    case: c.kind.caseName(c.case),
    variant,
    solver,
    costUnit: unit,
    trueCostUsd: costUsd,
    certificate: {
      verdict: verdict.verdict,
      gapUsd: figures?.gapUsd ?? null,
      maxViolation: figures?.maxViolation ?? null,
      detail: describeVerdict(verdict, unit),
    },
    timingsMs: { build, solve, check },
    size: problem.lp ? lpSize(problem.lp) : { variables: problem.shape.x, constraints: problem.shape.y },
  };
  return {
    report,
    ...(details ? { details } : {}),
    certificate,
    summary: problem.summary(certificate),
    kind: c.kind,
  };
}

/** The human-readable summary of a solve, with the kind's details (its lines and tables) when given. */
export function formatSolveReport(r: SolveReport, details?: SolutionDetails): string {
  const unit = r.costUnit;
  const tables = (details?.tables ?? []).map((t) => `${t.title}\n${renderTable(t.header, t.rows, t.align)}`);
  const quantity = `True ${unit.quantity}`.padEnd(13);
  const size = r.size as Partial<LpSize>;
  const t = r.timingsMs;
  return [
    `${r.case}: ${r.problem}, variant ${r.variant}, solved with ${r.solver}`,
    "",
    `${quantity} ${formatAmount(unit, r.trueCostUsd)}${perPeriod(unit)}${
      details?.costNote ? `   ${details.costNote}` : ""
    }`,
    ...details?.lines ?? [],
    ...tables.flatMap((table) => ["", table]),
    "",
    `Certificate   ${r.certificate.detail}`,
    `Model         ${size.variables} variables, ${size.constraints} constraints` +
    (size.nonzeros === undefined ? "" : `, ${size.nonzeros} nonzeros`),
    `Times         build ${t.build.toFixed(0)} ms, solve ${t.solve.toFixed(0)} ms, check ${
      t.check.toFixed(2)
    } ms`,
  ].join("\n");
}
